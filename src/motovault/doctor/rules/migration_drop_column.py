from __future__ import annotations

from ..events import ColumnDropped
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_dropped(ctx: RuleContext, e: ColumnDropped) -> None:
    if e.new:
        return
    t = e.table
    ctx.report(f"{t.key}.{e.column}", e.line, f"Migration {ctx.walker.file}: column {t.key}.{e.column} dropped",
               "clients and views still using the column break at once; the data is gone",
               "stop reading/writing it first (expand/contract), keep a backup, then drop in a later release")


RULE = Rule(
    name="migration_drop_column",
    level=Level.WARNING,
    category="operations",
    summary="a column of an existing table is dropped",
    anti_pattern="`ALTER TABLE t DROP COLUMN c` on a table an earlier migration created.",
    why="Every client, view and function still naming the column fails the moment the migration commits, and the "
        "data is gone: a rollback of the application does not bring it back.",
    fix="Expand and contract: first release code that no longer reads or writes the column, keep a backup of it, "
        "then drop it in a later migration (and suppress this finding there, with the release that stopped using it "
        "as the reason).",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles drop column vin;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles add column vin_checked text;\n"}),
    key="migration_drop_column:002.sql:vehicles.vin",
    section="Migrations & operations",
    recommendation="Drop and rename with expand/contract releases",
    on={ColumnDropped: on_dropped},
)
