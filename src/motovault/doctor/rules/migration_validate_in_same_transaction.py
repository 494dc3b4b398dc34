from __future__ import annotations

from ..events import ConstraintValidated
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
ADD = "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;\n"
VALIDATE = "alter table vehicles validate constraint vin_length;\n"


def on_validated(ctx: RuleContext, e: ConstraintValidated) -> None:
    w, t, pending = ctx.walker, e.table, e.pending
    if pending.file != w.file or pending.txn != w.txn or e.new:
        return
    ctx.report(f"{t.key}.{e.name}", e.line,
               f"Migration {w.file}: constraint {e.name} validated in the transaction that added it NOT VALID",
               f"ADD CONSTRAINT (line {pending.line}) took a lock on {t.key} that blocks writes "
               "(ACCESS EXCLUSIVE for a CHECK) and keeps it until COMMIT: VALIDATE then scans the whole "
               "table under that lock, so NOT VALID saved nothing",
               f"commit the ADD ... NOT VALID first; alter table {t.key} validate constraint {e.name}; in the next "
               "change (or after COMMIT in a script without a transaction): it takes only SHARE UPDATE EXCLUSIVE")


RULE = Rule(
    name="migration_validate_in_same_transaction",
    level=Level.WARNING,
    category="operations",
    summary="a constraint is validated in the transaction that added it NOT VALID",
    anti_pattern="`ADD CONSTRAINT ... NOT VALID` and `VALIDATE CONSTRAINT` of the same constraint inside one "
                 "`BEGIN ... COMMIT` of the script, on an existing table.",
    why=(
        "The ADD took a lock that blocks writes (ACCESS EXCLUSIVE for a CHECK) and keeps it until COMMIT; the "
        "VALIDATE then scans the whole table under it. NOT VALID saved nothing: the scan still blocks traffic."
    ),
    fix="Commit the `ADD ... NOT VALID` first; validate in the next migration (or after `COMMIT` in a script "
        "without a transaction), where it takes only SHARE UPDATE EXCLUSIVE.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "begin;\n" + ADD + VALIDATE + "commit;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "begin;\n" + ADD + "commit;\n",
                           "003.sql": "begin;\n" + VALIDATE + "commit;\n"}),
    key="migration_validate_in_same_transaction:002.sql:vehicles.vin_length",
    section="Migrations & operations",
    recommendation="Add constraints NOT VALID, then VALIDATE in a later step",
    on={ConstraintValidated: on_validated},
)
