from __future__ import annotations

from ..events import TableDropped
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_dropped(ctx: RuleContext, e: TableDropped) -> None:
    if e.table is not None and e.table.created_in == ctx.walker.file:
        return
    ctx.report(e.key, e.line, f"Migration {ctx.walker.file}: table {e.key} dropped",
               "the data is gone and every client naming it breaks",
               "rename it aside (or revoke access) first, keep a backup, drop in a later release")


RULE = Rule(
    name="migration_drop_table",
    level=Level.WARNING,
    category="operations",
    summary="a table created by an earlier migration (or outside the set) is dropped",
    anti_pattern="`DROP TABLE t` of a table that another migration created (a scratch table created and dropped "
                 "in the same file is fine).",
    why="The rows are gone for good, and every client, view and function naming the table fails at once.",
    fix="Revoke access or rename the table aside first, keep a backup, and drop it in a later release once nothing "
        "used it.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "drop table vehicles;\n"}),
    good=MigrationExample({"001.sql": BASE + "create table scratch (id int primary key);\ndrop table scratch;\n"}),
    key="migration_drop_table:002.sql:vehicles",
    section="Migrations & operations",
    recommendation="Drop and rename with expand/contract releases",
    on={TableDropped: on_dropped},
)
