"""The step every format shares: raw cells of a record -> a typed `ParsedRow` with its problems.

A format module turns each record into a `Draft` (which raw text goes to which motovault field);
`finish` then settles the file's date order and decimal mark from all of its values at once,
reads every value, and fills each kind's full set of field names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from . import values
from .model import Kind, ParsedRow, Problem
from .text import Table
from .values import DateOrder, Unreadable

#: the keys of `ParsedRow.fields` for each kind (see the package docstring)
FIELDS: dict[str, tuple[str, ...]] = {
    "fuel": (
        "filled_on", "filled_time", "odometer", "odometer_unit", "fuel_type", "grade", "volume", "volume_unit",
        "price_per_unit", "total_cost", "currency", "is_full", "missed_previous", "station_name", "notes",
    ),
    "maintenance": (
        "status", "type", "description", "completed_on", "odometer", "odometer_unit", "cost", "currency",
        "service_location", "notes",
    ),
    "odometer": ("read_on", "read_time", "odometer", "odometer_unit", "notes"),
    "expense": ("occurred_on", "category", "description", "amount", "currency", "odometer", "odometer_unit", "notes"),
}  # fmt: skip

#: the date field of each kind, and its time field (if the target table has one)
DATE_FIELD = {"fuel": ("filled_on", "filled_time"), "maintenance": ("completed_on", None),
              "odometer": ("read_on", "read_time"), "expense": ("occurred_on", None)}  # fmt: skip

#: fields holding money (the file needs a currency when any is set)
MONEY = ("price_per_unit", "total_cost", "cost", "amount")
#: number fields read as Decimal; "odometer" is read as a whole number, 0 meaning "not recorded"
NUMBERS = ("volume", "price_per_unit", "total_cost", "cost", "amount")


def table_of(kind: Kind) -> str:
    return {"service": "maintenance", "repair": "maintenance", "upgrade": "maintenance", "tax": "expense"}.get(
        kind, kind
    )


@dataclass
class Draft:
    line: int
    kind: Kind
    vehicle_key: str
    #: the record's date text (may hold a time too) and a separate time text
    date: str = ""
    time: str = ""
    #: field -> raw text of a number (motovault field names; "odometer" too)
    numbers: dict[str, str] = field(default_factory=dict)
    #: field -> value already read by the format module
    values: dict[str, object] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def flag(self, name: str, text: str, *, invert: bool = False, default: bool | None = None) -> None:
        """Read a yes/no cell into values[name] (inverted for 'partial' columns feeding is_full)."""
        try:
            flag = values.parse_flag(text)
        except Unreadable as exc:
            self.problems.append(Problem(self.line, name, exc.rule, text))
            flag = None
        if flag is None:
            self.values[name] = default
        else:
            self.values[name] = (not flag) if invert else flag

    def unit(self, name: str, text: str, reader: Literal["distance", "volume"]) -> None:
        try:
            self.values[name] = (values.distance_unit if reader == "distance" else values.volume_unit)(text)
        except Unreadable as exc:
            self.problems.append(Problem(self.line, name, exc.rule, text))

    def fuel(self, text: str, *, grade: bool = False) -> None:
        """fuel_type from the app's fuel name; with grade=True the name itself is kept as the grade."""
        try:
            self.values["fuel_type"] = values.fuel_type(text)
        except Unreadable as exc:
            self.problems.append(Problem(self.line, "fuel_type", exc.rule, text))
        if grade and text.strip():
            self.values["grade"] = text.strip()

    def text(self, name: str, text: str) -> None:
        if text.strip():
            self.values[name] = text.strip()


def overflow(tables: Iterable[Table]) -> list[Problem]:
    """A `too_many_values` problem for each record with filled cells past its header (empty trailing
    cells, as some exports write, are fine; a short record reads its missing cells as empty)."""
    return [
        Problem(line, "", "too_many_values", f"{len(cells)} values, {len(t.header)} columns")
        for t in tables
        for line, cells in t.records
        if any(cells[len(t.header) :])
    ]


def number_texts(drafts: Iterable[Draft]) -> list[str]:
    return [t for d in drafts for t in d.numbers.values() if t]


def finish(
    drafts: list[Draft],
    *,
    delimiter: str,
    date_order: DateOrder,
    date_hint: Literal["mdy", "dmy", "ymd"] | None = None,
    decimal_mark: str | None = None,
) -> tuple[list[ParsedRow], list[Problem]]:
    """Typed rows and every problem, in line order. Raises FormatError for ambiguous dates."""
    reader = values.settle_date_order([d.date for d in drafts], date_order, date_hint)
    mark = decimal_mark or values.guess_decimal_mark(number_texts(drafts), delimiter)
    rows: list[ParsedRow] = []
    problems: list[Problem] = []
    for d in drafts:
        table = table_of(d.kind)
        fields: dict[str, object] = dict.fromkeys(FIELDS[table])
        if table == "fuel":
            fields.update(is_full=True, missed_previous=False)
        if table == "maintenance":
            fields.update(status="completed", type={"repair": "repair", "upgrade": "upgrade"}.get(d.kind, "other"))
        if d.kind == "tax":
            fields["category"] = "tax"
        fields.update({k: v for k, v in d.values.items() if v is not None or k not in fields})
        found = list(d.problems)
        date_key, time_key = DATE_FIELD[table]
        try:
            day, at = reader.read(d.date)
            if day is None:
                found.append(Problem(d.line, date_key, "required", d.date))
            fields[date_key] = day
            if time_key is not None:
                fields[time_key] = values.parse_time(d.time) if d.time.strip() else at
        except Unreadable as exc:
            bad = d.time if exc.rule == "time_invalid" else d.date
            found.append(
                Problem(d.line, time_key if exc.rule == "time_invalid" and time_key else date_key, exc.rule, bad)
            )
        signs: dict[str, str] = {}
        for name, text in d.numbers.items():
            if name in MONEY and (code := values.sign_currency(text)):
                signs[name] = code
            try:
                number = values.parse_number(text, mark)
            except Unreadable as exc:
                found.append(Problem(d.line, name, exc.rule, text))
                continue
            if name == "odometer":
                # an odometer of 0 is how apps write "not recorded"
                fields[name] = None if number is None or number == 0 else values.whole_number(number)
            else:
                fields[name] = number
        for name, code in signs.items():
            # an amount written with its currency ('12,50 €') says the row's currency
            if fields["currency"] is None:
                fields["currency"] = code
            elif fields["currency"] != code:
                found.append(Problem(d.line, name, "currency_mismatch", d.numbers[name]))
        rows.append(ParsedRow(d.line, d.vehicle_key, d.kind, fields))
        problems += found
    return rows, problems
