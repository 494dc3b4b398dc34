"""A parsed file as the rows and vehicles app.import_stage takes (JSON-ready dicts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from ..imports.model import ParsedFile, VehicleRef


def json_value(value: object) -> Any:
    """A field value for jsonb: dates and times in ISO form, decimals as exact strings."""
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _vehicle(ref: VehicleRef, filename: str) -> dict[str, Any]:
    name = ref.name
    if not (name or ref.vin or ref.plate):
        # a file that names no vehicle (LubeLogger, Spritmonitor): the file's name, which the user confirms
        name = PurePath(filename).stem[:100] or ref.key
    details: dict[str, Any] = {
        k: json_value(getattr(ref, k))
        for k in ("make", "model", "year", "odometer_unit", "volume_unit", "tank_count")
        if getattr(ref, k, None) is not None
    }
    # per tank (Fuelio's Tank1Type, Tank2Capacity, ...): the energy sources a fill-up's tank_number names
    if any(t is not None for t in ref.fuel_types):
        details["fuel_types"] = list(ref.fuel_types)
    if any(c is not None for c in ref.tank_capacities):
        details["tank_capacities"] = [json_value(c) for c in ref.tank_capacities]
    return {"key": ref.key, "name": name, "vin": ref.vin, "plate": ref.plate, "details": details}


def staged(parsed: ParsedFile, filename: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(vehicles, rows) for app.import_stage. Fields the file does not give (None) are left out, so the
    table's defaults apply as for a row typed by hand; the problems of a line go with its row, and
    problems of lines without a row (line 0: the whole file) become rows of their own."""
    problems: dict[int, list[dict[str, str]]] = {}
    for p in parsed.problems:
        problems.setdefault(p.line, []).append({"field": p.field, "rule": p.rule, "value": p.value})
    vehicles = [_vehicle(v, filename) for v in parsed.vehicles]
    keys = {v["key"] for v in vehicles}
    rows: list[dict[str, Any]] = []
    lines_with_rows: set[int] = set()
    for r in parsed.rows:
        if r.vehicle_key not in keys:
            keys.add(r.vehicle_key)
            vehicles.append(_vehicle(VehicleRef(r.vehicle_key, name=r.vehicle_key), filename))
        lines_with_rows.add(r.line)
        rows.append({
            "line": r.line,
            "vehicle_key": r.vehicle_key,
            "kind": r.kind,
            "fields": {k: v for k, v in r.json_fields().items() if v is not None},
            "problems": problems.get(r.line),
        })
    for line, found in sorted(problems.items()):
        if line not in lines_with_rows:
            rows.append({"line": line, "vehicle_key": None, "kind": None, "fields": {}, "problems": found})
    return vehicles, rows
