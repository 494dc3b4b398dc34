from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import qn, tenant_column
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TABLE = "create table garages (tenant_id uuid not null, id uuid, primary key (tenant_id, id));\n"
POLICY = ("create policy tenant_isolation on garages"
          " using (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid);")


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        if tenant_column(rel) and rel.rls and not rel.rls_forced:
            yield RULE.finding(rel.qualified, f"{rel.qualified}: row level security is not forced (the owner bypasses "
                                              "it)",
                               "relforcerowsecurity = false", f"alter table {qn(rel)} force row level security;")


RULE = Rule(
    name="rls_not_forced",
    level=Level.WARNING,
    category="security",
    summary="row level security enabled but not forced on a tenant table",
    anti_pattern="A table with a tenant column, row level security enabled, `relforcerowsecurity` false.",
    why="The table's owner bypasses the policies: every SECURITY DEFINER function owned by that role, every job "
        "run as the owner, reads and writes across tenants without noticing.",
    fix="`alter table t force row level security;` (the owner then needs a policy of its own where it must see "
        "every tenant, or BYPASSRLS on purpose).",
    bad=LiveExample(TABLE + "alter table garages enable row level security;\n" + POLICY),
    good=LiveExample(TABLE + "alter table garages enable row level security, force row level security;\n" + POLICY),
    key="rls_not_forced:public.garages",
    section="Security",
    recommendation="Enable and force row level security on every tenant table",
    check=check,
)
