from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..policies import verdicts_of
from ..rule import LiveExample, LiveRun, Rule

TABLE = ("create table garages (tenant_id uuid not null, id uuid, primary key (tenant_id, id));\n"
         "alter table garages enable row level security, force row level security;\n")


def check(run: LiveRun) -> Iterator[Finding]:
    for v in verdicts_of(run):
        if v.kind == "no_tenant_predicate":
            yield RULE.finding(
                v.obj, f"policy {v.policy.name} on {v.rel.qualified}: {v.clause} does not compare {v.tenant_column} "
                       "directly",
                f"{v.clause} ({v.expr})",
                f"alter policy {q(v.policy.name)} on {qn(v.rel)} {v.clause} ({v.tenant_column} = "
                "app.current_tenant_id());")


RULE = Rule(
    name="rls_policy_without_tenant_predicate",
    level=Level.WARNING,
    category="security",
    summary="a permissive policy on a tenant table that does not compare tenant_id",
    anti_pattern="A permissive policy (its USING or WITH CHECK) on a table with a tenant column, with no top-level "
                 "`tenant_id = <expression>` term.",
    why="Permissive policies are OR-ed: one policy that does not filter by tenant opens the table across tenants "
        "for its roles, whatever the other policies say.",
    fix="Compare the tenant column directly: `using (tenant_id = app.current_tenant_id())`. A policy that must see "
        "every tenant (an owner or service role) is suppressed with the reason.",
    bad=LiveExample(TABLE + "create policy garages_read on garages for select using (true);"),
    good=LiveExample(TABLE + "create policy garages_read on garages for select"
                             " using (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid);"),
    key="rls_policy_without_tenant_predicate:public.garages/garages_read/using",
    section="Security",
    recommendation="Filter every tenant policy on tenant_id",
    check=check,
)
