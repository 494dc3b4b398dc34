"""Hour readings and the mileage log through PostgREST: a bad row in a batch is a 400 naming it and
writes nothing; a closed log answers 409 to a change; the log exports as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

TENANT = "e3000000-0000-4000-8000-000000000001"
OWNER = "e3000000-0000-4000-8000-0000000000a1"
CAR = "e3000000-0000-4000-8000-0000000000c1"
RETURN_ROWS = {"Prefer": "return=representation"}

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def tenant(api_db: ClonedDatabase) -> str:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Meters')", (TENANT,))
        conn.execute("insert into app.users (id) values (%s)", (OWNER,))
        conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')", (TENANT, OWNER))
        conn.execute("insert into app.vehicles (tenant_id, id, display_name) values (%s, %s, 'Van')", (TENANT, CAR))
    return TENANT


def count(api_db: ClonedDatabase, table: str) -> int:
    with api_db.connect() as conn:
        return int(one_row(conn, f"select count(*) from app.{table} where tenant_id = %s", (TENANT,))[0])


def day(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def test_an_hour_batch_with_a_bad_row_is_400_naming_it_and_writes_nothing(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    rows = [{"vehicle_id": CAR, "read_at": f"{day(n)}T08:00", "hours": h} for n, h in ((9, 100), (8, 90), (7, 120))]
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/hour_readings", json=rows)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["message"].startswith(f"hours: 90.0 h on {day(8)} 08:00:00")
        assert "100.0 h recorded earlier" in body["message"]
        assert count(api_db, "hour_readings") == 0
        rows[1]["hours"] = 110
        assert client.post("/hour_readings", json=rows).status_code == 201
    assert count(api_db, "hour_readings") == 3


def test_a_service_whose_hours_contradict_the_readings_is_400_naming_both(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    # after the first test: 100 h, 110 h, 120 h nine, eight and seven days ago
    service = {"vehicle_id": CAR, "status": "completed", "type": "oil_change", "completed_on": day(8), "hours": 125}
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/maintenance", json=service)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["message"].startswith(f"hours: 125.0 h on {day(8)} 00:00:00 (maintenance ")
        assert f"is higher than 110.0 h recorded later on {day(8)} 08:00:00 (hour_readings " in body["message"]
        assert "hour_meter" in body["hint"]
        assert count(api_db, "maintenance") == 0
        service["hours"] = 101
        assert client.post("/maintenance", json=service).status_code == 201
        r = client.post("/hour_readings", json={"vehicle_id": CAR, "read_at": f"{day(8)}T04:00", "hours": 100.5})
        assert r.status_code == 400, r.text
        assert "lower than 101.0 h recorded earlier" in r.json()["message"]
    assert count(api_db, "maintenance") == 1
    assert count(api_db, "hour_readings") == 3


def test_complete_maintenance_takes_the_hours_and_rolls_an_hour_schedule_forward(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    # after the tests above: readings up to 120 h seven days ago, a service at 101 h
    schedule = {"vehicle_id": CAR, "status": "scheduled", "type": "air_filter", "due_hours": 150, "recur_hours": 250}
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/maintenance", json=schedule, headers=RETURN_ROWS)
        assert r.status_code == 201, r.text
        item = r.json()[0]["id"]
        r = client.post("/rpc/complete_maintenance", json={"id": item, "hours": 115})
        assert r.status_code == 400, r.text
        assert "is lower than 120.0 h recorded earlier" in r.json()["message"]
        r = client.get("/maintenance", params={"id": f"eq.{item}", "select": "status,hours"})
        assert r.json() == [{"status": "scheduled", "hours": None}]
        r = client.post("/rpc/complete_maintenance", json={"id": item, "hours": 130})
        assert r.status_code == 200, r.text
        rows = {row["status"]: row for row in r.json()}
        assert rows["completed"]["hours"] == 130.0 and rows["completed"]["hour_meter"] == "engine"
        assert rows["scheduled"]["due_hours"] == 380.0 and rows["scheduled"]["previous_id"] == item


def trip(n: int, start: int, end: int, purpose: str = "business") -> dict[str, object]:
    return {"vehicle_id": CAR, "started_at": f"{day(n)}T08:00", "ended_at": f"{day(n)}T09:00",
            "start_odometer": start, "end_odometer": end, "purpose": purpose, "driver": "Ann"}


def test_a_closed_log_answers_409_and_exports_with_its_counter_entry(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/trips", json=[trip(20, 0, 30), trip(19, 30, 45, "personal")], headers=RETURN_ROWS)
        assert r.status_code == 201, r.text
        first = r.json()[0]["id"]
        closed = client.post("/rpc/close_trip_log", json={"vehicle_id": CAR, "through": day(15)})
        assert closed.status_code == 200, closed.text
        before = count(api_db, "trips")
        change = client.patch("/trips", params={"id": f"eq.{first}"}, json={"driver": "Eve"})
        assert change.status_code == 409, change.text
        assert change.json()["message"].startswith(f"id: entry {first}")
        assert client.delete("/trips", params={"id": f"eq.{first}"}).status_code == 409
        assert count(api_db, "trips") == before
        assert client.post("/rpc/reverse_trip", json={"id": first}).status_code == 200
        export = client.get("/trip_log", params={"vehicle_id": f"eq.{CAR}", "order": "line_no"},
                            headers={"Accept": "text/csv"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert [(x["line_no"], x["kind"], x["distance"], x["closed"]) for x in lines] == [
        ("1", "trip", "30", "t"), ("2", "trip", "15", "t"), ("3", "reversal", "-30", "f")]
    assert lines[2]["reverses_id"] == first
