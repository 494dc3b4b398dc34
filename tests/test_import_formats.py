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
from motovault.imports.detect import FormatError, detect_format, parse_file
from motovault.imports.model import ParsedFile, ParsedRow, Problem, VehicleRef

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


# --- Fuelly web export (real, 2013) ------------------------------------------------------------------


def full_to_full_economy(rows: list[ParsedRow]) -> dict[int, Decimal]:
    """line -> distance / volume since the previous full fill-up, partial fill-ups summed into the next
    full one, nothing across a missed fill-up: the figure fuel apps show on each full fill-up."""
    out: dict[int, Decimal] = {}
    ordered = sorted(rows, key=lambda r: (r.fields["odometer"], -r.line))  # files list newest first
    last_full: int | None = None
    volume = Decimal(0)
    for row in ordered:
        f = row.fields
        if f["missed_previous"]:
            last_full, volume = None, Decimal(0)
        volume += f["volume"]  # type: ignore[operator]
        if not f["is_full"]:
            continue
        if last_full is not None and f["odometer"] != last_full:
            out[row.line] = (f["odometer"] - last_full) / volume  # type: ignore[operator]
        last_full, volume = f["odometer"], Decimal(0)  # type: ignore[assignment]
    return out


def test_fuelly_sample_parses_every_fill_up() -> None:
    parsed = load("fuelly/corynissen_fuelups_2013.csv", currency="USD")
    assert parsed.format == "fuelly"
    assert parsed.problems == []
    assert len(parsed.rows) == 64
    (truck,) = parsed.vehicles
    assert (truck.key, truck.name, truck.model, truck.odometer_unit, truck.volume_unit) == (
        "truck",
        "truck",
        "Toyota Tundra",
        "mi",
        "gal_us",
    )
    rows = by_line(parsed)
    # line 2: "truck","Toyota Tundra",16.36,68160.0,339,20.72,3.66,85,2014-07-07,...
    assert {k: rows[2].fields[k] for k in ("filled_on", "odometer", "volume", "price_per_unit", "total_cost")} == {
        "filled_on": dt.date(2014, 7, 7),
        "odometer": 68160,
        "volume": D("20.72"),
        "price_per_unit": D("3.66"),  # Fuelly's price is the unit price; there is no total
        "total_cost": None,
    }
    # the last line, the first fill-up: 50252.0 miles, 19.67 gallons at 3.67 on 2013-03-11
    assert (rows[65].fields["odometer"], rows[65].fields["volume"], rows[65].fields["filled_on"]) == (
        50252,
        D("19.67"),
        dt.date(2013, 3, 11),
    )
    assert all(r.fields["is_full"] and not r.fields["missed_previous"] for r in parsed.rows)
    # the gallons column summed with awk: 1131.11
    assert sum(r.fields["volume"] for r in parsed.rows) == D("1131.11")  # type: ignore[misc]


def test_fuelly_sample_economy_matches_the_mpg_fuelly_shows() -> None:
    """Fuelly writes its mpg on every line (0 on the first fill-up and on entries saved twice): the
    full-to-full economy of the parsed rows gives the same figure on every line where it is not 0."""
    path = FIXTURES / "fuelly/corynissen_fuelups_2013.csv"
    lines = path.read_text().splitlines()
    shown = {n: D(line.split(",")[2]) for n, line in enumerate(lines, start=1) if n > 1}
    economy = full_to_full_economy(load("fuelly/corynissen_fuelups_2013.csv", currency="USD").rows)
    compared = 0
    for line, mpg in shown.items():
        if mpg == 0:
            assert line not in economy or economy[line] == 0
            continue
        assert abs(economy[line] - mpg) <= D("0.01"), (line, economy[line], mpg)
        compared += 1
    assert compared == 61


