"""The fuel changes revert and deploy again on a database with data (demo data loaded)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from motovault.core.db import one_row
from motovault.stack import database
from motovault.stack.settings import OWNER_ROLE, Settings
from support.databases import ClonedDatabase

DEMO = Path(__file__).resolve().parents[1] / "sql" / "demo.sql"


def test_fuel_changes_revert_and_redeploy_with_data(clone_db: ClonedDatabase, settings: Settings) -> None:
    with clone_db.connect() as conn:
        conn.execute(f'alter database "{clone_db.name}" owner to {OWNER_ROLE}')

    def demo() -> None:
        result = subprocess.run(
            ["psql", clone_db.url(OWNER_ROLE), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(DEMO)],
            capture_output=True, text=True,
        )
        assert result.returncode == 0, result.stderr

    demo()
    demo()  # idempotent
    database.sqitch(settings, clone_db.name, "revert", "-y", "--to", "vehicles")
    with clone_db.connect() as conn:
        assert conn.execute(
            "select to_regclass('app.fuel_logs'), to_regclass('app.stations')"
        ).fetchone() == (None, None)
    database.sqitch(settings, clone_db.name, "deploy")
    database.sqitch(settings, clone_db.name, "verify", "--from", "stations")
    demo()
    with clone_db.connect() as conn:
        # the household's three cars (the events branch's demo adds fill-ups for nine more vehicles)
        assert one_row(
            conn,
            "select count(*) from app.fuel_logs "
            "where vehicle_id in ('d0000000-0000-4000-8000-0000000000c1', "
            "'d0000000-0000-4000-8000-0000000000c2', 'd0000000-0000-4000-8000-0000000000c3')",
        )[0] == 20
        assert one_row(
            conn, "select odometer_reading from app.vehicles where id = 'd0000000-0000-4000-8000-0000000000c3'"
        )[0] == 98200
