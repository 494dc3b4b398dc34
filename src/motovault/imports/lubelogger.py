"""LubeLogger CSV: one record type per file (fuel/gas, service, repair, upgrade, odometer, tax,
supplies), no units (they are the user's settings), dates and money in the server's culture.

The record type comes from the format variant (`lubelogger:repair`), else the file name
(`gasrecord`, `servicerecord`, `repairrecord`/`collisionrecord`, `upgraderecord`, `odometerrecord`,
`taxrecord`, `supply`), else the header. Columns are matched by name, so the import samples' order,
the current export's order (with FuelEconomy, Tags, ExtraFields) and the order before mid-2024 read
the same.
"""

from __future__ import annotations

import re

from .columns import Columns, has_any, norm
from .draft import Draft, finish, overflow
from .model import FormatError, Kind, ParsedFile, VehicleRef
from .options import Options
from .text import read_records, single_table, sniff_delimiter

ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("Date", "DateCreated"),
    "odometer": ("Odometer", "Mileage"),
    "volume": ("FuelConsumed", "Gallons", "Liters", "Litres", "FuelAmount", "Consumption"),
    "cost": ("Cost", "Price", "TotalCost"),
    "is_full": ("IsFillToFull", "FillToFull"),
    "partial": ("PartialFuelUp", "IsPartial"),
    "missed": ("MissedFuelUp", "IsMissedFuelUp"),
    "description": ("Description",),
    "notes": ("Notes", "Note"),
    "part_number": ("PartNumber",),
    "supplier": ("PartSupplier",),
    "quantity": ("PartQuantity",),
    "tags": ("Tags",),
}

#: LubeLogger's own column names: a header made only of these (and at least Date) is a LubeLogger file
KNOWN = {norm(n) for names in ALIASES.values() for n in names} | {
    norm(n) for n in ("FuelEconomy", "InitialOdometer", "ExtraFields", "DateModified", "Type", "Priority",
                      "Progress", "Day", "Month", "Year", "IsRecurring")}  # fmt: skip

_BY_NAME = (
    (re.compile(r"gas|fuel"), "fuel"),
    (re.compile(r"service"), "service"),
    (re.compile(r"repair|collision"), "repair"),
    (re.compile(r"upgrade"), "upgrade"),
    (re.compile(r"odometer"), "odometer"),
    (re.compile(r"tax"), "tax"),
    (re.compile(r"suppl"), "supply"),
    (re.compile(r"plan"), "plan"),
)
VARIANTS = ("fuel", "service", "repair", "upgrade", "odometer", "tax", "supply")


def looks_like(header: list[str]) -> bool:
    names = {norm(h) for h in header if h}
    return bool(names & {"date", "datecreated"}) and names <= KNOWN and len(names) >= 2


def record_type(header: list[str], opts: Options) -> str:
    if opts.variant:
        if opts.variant not in VARIANTS:
            raise FormatError(f"lubelogger:{opts.variant}: unknown record type (one of {', '.join(VARIANTS)})")
        return opts.variant
    stem = opts.filename.rsplit("/", 1)[-1].lower()
    for pattern, kind in _BY_NAME:
        if pattern.search(stem):
            found = kind
            break
    else:
        if has_any(header, *ALIASES["volume"]):
            found = "fuel"
        elif has_any(header, "PartNumber", "PartQuantity"):
            found = "supply"
        elif has_any(header, "Priority", "Progress"):
            found = "plan"
        elif has_any(header, "Description"):
            found = "service" if has_any(header, "Odometer") else "tax"
        else:
            found = "odometer"
    if found == "plan":
        raise FormatError("LubeLogger planner items are plans, not history: they are not imported")
    return found


def parse(text: str, opts: Options) -> ParsedFile:
    delimiter = sniff_delimiter(text.splitlines()[:20])
    table = single_table(read_records(text, delimiter))
    kind_name = record_type(table.header, opts)
    kind: Kind = "expense" if kind_name == "supply" else kind_name  # type: ignore[assignment]
    cols = Columns(table.header, ALIASES)
    what = f"LubeLogger {kind_name} records"
    cols.require("date", what=what)
    if kind == "fuel":
        cols.require("odometer", "volume", what=what)
    elif kind == "odometer":
        cols.require("odometer", what=what)
    drafts: list[Draft] = []
    for line, cells in table.records:
        d = Draft(line, kind, "default", date=cols.get(cells, "date"))
        if "odometer" in cols:
            d.numbers["odometer"] = cols.get(cells, "odometer")
        d.text("notes", cols.get(cells, "notes"))
        cost = cols.get(cells, "cost")
        if kind == "fuel":
            d.numbers.update(volume=cols.get(cells, "volume"), total_cost=cost)
            if "is_full" in cols:
                d.flag("is_full", cols.get(cells, "is_full"), default=True)
            elif "partial" in cols:
                d.flag("is_full", cols.get(cells, "partial"), invert=True, default=True)
            d.flag("missed_previous", cols.get(cells, "missed"), default=False)
        elif kind in ("service", "repair", "upgrade"):
            d.numbers["cost"] = cost
            d.text("description", cols.get(cells, "description"))
        elif kind in ("tax", "expense"):
            d.numbers["amount"] = cost
            d.text("description", cols.get(cells, "description"))
            if kind_name == "supply":
                d.values["category"] = "supply"
                for key in ("part_number", "supplier", "quantity"):
                    d.text(key, cols.get(cells, key))
        drafts.append(d)
    rows, problems = finish(drafts, delimiter=delimiter, date_order=opts.date_order)
    return ParsedFile(
        "lubelogger", [VehicleRef("default")], rows, sorted(problems + overflow([table]), key=lambda p: p.line)
    )
