from __future__ import annotations

from ..events import SetEnded
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
ADD = "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;\n"


def on_set_ended(ctx: RuleContext, e: SetEnded) -> None:
    for t in ctx.walker.tables.values():
        for pc in t.not_valid.values():
            ctx.report(f"{t.key}.{pc.name}", pc.line,
                       f"Migration {pc.file}: constraint {pc.name} on {t.key} added NOT VALID and never validated",
                       "rows that existed before it were never checked, and PostgreSQL knows it: the constraint "
                       "cannot prove anything about them (no SET NOT NULL without a scan, no planner use), so the "
                       "rule the schema states is not guaranteed for the old data",
                       f"alter table {t.key} validate constraint {pc.name};  -- in a later change: it takes only "
                       "SHARE UPDATE EXCLUSIVE, so reads and writes go on during the scan",
                       file=pc.file)


RULE = Rule(
    name="migration_constraint_never_validated",
    level=Level.WARNING,
    category="integrity",
    summary="a constraint added NOT VALID is never validated anywhere in the set",
    anti_pattern="`ADD CONSTRAINT ... NOT VALID` with no later `VALIDATE CONSTRAINT` (nor a drop of the constraint) "
                 "in the migration set.",
    why=(
        "NOT VALID is half of a two-step change. Until it is validated, rows that existed before it were never "
        "checked and PostgreSQL knows it: the constraint proves nothing about them (no SET NOT NULL without a "
        "scan, no use by the planner), and the rule the schema states may be false for old data."
    ),
    fix="`ALTER TABLE t VALIDATE CONSTRAINT c;` in a later migration: it scans under SHARE UPDATE EXCLUSIVE, so "
        "reads and writes go on.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": ADD}),
    good=MigrationExample({"001.sql": BASE, "002.sql": ADD,
                           "003.sql": "alter table vehicles validate constraint vin_length;\n"}),
    key="migration_constraint_never_validated:002.sql:vehicles.vin_length",
    section="Data integrity",
    recommendation="Validate every NOT VALID constraint in a later change",
    on={SetEnded: on_set_ended},
)
