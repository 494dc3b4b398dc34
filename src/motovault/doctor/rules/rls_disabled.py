from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import qn, tenant_column
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TABLE = "create table garages (tenant_id uuid not null, id uuid, primary key (tenant_id, id));\n"


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        tc = tenant_column(rel)
        if tc and not rel.rls:
            yield RULE.finding(rel.qualified, f"{rel.qualified} has {tc.name} but row level security is disabled",
                               "relrowsecurity = false: every role with a grant sees every tenant's rows",
                               f"alter table {qn(rel)} enable row level security, force row level security;")


RULE = Rule(
    name="rls_disabled",
    level=Level.ERROR,
    category="security",
    summary="a table with tenant_id and row level security off",
    anti_pattern="A table with a tenant column whose row level security is not enabled.",
    why="Isolation then rests on every query of every client remembering its `where tenant_id = ...`. One "
        "forgotten filter — or one direct query through the API — shows every tenant's rows.",
    fix="`alter table t enable row level security, force row level security;` and a policy comparing `tenant_id` "
        "with the request's tenant.",
    bad=LiveExample(TABLE),
    good=LiveExample(TABLE + "alter table garages enable row level security, force row level security;\n"
                             "create policy tenant_isolation on garages"
                             " using (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid);"),
    key="rls_disabled:public.garages",
    section="Security",
    recommendation="Enable and force row level security on every tenant table",
    check=check,
)
