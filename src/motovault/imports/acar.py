"""aCar (and the Fuelly Android app, which is aCar) export: a sectioned file -- Metadata,
Vehicles, Fill-Up Records, Event Records, Trip Records, each a title line, a header and rows -- or
one record type alone (a flat Fill-Up or Event Records file).

Numbers carry thousands separators and currency signs ("106,421", "$3.969"); both the unit price
and the total are given; `Partial Fill-Up?` / `Previously Missed Fill-Ups?` are Yes/No. The
Metadata's `Date Format` (M/d/yyyy, d/M/yyyy, ...) settles dates that read both ways. Events of
type Service are maintenance, other events are expenses (and so are the rows of `Service Records` /
`Expense Records` sections, as older versions wrote them). Trip records are not imported: each trip
row gets a `not_imported` problem so that the preview shows it.
"""

from __future__ import annotations

from typing import Literal

from .columns import Columns, has_all, norm
from .draft import Draft, finish, overflow
from .model import FormatError, ParsedFile, Problem, VehicleRef
from .options import Options
from .text import Table, read_records, sections, single_table, sniff_delimiter
from .values import Unreadable, distance_unit, parse_number, volume_unit

VEHICLE = {
    "name": ("Name",), "year": ("Year",), "make": ("Make",), "model": ("Model",), "plate": ("License Plate",),
    "vin": ("VIN",), "tank": ("Fuel Tank Capacity",), "volume_unit": ("Volume Unit",),
    "distance_unit": ("Distance Unit",),
}  # fmt: skip
COMMON = {
    "vehicle": ("Vehicle",), "date": ("Date",), "time": ("Time",), "odometer": ("Odometer Reading", "Odometer"),
    "distance_unit": ("Distance Unit",), "total": ("Total Cost",), "notes": ("Notes",),
}  # fmt: skip
FILL_UP = COMMON | {
    "volume": ("Volume",), "volume_unit": ("Volume Unit",), "price": ("Price per Unit",),
    "partial": ("Partial Fill-Up?", "Partial Fill-Up"), "missed": ("Previously Missed Fill-Ups?", "Missed Fill-Up"),
    "category": ("Fuel Category",), "fuel": ("Fuel Type",), "brand": ("Fuel Brand",),
}  # fmt: skip
EVENT = COMMON | {
    "type": ("Type",), "subtypes": ("Sub Types", "Subtypes", "Services", "Expenses"), "place": ("Place Name",),
}  # fmt: skip

_TITLES = {"metadata", "vehicles"}


def _title(cells: list[str]) -> str | None:
    if len(cells) == 1 and cells[0] and (norm(cells[0]) in _TITLES or norm(cells[0]).endswith(" records")):
        return cells[0]
    return None


def looks_like(header: list[str]) -> bool:
    return _title(header) is not None if len(header) == 1 else has_all(header, "Odometer Reading", "Date")


def _date_hint(table: Table) -> Literal["mdy", "dmy", "ymd"] | None:
    cols = Columns(table.header, {"format": ("Date Format",)})
    for _line, cells in table.records:
        fmt = cols.get(cells, "format").lower()
        if fmt.startswith(("m", "mm")):
            return "mdy"
        if fmt.startswith("d"):
            return "dmy"
        if fmt.startswith("y"):
            return "ymd"
    return None


def _vehicles(table: Table) -> dict[str, VehicleRef]:
    cols = Columns(table.header, VEHICLE)
    out: dict[str, VehicleRef] = {}
    for _line, cells in table.records:
        name = cols.get(cells, "name")
        try:
            year = parse_number(cols.get(cells, "year"))
            tank = parse_number(cols.get(cells, "tank"))
        except Unreadable:
            year = tank = None
        out[name] = VehicleRef(
            name, name=name or None, vin=cols.get(cells, "vin") or None, plate=cols.get(cells, "plate") or None,
            make=cols.get(cells, "make") or None, model=cols.get(cells, "model") or None,
            year=int(year) if year else None, odometer_unit=_unit(cols.get(cells, "distance_unit"), "distance"),
            volume_unit=_unit(cols.get(cells, "volume_unit"), "volume"), tank_count=1 if tank else None,
            tank_capacities=(tank,) if tank else (),
        )  # fmt: skip
    return out


