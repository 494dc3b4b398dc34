from __future__ import annotations

from ..events import FileUnreadable
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

PLAN = ("%syntax-version=1.0.0\n%project=example\n\n"
        "vehicles 2026-01-01T00:00:00Z dba <dba@example.org> # vehicles\n"
        "vehicles_vin [vehicles] 2026-01-02T00:00:00Z dba <dba@example.org> # index on vin\n")
VEHICLES = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
VIN = ("set lock_timeout = '5s';\ndrop index concurrently if exists vehicles_vin;\n"
       "create index concurrently if not exists vehicles_vin on vehicles (vin);\n")


def on_unreadable(ctx: RuleContext, e: FileUnreadable) -> None:
    ctx.report(e.file, 1, f"Migration {e.file}: cannot be read", e.error, "restore the file or fix the plan")


RULE = Rule(
    name="migration_unreadable",
    level=Level.ERROR,
    category="operations",
    summary="a migration file the plan names cannot be read",
    anti_pattern="A deploy script that `sqitch.plan` names but that is missing (or unreadable).",
    why="The deploy stops at that change: sqitch cannot run a script it cannot find.",
    fix="Restore the script (`deploy/<change>.sql`; `deploy/<change>@<tag>.sql` for an earlier instance of a "
        "reworked change), or fix the plan.",
    bad=MigrationExample({"deploy/vehicles.sql": VEHICLES}, plan=PLAN),
    good=MigrationExample({"deploy/vehicles.sql": VEHICLES, "deploy/vehicles_vin.sql": VIN}, plan=PLAN),
    key="migration_unreadable:deploy/vehicles_vin.sql:deploy/vehicles_vin.sql",
    section="Migrations & operations",
    recommendation="Fix migration statements PostgreSQL cannot parse",
    on={FileUnreadable: on_unreadable},
)
