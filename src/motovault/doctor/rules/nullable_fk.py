from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

PARENT = "create table garages (id int primary key);\n"


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        by_num = {c.num: c for c in rel.columns}
        for con in rel.constraints:
            if con.type != "f":
                continue
            nullable = [by_num[n].name for n in con.columns if n in by_num and not by_num[n].not_null]
            if nullable:
                yield RULE.finding(
                    f"{rel.qualified}.{con.name}",
                    f"{rel.qualified}: foreign key {con.name} is optional ({', '.join(nullable)} nullable)",
                    f"{con.definition}; nullable: {', '.join(nullable)}"
                    + ("; MATCH SIMPLE: the key is not checked when any column is "
                       "null" if len(con.columns) > 1 else ""),
                    f"alter table {qn(rel)} alter column {q(nullable[0])} set not null;  -- if the relation is "
                    "mandatory")


RULE = Rule(
    name="nullable_fk",
    level=Level.INFO,
    category="integrity",
    summary="a foreign key with a nullable column (an optional relation)",
    anti_pattern="A foreign key with at least one nullable column.",
    why="Fine when the relation is optional (a vehicle without a garage). When it is not, rows without a parent "
        "slip in; and on a multi-column key, MATCH SIMPLE skips the check entirely as soon as one column is NULL.",
    fix="`set not null` on the key's columns when the relation is mandatory; otherwise leave it (info).",
    bad=LiveExample(PARENT + "create table vehicles (id int primary key, garage_id int references garages on delete "
                             "set null);"),
    good=LiveExample(PARENT + "create table vehicles (id int primary key,"
                              " garage_id int not null references garages on delete cascade);"),
    key="nullable_fk:public.vehicles.vehicles_garage_id_fkey",
    section="Data integrity",
    recommendation="Make mandatory relations NOT NULL",
    check=check,
)