def test_fuelly_several_vehicles_partial_and_missed() -> None:
    parsed = load("edge/fuelly_two_cars.csv", currency="USD")
    assert [(v.key, v.model) for v in parsed.vehicles] == [("truck", "Toyota Tundra"), ("civic", "Honda Civic")]
    assert [(r.line, r.vehicle_key) for r in parsed.rows] == [
        (2, "truck"),
        (3, "civic"),
        (4, "truck"),
        (5, "truck"),
        (6, "civic"),
    ]
    rows = by_line(parsed)
    assert (rows[4].fields["is_full"], rows[4].fields["notes"]) == (False, "half tank")
    assert (rows[6].fields["missed_previous"], rows[6].fields["is_full"]) == (True, True)
    truck = full_to_full_economy([r for r in parsed.rows if r.vehicle_key == "truck"])
    assert truck == {5: D("15")}  # (1300 - 1000) / (8 + 12): the partial one is summed in, as the file's 15.00
    assert full_to_full_economy([r for r in parsed.rows if r.vehicle_key == "civic"]) == {}  # missed: no figure


# --- aCar / Fuelly app (real excerpt) ----------------------------------------------------------------


def test_acar_sectioned_sample() -> None:
    parsed = load("acar/adamjhowell_acar_5.4.3_export_excerpt_from_README.csv", currency="USD")
    assert parsed.format == "acar"
    assert parsed.problems == []
    (car,) = parsed.vehicles
    assert car == VehicleRef(
        "Altima",
        name="Altima",
        vin="1N4AL2AP9CC248968",
        plate="F96 2HK",
        make="Nissan",
        model="Altima",
        year=2012,
        odometer_unit="mi",
        volume_unit="gal_us",
        tank_count=1,
        tank_capacities=(D("20.0"),),
    )
    fill, service = parsed.rows
    assert (fill.line, fill.kind, fill.vehicle_key) == (11, "fuel", "Altima")
    assert fill.fields == {
        "filled_on": dt.date(2023, 7, 15),
        "filled_time": dt.time(8, 11),
        "odometer": 106421,  # "106,421": a thousands separator
        "odometer_unit": "mi",
        "fuel_type": "gasoline",
        "grade": "Gasoline - Regular (87)",
        "volume": D("20.101"),
        "volume_unit": "gal_us",
        "price_per_unit": D("3.969"),  # "$3.969"
        "total_cost": D("79.78"),  # "$79.78"; 20.101 x 3.969 = 79.78
        "currency": "USD",
        "is_full": True,
        "missed_previous": False,
        "station_name": "Maverik",
        "notes": None,
    }
    assert round(fill.fields["volume"] * fill.fields["price_per_unit"], 2) == fill.fields["total_cost"]  # type: ignore[operator]
    assert (service.line, service.kind) == (15, "service")
    assert {k: service.fields[k] for k in ("completed_on", "odometer", "description", "cost", "service_location")} == {
        "completed_on": dt.date(2022, 5, 14),
        "odometer": 93600,
        "description": "Engine Oil, Oil Filter",
        "cost": D("22.00"),
        "service_location": "Home",
    }


# --- Fuelio (real sample, zipped, bi-fuel) -----------------------------------------------------------


def check_fuelio_sample(parsed: ParsedFile) -> None:
    assert parsed.format == "fuelio"
    assert parsed.problems == []
    (car,) = parsed.vehicles
    assert (car.name, car.plate, car.make, car.model, car.year) == ("BMW Z3", "AB12CDE", "BMW", "Z3", 1997)
    assert (car.odometer_unit, car.volume_unit, car.tank_count, car.tank_capacities) == ("mi", "l", 1, (D("51.0"),))
    fill, reminder = parsed.rows
    assert fill.kind == "fuel" and fill.line == 6
    assert {k: fill.fields[k] for k in ("filled_on", "filled_time", "odometer", "volume", "total_cost")} == {
        "filled_on": dt.date(2024, 3, 10),
        "filled_time": dt.time(16, 1),
        "odometer": 212477,
        "volume": D("46.301"),
        "total_cost": D("67.09"),  # "Price (optional)" is the total
    }
    assert (fill.fields["price_per_unit"], fill.fields["tank_number"]) == (D("1.449"), 1)  # VolumePrice
    assert (fill.fields["odometer_unit"], fill.fields["volume_unit"], fill.fields["fuel_type"]) == (
        "mi",
        "l",
        "gasoline",
    )
    assert fill.fields["station_name"] == "Somerset - Sun all Service Station"
    # the MOT reminder of the Costs section: odometer 0 is "not recorded"
    assert reminder.kind == "expense" and reminder.line == 24
    assert {
        k: reminder.fields[k] for k in ("category", "description", "amount", "odometer", "reminder", "remind_on")
    } == {
        "category": "MOT",
        "description": "MOT",
        "amount": D("0.0"),
        "odometer": None,
        "reminder": True,
        "remind_on": dt.date(2024, 7, 19),
    }


