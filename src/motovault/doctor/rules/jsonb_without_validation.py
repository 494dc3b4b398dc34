from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        checked = {n for con in rel.constraints if con.type == "c" for n in con.columns}
        validating = [t.name for t in rel.triggers if t.row and t.before_or_instead and (t.on_insert or t.on_update)]
        for c in rel.columns:
            if c.base_type in ("jsonb", "json") and not c.domain_checked and c.num not in checked and not validating:
                yield RULE.finding(
                    f"{rel.qualified}.{c.name}", f"{rel.qualified}.{c.name}: {c.type} column without any validation",
                    "no CHECK constraint on the column, no validating domain, no BEFORE INSERT/UPDATE row trigger",
                    f"alter table {qn(rel)} add constraint {q(rel.name + '_' + c.name + '_shape')} "
                    f"check (jsonb_typeof({q(c.name)}) = 'object' and {q(c.name)} ? '...') not valid;")


RULE = Rule(
    name="jsonb_without_validation",
    level=Level.WARNING,
    category="integrity",
    summary="a json/jsonb column nothing validates",
    anti_pattern="A `json`/`jsonb` column with no CHECK constraint on it, no checked domain, and no BEFORE INSERT or "
                 "UPDATE row trigger on the table.",
    why="The database accepts any document: arrays where objects were meant, misspelled keys, strings instead of "
        "numbers. Every reader re-validates, differently, and bad payloads surface months later.",
    fix="A CHECK on its shape (`jsonb_typeof(payload) = 'object' and payload ? 'kind'`), a validating function "
        "called from a CHECK, or a BEFORE INSERT OR UPDATE trigger that validates per type.",
    bad=LiveExample("create table vehicle_events (id int primary key, at timestamptz not null, payload jsonb);"),
    good=LiveExample("create table vehicle_events (id int primary key, at timestamptz not null,"
                     " payload jsonb check (jsonb_typeof(payload) = 'object'));"),
    key="jsonb_without_validation:public.vehicle_events.payload",
    section="Data integrity",
    recommendation="Validate JSONB payloads in the database (CHECK or trigger)",
    check=check,
)
