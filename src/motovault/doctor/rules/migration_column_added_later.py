from __future__ import annotations

from ..events import ColumnAdded
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_column_added(ctx: RuleContext, e: ColumnAdded) -> None:
    if e.new:
        return
    w, t, col = ctx.walker, e.table, e.column.colname
    ctx.report(f"{t.key}.{col}", e.line,
               f"Migration {w.file}: Schema evolution - column {col} added to {t.key} after initial creation",
               f"{t.key} is {w.where(t)}", "fold the column into the table's definition when squashing migrations")


RULE = Rule(
    name="migration_column_added_later",
    level=Level.INFO,
    category="operations",
    summary="a column is added to a table after the migration that created it",
    anti_pattern="`ALTER TABLE ... ADD COLUMN` on a table created by an earlier migration (or outside the set).",
    why=(
        "Nothing breaks: this is schema evolution, and on a live table it is the right way to add a column. "
        "But the table's definition is now spread over several files; a reader (or a new environment built "
        "from a squashed baseline) has to replay them all to know what the table looks like."
    ),
    fix="When the history is squashed or re-baselined, fold the column into the table's `CREATE TABLE`.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles add column label text;\n"}),
    good=MigrationExample({"001.sql": BASE.replace("vin text", "vin text, label text")}),
    key="migration_column_added_later:002.sql:vehicles.label",
    section="Migrations & operations",
    recommendation="Squash schema evolution into table definitions when the history is rebased",
    on={ColumnAdded: on_column_added},
)