def test_fuelio_sample() -> None:
    check_fuelio_sample(load("fuelio/tigattack_fuelio_backup_sample.csv", currency="GBP"))


def test_fuelio_sample_inside_a_zip() -> None:
    assert detect_format((FIXTURES / "edge/fuelio_backup.zip").read_bytes(), "fuelio_backup.zip") == "fuelio"
    check_fuelio_sample(load("edge/fuelio_backup.zip", currency="GBP"))


def test_fuelio_bi_fuel_tanks() -> None:
    parsed = load("edge/fuelio_bifuel.csv", currency="PLN")
    (car,) = parsed.vehicles
    assert (car.tank_count, car.fuel_types, car.tank_capacities) == (2, ("gasoline", "lpg"), (D("50.0"), D("40.0")))
    fills = [r for r in parsed.rows if r.kind == "fuel"]
    assert [(r.fields["tank_number"], r.fields["fuel_type"], r.fields["volume"]) for r in fills] == [
        (2, "lpg", D("30.00")),
        (1, "gasoline", D("35.00")),
        (2, "lpg", D("32.50")),
    ]
    (cost,) = [r for r in parsed.rows if r.kind == "expense"]
    assert (cost.fields["category"], cost.fields["amount"], cost.fields["odometer"]) == (
        "Maintenance",
        D("150.0"),
        20200,
    )
    assert "reminder" not in cost.fields


