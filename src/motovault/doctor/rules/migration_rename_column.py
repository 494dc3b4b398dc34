from __future__ import annotations

from ..events import ColumnRenamed
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_renamed(ctx: RuleContext, e: ColumnRenamed) -> None:
    t = e.table
    if t.created_in == ctx.walker.file:
        return
    ctx.report(f"{t.key}.{e.old}", e.line, f"Migration {ctx.walker.file}: column {t.key}.{e.old} renamed to "
                                           f"{e.new_name}",
               "clients and views naming the old column break at once",
               "add the new column, write both, move readers, then drop the old one")


RULE = Rule(
    name="migration_rename_column",
    level=Level.WARNING,
    category="operations",
    summary="a column of a table created by an earlier migration is renamed",
    anti_pattern="`ALTER TABLE t RENAME COLUMN a TO b` on a table another migration created.",
    why="Clients, functions and views naming the old column fail the moment the migration commits.",
    fix="Expand and contract: add the new column, write both, move readers to the new one, then drop the old one "
        "in a later release.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles rename column vin to vehicle_vin;\n"}),
    good=MigrationExample({"001.sql": BASE.replace("vin text", "vehicle_vin text")}),
    key="migration_rename_column:002.sql:vehicles.vin",
    section="Migrations & operations",
    recommendation="Drop and rename with expand/contract releases",
    on={ColumnRenamed: on_renamed},
)
