from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Catalog
from ..heuristics import qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TABLE = ("create table notes (id int primary key, author name not null default current_user, body text);\n"
         "alter table notes enable row level security;\n"
         "create policy own_notes on notes using (author = current_user);\n")


def _rls_behind(cat: Catalog, oid: int, seen: set[int]) -> set[str]:
    """RLS tables a view reads, through other views too (an inner invoker view runs as the outer's owner)."""
    out: set[str] = set()
    for dep in cat.relations[oid].depends_on:
        if dep in seen or dep not in cat.relations:
            continue
        seen.add(dep)
        rel = cat.relations[dep]
        if rel.rls:
            out.add(rel.qualified)
        if rel.kind in ("v", "m"):
            out |= _rls_behind(cat, dep, seen)
    return out


_INVOKER = ("security_invoker=true", "security_invoker=on", "security_invoker=1")


def check(run: LiveRun) -> Iterator[Finding]:
    for view in run.cat.views():
        if view.kind != "v" or any(o.lower() in _INVOKER for o in view.options):
            continue
        rls_tables = sorted(_rls_behind(run.cat, view.oid, set()))
        if rls_tables:
            yield RULE.finding(view.qualified,
                               f"view {view.qualified} reads RLS tables with its owner's rights (not security_invoker)",
                               f"reads {', '.join(rls_tables)}; owner {view.owner}",
                               f"alter view {qn(view)} set (security_invoker = true);")


RULE = Rule(
    name="view_bypasses_rls",
    level=Level.ERROR,
    category="security",
    summary="a view over RLS tables that is not security_invoker",
    anti_pattern="A view (directly or through other views) reading a table with row level security, without "
                 "`security_invoker = true`.",
    why="A view runs with its owner's rights: the owner usually owns the tables too, so the policies are bypassed "
        "(or evaluated for the owner, not the caller) and every caller of the view reads every tenant's rows.",
    fix="`alter view v set (security_invoker = true);` (PostgreSQL 15+): the policies apply to the caller.",
    bad=LiveExample(TABLE + "create view my_notes as select id, body from notes;"),
    good=LiveExample(TABLE + "create view my_notes with (security_invoker = true) as select id, body from notes;"),
    key="view_bypasses_rls:public.my_notes",
    section="Security",
    recommendation="Make views over RLS tables security_invoker",
    check=check,
)
