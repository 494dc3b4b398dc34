"""A CSV of any layout, read through a column mapping the user gives: motovault field -> the
file's column name (matched like every header: case, accents and punctuation do not count).

The mapped date field says the kind: filled_on -> fuel, completed_on -> service, read_on ->
odometer, occurred_on -> expense. `vehicle` maps the column naming the vehicle (several vehicles
in one file), `is_partial` a partial flag (the inverse of is_full). Delimiter, decimal mark and
date order are detected as for every format.
"""

from __future__ import annotations

from .columns import Columns
from .draft import FIELDS, NUMBERS, Draft, finish, overflow
from .model import FormatError, Kind, ParsedFile, Problem, VehicleRef
from .options import Options
from .text import read_records, single_table, sniff_delimiter
from .values import Unreadable, currency_code

KIND_BY_DATE: dict[str, tuple[Kind, str]] = {
    "filled_on": ("fuel", "fuel"), "completed_on": ("service", "maintenance"),
    "read_on": ("odometer", "odometer"), "occurred_on": ("expense", "expense"),
}  # fmt: skip
TIMES = {"filled_time", "read_time"}
FLAGS = {"is_full", "missed_previous"}
SPECIAL = {"vehicle", "is_partial"}
FIXED = {"status", "type"}


def parse(text: str, opts: Options) -> ParsedFile:
    mapping = dict(opts.mapping or {})
    dates = [k for k in mapping if k in KIND_BY_DATE]
    if len(dates) != 1:
        raise FormatError(
            "a column mapping needs exactly one date field: filled_on, completed_on, read_on or occurred_on"
        )
    kind, table_name = KIND_BY_DATE[dates[0]]
    allowed = (set(FIELDS[table_name]) - FIXED) | SPECIAL
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise FormatError(
            f"mapping: {', '.join(unknown)} not a field of {table_name} (fields: {', '.join(sorted(allowed))})"
        )
    delimiter = sniff_delimiter(text.splitlines()[:20])
    table = single_table(read_records(text, delimiter))
    cols = Columns(table.header, {field: (column,) for field, column in mapping.items()})
    missing = [f"{column} (for {field})" for field, column in mapping.items() if field not in cols]
    if missing:
        raise FormatError(f"mapping: no column {', '.join(missing)} in the header: {', '.join(table.header)}")
    drafts: list[Draft] = []
    for line, cells in table.records:
        time_field = next((f for f in TIMES if f in mapping), None)
        d = Draft(line, kind, cols.get(cells, "vehicle") or "default", cols.get(cells, dates[0]),
                  cols.get(cells, time_field) if time_field else "")  # fmt: skip
        for field in mapping:
            value = cols.get(cells, field)
            if field in NUMBERS or field == "odometer":
                d.numbers[field] = value
            elif field in FLAGS:
                d.flag(field, value, default=field == "is_full")
            elif field == "is_partial":
                d.flag("is_full", value, invert=True, default=True)
            elif field == "odometer_unit":
                d.unit(field, value, "distance")
            elif field == "volume_unit":
                d.unit(field, value, "volume")
            elif field == "fuel_type":
                d.fuel(value)
            elif field == "currency":
                try:
                    d.values["currency"] = currency_code(value)
                except Unreadable as exc:
                    d.problems.append(Problem(line, field, exc.rule, value))
            elif field not in SPECIAL and field != dates[0] and field not in TIMES:
                d.text(field, value)
        drafts.append(d)
    rows, problems = finish(drafts, delimiter=delimiter, date_order=opts.date_order)
    keys = dict.fromkeys(r.vehicle_key for r in rows)
    vehicles = [VehicleRef(k, name=None if k == "default" else k) for k in keys] or [VehicleRef("default")]
    return ParsedFile("generic", vehicles, rows, sorted(problems + overflow([table]), key=lambda p: p.line))
