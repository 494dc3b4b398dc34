from __future__ import annotations

from ..events import ColumnTypeChanged
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_type_changed(ctx: RuleContext, e: ColumnTypeChanged) -> None:
    if e.new:
        return
    t = e.table
    ctx.report(f"{t.key}.{e.column}", e.line, f"Migration {ctx.walker.file}: column type of {t.key}.{e.column} changed",
               "ALTER COLUMN TYPE takes an ACCESS EXCLUSIVE lock and usually rewrites the table and its indexes",
               "add a new column, backfill in batches, switch readers, then drop the old one")


RULE = Rule(
    name="migration_alter_column_type",
    level=Level.WARNING,
    category="operations",
    summary="ALTER COLUMN ... TYPE on an existing table",
    anti_pattern="`ALTER TABLE t ALTER COLUMN c TYPE ...` on a table an earlier migration created.",
    why=(
        "Most type changes rewrite the whole table and rebuild its indexes under an ACCESS EXCLUSIVE lock: no "
        "reads, no writes until it ends. Clients that still send the old type may break too."
    ),
    fix="Expand and contract: add a column of the new type, backfill it in batches, move readers and writers, "
        "then drop the old column in a later release. (Widening a `varchar(n)` or dropping its limit does not "
        "rewrite; that case is safe to suppress with a reason.)",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles alter column vin type varchar(17);\n"}),
    good=MigrationExample({"001.sql": BASE.replace("vin text", "vin varchar(17)")}),
    key="migration_alter_column_type:002.sql:vehicles.vin",
    section="Migrations & operations",
    recommendation="Change column types with expand/contract, not in place",
    on={ColumnTypeChanged: on_type_changed},
)