def test_a_zip_must_hold_one_csv(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")
    with pytest.raises(
        FormatError, match=r"^two.zip: a zip must hold exactly one CSV file \(it holds: a.csv, b.csv\)$"
    ):
        parse_file(path.read_bytes(), filename="two.zip")


# --- Drivvo in five languages ------------------------------------------------------------------------

DRIVVO = ["en", "pt", "es", "ru", "it"]
DRIVVO_EXPENSE_CURRENCY = {"en": "BRL", "pt": "BRL", "es": "EUR", "ru": "RUB", "it": "EUR"}


def comparable(row: ParsedRow) -> tuple[object, ...]:
    """A row without what is written in the phone's language (fuel names kept as the grade)."""
    return (
        row.line,
        row.kind,
        row.vehicle_key,
        {k: v for k, v in row.fields.items() if k not in ("grade", "currency")},
    )


@pytest.mark.parametrize("language", DRIVVO)
def test_drivvo_in_each_language(language: str) -> None:
    name = f"edge/drivvo_{language}.csv"
    assert detect_format((FIXTURES / name).read_bytes(), name) == "drivvo"
    parsed = load(name, currency="BRL")
    assert [r.kind for r in parsed.rows] == ["fuel", "fuel", "fuel", "service", "expense"]
    first, partial, third, service, expense = parsed.rows
    assert {k: first.fields[k] for k in ("filled_on", "filled_time", "odometer", "volume", "price_per_unit")} == {
        "filled_on": dt.date(2023, 5, 2),
        "filled_time": dt.time(8, 15),
        "odometer": 12500,
        "volume": D("40.000"),
        "price_per_unit": D("4.599"),
    }
    assert (first.fields["total_cost"], first.fields["fuel_type"], first.fields["station_name"]) == (
        D("183.96"),
        "gasoline",
        "Shell",
    )
    assert (partial.fields["is_full"], third.fields["is_full"]) == (False, True)
    assert all(not r.fields.get("missed_previous") for r in parsed.rows)  # Drivvo has no missed flag
    assert (service.fields["description"], service.fields["cost"], service.fields["odometer"]) == (
        "Oil change",
        D("89.90"),
        12700,
    )
    assert (expense.fields["category"], expense.fields["amount"], expense.fields["odometer"]) == (
        "Parking",
        D("1200.00"),  # "1,200.00", "R$ 1.200,00", "1.200,00 €", "1 200,00 ₽", "€ 1.200,00"
        None,  # 0: not recorded
    )
    # Drivvo writes no currency: the one given, unless an amount names its own ('R$', '€', '₽')
    assert {r.fields["currency"] for r in parsed.rows[:4]} == {"BRL"}
    assert expense.fields["currency"] == DRIVVO_EXPENSE_CURRENCY[language]
    # the reminder section is not imported, and says so for each of its lines
    assert [(p.line, p.rule) for p in parsed.problems] == [(17, "not_imported")]
    # the vehicle section describes the one vehicle the rows belong to
    assert parsed.vehicles == [
        VehicleRef("default", name="Uno", plate="ABC1D23", make="Fiat", model="Uno Way", year=2015)
    ]


def test_drivvo_languages_give_the_same_rows() -> None:
    parsed = {language: load(f"edge/drivvo_{language}.csv", currency="BRL") for language in DRIVVO}
    english = [comparable(r) for r in parsed["en"].rows]
    for language in DRIVVO[1:]:
        assert [comparable(r) for r in parsed[language].rows] == english, language


def test_drivvo_without_currency_is_refused() -> None:
    assert refusal("edge/drivvo_pt.csv") == (
        "drivvo_pt.csv: the file has costs but does not say their currency; pass --currency (e.g. --currency USD)"
    )


# --- Spritmonitor ------------------------------------------------------------------------------------


def test_spritmonitor_semicolons_decimal_commas_and_fill_types() -> None:
    name = "edge/spritmonitor_de.csv"  # Windows-1252, CRLF
    assert detect_format((FIXTURES / name).read_bytes(), name) == "spritmonitor"
    parsed = load(name)  # the currency is in the file
    assert parsed.problems == []
    assert [(r.fields["is_full"], r.fields["missed_previous"]) for r in parsed.rows] == [
        (True, True),  # 3: first fill-up
        (True, False),  # 1: full
        (False, False),  # 2: partial
        (True, False),
    ]
    first = parsed.rows[0].fields
    assert (first["filled_on"], first["odometer"], first["volume"], first["total_cost"]) == (
        dt.date(2024, 1, 3),
        10250,  # "10.250"
        D("45.12"),
        D("79.86"),
    )
    assert (first["currency"], first["fuel_type"], first["grade"], first["notes"]) == (
        "EUR",
        "gasoline",
        "Super E10",
        "erste Tankung",
    )
    economy = full_to_full_economy(parsed.rows)
    # 17.01: 640 km on 38.40 l = 6.00 l/100 km, as the file's Verbrauch column says
    assert round(100 / economy[3], 2) == D("6.00")
    # 20.02: (11800 - 10890) km on 15.00 + 36.90 l = 5.70 l/100 km (the partial is summed in)
    assert round(100 / economy[5], 2) == D("5.70")


# --- generic CSV with a column mapping ---------------------------------------------------------------

MAPPING = {
    "vehicle": "Auto",
    "filled_on": "Tankdatum",
    "odometer": "Km",
    "volume": "Liter",
    "total_cost": "Betrag",
    "price_per_unit": "Preis/l",
    "is_full": "Voll",
    "station_name": "Station",
}


def test_generic_mapping_with_two_vehicles_and_money_signs() -> None:
    parsed = load("edge/generic_two_vehicles.csv", mapping=MAPPING, currency="EUR")
    assert parsed.format == "generic"
    assert parsed.problems == []
    assert [v.key for v in parsed.vehicles] == ["Golf", "Polo"]
    golf, polo, golf2 = parsed.rows
    assert (golf.vehicle_key, golf.fields["odometer"], golf.fields["volume"], golf.fields["total_cost"]) == (
        "Golf",
        1234,  # "1.234" with decimal commas
        D("40.5"),
        D("74.12"),  # "€ 74,12"
    )
    assert golf.fields["filled_on"] == dt.date(2024, 3, 14)  # dotted dates are day-first
    assert (polo.fields["odometer"], polo.fields["total_cost"], polo.fields["price_per_unit"]) == (
        98765,
        D("55.66"),  # "55,66 €"
        D("1.84"),
    )
    assert (polo.fields["is_full"], golf.fields["is_full"]) == (False, True)  # nein / ja
    assert golf2.fields["total_cost"] == D("75.03")  # "75,03 EUR"
    assert (golf.fields["station_name"], golf2.fields["station_name"]) == ("Aral", None)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"odometer": "Km"},
            "a column mapping needs exactly one date field: filled_on, completed_on, read_on or occurred_on",
        ),
        ({"filled_on": "Tankdatum", "colour": "Auto"}, "mapping: colour not a field of fuel (fields: "),
        ({"filled_on": "Datum"}, "mapping: no column Datum (for filled_on) in the header: Auto, Tankdatum, Km, "),
    ],
)
def test_generic_mapping_refusals(mapping: dict[str, str], message: str) -> None:
    assert refusal("edge/generic_two_vehicles.csv", mapping=mapping, currency="EUR").startswith(message)


