from __future__ import annotations

from pglast.enums import ConstrType

from ..events import ConstraintAdded
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_constraint(ctx: RuleContext, e: ConstraintAdded) -> None:
    con = e.constraint
    if e.new or con.contype not in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK) or con.skip_validation:
        return
    w, t, column = ctx.walker, e.table, e.column
    kind = "FOREIGN KEY" if con.contype == ConstrType.CONSTR_FOREIGN else "CHECK"
    cname = con.conname or kind.lower()
    how = f" with column {column}" if column else ""
    ctx.report(f"{t.key}.{cname}", e.line,
               f"Migration {w.file}: {kind} {cname} added{how} to existing table {t.key} without NOT VALID",
               f"{t.key} is {w.where(t)}; validating scans the whole table under a lock that blocks writes",
               (f"alter table {t.key} add column {column} ...;  -- without the constraint\n" if column else "")
               + f"alter table {t.key} add constraint {cname} ... not valid;\n"
               f"alter table {t.key} validate constraint {cname};  -- in a later transaction (the next change), "
               "only a SHARE UPDATE EXCLUSIVE lock")


RULE = Rule(
    name="migration_constraint_without_not_valid",
    level=Level.WARNING,
    category="operations",
    summary="a CHECK or FOREIGN KEY is added to an existing table without NOT VALID",
    anti_pattern="`ALTER TABLE t ADD CONSTRAINT ... CHECK (...)` or `... FOREIGN KEY ...` (also as a constraint of an "
                 "added column) on a table an earlier migration created, without `NOT VALID`.",
    why=(
        "PostgreSQL checks every existing row before the ALTER returns, while it holds a lock that blocks writes "
        "(ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key): on a big table, "
        "writes stop for the whole scan."
    ),
    fix=(
        "Add the constraint `NOT VALID` (new and updated rows are checked from then on; the ALTER is instant), "
        "then `VALIDATE CONSTRAINT` in a later transaction — the next migration: it scans under SHARE UPDATE "
        "EXCLUSIVE, so reads and writes go on."
    ),
    bad=MigrationExample({"001.sql": BASE,
                          "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17);\n"}),
    good=MigrationExample({"001.sql": BASE,
                           "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not "
                                      "valid;\n",
                           "003.sql": "alter table vehicles validate constraint vin_length;\n"}),
    key="migration_constraint_without_not_valid:002.sql:vehicles.vin_length",
    section="Migrations & operations",
    recommendation="Add constraints NOT VALID, then VALIDATE in a later step",
    on={ConstraintAdded: on_constraint},
)
