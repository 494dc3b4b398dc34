"""One vehicle's records in LubeLogger's CSV import layout (the headers of LubeLogger's own import
samples, tests/fixtures/lubelogger): fuel, service, repair, upgrade and odometer records.

LubeLogger keeps one unit system per vehicle and numbers without units, in en-US form (M/D/YYYY
dates, a dot for decimals); a missing cost or odometer is 0 there. Soft-deleted rows are not in the
API's list views, so they are not exported; odometer resets have no LubeLogger counterpart and are
left out (the readings around them are exported)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from motovault.core.errors import MotovaultError

from .api import ApiClient

GAS_HEADER = ("Date", "Odometer", "FuelConsumed", "Cost", "IsFillToFull", "MissedFuelUp", "Notes")
SERVICE_HEADER = ("Date", "Odometer", "Description", "Notes", "Cost")
ODOMETER_HEADER = ("Date", "Odometer", "Notes")

#: file name -> header; service, repair and upgrade records share LubeLogger's service layout
FILES: dict[str, tuple[str, ...]] = {
    "gas_records.csv": GAS_HEADER,
    "service_records.csv": SERVICE_HEADER,
    "repair_records.csv": SERVICE_HEADER,
    "upgrade_records.csv": SERVICE_HEADER,
    "odometer_records.csv": ODOMETER_HEADER,
}

#: motovault maintenance type -> the LubeLogger file it goes to (anything else is a service record)
MAINTENANCE_FILE = {"repair": "repair_records.csv", "upgrade": "upgrade_records.csv"}


@dataclass(frozen=True)
class Written:
    path: Path
    rows: int


def us_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.month}/{d.day}/{d.year}"


def number(value: Any) -> str:
    """A number as LubeLogger reads it: no exponent, no trailing zeros; missing is 0."""
    if value is None:
        return "0"
    d = Decimal(str(value)).normalize()
    return format(d, "f")


def flag(value: bool) -> str:
    return "True" if value else "False"


def _one_unit(rows: list[dict[str, Any]], key: str, what: str) -> None:
    units = sorted({str(r[key]) for r in rows if r.get(key)})
    if len(units) > 1:
        raise MotovaultError(
            f"{what}: recorded in {' and '.join(units)}; LubeLogger keeps one unit per vehicle, so a mixed "
            "history cannot be written without converting it"
        )


def gas_rows(fuel_logs: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    _one_unit(fuel_logs, "volume_unit", "fuel volumes")
    _one_unit(fuel_logs, "odometer_unit", "fuel odometer readings")
    return [
        (us_date(f["filled_on"]), number(f["odometer"]), number(f["volume"]), number(f["total_cost"]),
         flag(bool(f["is_full"])), flag(bool(f["missed_previous"])), f.get("notes") or "")
        for f in fuel_logs
    ]


def service_rows(records: list[dict[str, Any]]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {name: [] for name in ("service_records.csv", *MAINTENANCE_FILE.values())}
    for m in records:
        description = m.get("description") or str(m["type"]).replace("_", " ").capitalize()
        out[MAINTENANCE_FILE.get(m["type"], "service_records.csv")].append(
            (us_date(m["completed_on"]), number(m["odometer"]), description, m.get("notes") or "", number(m["cost"]))
        )
    return out


def odometer_rows(entries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [(us_date(e["read_on"]), number(e["odometer"]), e.get("notes") or "") for e in entries]


def export_vehicle(client: ApiClient, vehicle_id: str, output: Path) -> list[Written]:
    """Writes the vehicle's records as LubeLogger CSV files into the folder output."""
    found = client.get("/vehicles", {"id": f"eq.{vehicle_id}", "select": "id,display_name,odometer_unit"})
    if not found:
        raise MotovaultError(f"--vehicle: no vehicle {vehicle_id} in this tenant (GET /vehicles lists them)")
    by_vehicle = {"vehicle_id": f"eq.{vehicle_id}"}
    fuel = client.rows("/fuel_logs", {
        **by_vehicle, "order": "filled_on,filled_time.nullsfirst,odometer,id",
        "select": "filled_on,odometer,odometer_unit,volume,volume_unit,total_cost,is_full,missed_previous,notes"})
    maintenance = client.rows("/maintenance", {
        **by_vehicle, "status": "eq.completed", "order": "completed_on,odometer.nullsfirst,id",
        "select": "completed_on,odometer,odometer_unit,type,description,notes,cost"})
    readings = client.rows("/odometer_entries", {
        **by_vehicle, "kind": "eq.reading", "order": "read_on,read_time.nullsfirst,id",
        "select": "read_on,odometer,odometer_unit,notes"})
    _one_unit(fuel + maintenance + readings, "odometer_unit", "odometer readings")
    rows = {
        "gas_records.csv": gas_rows(fuel),
        **service_rows(maintenance),
        "odometer_records.csv": odometer_rows(readings),
    }
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, header in FILES.items():
        path = output / name
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows[name])
        written.append(Written(path, len(rows[name])))
    return written