# --- robustness: encodings, line endings, column orders, bad values, dates ---------------------------


@pytest.mark.parametrize(
    "name", ["edge/lubelogger_gas_bom_crlf.csv", "edge/lubelogger_gas_cr_only.csv", "edge/lubelogger_gas_old_order.csv"]
)
def test_lubelogger_line_endings_bom_and_column_orders(name: str) -> None:
    assert detect_format((FIXTURES / name).read_bytes(), name) == "lubelogger"
    parsed = load(name, currency="USD")
    assert parsed.problems == []
    first, second = parsed.rows[:2]
    assert (first.line, second.line) == (2, 3)
    assert (
        first.fields["filled_on"],
        first.fields["odometer"],
        first.fields["volume"],
        first.fields["total_cost"],
    ) == (
        dt.date(2024, 1, 15),
        10500,
        D("10.5"),
        D("35.70"),
    )
    assert (second.fields["odometer"], second.fields["volume"], second.fields["total_cost"]) == (
        10800,
        D("9.25"),
        D("31.45"),
    )
    # the old order says PartialFuelUp where the others say IsFillToFull
    assert second.fields["is_full"] is (name != "edge/lubelogger_gas_old_order.csv")


def test_a_zero_odometer_is_not_recorded() -> None:
    third = load("edge/lubelogger_gas_bom_crlf.csv", currency="USD").rows[2]
    assert third.fields["odometer"] is None
    assert (third.fields["is_full"], third.fields["missed_previous"], third.fields["notes"]) == (
        False,
        True,
        "odometer not noted",
    )


def test_unreadable_values_are_problems_of_their_line() -> None:
    parsed = load("edge/lubelogger_gas_bad_values.csv", currency="USD")
    assert parsed.problems == [
        Problem(2, "volume", "number_invalid", "ten"),
        Problem(3, "is_full", "flag_unknown", "maybe"),
        Problem(3, "filled_on", "date_invalid", "1/32/2024"),
    ]
    assert [r.line for r in parsed.rows] == [2, 3]  # still there, so the preview can show them
    assert parsed.rows[0].fields["volume"] is None
    assert parsed.problems_of(3) == parsed.problems[1:]


