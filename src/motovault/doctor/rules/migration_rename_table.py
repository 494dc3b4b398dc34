from __future__ import annotations

from ..events import TableRenamed
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_renamed(ctx: RuleContext, e: TableRenamed) -> None:
    if e.table.created_in == ctx.walker.file:
        return
    ctx.report(e.old_key, e.line, f"Migration {ctx.walker.file}: table {e.old_key} renamed to {e.new_name}",
               "every query, view and client naming the old table breaks at once",
               f"rename, then create a view named {e.old_key} over the new table until clients move")


RULE = Rule(
    name="migration_rename_table",
    level=Level.WARNING,
    category="operations",
    summary="a table created by an earlier migration is renamed",
    anti_pattern="`ALTER TABLE t RENAME TO u` of a table another migration created.",
    why="Every query, function and client naming the old table fails as soon as the migration commits; running "
        "application instances cannot follow.",
    fix="Rename, and create a view with the old name over the new table until every client moved; drop the view "
        "in a later release.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles rename to cars;\n"}),
    good=MigrationExample({"001.sql": BASE.replace("vehicles", "cars")}),
    key="migration_rename_table:002.sql:vehicles",
    section="Migrations & operations",
    recommendation="Drop and rename with expand/contract releases",
    on={TableRenamed: on_renamed},
)
