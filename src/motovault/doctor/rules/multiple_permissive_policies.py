from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

_EXPAND = {"*": "rawd", "r": "r", "a": "a", "w": "w", "d": "d"}
_NAMES = {"r": "select", "a": "insert", "w": "update", "d": "delete"}
TABLE = "create table notes (id int primary key, author name not null, shared boolean not null default false);\n"
RLS = "alter table notes enable row level security;\n"


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        seen: dict[tuple[str, str], list[str]] = defaultdict(list)
        named = {r for pol in rel.policies for r in pol.roles if r != "public"}
        for pol in rel.policies:
            if pol.permissive:
                # a policy TO public applies to every role as well
                roles = set(pol.roles) | (named if "public" in pol.roles else set())
                for role in roles:
                    for cmd in _EXPAND[pol.command]:
                        seen[(role, cmd)].append(pol.name)
        for (role, cmd), pols in sorted(seen.items()):
            if len(pols) > 1:
                yield RULE.finding(
                    f"{rel.qualified}/{role}/{_NAMES[cmd]}",
                    f"{rel.qualified}: {len(pols)} permissive policies for role {role} and {_NAMES[cmd]}",
                    f"policies {', '.join(sorted(pols))}: every one is evaluated and OR-ed for each row",
                    "merge them into one policy per role and command (or make the extra ones AS RESTRICTIVE)")


RULE = Rule(
    name="multiple_permissive_policies",
    level=Level.WARNING,
    category="performance",
    summary="several permissive policies apply to one role and command",
    anti_pattern="Two or more permissive policies of a table that apply to the same role (a policy TO public "
                 "applies to every role) and the same command (FOR ALL covers all four).",
    why="PostgreSQL evaluates every one of them and ORs the results for each row: the predicates can no longer be "
        "one index condition, and the effective rule is spread over several definitions that are easy to misread.",
    fix="Merge them into one policy per role and command (`using (a or b)` written once, on purpose), or make the "
        "extra ones `AS RESTRICTIVE` if they were meant to narrow.",
    bad=LiveExample(TABLE + RLS + "create policy own on notes for select using (author = current_user);\n"
                                  "create policy shared on notes for select using (shared);"),
    good=LiveExample(TABLE + RLS + "create policy readable on notes for select using (author = current_user or "
                                   "shared);"),
    key="multiple_permissive_policies:public.notes/public/select",
    section="Performance & scalability",
    recommendation="Merge permissive policies: one per role and command",
    check=check,
)
