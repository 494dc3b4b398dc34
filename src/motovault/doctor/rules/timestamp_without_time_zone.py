from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        for c in rel.columns:
            if c.base_type == "timestamp":
                yield RULE.finding(
                    f"{rel.qualified}.{c.name}", f"{rel.qualified}.{c.name} is timestamp without time zone",
                    f"{c.name} {c.type}: the instant depends on the writer's TimeZone",
                    f"alter table {qn(rel)} alter column {q(c.name)} type timestamptz using {q(c.name)} at time zone "
                    "'UTC';")


RULE = Rule(
    name="timestamp_without_time_zone",
    level=Level.WARNING,
    category="integrity",
    summary="a timestamp without time zone column",
    anti_pattern="A column of type `timestamp` (without time zone).",
    why="It stores a wall-clock reading, not an instant: the same value means different moments for writers in "
        "different time zones, comparisons with `now()` shift with the session's TimeZone, and daylight-saving "
        "changes make some values ambiguous.",
    fix="`timestamptz` (`alter column ... type timestamptz using col at time zone 'UTC'`, a rewrite: expand and "
        "contract on a big table). A true wall-clock value (a local reading with no known zone) may stay: suppress "
        "it with that reason.",
    bad=LiveExample("create table reminders (id int primary key, due_at timestamp);"),
    good=LiveExample("create table reminders (id int primary key, due_at timestamptz);"),
    key="timestamp_without_time_zone:public.reminders.due_at",
    section="Data integrity",
    recommendation="Store instants as timestamptz",
    check=check,
)
