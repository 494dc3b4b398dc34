"""What every format parser returns: vehicles, rows in motovault's own columns and units, problems.

The dataclasses are frozen; `fields` keeps motovault's column names (see the package docstring for
the keys of each kind). Values are `datetime.date`, `datetime.time`, `decimal.Decimal`, `int`,
`bool`, `str` or `None` (None: not in the file, or not readable, in which case a `Problem` names
the line, the field, the rule and the value as written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Literal

from ..core.errors import MotovaultError

Kind = Literal["fuel", "service", "repair", "upgrade", "odometer", "tax", "expense"]

KINDS: tuple[Kind, ...] = ("fuel", "service", "repair", "upgrade", "odometer", "tax", "expense")


class FormatError(MotovaultError):
    """The whole file is refused (unknown format, ambiguous dates, no currency, missing columns)."""


@dataclass(frozen=True)
class VehicleRef:
    """A vehicle as the file names it; the importer matches it by vin, plate or name."""

    key: str
    name: str | None = None
    vin: str | None = None
    plate: str | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    odometer_unit: str | None = None
    volume_unit: str | None = None
    tank_count: int | None = None
    tank_capacities: tuple[Decimal | None, ...] = ()
    fuel_types: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ParsedRow:
    """One record of the file: its first physical line (1-based), its vehicle and its fields."""

    line: int
    vehicle_key: str
    kind: Kind
    fields: dict[str, object]

    def json_fields(self) -> dict[str, object]:
        """The fields as JSON values (for a jsonb staging column, or PostgREST): dates and times in
        ISO 8601, Decimals as strings (exact: '3.969', never a float)."""
        out: dict[str, object] = {}
        for key, value in self.fields.items():
            if isinstance(value, date | time):
                out[key] = value.isoformat()
            elif isinstance(value, Decimal):
                out[key] = str(value)
            else:
                out[key] = value
        return out


@dataclass(frozen=True)
class Problem:
    """A value the parser could not read: line 0 is the whole file (e.g. a header)."""

    line: int
    field: str
    rule: str
    value: str


@dataclass(frozen=True)
class ParsedFile:
    format: str
    vehicles: list[VehicleRef]
    rows: list[ParsedRow]
    problems: list[Problem] = field(default_factory=list)

    def problems_of(self, line: int) -> list[Problem]:
        """The problems of one line (a row whose line has problems must not be committed as is)."""
        return [p for p in self.problems if p.line == line]
