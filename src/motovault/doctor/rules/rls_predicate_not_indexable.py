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
        if v.kind != "not_indexable":
            continue
        level = Level.INFO if all("scalar sub-select" in p for p in v.problems) else Level.WARNING
        yield RULE.finding(
            v.obj, f"policy {v.policy.name} on {v.rel.qualified}: tenant predicate cannot become an index condition",
            f"{v.clause} ({v.expr}): " + "; ".join(v.problems),
            f"alter policy {q(v.policy.name)} on {qn(v.rel)} {v.clause} ({v.tenant_column} = app.current_tenant_id());"
            "  -- a LANGUAGE sql STABLE helper whose body is one 'select <expression>'", level=level)


RULE = Rule(
    name="rls_predicate_not_indexable",
    level=Level.WARNING,
    also_levels=(Level.INFO,),
    level_note="info when the only problem is a scalar sub-select (an InitPlan: evaluated once, but Citus refuses it)",
    category="security",
    summary="a tenant predicate that cannot become an index condition (volatile or non-inlinable helper, cast, "
            "sub-select)",
    anti_pattern=(
        "A policy's `tenant_id = <expression>` where the expression calls a VOLATILE function, a helper PostgreSQL "
        "does not inline (plpgsql, SECURITY DEFINER, SET options, a body with FROM/WHERE), compares a cast column "
        "(`tenant_id::text = ...`), or uses a sub-select (`tenant_id in (select ...)`)."
    ),
    why=(
        "The predicate is then evaluated per row instead of once per scan: every query on the table reads every "
        "tenant's rows and filters them one by one, and no index on tenant_id helps. Sub-selects are also refused "
        "by Citus in policies on distributed tables."
    ),
    fix="`using (tenant_id = app.current_tenant_id())` with a `LANGUAGE sql STABLE` helper whose body is a single "
        "`select <expression>` (no FROM), not SECURITY DEFINER, no SET clause.",
    bad=LiveExample("create function tid() returns uuid language plpgsql stable"
                    " as $$ begin return current_setting('app.tenant')::uuid; end $$;\n"
                    + TABLE + "create policy tenant_isolation on garages using (tenant_id = tid());"),
    good=LiveExample("create function tid() returns uuid language sql stable"
                     " as $$ select nullif(current_setting('app.tenant', true), '')::uuid $$;\n"
                     + TABLE + "create policy tenant_isolation on garages using (tenant_id = tid());"),
    key="rls_predicate_not_indexable:public.garages/tenant_isolation/using",
    section="Security",
    recommendation="Compare tenant_id directly with an inlinable STABLE SQL helper in policies",
    check=check,
)
