"""The parsers of other apps' export files (motovault.imports): real samples and edge cases.

Real files are under tests/fixtures/imports/<app>/ (sources and licenses in SOURCES.md there); the
edge cases written for these tests are under tests/fixtures/imports/edge/. No database is needed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from motovault.core.errors import MotovaultError
from motovault.imports.detect import FormatError, parse_file
from motovault.imports.model import ParsedFile, ParsedRow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
D = Decimal


def load(relative: str, **options: object) -> ParsedFile:
    path = FIXTURES / relative
    return parse_file(path.read_bytes(), filename=path.name, **options)  # type: ignore[arg-type]


def refusal(relative: str, **options: object) -> str:
    with pytest.raises(FormatError) as caught:
        load(relative, **options)
    assert isinstance(caught.value, MotovaultError)
    message = str(caught.value)
    assert "\n" not in message
    return message


def by_line(parsed: ParsedFile) -> dict[int, ParsedRow]:
    return {row.line: row for row in parsed.rows}


# --- LubeLogger --------------------------------------------------------------------------------------


def test_lubelogger_gas_sample() -> None:
    parsed = load("lubelogger/official_gassample.csv", currency="USD")
    assert parsed.format == "lubelogger"
    assert [v.key for v in parsed.vehicles] == ["default"]
    assert parsed.problems == []
    first, second = parsed.rows
    assert (first.line, first.kind, first.vehicle_key) == (2, "fuel", "default")
    assert first.fields["filled_on"] == dt.date(2020, 5, 8)
    assert first.fields["odometer"] == 204836
    assert (first.fields["volume"], first.fields["total_cost"], first.fields["price_per_unit"]) == (
        D("8.331"),
        D("16.24"),
        None,
    )
    assert (first.fields["is_full"], first.fields["missed_previous"], first.fields["currency"]) == (True, False, "USD")
    assert (first.fields["odometer_unit"], first.fields["volume_unit"]) == (None, None)
    assert second.fields["filled_on"] == dt.date(2020, 5, 30)  # 30 settles month-first for the whole file
    assert (second.fields["odometer"], second.fields["volume"]) == (205056, D("11.913"))


def test_lubelogger_odometer_sample() -> None:
    (row,) = load("lubelogger/official_odometersample.csv").rows
    assert row.kind == "odometer"
    assert row.fields == {
        "read_on": dt.date(2024, 1, 1),
        "read_time": None,
        "odometer": 260001,
        "odometer_unit": None,
        "notes": "test test",
    }


@pytest.mark.parametrize(
    ("name", "kind", "money"), [("servicerecord", "service", "cost"), ("taxrecord", "tax", "amount")]
)
def test_lubelogger_service_and_tax_samples(name: str, kind: str, money: str) -> None:
    message = refusal(f"lubelogger/official_{name}sample.csv", currency="USD")
    assert (
        message == "dates are ambiguous (month/day or day/month): 01/02/2020; pass --date-order mdy or --date-order dmy"
    )
    parsed = load(f"lubelogger/official_{name}sample.csv", currency="USD", date_order="mdy")
    first, second = parsed.rows
    assert {first.kind, second.kind} == {kind}
    date_key = "completed_on" if kind == "service" else "occurred_on"
    assert (first.fields[date_key], second.fields[date_key]) == (dt.date(2020, 1, 1), dt.date(2020, 1, 2))
    assert (first.fields["description"], first.fields["notes"], first.fields[money]) == (
        "Test Description 1",
        "Test Note 1",
        D("20.60"),
    )
    assert second.fields[money] == D("40.45")
    if kind == "service":
        assert (first.fields["odometer"], second.fields["odometer"]) == (45000, 47000)
        assert (first.fields["status"], first.fields["type"]) == ("completed", "other")
    else:
        assert first.fields["category"] == "tax"
    dmy = load(f"lubelogger/official_{name}sample.csv", currency="USD", date_order="dmy")
    assert dmy.rows[1].fields[date_key] == dt.date(2020, 2, 1)


def test_lubelogger_supply_sample_is_an_expense_with_its_currency_sign_read() -> None:
    (row,) = load("lubelogger/official_supplysample.csv", currency="USD").rows
    assert row.kind == "expense"
    assert (row.fields["amount"], row.fields["currency"], row.fields["category"]) == (D("95.14"), "USD", "supply")
    assert (row.fields["description"], row.fields["supplier"]) == ("Front Bumper", "Evan Fischer")
    assert row.fields["part_number"] == "\u200eEVA17872045551"  # as written, with its left-to-right mark


def test_lubelogger_plan_sample_is_refused() -> None:
    assert refusal("lubelogger/official_plansample.csv", currency="USD") == (
        "LubeLogger planner items are plans, not history: they are not imported"
    )


def test_costs_without_a_currency_are_refused() -> None:
    assert refusal("lubelogger/official_gassample.csv") == (
        "official_gassample.csv: the file has costs but does not say their currency; "
        "pass --currency (e.g. --currency USD)"
    )
    assert refusal("lubelogger/official_gassample.csv", currency="dollars") == (
        "--currency DOLLARS: not an ISO 4217 code (three letters, e.g. EUR)"
    )