def test_ambiguous_dates_are_refused_naming_them() -> None:
    assert refusal("edge/dates_ambiguous.csv", currency="USD") == (
        "dates are ambiguous (month/day or day/month): 01/02/2024, 03/04/2024, 05/06/2024 and 1 more; "
        "pass --date-order mdy or --date-order dmy"
    )
    parsed = load("edge/dates_ambiguous.csv", currency="USD", date_order="dmy")
    assert [r.fields["filled_on"] for r in parsed.rows][:2] == [dt.date(2024, 2, 1), dt.date(2024, 4, 3)]
    parsed = load("edge/dates_ambiguous.csv", currency="USD", date_order="mdy")
    assert [r.fields["filled_on"] for r in parsed.rows][:2] == [dt.date(2024, 1, 2), dt.date(2024, 3, 4)]


def test_one_date_settles_the_order_of_the_file() -> None:
    month_first = load("edge/dates_month_first.csv", currency="USD").rows
    assert [r.fields["filled_on"] for r in month_first] == [dt.date(2024, 1, 2), dt.date(2024, 12, 13)]
    day_first = load("edge/dates_day_first.csv", currency="USD").rows
    assert [r.fields["filled_on"] for r in day_first] == [dt.date(2024, 2, 1), dt.date(2024, 12, 13)]


def test_dates_that_disagree_are_refused() -> None:
    assert refusal("edge/dates_disagree.csv", currency="USD") == (
        "dates disagree: 13/01/2024 is day-first but 01/13/2024 is month-first; pass --date-order mdy or dmy"
    )


def test_unknown_format_is_refused() -> None:
    assert refusal("edge/unknown.csv") == (
        "unknown.csv: not a format motovault knows (first line: when, what, how much); pass --format "
        "(acar, drivvo, fuelio, fuelly, lubelogger, spritmonitor) or a column mapping"
    )
    assert refusal("edge/unknown.csv", format="quicken") == (
        "--format quicken: unknown format "
        "(one of auto, acar, drivvo, fuelio, fuelly, generic, lubelogger, spritmonitor)"
    )
    assert refusal("lubelogger/official_gassample.csv", format="lubelogger:trips") == (
        "lubelogger:trips: unknown record type (one of fuel, service, repair, upgrade, odometer, tax, supply)"
    )


def test_a_variant_names_the_lubelogger_record_type() -> None:
    (row, _second) = load(
        "lubelogger/official_servicerecordsample.csv", format="lubelogger:repair", currency="USD", date_order="mdy"
    ).rows
    assert (row.kind, row.fields["type"]) == ("repair", "repair")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("lubelogger/official_gassample.csv", "lubelogger"),
        ("lubelogger/official_taxrecordsample.csv", "lubelogger"),
        ("fuelly/corynissen_fuelups_2013.csv", "fuelly"),
        ("acar/adamjhowell_acar_5.4.3_export_excerpt_from_README.csv", "acar"),
        ("fuelio/tigattack_fuelio_backup_sample.csv", "fuelio"),
    ],
)
def test_detect_format_of_the_real_samples(relative: str, expected: str) -> None:
    path = FIXTURES / relative
    assert detect_format(path.read_bytes(), path.name) == expected


def test_acar_flat_fill_ups_with_two_vehicles_and_bad_cells() -> None:
    name = "edge/acar_fillups_flat.csv"
    assert detect_format((FIXTURES / name).read_bytes(), name) == "acar"
    parsed = load(name, currency="USD")
    assert [v.key for v in parsed.vehicles] == ["Altima", "Tacoma"]
    assert [(r.line, r.vehicle_key) for r in parsed.rows] == [(2, "Altima"), (3, "Tacoma"), (4, "Tacoma")]
    rows = by_line(parsed)
    assert (rows[3].fields["is_full"], rows[3].fields["fuel_type"], rows[3].fields["grade"]) == (False, "diesel", None)
    assert (rows[4].fields["missed_previous"], rows[4].fields["fuel_type"]) == (True, None)
    assert parsed.problems == [
        Problem(4, "fuel_type", "fuel_type_unknown", "Plasma"),
        Problem(4, "", "too_many_values", "16 values, 15 columns"),
    ]


