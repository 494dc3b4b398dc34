"""Fuelly web export: one row per fill-up, several vehicles (car_name), header cells separated by ', '.

`price` is the unit price (there is no total); `partial_fuelup` and `missed_fuelup` are 0/1. Units
follow the columns: miles / mpg -> mi, kilometers -> km; gallons -> US gallons, litres -> l.
"""

from __future__ import annotations

from .columns import Columns, has_any, norm
from .draft import Draft, finish, overflow
from .model import ParsedFile, VehicleRef
from .options import Options
from .text import read_records, single_table, sniff_delimiter

ALIASES: dict[str, tuple[str, ...]] = {
    "vehicle": ("car_name", "Car Name", "Vehicle", "Name"),
    "model": ("model", "Model"),
    "date": ("fuelup_date", "Fuelup Date", "Date"),
    "time": ("Time",),
    "odometer": ("odometer", "Odometer"),
    "volume": ("gallons", "litres", "liters", "Gallons", "Litres", "Liters", "Volume"),
    "price": ("price", "Price", "price_per_unit"),
    "total": ("total", "Total", "total_price", "Total Price"),
    "partial": ("partial_fuelup", "Partial Fuelup", "Partial Fuel-up", "partial"),
    "missed": ("missed_fuelup", "Missed Fuelup", "Missed Fuel-up", "missed"),
    "fuel": ("fuel_type", "Fuel Type"),
    "station": ("brand", "Brand", "station", "Station"),
    "notes": ("notes", "Notes"),
}


def looks_like(header: list[str]) -> bool:
    names = {norm(h) for h in header}
    return ("car name" in names and "fuelup date" in names) or ("partial fuelup" in names and "odometer" in names)


def parse(text: str, opts: Options) -> ParsedFile:
    delimiter = sniff_delimiter(text.splitlines()[:20])
    table = single_table(read_records(text, delimiter))
    cols = Columns(table.header, ALIASES)
    cols.require("date", "odometer", "volume", what="Fuelly export")
    header = table.header
    odometer_unit = "km" if has_any(header, "kilometers", "km", "l/100km", "kpl") else "mi"
    volume_unit = "l" if has_any(header, "litres", "liters") else "gal_us"
    vehicles: dict[str, VehicleRef] = {}
    drafts: list[Draft] = []
    for line, cells in table.records:
        key = cols.get(cells, "vehicle") or "default"
        if key not in vehicles:
            model = cols.get(cells, "model") or None
            vehicles[key] = VehicleRef(
                key, name=None if key == "default" else key, model=model,
                odometer_unit=odometer_unit, volume_unit=volume_unit,
            )  # fmt: skip
        d = Draft(line, "fuel", key, date=cols.get(cells, "date"), time=cols.get(cells, "time"))
        d.numbers.update(
            odometer=cols.get(cells, "odometer"),
            volume=cols.get(cells, "volume"),
            price_per_unit=cols.get(cells, "price"),
            total_cost=cols.get(cells, "total"),
        )
        d.values.update(odometer_unit=odometer_unit, volume_unit=volume_unit)
        d.flag("is_full", cols.get(cells, "partial"), invert=True, default=True)
        d.flag("missed_previous", cols.get(cells, "missed"), default=False)
        if "fuel" in cols:
            d.fuel(cols.get(cells, "fuel"), grade=True)
        d.text("station_name", cols.get(cells, "station"))
        d.text("notes", cols.get(cells, "notes"))
        drafts.append(d)
    rows, problems = finish(drafts, delimiter=delimiter, date_order=opts.date_order)
    return ParsedFile(
        "fuelly", list(vehicles.values()), rows, sorted(problems + overflow([table]), key=lambda p: p.line)
    )
