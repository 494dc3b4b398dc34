from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..policies import verdicts_of
from ..rule import LiveExample, LiveRun, Rule

RLS = ("alter table garages enable row level security, force row level security;\n"
       "create policy tenant_isolation on garages using (tenant_id = nullif(current_setting('app.tenant', true), "
       "'')::uuid);")


def check(run: LiveRun) -> Iterator[Finding]:
    for v in verdicts_of(run):
        if v.kind == "no_index":
            yield RULE.finding(
                v.obj, f"policy {v.policy.name} on {v.rel.qualified}: no index is led by {v.tenant_column}",
                f"{v.clause} ({v.expr}); indexes: {', '.join(ix.name for ix in v.rel.indexes) or 'none'}",
                f"create index concurrently if not exists {q(v.rel.name + '_' + v.tenant_column + '_idx')} on "
                f"{qn(v.rel)} "
                f"({q(v.tenant_column)});  -- better: lead the primary key with it")


RULE = Rule(
    name="rls_predicate_no_index",
    level=Level.WARNING,
    category="performance",
    summary="a tenant policy whose tenant column leads no index",
    anti_pattern="A policy comparing `tenant_id` on a table where no valid, non-partial index starts with `tenant_id`.",
    why="The policy's predicate is an index condition only if an index can serve it: otherwise every query of one "
        "tenant scans the rows of all of them.",
    fix="Lead the primary key with it — `primary key (tenant_id, id)` — or "
        "`create index concurrently ... on t (tenant_id, ...)`.",
    bad=LiveExample("create table garages (tenant_id uuid not null, id uuid primary key);\n" + RLS),
    good=LiveExample("create table garages (tenant_id uuid not null, id uuid, primary key (tenant_id, id));\n" + RLS),
    key="rls_predicate_no_index:public.garages/tenant_isolation/using",
    section="Performance & scalability",
    recommendation="Index the column tenant policies compare (lead the primary key with tenant_id)",
    check=check,
)