def _unit(text: str, kind: Literal["distance", "volume"]) -> str | None:
    try:
        return distance_unit(text) if kind == "distance" else volume_unit(text)
    except Unreadable:
        return None


def _fill_ups(table: Table, drafts: list[Draft]) -> None:
    cols = Columns(table.header, FILL_UP)
    cols.require("date", "odometer", "volume", what="aCar fill-up records")
    for line, cells in table.records:
        d = _common(line, cells, cols, "fuel")
        d.numbers.update(
            volume=cols.get(cells, "volume"), price_per_unit=cols.get(cells, "price"),
            total_cost=cols.get(cells, "total"),
        )  # fmt: skip
        d.unit("volume_unit", cols.get(cells, "volume_unit"), "volume")
        d.flag("is_full", cols.get(cells, "partial"), invert=True, default=True)
        d.flag("missed_previous", cols.get(cells, "missed"), default=False)
        d.fuel(cols.get(cells, "category") or cols.get(cells, "fuel"))
        d.text("grade", cols.get(cells, "fuel"))
        d.text("station_name", cols.get(cells, "brand"))
        drafts.append(d)


def _events(table: Table, drafts: list[Draft], forced: Literal["service", "expense"] | None = None) -> None:
    """Event records (Type: Service or another type), or a Service / Expense Records section."""
    cols = Columns(table.header, EVENT)
    cols.require("date", *(() if forced else ("type",)), what=f"aCar {table.title or 'event records'}")
    for line, cells in table.records:
        service = forced == "service" or (forced is None and norm(cols.get(cells, "type")) == "service")
        d = _common(line, cells, cols, "service" if service else "expense")
        d.numbers["cost" if service else "amount"] = cols.get(cells, "total")
        d.text("description", cols.get(cells, "subtypes"))
        if service:
            d.text("service_location", cols.get(cells, "place"))
        else:
            d.values["category"] = cols.get(cells, "type") or None
        drafts.append(d)


def _common(line: int, cells: list[str], cols: Columns, kind: Literal["fuel", "service", "expense"]) -> Draft:
    d = Draft(line, kind, cols.get(cells, "vehicle") or "default", cols.get(cells, "date"), cols.get(cells, "time"))
    d.numbers["odometer"] = cols.get(cells, "odometer")
    d.unit("odometer_unit", cols.get(cells, "distance_unit"), "distance")
    d.text("notes", cols.get(cells, "notes"))
    return d


def parse(text: str, opts: Options) -> ParsedFile:
    delimiter = sniff_delimiter(text.splitlines()[:20])
    records = read_records(text, delimiter)
    if records and _title(records[0][1]):
        tables = sections(records, _title)
    else:
        tables = [single_table(records)]
    vehicles: dict[str, VehicleRef] = {}
    drafts: list[Draft] = []
    hint: Literal["mdy", "dmy", "ymd"] | None = None
    skipped: list[Problem] = []
    for table in tables:
        title = norm(table.title)
        if title == "metadata":
            hint = _date_hint(table)
        elif title == "vehicles":
            vehicles.update(_vehicles(table))
        elif title.startswith("fill up") or (not title and has_all(table.header, "Volume")):
            _fill_ups(table, drafts)
        elif title.startswith("event") or (not title and has_all(table.header, "Type")):
            _events(table, drafts)
        elif title.startswith(("service", "expense")):
            _events(table, drafts, "service" if title.startswith("service") else "expense")
        elif not title:
            raise FormatError("aCar file: neither fill-up nor event records (no Volume or Type column)")
        else:
            skipped += [Problem(line, "", "not_imported", table.title) for line, _cells in table.records]
    rows, problems = finish(drafts, delimiter=delimiter, date_order=opts.date_order, date_hint=hint)
    for row in rows:
        key = row.vehicle_key
        if key not in vehicles:
            vehicles[key] = VehicleRef(key, name=None if key == "default" else key)
    read = [t for t in tables if norm(t.title) not in ("metadata", "vehicles")]
    problems = sorted(problems + skipped + overflow(read), key=lambda p: p.line)
    return ParsedFile("acar", list(vehicles.values()), rows, problems)
