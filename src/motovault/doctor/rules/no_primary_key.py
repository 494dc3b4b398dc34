from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        if not any(c.type == "p" for c in rel.constraints):
            uniques = [c.name for c in rel.constraints if c.type == "u"]
            yield RULE.finding(rel.qualified, f"{rel.qualified} has no primary key",
                               "no PRIMARY KEY constraint" + (f" (unique: {', '.join(uniques)})" if uniques else ""),
                               f"alter table {qn(rel)} add primary key (...);  -- logical replication and updatable "
                               "views need one")


RULE = Rule(
    name="no_primary_key",
    level=Level.WARNING,
    category="integrity",
    summary="a table without a primary key",
    anti_pattern="A table with no PRIMARY KEY constraint (a UNIQUE constraint does not count).",
    why="Duplicate rows cannot be told apart or fixed; logical replication cannot replicate its UPDATEs and DELETEs; "
        "ORMs, PostgREST's updates by key and foreign keys to it all need one.",
    fix="`alter table t add primary key (...)` — led by `tenant_id` on tenant tables.",
    bad=LiveExample("create table stations (code text not null, name text);"),
    good=LiveExample("create table stations (code text primary key, name text);"),
    key="no_primary_key:public.stations",
    section="Data integrity",
    recommendation="Give every table a primary key",
    check=check,
)
