from __future__ import annotations

from pglast.enums import ConstrType

from ..events import ColumnAdded
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
_DEFAULTS = (ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED)


def on_column_added(ctx: RuleContext, e: ColumnAdded) -> None:
    if e.new:
        return
    w, t, col = ctx.walker, e.table, e.column
    cons = [c.contype for c in col.constraints or ()]
    names = col.typeName.names if col.typeName is not None else None
    typ = names[-1].sval if names else ""
    has_default = any(c in cons for c in _DEFAULTS) or typ in ("serial", "bigserial", "smallserial")
    if (ConstrType.CONSTR_NOTNULL in cons or ConstrType.CONSTR_PRIMARY in cons) and not has_default:
        ctx.report(f"{t.key}.{col.colname}", e.line,
                   f"Migration {w.file}: ADD COLUMN {col.colname} NOT NULL without a default on existing table {t.key}",
                   "fails as soon as the table has a row",
                   f"alter table {t.key} add column {col.colname} ... ;  -- nullable, backfill, then SET NOT NULL "
                   "(after a validated CHECK (col is not null) to skip the scan)")


RULE = Rule(
    name="migration_not_null_without_default",
    level=Level.WARNING,
    category="operations",
    summary="ADD COLUMN ... NOT NULL without a default on an existing table",
    anti_pattern="`ALTER TABLE t ADD COLUMN c ... NOT NULL` with no `DEFAULT` (nor identity, generated or serial) "
                 "on a table an earlier migration created.",
    why=(
        "Every existing row would get NULL in the new column, which NOT NULL forbids: the migration fails as soon "
        "as the table holds one row — typically in production, after it passed on an empty development database."
    ),
    fix=(
        "Add the column nullable (or with a constant default, which PostgreSQL 11+ stores without a rewrite), "
        "backfill it in batches, add `check (c is not null) not valid`, validate it in the next migration, then "
        "`SET NOT NULL` (which finds the validated CHECK and skips the scan)."
    ),
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int not null;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int not null default "
                                                       "0;\n"}),
    key="migration_not_null_without_default:002.sql:vehicles.odometer",
    section="Migrations & operations",
    recommendation="Add NOT NULL columns in steps: nullable, backfill, then SET NOT NULL",
    on={ColumnAdded: on_column_added},
)
