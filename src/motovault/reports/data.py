"""What a report shows, read from the api views as the tenant (the numbers are the views' numbers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..core.errors import MotovaultError

Row = dict[str, Any]


@dataclass
class VehicleReport:
    vehicle: Row
    economy: list[Row] = field(default_factory=list)
    tco_months: list[Row] = field(default_factory=list)
    tco_years: list[Row] = field(default_factory=list)
    energy: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    reminders: list[Row] = field(default_factory=list)


@dataclass
class FleetReport:
    tenant: Row
    months: list[Row] = field(default_factory=list)
    vehicles: list[Row] = field(default_factory=list)


def _rows(conn: psycopg.Connection[Any], sql: str, *params: object) -> list[Row]:
    cur = conn.execute(sql, params)
    names = [c.name for c in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def act_as_tenant(conn: psycopg.Connection[Any], tenant_id: str) -> None:
    """The api views read the active tenant from the request claims; the owner role reads every row."""
    conn.execute("select set_config('request.jwt.claims', %s, false)", (json.dumps({"tenant_id": tenant_id}),))


def vehicle_report(conn: psycopg.Connection[Any], vehicle_id: str) -> VehicleReport:
    found = _rows(conn, "select tenant_id::text as tenant_id, display_name, make, model, year, odometer_reading, "
                        "odometer_unit from app.vehicles where id = %s and deleted_at is null", vehicle_id)
    if not found:
        raise MotovaultError(f"no vehicle {vehicle_id}")
    vehicle = found[0]
    act_as_tenant(conn, vehicle["tenant_id"])
    return VehicleReport(
        vehicle=vehicle,
        economy=[r for r in _rows(conn, "select * from api.fuel_economy_intervals(%s, 'l_per_100km') "
                                        "union all select * from api.fuel_economy_intervals(%s, 'kwh_per_100km')",
                                  vehicle_id, vehicle_id) if r["economy"] is not None],
        tco_months=_rows(conn, "select * from api.vehicle_tco_months where vehicle_id = %s order by month", vehicle_id),
        tco_years=_rows(conn, "select * from api.vehicle_tco_years where vehicle_id = %s order by year", vehicle_id),
        energy=_rows(conn, "select * from api.vehicle_energy(%s)", vehicle_id),
        services=_rows(conn, "select completed_on, odometer, odometer_unit, type, description, cost, currency "
                             "from api.maintenance where vehicle_id = %s and status = 'completed' "
                             "order by completed_on", vehicle_id),
        reminders=_rows(conn, "select title, category, due_on, due_odometer, odometer_unit from api.reminders "
                              "where vehicle_id = %s and status = 'open' order by due_on nulls last", vehicle_id),
    )


def fleet_report(conn: psycopg.Connection[Any], tenant_id: str) -> FleetReport:
    found = _rows(conn, "select id::text as id, name from app.tenants where id = %s", tenant_id)
    if not found:
        raise MotovaultError(f"no tenant {tenant_id}")
    act_as_tenant(conn, tenant_id)
    return FleetReport(
        tenant=found[0],
        months=_rows(conn, "select * from api.fleet_tco_months where tenant_id = %s order by month", tenant_id),
        vehicles=_rows(conn, "select v.display_name, y.* from api.vehicle_tco_years as y "
                             "join app.vehicles as v on v.tenant_id = y.tenant_id and v.id = y.vehicle_id "
                             "where y.tenant_id = %s order by v.display_name, y.year", tenant_id),
    )
