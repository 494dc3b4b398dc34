from __future__ import annotations

from ..events import TableMissing
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

VEHICLES = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
REMINDERS = ("create table if not exists reminders (tenant_id uuid not null, id uuid, vehicle_id uuid, note text,"
             " primary key (tenant_id, id));\n")


def on_missing(ctx: RuleContext, e: TableMissing) -> None:
    w = ctx.walker
    if not ctx.first_in_file(e.table):
        return
    if e.created is not None:
        state = f"is created later, by {e.created.file} (line {e.created.line})"
        fix = (f"move this statement after {e.created.file} creates {e.table} (sqitch: into a change that requires the "
               "creating one, or into the creating change itself); if the table exists outside the migrations, the "
               f"later CREATE TABLE is wrong instead: drop it from {e.created.file}")
    else:
        assert e.gone is not None
        state = f"was {e.gone_how} by {e.gone.file} (line {e.gone.line})"
        fix = f"remove the statement, or move it before {e.gone.file}"
    ctx.report(e.table, e.line, f"Migration {w.file}: {e.what} on table {e.table}, which does not exist yet at this "
                                "point",
               f"line {e.line} of {w.file} uses {e.table}, which {state}: on an empty database (a new environment, "
               "a test database, a restore from the migrations) this migration fails", fix)


RULE = Rule(
    name="migration_table_used_before_creation",
    level=Level.ERROR,
    category="operations",
    summary="a migration alters, indexes or references a table that a later migration creates",
    anti_pattern=(
        "A statement on a table — ALTER TABLE, CREATE INDEX, CREATE TRIGGER, CREATE POLICY, a foreign key to it, "
        "INSERT, TRUNCATE, DROP, ... — that, in apply order, comes before the migration that creates the table "
        "(or after the one that dropped or renamed it). A table the set never creates is taken as pre-existing "
        "and is not reported; `IF EXISTS` statements are not reported either."
    ),
    why=(
        "It works only on the databases where the table happened to exist already — typically the one it was "
        "developed on. On an empty database (a new environment, CI, a restore from the migrations) the migration "
        "fails. And a later `CREATE TABLE IF NOT EXISTS` of that table is then a silent no-op on the old "
        "databases and the real definition on the new ones: two schemas under one history."
    ),
    fix="Order the migrations so that the CREATE comes first (in sqitch: the change that uses the table requires the "
        "change that creates it). If the table really predates the migrations, remove the later CREATE TABLE.",
    bad=MigrationExample({"001.sql": VEHICLES, "002.sql": "alter table reminders add column note text;\n",
                          "003.sql": REMINDERS.replace(", note text", "")}),
    good=MigrationExample({"001.sql": VEHICLES, "002.sql": REMINDERS}),
    key="migration_table_used_before_creation:002.sql:reminders",
    section="Migrations & operations",
    recommendation="Create every table before the migrations that use it",
    on={TableMissing: on_missing},
)