def test_acar_metadata_settles_the_date_order_and_trips_are_not_imported() -> None:
    parsed = load("edge/acar_dmy_metadata.csv")  # no currency needed: the amounts say €
    (car,) = parsed.vehicles
    assert (car.odometer_unit, car.volume_unit, car.plate) == ("km", "l", "AB-123-CD")
    (fill,) = parsed.rows
    assert fill.fields["filled_on"] == dt.date(2023, 7, 5)  # 5/7/2023 read with the file's d/M/yyyy
    assert (fill.fields["currency"], fill.fields["total_cost"], fill.fields["odometer"]) == ("EUR", D("71.01"), 41200)
    assert parsed.problems == [Problem(15, "", "not_imported", "Trip Records")]
    overridden = load("edge/acar_dmy_metadata.csv", date_order="mdy")
    assert overridden.rows[0].fields["filled_on"] == dt.date(2023, 5, 7)


def test_lubelogger_in_a_semicolon_culture() -> None:
    parsed = load("edge/lubelogger_gas_de.csv")  # "74,12 €": the currency is in the amounts
    assert parsed.problems == []
    first, second = parsed.rows
    assert (first.fields["filled_on"], first.fields["volume"], first.fields["total_cost"]) == (
        dt.date(2024, 1, 3),
        D("40.5"),
        D("74.12"),
    )
    assert (second.fields["odometer"], second.fields["volume"], second.fields["currency"]) == (11120, D("38.25"), "EUR")
    assert first.fields["notes"] == "Ölwechsel bald"


def test_an_amount_naming_another_currency_is_a_problem(tmp_path: Path) -> None:
    data = "Datum;Kilometerstand;Menge;Gesamtpreis;Währung;Tankart\n03.01.2024;10250;45,12;79,86 £;EUR;1\n"
    parsed = parse_file(data.encode(), filename="sprit.csv")
    assert parsed.problems == [Problem(2, "total_cost", "currency_mismatch", "79,86 £")]
    assert parsed.rows[0].fields["currency"] == "EUR"


# --- values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1,234", ".", D("1234")),  # a lone mark and three digits: the file's mark decides
        ("1,234", ",", D("1.234")),
        ("0,500", ".", D("0.500")),  # a leading 0 is never a thousands group
        ("0,5", ".", D("0.5")),  # not three digits: a decimal comma whatever the file's mark
        ("1 234,5", ",", D("1234.5")),
        ("1.234.567,89", ",", D("1234567.89")),
        ("1,234,567.89", ".", D("1234567.89")),
        ("$ -12.50", ".", D("-12.50")),
        ("R$ 1.200,00", ",", D("1200.00")),
        ("75,03 EUR", ",", D("75.03")),
        ("", ".", None),
        ("12.5.3", ".", "number_invalid"),
        ("1,2,3", ".", "number_invalid"),
        ("ten", ".", "number_invalid"),
        ("12,5%", ".", "number_invalid"),
    ],
)
def test_numbers_as_people_write_them(text: str, mark: str, expected: object) -> None:
    from motovault.imports.values import Unreadable, parse_number

    if isinstance(expected, str):
        with pytest.raises(Unreadable) as caught:
            parse_number(text, mark)
        assert caught.value.rule == expected
    else:
        assert parse_number(text, mark) == expected


def test_the_decimal_mark_of_a_file() -> None:
    from motovault.imports.values import guess_decimal_mark

    assert guess_decimal_mark(["106,421", "20.101", "$79.78"], ",") == "."
    assert guess_decimal_mark(["12.500", "183,96", "4,599"], ";") == ","
    assert guess_decimal_mark(["1,234", "5"], ";") == ","  # nothing proven: semicolon files use commas
    assert guess_decimal_mark(["1,234", "5"], ",") == "."


