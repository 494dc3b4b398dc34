"""Fuelio CSV backup: one vehicle per file (often inside a zip), quoted `"## "` sections.

Sections read: Vehicle (units as codes, tanks), Log (fill-ups), CostCategories and Costs
(expenses; reminders live there too). FavStations, Category, Tires and the other sections are
reference lists of the app, not records, and are not imported.

Log: `Data` is the date (yyyy-MM-dd HH:mm), `Odo (mi)` / `Odo (km)` the odometer, `Fuel (...)`
the volume, `Price (optional)` the total, `VolumePrice` the unit price, `Full` and `Missed` 1/0,
`City (optional)` the station's name, `TankNumber` the tank of a bi-fuel car (1 or 2: fields
`tank_number`; the vehicle's TankCount is `VehicleRef.tank_count`), `FuelType` -1 for the tank's
own fuel. Units: DistUnit 0 km / 1 mi; FuelUnit (and FuelUnitTank2) 0 l / 1 US gal / 2 imp gal.
Fuel type codes: the hundreds give the fuel (100 gasoline -- the real sample's --, 200 diesel,
300 ethanol, 400 LPG, 500 CNG, 600 electric); another code is a `code_unknown` problem.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from .columns import Columns, norm
from .draft import Draft, finish, overflow
from .model import FormatError, ParsedFile, Problem, VehicleRef
from .options import Options
from .text import Table, read_records, section_title, sections
from .values import DateReader, Unreadable, parse_number

VEHICLE = {
    "name": ("Name",), "dist": ("DistUnit",), "fuel_unit": ("FuelUnit",), "fuel_unit2": ("FuelUnitTank2",),
    "date_format": ("ImportCSVDateFormat",), "vin": ("VIN",), "plate": ("Plate",), "make": ("Make",),
    "model": ("Model",), "year": ("Year",), "tanks": ("TankCount",), "type1": ("Tank1Type",),
    "type2": ("Tank2Type",), "capacity1": ("Tank1Capacity",), "capacity2": ("Tank2Capacity",),
}  # fmt: skip
LOG = {
    "date": ("Data", "Date"), "full": ("Full",), "total": ("Price (optional)", "Price"),
    "city": ("City (optional)", "City"), "notes": ("Notes (optional)", "Notes"), "missed": ("Missed",),
    "tank": ("TankNumber",), "fuel": ("FuelType",), "price": ("VolumePrice",),
}  # fmt: skip
COSTS = {
    "title": ("CostTitle",), "date": ("Date",), "odometer": ("Odo",), "type": ("CostTypeID",), "notes": ("Notes",),
    "cost": ("Cost",), "remind_odometer": ("RemindOdo",), "remind_on": ("RemindDate",), "income": ("isIncome",),
    "template": ("isTemplate",), "repeat_odometer": ("RepeatOdo",), "repeat_months": ("RepeatMonths",),
}  # fmt: skip

DISTANCE = {"0": "km", "1": "mi"}
VOLUME = {"0": "l", "1": "gal_us", "2": "gal_imp"}
FUEL_GROUPS = {1: "gasoline", 2: "diesel", 3: "e85", 4: "lpg", 5: "cng", 6: "electric"}


def looks_like(first: list[str]) -> bool:
    return section_title(first) is not None and norm(section_title(first) or "") == "vehicle"


def _fuel(code: str) -> str | None:
    """'100' -> gasoline; '' / '0' / '-1' -> None (the tank's own or not said); else Unreadable."""
    s = code.strip()
    if s in ("", "0", "-1"):
        return None
    if s.isdigit() and int(s) // 100 in FUEL_GROUPS:
        return FUEL_GROUPS[int(s) // 100]
    raise Unreadable("code_unknown")


def _number(text: str) -> Decimal | None:
    try:
        return parse_number(text)
    except Unreadable:
        return None


class _Car:
    def __init__(self, table: Table | None) -> None:
        cells = table.records[0][1] if table and table.records else []
        cols = Columns(table.header if table else [], VEHICLE)
        self.cols, self.cells = cols, cells
        self.odometer_unit = DISTANCE.get(cols.get(cells, "dist"))
        self.volume_units = (VOLUME.get(cols.get(cells, "fuel_unit")), VOLUME.get(cols.get(cells, "fuel_unit2")))
        tanks = _number(cols.get(cells, "tanks"))
        self.tank_count = int(tanks) if tanks else None
        self.fuels: list[str | None] = []
        for key in ("type1", "type2"):
            try:
                self.fuels.append(_fuel(cols.get(cells, key)))
            except Unreadable:
                self.fuels.append(None)

    def ref(self) -> VehicleRef:
        get = self.cols.get
        year = _number(get(self.cells, "year"))
        count = self.tank_count or 1
        capacities = tuple(_number(get(self.cells, k)) for k in ("capacity1", "capacity2"))[:count]
        return VehicleRef(
            "default", name=get(self.cells, "name") or None, vin=get(self.cells, "vin") or None,
            plate=get(self.cells, "plate") or None, make=get(self.cells, "make") or None,
            model=get(self.cells, "model") or None, year=int(year) if year else None,
            odometer_unit=self.odometer_unit, volume_unit=self.volume_units[0], tank_count=self.tank_count,
            tank_capacities=capacities, fuel_types=tuple(self.fuels[:count]),
        )  # fmt: skip

    def date_hint(self) -> Literal["mdy", "dmy", "ymd"] | None:
        fmt = self.cols.get(self.cells, "date_format").lower()
        return (
            "ymd" if fmt.startswith("y") else "dmy" if fmt.startswith("d") else "mdy" if fmt.startswith("m") else None
        )


def _unit_from_header(header: list[str], prefix: str, units: dict[str, str]) -> tuple[int | None, str | None]:
    """('Odo (mi)', ...) -> (index, 'mi'): Fuelio writes the unit into the column name."""
    for i, name in enumerate(header):
        n = norm(name)
        if n == prefix or n.startswith(prefix + " "):
            word = n[len(prefix) :].strip()
            return i, next((unit for key, unit in units.items() if word.startswith(key)), None)
    return None, None


def _log(table: Table, car: _Car, drafts: list[Draft]) -> None:
    cols = Columns(table.header, LOG)
    odo_at, odo_unit = _unit_from_header(table.header, "odo", {"mi": "mi", "km": "km"})
    vol_at, vol_unit = _unit_from_header(
        table.header,
        "fuel",
        {"litre": "l", "liter": "l", "gal uk": "gal_imp", "gal us": "gal_us", "kwh": "kwh", "kg": "kg"},
    )
    if "date" not in cols or odo_at is None or vol_at is None:
        raise FormatError(f"Fuelio log: no Data, Odo or Fuel column (the header is: {', '.join(table.header)})")
    for line, cells in table.records:
        d = Draft(line, "fuel", "default", date=cols.get(cells, "date"))
        tank = cols.get(cells, "tank").strip() or "1"
        second = tank == "2"
        d.numbers.update(
            odometer=cells[odo_at] if odo_at < len(cells) else "",
            volume=cells[vol_at] if vol_at < len(cells) else "",
            total_cost=cols.get(cells, "total"),
            price_per_unit=cols.get(cells, "price"),
        )
        d.values["odometer_unit"] = car.odometer_unit or odo_unit
        d.values["volume_unit"] = car.volume_units[1] if second else (car.volume_units[0] or vol_unit)
        if tank not in ("1", "2"):
            d.problems.append(Problem(line, "tank_number", "code_unknown", tank))
        else:
            d.values["tank_number"] = int(tank)
        try:
            fuel = _fuel(cols.get(cells, "fuel"))
        except Unreadable as exc:
            d.problems.append(Problem(line, "fuel_type", exc.rule, cols.get(cells, "fuel")))
            fuel = None
        d.values["fuel_type"] = fuel or car.fuels[1 if second else 0]
        d.flag("is_full", cols.get(cells, "full"), default=True)
        d.flag("missed_previous", cols.get(cells, "missed"), default=False)
        d.text("station_name", cols.get(cells, "city"))
        d.text("notes", cols.get(cells, "notes"))
        drafts.append(d)


def _costs(table: Table, categories: dict[str, str], car: _Car, drafts: list[Draft]) -> None:
    cols = Columns(table.header, COSTS)
    for line, cells in table.records:
        d = Draft(line, "expense", "default", date=cols.get(cells, "date"))
        d.numbers.update(odometer=cols.get(cells, "odometer"), amount=cols.get(cells, "cost"))
        d.values["odometer_unit"] = car.odometer_unit
        type_id = cols.get(cells, "type")
        d.values["category"] = categories.get(type_id, type_id or None)
        d.text("description", cols.get(cells, "title"))
        d.text("notes", cols.get(cells, "notes"))
        d.flag("is_income", cols.get(cells, "income"), default=False)
        remind_on = cols.get(cells, "remind_on")
        remind_odometer = _number(cols.get(cells, "remind_odometer"))
        if remind_on or remind_odometer:
            # a reminder (Fuelio keeps them with the costs): when it is due, and how it repeats
            d.values["reminder"] = True
            try:
                d.values["remind_on"] = DateReader(car.date_hint() or "ymd").read(remind_on)[0]
            except Unreadable as exc:
                d.problems.append(Problem(line, "remind_on", exc.rule, remind_on))
            d.values["remind_odometer"] = int(remind_odometer) if remind_odometer else None
            months = _number(cols.get(cells, "repeat_months"))
            distance = _number(cols.get(cells, "repeat_odometer"))
            d.values["repeat_months"] = int(months) if months else None
            d.values["repeat_distance"] = int(distance) if distance else None
        drafts.append(d)


def parse(text: str, opts: Options) -> ParsedFile:
    records = read_records(text, ",")
    tables = {norm(t.title): t for t in sections(records, section_title)}
    if "log" not in tables and "costs" not in tables:
        raise FormatError("Fuelio file: neither a Log nor a Costs section")
    car = _Car(tables.get("vehicle"))
    drafts: list[Draft] = []
    if "log" in tables:
        _log(tables["log"], car, drafts)
    if "costs" in tables:
        names = Columns(tables["costcategories"].header, {"id": ("CostTypeID",), "name": ("Name",)}) if (
            "costcategories" in tables) else None  # fmt: skip
        categories = {
            names.get(c, "id"): names.get(c, "name") for _l, c in tables["costcategories"].records
        } if names else {}  # fmt: skip
        _costs(tables["costs"], categories, car, drafts)
    drafts.sort(key=lambda d: d.line)
    rows, problems = finish(drafts, delimiter=",", date_order=opts.date_order, date_hint=car.date_hint(),
                            decimal_mark=".")  # fmt: skip
    read = [tables[name] for name in ("log", "costs") if name in tables]
    return ParsedFile("fuelio", [car.ref()], rows, sorted(problems + overflow(read), key=lambda p: p.line))
