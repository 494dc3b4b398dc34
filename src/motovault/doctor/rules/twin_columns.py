from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import TWIN_GROUPS, q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.relations.values():
        if not rel.is_table or rel.is_partition:
            continue
        names = {c.name for c in rel.columns}
        for group in TWIN_GROUPS:
            present = [n for n in group if n in names]
            if len(present) < 2:
                continue
            canonical = present[0]
            for twin in present[1:]:
                yield RULE.finding(
                    f"{rel.qualified}.{twin}",
                    f"{rel.qualified}: inconsistent naming - both '{twin}' and '{canonical}' columns exist",
                    f"synonyms present: {', '.join(present)}",
                    f"update {qn(rel)} set {q(canonical)} = coalesce({q(canonical)}, {q(twin)});\n"
                    f"alter table {qn(rel)} drop column {q(twin)};  -- after clients stop using it")


RULE = Rule(
    name="twin_columns",
    level=Level.WARNING,
    category="naming",
    summary="two columns of one table mean the same thing (label / nickname / display_name, zip / postal_code, ...)",
    anti_pattern="A table holding two or more synonyms of one group: display_name / label / nickname / alias, "
                 "created_at / created_on / inserted_at, email / email_address, odometer / mileage, zip / "
                 "postal_code, ...",
    why="Clients write one and read the other: the values drift apart, and nobody knows which one is true. Every "
        "query and report has to guess.",
    fix="Keep one column per meaning (the first of the group), copy the twin's values into it, move clients, then "
        "drop the twin.",
    bad=LiveExample("create table vehicles (id int primary key, display_name text, nickname text);"),
    good=LiveExample("create table vehicles (id int primary key, display_name text);"),
    key="twin_columns:public.vehicles.nickname",
    section="Immediate priorities",
    recommendation="Resolve naming conflicts: keep one column per meaning and drop its synonyms",
    check=check,
)
