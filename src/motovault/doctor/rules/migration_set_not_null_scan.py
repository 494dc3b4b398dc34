from __future__ import annotations

from ..events import NotNullSet
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_not_null(ctx: RuleContext, e: NotNullSet) -> None:
    if e.new:
        return
    w, t, column = ctx.walker, e.table, e.column
    ctx.report(f"{t.key}.{column}", e.line,
               f"Migration {w.file}: SET NOT NULL on {t.key}.{column} scans the table under ACCESS EXCLUSIVE",
               f"{t.key} is {w.where(t)}; NOT NULL cannot be added NOT VALID: PostgreSQL checks every row while "
               f"no one can read or write the table, unless a validated CHECK ({column} is not null) proves it",
               f"alter table {t.key} add constraint {t.key.rsplit('.', 1)[-1]}_{column}_not_null check ({column} is "
               "not null) "
               f"not valid;\n-- next change: alter table {t.key} validate constraint ...; alter table {t.key} alter "
               "column "
               f"{column} set not null; (no scan; the CHECK may then be dropped)")


RULE = Rule(
    name="migration_set_not_null_scan",
    level=Level.WARNING,
    category="operations",
    summary="SET NOT NULL on an existing table without a validated CHECK (col is not null)",
    anti_pattern="`ALTER TABLE t ALTER COLUMN c SET NOT NULL` on a table an earlier migration created, when no "
                 "validated `CHECK (c IS NOT NULL)` exists.",
    why=(
        "NOT NULL cannot be added NOT VALID: PostgreSQL scans every row under ACCESS EXCLUSIVE — no reads, no "
        "writes — unless a validated CHECK already proves the column has no NULL (PostgreSQL 12+ then skips the scan)."
    ),
    fix="`ADD CONSTRAINT t_c_not_null CHECK (c IS NOT NULL) NOT VALID`; in the next migration "
        "`VALIDATE CONSTRAINT t_c_not_null` (no blocking lock), then `SET NOT NULL` (instant); the CHECK may be "
        "dropped afterwards.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles alter column vin set not null;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "alter table vehicles add constraint vehicles_vin_not_null"
                                                       " check (vin is not null) not valid;\n",
                           "003.sql": "alter table vehicles validate constraint vehicles_vin_not_null;\n"
                                      "alter table vehicles alter column vin set not null;\n"}),
    key="migration_set_not_null_scan:002.sql:vehicles.vin",
    section="Migrations & operations",
    recommendation="Add constraints NOT VALID, then VALIDATE in a later step",
    on={NotNullSet: on_not_null},
)
