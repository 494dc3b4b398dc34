from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        if rel.rls and not rel.policies:
            yield RULE.finding(rel.qualified,
                               f"{rel.qualified}: row level security enabled but no policy (nobody but the owner "
                               "reads it)",
                               "relrowsecurity = true, 0 policies",
                               f"create policy tenant_isolation on {qn(rel)} using (tenant_id = "
                               "app.current_tenant_id());")


RULE = Rule(
    name="rls_no_policy",
    level=Level.WARNING,
    category="security",
    summary="row level security enabled with no policy",
    anti_pattern="A table with row level security enabled and no policy at all.",
    why="Default deny: no role but the owner (and BYPASSRLS roles) sees a single row. Usually a forgotten policy, "
        "found when the API returns empty lists.",
    fix="Create the policy the table was meant to have, e.g. `create policy tenant_isolation on t using (tenant_id = "
        "app.current_tenant_id());`.",
    bad=LiveExample("create table notes (id int primary key, body text);\nalter table notes enable row level "
                    "security;"),
    good=LiveExample("create table notes (id int primary key, body text, author name not null default current_user);\n"
                     "alter table notes enable row level security;\n"
                     "create policy own_notes on notes using (author = current_user);"),
    key="rls_no_policy:public.notes",
    section="Security",
    recommendation="Give every RLS table a tenant policy",
    check=check,
)
