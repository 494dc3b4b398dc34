"""`motovault maintain` creates the event partitions ahead."""

from __future__ import annotations

import pytest

from motovault.cli import main
from motovault.commands.maintain import maintain
from motovault.core.db import one_row
from support.databases import ClonedDatabase


def test_maintain_creates_partitions_ahead_and_is_idempotent(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("set role motovault_owner")
        last = one_row(conn, "select max(c.relname) from pg_inherits as i join pg_class as c on c.oid = i.inhrelid "
            "where i.inhparent = 'app.vehicle_events'::regclass and c.relname <> 'vehicle_events_default'")[0]
    created = maintain(clone_db.url("motovault_owner"), months_ahead=14)
    assert created == [f"app.vehicle_events_p{m}" for m in created_months(clone_db)]
    assert created and all(name > f"app.{last}" for name in created)
    assert maintain(clone_db.url("motovault_owner"), months_ahead=14) == []


def created_months(clone_db: ClonedDatabase) -> list[str]:
    with clone_db.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                "select to_char(m, 'YYYY_MM') from generate_series(date_trunc('month', now()) + interval '13 months', "
                "date_trunc('month', now()) + interval '14 months', interval '1 month') as m"
            )
        ]


def test_maintain_command_takes_a_dsn(clone_db: ClonedDatabase, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["maintain", "--dsn", clone_db.url("motovault_owner"), "--months-ahead", "14"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"app.vehicle_events_p{m}" for m in created_months(clone_db)]
    assert main(["maintain", "--dsn", clone_db.url("motovault_owner"), "--months-ahead", "14"]) == 0
    assert capsys.readouterr().out == "event partitions: nothing to create\n"