def test_json_fields_are_exact() -> None:
    import json

    fill = load("acar/adamjhowell_acar_5.4.3_export_excerpt_from_README.csv", currency="USD").rows[0]
    as_json = json.loads(json.dumps(fill.json_fields()))
    assert {k: as_json[k] for k in ("filled_on", "filled_time", "odometer", "price_per_unit", "is_full", "notes")} == {
        "filled_on": "2023-07-15",
        "filled_time": "08:11:00",
        "odometer": 106421,
        "price_per_unit": "3.969",
        "is_full": True,
        "notes": None,
    }


def test_fuelly_sample_holds_fill_ups_saved_twice() -> None:
    """Real data: lines 23/24 and 25/26 are one fill-up each, saved twice seconds apart (Fuelly shows
    mpg 0 on the copy). Both are parsed: telling duplicates apart is the import batch's job."""
    rows = by_line(load("fuelly/corynissen_fuelups_2013.csv", currency="USD"))
    assert rows[23].fields == rows[24].fields
    assert rows[25].fields == rows[26].fields
    assert rows[23].fields["odometer"] == 62255


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (b"", {}, "empty.csv: the file is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", {}, "empty.csv: the file is empty"),
        (
            b"car_name,fuelup_date,gallons,price\ntruck,2014-07-07,20.72,3.66\n",
            {"format": "fuelly"},
            "Fuelly export: no odometer column (the header is: car_name, fuelup_date, gallons, price)",
        ),
        (b"PK\x03\x04broken", {}, "empty.csv: a damaged zip file (File is not a zip file)"),
        (b"Date,Odometer\n1/1/2024,5\n", {"date_order": "dym"}, "--date-order dym: one of auto, mdy, dmy, ymd"),
        (
            b"Date,Odometer\n1/1/2024,5\n",
            {"format": "fuelly", "mapping": {"read_on": "Date"}},
            "a column mapping is for the generic format, not fuelly",
        ),
    ],
)
def test_whole_file_refusals(data: bytes, options: dict[str, object], message: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_file(data, filename="empty.csv", **options)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_an_explicit_date_order_reads_every_date_that_way() -> None:
    data = b"Date,Odometer,Notes\n2024-03-10,1000,iso\n10/03/2024,1100,slashes\n"
    ymd = parse_file(data, filename="odometerrecords.csv", date_order="ymd")
    assert ymd.rows[0].fields["read_on"] == dt.date(2024, 3, 10)
    assert ymd.problems == [Problem(3, "read_on", "date_invalid", "10/03/2024")]  # not year-first
    dmy = parse_file(data, filename="odometerrecords.csv", date_order="dmy")
    assert [r.fields["read_on"] for r in dmy.rows] == [dt.date(2024, 3, 10), dt.date(2024, 3, 10)]


def test_acar_service_and_expense_record_sections() -> None:
    data = (
        b'Service Records\n"Vehicle","Date","Odometer Reading","Services","Total Cost","Place Name"\n'
        b'"Altima","3/14/2022","91,000","Tire Rotation","$25.00","Discount Tire"\n\n'
        b'Expense Records\n"Vehicle","Date","Odometer Reading","Type","Expenses","Total Cost"\n'
        b'"Altima","3/20/2022","91,200","Parking","Airport","$40.00"\n'
    )
    service, expense = parse_file(data, filename="acar.csv", currency="USD").rows
    assert (service.kind, service.fields["description"], service.fields["cost"], service.fields["odometer"]) == (
        "service",
        "Tire Rotation",
        D("25.00"),
        91000,
    )
    assert service.fields["service_location"] == "Discount Tire"
    assert (expense.kind, expense.fields["category"], expense.fields["description"], expense.fields["amount"]) == (
        "expense",
        "Parking",
        "Airport",
        D("40.00"),
    )
