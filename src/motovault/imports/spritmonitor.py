"""Spritmonitor.de CSV export: semicolons, decimal commas, day-first dates (dd.mm.yyyy), one
vehicle per file, headers in German or English.

Fill type (`Tankart` / `Type`): 1 full, 2 partial, 3 first fill-up (after a gap: no economy for the
interval ending there, so missed_previous); words (voll, teil, full, partial) are read too.
`Gesamtpreis` / `Total price` is the total, `Währung` / `Currency` the currency of the row;
`Kraftstoff` / `Fuel` names the fuel (kept as the grade). Units are not in the file.
"""

from __future__ import annotations

from .columns import Columns, has_any
from .draft import Draft, finish, overflow
from .model import ParsedFile, Problem, VehicleRef
from .options import Options
from .text import read_records, single_table
from .values import Unreadable, currency_code

ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("Datum", "Date"),
    "odometer": ("Kilometerstand", "Odometer", "Km-Stand", "Tachostand"),
    "volume": ("Menge", "Quantity", "Liter", "Litres", "Amount"),
    "total": ("Gesamtpreis", "Total price", "Kosten", "Costs", "Total cost"),
    "price": ("Preis pro Liter", "Preis/Liter", "Price per unit", "Price per liter", "Literpreis"),
    "currency": ("Währung", "Currency"),
    "fill": ("Tankart", "Type", "Fill type", "Betankungsart"),
    "fuel": ("Kraftstoff", "Kraftstoffsorte", "Fuel", "Fuel type", "Fuelsort"),
    "station": ("Tankstelle", "Gas station", "Station"),
    "notes": ("Bemerkung", "Notiz", "Note", "Notes", "Comment"),
}

FILL_TYPES = {"1": (True, False), "2": (False, False), "3": (True, True),
              "voll": (True, False), "voll getankt": (True, False), "full": (True, False),
              "teil": (False, False), "teilgetankt": (False, False), "partial": (False, False),
              "erstbetankung": (True, True), "first fill-up": (True, True), "first": (True, True)}  # fmt: skip


def looks_like(header: list[str]) -> bool:
    return has_any(header, "Kilometerstand", "Tankart", "Gesamtpreis") or (
        has_any(header, "Odometer") and has_any(header, "Quantity") and has_any(header, "Total price")
    )


def parse(text: str, opts: Options) -> ParsedFile:
    table = single_table(read_records(text, ";"))
    cols = Columns(table.header, ALIASES)
    cols.require("date", "odometer", "volume", what="Spritmonitor export")
    drafts: list[Draft] = []
    for line, cells in table.records:
        d = Draft(line, "fuel", "default", date=cols.get(cells, "date"))
        d.numbers.update(
            odometer=cols.get(cells, "odometer"),
            volume=cols.get(cells, "volume"),
            total_cost=cols.get(cells, "total"),
            price_per_unit=cols.get(cells, "price"),
        )
        fill = cols.get(cells, "fill").strip().lower()
        if fill in FILL_TYPES:
            d.values["is_full"], d.values["missed_previous"] = FILL_TYPES[fill]
        elif fill:
            d.problems.append(Problem(line, "is_full", "code_unknown", fill))
        try:
            d.values["currency"] = currency_code(cols.get(cells, "currency"))
        except Unreadable as exc:
            d.problems.append(Problem(line, "currency", exc.rule, cols.get(cells, "currency")))
        if "fuel" in cols:
            d.fuel(cols.get(cells, "fuel"), grade=True)
        d.text("station_name", cols.get(cells, "station"))
        d.text("notes", cols.get(cells, "notes"))
        drafts.append(d)
    rows, problems = finish(drafts, delimiter=";", date_order=opts.date_order, date_hint="dmy", decimal_mark=",")
    return ParsedFile(
        "spritmonitor", [VehicleRef("default")], rows, sorted(problems + overflow([table]), key=lambda p: p.line)
    )
