"""Fuel logs, odometer, maintenance, reminders and stations through the real PostgREST.

Every rule: the violating request gets a 4xx whose JSON message names the rule (field or
constraint), and nothing is written (the table is checked afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict

import httpx
import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase


class FuelWorld(TypedDict):
    """The module's tenant: API clients of its member and viewer, of another tenant's owner, and the clone."""

    member: httpx.Client
    viewer: httpx.Client
    outsider: httpx.Client
    db: ClonedDatabase

pytestmark = pytest.mark.api

TENANT = "40000000-0000-4000-8000-000000000001"
OTHER_TENANT = "40000000-0000-4000-8000-000000000002"
OWNER = "40000000-0000-4000-8000-0000000000a1"
MEMBER = "40000000-0000-4000-8000-0000000000a2"
VIEWER = "40000000-0000-4000-8000-0000000000a3"
OUTSIDER = "40000000-0000-4000-8000-0000000000a4"
CAR = "40000000-0000-4000-8000-0000000000c1"
EV = "40000000-0000-4000-8000-0000000000c2"
OTHER_CAR = "40000000-0000-4000-8000-0000000000c9"


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase, api: PostgrestServer) -> Iterator[FuelWorld]:
    with api_db.connect() as conn:
        params = {"t": TENANT, "o": OTHER_TENANT, "owner": OWNER, "member": MEMBER, "viewer": VIEWER,
                  "outsider": OUTSIDER, "car": CAR, "ev": EV, "other_car": OTHER_CAR}
        for statement in (
            "insert into app.tenants (id, name) values (%(t)s, 'API fuel test'), (%(o)s, 'Other household')",
            "insert into app.users (id) values (%(owner)s), (%(member)s), (%(viewer)s), (%(outsider)s)",
            """insert into app.memberships (tenant_id, user_id, role)
               values (%(t)s, %(owner)s, 'owner'), (%(t)s, %(member)s, 'member'), (%(t)s, %(viewer)s, 'viewer'),
                      (%(o)s, %(outsider)s, 'owner')""",
            """insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
               values (%(t)s, %(car)s, 'Car', 'km'), (%(t)s, %(ev)s, 'EV', 'mi'),
                      (%(o)s, %(other_car)s, 'Theirs', 'km')""",
            """insert into app.stations (id, name, brand, latitude, longitude)
               values ('40000000-0000-4000-8000-0000000000e1', 'Shell Test', 'Shell', 52.52, 13.40),
                      ('40000000-0000-4000-8000-0000000000e2', 'Aral Far', 'Aral', 52.60, 13.40)""",
        ):
            conn.execute(statement, params)
    member = api.client(api.token(MEMBER, TENANT))
    viewer = api.client(api.token(VIEWER, TENANT))
    outsider = api.client(api.token(OUTSIDER, OTHER_TENANT))
    yield {"member": member, "viewer": viewer, "outsider": outsider, "db": api_db}
    for client in (member, viewer, outsider):
        client.close()


def count(api_db: ClonedDatabase, sql: str, *params: object) -> int:
    with api_db.connect() as conn:
        return int(one_row(conn, sql, params)[0])


def assert_refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    text = " ".join(str(body.get(k) or "") for k in ("message", "details", "hint"))
    for word in words:
        assert word in text, f"{word!r} not in {body}"


def post(client: httpx.Client, path: str, payload: Any, **headers: str) -> httpx.Response:
    return client.post(path, json=payload, headers={"Prefer": "return=representation", **headers})


def fill(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {"vehicle_id": CAR, "filled_on": "2024-05-01", "odometer": 10000, "volume": 40}
    row.update(kw)
    return row


# --- fuel logs -----------------------------------------------------------------------------------


def test_fill_up_computes_the_third_of_volume_price_total(world: FuelWorld) -> None:
    r = post(world["member"], "/fuel_logs", fill(price_per_unit=1.85, currency="eur"))
    assert r.status_code == 201, r.text
    row = r.json()[0]
    assert (row["total_cost"], row["currency"], row["volume_unit"], row["odometer_unit"]) == (74.0, "EUR", "l", "km")


@pytest.mark.parametrize(
    "payload, words",
    [
        (fill(filled_on="2024-05-02", odometer=10010, price_per_unit=1.5, total_cost=61.0, currency="EUR"),
         ["total_cost: 61.00 does not match volume x price_per_unit", "60.00"]),
        (fill(filled_on="2024-05-02", odometer=10010, fuel_type="kerosene"), ["fuel_logs_fuel_type_known"]),
        (fill(filled_on="2024-05-02", odometer=10010, fuel_type="electric", volume_unit="l"),
         ["fuel_logs_volume_unit_matches_fuel_type"]),
        (fill(filled_on="2024-05-02", odometer=10010, total_cost=50, currency="euro"), ["fuel_logs_currency_iso4217"]),
        (fill(filled_on="2024-05-02", odometer=10010, total_cost=50), ["fuel_logs_currency_with_cost"]),
        (fill(filled_on="2024-05-02", odometer=10010, volume=0), ["fuel_logs_volume_positive"]),
        (fill(filled_on="2024-05-02", odometer=10010, volume=None, total_cost=50, currency="EUR"),
         ["volume: required"]),
        (fill(filled_on="2024-05-02", odometer=10010, volume_unit="barrel"), ["fuel_logs_volume_unit_known"]),
        (fill(filled_on="2999-01-01", odometer=10010), ["fuel_logs_filled_on_not_future"]),
        (fill(filled_on="2024-05-02", odometer=-1), ["fuel_logs_odometer_not_negative"]),
        (fill(filled_on="2024-04-01", odometer=10500),
         ["odometer: 10500 km on 2024-04-01", "higher than 10000 km recorded later on 2024-05-01"]),
        (fill(filled_on="2024-06-01", odometer=9000),
         ["odometer: 9000 km on 2024-06-01", "lower than 10000 km recorded earlier on 2024-05-01"]),
    ],
    ids=["cost-disagrees", "fuel-type", "unit-vs-fuel", "currency", "currency-missing", "volume-zero",
         "volume-missing", "volume-unit", "future", "odometer-negative", "odometer-backdated-too-high",
         "odometer-lower"],
)
def test_fuel_log_rules_refuse_with_400_and_write_nothing(
    world: FuelWorld, payload: dict[str, Any], words: list[str]
) -> None:
    before = count(world["db"], "select count(*) from app.fuel_logs")
    r = post(world["member"], "/fuel_logs", payload)
    assert_refused(r, 400, *words)
    assert count(world["db"], "select count(*) from app.fuel_logs") == before


def test_viewer_cannot_log_a_fill_up(world: FuelWorld) -> None:
    before = count(world["db"], "select count(*) from app.fuel_logs")
    r = post(world["viewer"], "/fuel_logs", fill(filled_on="2024-05-03", odometer=10100))
    assert_refused(r, 403, "role: viewer cannot write fuel_logs")
    assert count(world["db"], "select count(*) from app.fuel_logs") == before


def test_fill_up_for_another_tenants_vehicle_is_refused(world: FuelWorld) -> None:
    before = count(world["db"], "select count(*) from app.fuel_logs")
    r = post(world["member"], "/fuel_logs", fill(vehicle_id=OTHER_CAR, filled_on="2024-05-03"))
    assert 400 <= r.status_code < 500, r.text
    assert "fuel_logs_vehicle_fk" in r.text
    assert count(world["db"], "select count(*) from app.fuel_logs") == before


def test_vehicle_odometer_follows_readings_and_cannot_be_set_by_hand(world: FuelWorld) -> None:
    client = world["member"]
    assert client.get("/vehicles", params={"id": f"eq.{CAR}"}).json()[0]["odometer_reading"] == 10000
    r = client.patch("/vehicles", params={"id": f"eq.{CAR}"}, json={"odometer_reading": 5})
    assert_refused(r, 400, "odometer_reading: maintained from the vehicle's readings")
    assert count(world["db"], "select odometer_reading from app.vehicles where id = %s", CAR) == 10000


def test_delete_moves_a_fill_up_to_the_trash_and_restore_brings_it_back(world: FuelWorld) -> None:
    client = world["member"]
    row = post(client, "/fuel_logs", fill(filled_on="2024-05-10", odometer=10300, volume=20)).json()[0]
    assert client.get("/vehicles", params={"id": f"eq.{CAR}"}).json()[0]["odometer_reading"] == 10300
    assert client.delete("/fuel_logs", params={"id": f"eq.{row['id']}"}).status_code == 204
    assert client.get("/fuel_logs", params={"id": f"eq.{row['id']}"}).json() == []
    assert [t["id"] for t in client.get("/fuel_logs_trash").json()] == [row["id"]]
    assert client.get("/vehicles", params={"id": f"eq.{CAR}"}).json()[0]["odometer_reading"] == 10000
    r = client.post("/rpc/restore_fuel_log", json={"id": row["id"]})
    assert r.status_code == 200 and r.json()[0]["id"] == row["id"]
    assert client.get("/vehicles", params={"id": f"eq.{CAR}"}).json()[0]["odometer_reading"] == 10300


def test_fuel_economy_rpc(world: FuelWorld) -> None:
    client = world["member"]
    for payload in (
        {"vehicle_id": EV, "filled_on": "2024-05-01", "odometer": 1000, "fuel_type": "electric", "volume": 30},
        {"vehicle_id": EV, "filled_on": "2024-05-05", "odometer": 1100, "fuel_type": "electric", "volume": 10,
         "is_full": False},
        {"vehicle_id": EV, "filled_on": "2024-05-09", "odometer": 1150, "fuel_type": "electric", "volume": 15},
    ):
        assert post(client, "/fuel_logs", payload).status_code == 201
    r = client.get("/rpc/fuel_economy", params={"vehicle_id": EV, "unit": "mi_per_kwh"})
    assert r.status_code == 200, r.text
    assert r.json() == [{
        "energy_kind": "electric", "economy_unit": "mi_per_kwh", "period_from": None, "period_to": None,
        "intervals": 1, "distance": 150.0, "distance_unit": "mi", "volume": 25.0, "volume_unit": "kwh",
        "economy": 6.0, "source_id": None, "source_name": None,
    }]
    r = client.get("/rpc/fuel_economy", params={"vehicle_id": EV, "unit": "parsecs"})
    assert_refused(r, 400, "unit: parsecs is not an economy unit")
    r = world["outsider"].get("/rpc/fuel_economy", params={"vehicle_id": EV})
    assert_refused(r, 404, "vehicle_id: no vehicle")


# --- odometer entries and resets --------------------------------------------------------------------


def test_reset_entry_allows_a_lower_reading(world: FuelWorld) -> None:
    client = world["member"]
    before = count(world["db"], "select count(*) from app.odometer_entries")
    r = post(client, "/odometer_entries", {"vehicle_id": CAR, "read_on": "2024-07-01", "odometer": 50})
    assert_refused(r, 400, "odometer: 50 km on 2024-07-01", "recorded earlier on 2024-05-10")
    assert count(world["db"], "select count(*) from app.odometer_entries") == before
    r = post(client, "/odometer_entries", {"vehicle_id": CAR, "kind": "reset", "read_on": "2024-06-30", "odometer": 0})
    assert r.status_code == 201, r.text
    reading = {"vehicle_id": CAR, "read_on": "2024-07-01", "odometer": 50}
    assert post(client, "/odometer_entries", reading).status_code == 201
    assert client.get("/vehicles", params={"id": f"eq.{CAR}"}).json()[0]["odometer_reading"] == 50
    sources = {r["source"] for r in client.get("/odometer_readings", params={"vehicle_id": f"eq.{CAR}"}).json()}
    assert sources == {"fuel_logs", "odometer_entries"}


# --- maintenance --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"vehicle_id": CAR, "type": "polishing", "completed_on": "2024-07-02"}, ["maintenance_type_known"]),
        ({"vehicle_id": CAR, "status": "scheduled", "type": "inspection"}, ["maintenance_scheduled_has_due"]),
        ({"vehicle_id": CAR, "type": "repair"}, ["maintenance_completed_has_date"]),
        ({"vehicle_id": CAR, "type": "repair", "completed_on": "2024-07-02", "cost": 10},
         ["maintenance_currency_with_cost"]),
        ({"vehicle_id": CAR, "status": "scheduled", "type": "oil_change", "due_on": "2025-01-01", "recur_months": 0},
         ["maintenance_recur_months_range"]),
        ({"vehicle_id": CAR, "type": "repair", "completed_on": "2024-07-03", "odometer": 10},
         ["odometer: 10 km on 2024-07-03", "lower than 50 km"]),
    ],
    ids=["type", "schedule-without-due", "record-without-date", "cost-without-currency", "recurrence", "odometer"],
)
def test_maintenance_rules_refuse_with_400_and_write_nothing(
    world: FuelWorld, payload: dict[str, Any], words: list[str]
) -> None:
    before = count(world["db"], "select count(*) from app.maintenance")
    assert_refused(post(world["member"], "/maintenance", payload), 400, *words)
    assert count(world["db"], "select count(*) from app.maintenance") == before


def test_complete_maintenance_records_it_and_schedules_the_next(world: FuelWorld) -> None:
    client = world["member"]
    item = post(client, "/maintenance", {
        "vehicle_id": CAR, "status": "scheduled", "type": "oil_change", "due_on": "2024-08-01",
        "due_odometer": 5000, "recur_months": 12, "recur_distance": 10000,
    }).json()[0]
    r = client.post("/rpc/complete_maintenance", json={
        "id": item["id"], "completed_on": "2024-07-20", "odometer": 400, "cost": 79.5, "currency": "EUR"})
    assert r.status_code == 200, r.text
    done, nxt = r.json()
    assert (done["status"], done["odometer"], done["cost"]) == ("completed", 400, 79.5)
    assert (nxt["status"], nxt["due_on"], nxt["due_odometer"], nxt["series_id"]) == (
        "scheduled", "2025-07-20", 10400, item["series_id"])
    before = count(world["db"], "select count(*) from app.maintenance")
    r = client.post("/rpc/complete_maintenance", json={"id": item["id"]})
    assert_refused(r, 409, "status: maintenance item", "already completed")
    assert count(world["db"], "select count(*) from app.maintenance") == before
    r = client.post("/rpc/complete_maintenance", json={"id": OTHER_CAR})
    assert_refused(r, 404, "id: no maintenance item")


# --- reminders ----------------------------------------------------------------------------------------


def test_reminder_dedupe_is_409_and_writes_nothing(world: FuelWorld) -> None:
    client = world["member"]
    first = post(client, "/reminders", {"vehicle_id": CAR, "title": "Registration", "category": "registration",
                                        "due_on": "2024-09-01", "recur_months": 12})
    assert first.status_code == 201, first.text
    before = count(world["db"], "select count(*) from app.reminders")
    r = post(client, "/reminders", {"vehicle_id": CAR, "title": "registration", "category": "registration",
                                    "due_on": "2024-09-15"})
    assert_refused(r, 409, "reminders_one_open_per_dedupe_key")
    assert count(world["db"], "select count(*) from app.reminders") == before


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"vehicle_id": CAR, "title": "Nothing due"}, ["reminders_due_date_odometer_or_hours"]),
        ({"vehicle_id": CAR, "title": "Odd", "due_on": "2025-01-01", "category": "horoscope"},
         ["reminders_category_known"]),
        ({"vehicle_id": CAR, "title": "Snooze", "due_on": "2025-01-01", "status": "snoozed"},
         ["reminders_snoozed_until_iff_snoozed"]),
        ({"vehicle_id": CAR, "title": "Recurs", "due_odometer": 9000, "recur_months": 6},
         ["reminders_recur_months_needs_due_on"]),
        ({"vehicle_id": CAR, "title": " ", "due_on": "2025-01-01"}, ["reminders_title_not_blank"]),
    ],
    ids=["no-due", "category", "snooze-without-date", "recurrence-needs-date", "blank-title"],
)
def test_reminder_rules_refuse_with_400_and_write_nothing(
    world: FuelWorld, payload: dict[str, Any], words: list[str]
) -> None:
    before = count(world["db"], "select count(*) from app.reminders")
    assert_refused(post(world["member"], "/reminders", payload), 400, *words)
    assert count(world["db"], "select count(*) from app.reminders") == before


def test_done_opens_next_and_urgency_is_a_computed_field(world: FuelWorld) -> None:
    client = world["member"]
    r = client.patch("/reminders", params={"title": "eq.Registration", "status": "eq.open"}, json={"status": "done"})
    assert r.status_code == 204, r.text
    rows = client.get("/reminders", params={"title": "eq.Registration", "select": "status,due_on,urgency",
                                            "order": "due_on"}).json()
    assert [(x["status"], x["due_on"]) for x in rows] == [("done", "2024-09-01"), ("open", "2025-09-01")]
    assert rows[1]["urgency"] == "past_due"  # 2025-09-01 is before today (the suite runs in 2026)
    due = client.get("/reminders_due").json()
    assert [d["title"] for d in due if d["source"] == "reminder"] == ["Registration"]
    assert due[0]["urgency"] == "past_due"


def test_tenant_settings_rules(world: FuelWorld) -> None:
    client = world["member"]
    before = count(world["db"], "select count(*) from app.tenant_settings")
    r = post(client, "/tenant_settings", {"reminder_urgent_days": 10, "reminder_very_urgent_days": 20})
    assert_refused(r, 400, "tenant_settings_very_urgent_days_within_urgent")
    assert count(world["db"], "select count(*) from app.tenant_settings") == before


# --- stations -----------------------------------------------------------------------------------------


def test_stations_near_and_read_only(world: FuelWorld) -> None:
    client = world["member"]
    r = client.get("/rpc/stations_near", params={"lat": 52.5, "lng": 13.4, "radius_km": 20, "limit": 5})
    assert r.status_code == 200, r.text
    assert [s["name"] for s in r.json()] == ["Shell Test", "Aral Far"]
    r = client.get("/rpc/stations_near", params={"lat": 52.5, "lng": 13.4, "radius_km": 1000})
    assert_refused(r, 400, "radius_km: must be more than 0 and at most 500")
    before = count(world["db"], "select count(*) from app.stations")
    r = post(client, "/stations", {"name": "Mine", "latitude": 1, "longitude": 1})
    assert r.status_code in (401, 403, 405), r.text
    assert count(world["db"], "select count(*) from app.stations") == before
    assert [s["name"] for s in client.get("/rpc/stations_search", params={"q": "aral"}).json()] == ["Aral Far"]


def test_every_new_api_object_has_a_comment(world: FuelWorld) -> None:
    with world["db"].connect() as conn:
        missing = conn.execute(
            """
            select c.relname
            from pg_class as c
            where c.relnamespace = 'api'::regnamespace
              and c.relkind = 'v'
              and c.relname ~ '^(stations|fuel_|odometer_|maintenance|reminders|tenant_settings)'
              and obj_description(c.oid, 'pg_class') is null
            union all
            select p.proname
            from pg_proc as p
            where p.pronamespace = 'api'::regnamespace
              and p.proname ~ '(station|fuel|odometer|maintenance|reminder|tenant_settings|urgency|projected)'
              and obj_description(p.oid, 'pg_proc') is null
            """
        ).fetchall()
    assert missing == []
