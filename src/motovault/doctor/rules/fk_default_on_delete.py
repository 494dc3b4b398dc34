from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

PARENT = "create table vehicles (id int primary key);\n"


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        for con in rel.constraints:
            if con.type != "f" or con.on_delete != "a":
                continue
            target = run.cat.relations.get(con.ref_table) if con.ref_table else None
            tname = target.qualified if target else str(con.ref_table)
            yield RULE.finding(
                f"{rel.qualified}.{con.name}", f"{rel.qualified}: foreign key {con.name} to {tname} has no explicit "
                                               "ON DELETE",
                f"{con.definition} (ON DELETE NO ACTION, the default)",
                f"alter table {qn(rel)} drop constraint {q(con.name)}, add constraint {q(con.name)} "
                f"foreign key (...) references ... on delete restrict;  -- or cascade / set null, on purpose")


RULE = Rule(
    name="fk_default_on_delete",
    level=Level.INFO,
    category="integrity",
    summary="a foreign key left at the default ON DELETE NO ACTION",
    anti_pattern="A foreign key declared without `ON DELETE`.",
    why="NO ACTION may be exactly right, but nobody decided it: what happens to a vehicle's fuel logs when the "
        "vehicle is deleted should be a choice (cascade, restrict, set null) written in the schema.",
    fix="Say it: `on delete cascade`, `on delete restrict` or `on delete set null`.",
    bad=LiveExample(PARENT + "create table fuel_logs (id int primary key, vehicle_id int not null references "
                             "vehicles);"),
    good=LiveExample(PARENT + "create table fuel_logs (id int primary key,"
                              " vehicle_id int not null references vehicles on delete cascade);"),
    key="fk_default_on_delete:public.fuel_logs.fuel_logs_vehicle_id_fkey",
    section="Data integrity",
    recommendation="Choose CASCADE / RESTRICT / SET NULL explicitly on foreign keys",
    check=check,
)
