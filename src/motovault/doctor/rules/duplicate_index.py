from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..catalog import Index
from ..heuristics import q
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        groups: dict[tuple[object, ...], list[Index]] = defaultdict(list)
        for ix in rel.indexes:
            groups[ix.signature].append(ix)
        for ixs in groups.values():
            if len(ixs) < 2:
                continue
            ixs.sort(key=lambda i: (not i.primary, not i.backs_constraint, not i.unique, i.name))
            keep, drops = ixs[0], ixs[1:]
            names = ", ".join(i.name for i in ixs)
            yield RULE.finding(
                f"{keep.schema}.{','.join(sorted(i.name for i in ixs))}", f"{rel.qualified}: duplicate indexes {names}",
                "; ".join(i.definition for i in ixs),
                "\n".join("drop index concurrently if exists "
                          f"{q(i.schema)}.{q(i.name)};" for i in drops if not i.backs_constraint)
                or "drop the redundant constraint")


RULE = Rule(
    name="duplicate_index",
    level=Level.WARNING,
    category="performance",
    summary="two indexes of one table are identical",
    anti_pattern="Indexes of one table with the same columns or expressions, operator classes, collations, "
                 "predicate and access method.",
    why="Every write maintains both, both take space and cache, and the planner uses only one.",
    fix="`drop index concurrently` the extra ones, keeping the one that backs a constraint.",
    bad=LiveExample("create table vehicles (id int primary key, vin text);\n"
                    "create index vehicles_vin on vehicles (vin);\ncreate index vehicles_vin_2 on vehicles (vin);"),
    good=LiveExample("create table vehicles (id int primary key, vin text);\ncreate index vehicles_vin on vehicles "
                     "(vin);"),
    key="duplicate_index:public.vehicles_vin,vehicles_vin_2",
    section="Performance & scalability",
    recommendation="Drop duplicate indexes",
    check=check,
)
