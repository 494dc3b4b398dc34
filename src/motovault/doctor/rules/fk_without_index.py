from __future__ import annotations

import re
from collections.abc import Iterator

from ..catalog import Relation
from ..heuristics import q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

_NOT_NULL_TERM = re.compile(r"^\(*\s*\"?([a-z_][a-z0-9_$]*)\"?\s+IS\s+NOT\s+NULL\s*\)*$", re.I)
PARENT = "create table vehicles (id int primary key);\n"
CHILD = "create table fuel_logs (id int primary key, vehicle_id int not null references vehicles on delete cascade);"


def _serves_fk_lookups(predicate: str | None, names: set[str]) -> bool:
    """A partial index serves the lookups of a foreign key when its predicate only says that some
    of the key's columns are not null: a lookup `col = $1` implies it."""
    if predicate is None:
        return True
    for term in re.split(r"\s+AND\s+", predicate.strip(), flags=re.I):
        m = _NOT_NULL_TERM.match(term.strip())
        if not m or m.group(1) not in names:
            return False
    return True


def _fk_indexed(rel: Relation, cols: list[int]) -> bool:
    want = set(cols)
    names = set(rel.column_names(cols))
    return any(ix.valid and len(ix.keys) >= len(cols) and set(ix.keys[: len(cols)]) == want
               and _serves_fk_lookups(ix.predicate, names) for ix in rel.indexes)


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        for con in rel.constraints:
            if con.type != "f" or _fk_indexed(rel, con.columns):
                continue
            cols = rel.column_names(con.columns)
            yield RULE.finding(
                f"{rel.qualified}.{con.name}", f"{rel.qualified}: foreign key {con.name} ({', '.join(cols)}) has no "
                                               "index",
                f"{con.definition}; no valid, non-partial index leads with ({', '.join(cols)})",
                f"create index concurrently if not exists {q(rel.name + '_' + '_'.join(cols) + '_idx')} "
                f"on {qn(rel)} ({', '.join(q(c) for c in cols)});")


RULE = Rule(
    name="fk_without_index",
    level=Level.WARNING,
    category="performance",
    summary="a foreign key whose columns lead no index",
    anti_pattern="A foreign key whose columns (in any order) are not the leading columns of a valid index "
                 "(a partial index counts only when its predicate is `col is not null` of the key's columns).",
    why="Every DELETE or key UPDATE on the referenced table scans the referencing table to check or cascade, and "
        "joins from parent to children scan too. It grows with the table, and the DELETE holds its locks meanwhile.",
    fix="`create index concurrently if not exists ... on child (fk columns)` — on tenant tables, "
        "`(tenant_id, parent_id)`, which also serves the policy.",
    bad=LiveExample(PARENT + CHILD),
    good=LiveExample(PARENT + CHILD + " create index on fuel_logs (vehicle_id);"),
    key="fk_without_index:public.fuel_logs.fuel_logs_vehicle_id_fkey",
    section="Performance & scalability",
    recommendation="Index foreign keys (leading columns of an index)",
    check=check,
)
