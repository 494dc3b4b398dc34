"""vehicle_events and vehicle_timeline through PostgREST: 4xx naming the rule, nothing written, paging."""

from __future__ import annotations

from typing import Any

import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

TENANT = "e1000000-0000-4000-8000-000000000001"
OWNER = "e1000000-0000-4000-8000-0000000000a1"
VIEWER = "e1000000-0000-4000-8000-0000000000a2"
CAR = "e1000000-0000-4000-8000-0000000000c1"

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def tenant(api_db: ClonedDatabase) -> str:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name, kind) values (%s, 'API events', 'fleet')", (TENANT,))
        conn.execute("insert into app.users (id) values (%s), (%s)", (OWNER, VIEWER))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'), (%s, %s, 'viewer')",
            (TENANT, OWNER, TENANT, VIEWER),
        )
        conn.execute(
            "insert into app.vehicles (tenant_id, id, display_name, odometer_unit) values (%s, %s, 'Van', 'km')",
            (TENANT, CAR),
        )
        conn.execute(
            """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, payload)
               select %s, %s, 'odometer', timestamptz '2026-03-01' + make_interval(days => n), 100 * n,
                      '{"source":"obd"}'
               from generate_series(1, 30) as n""",
            (TENANT, CAR),
        )
    return TENANT


def count_events(api_db: ClonedDatabase) -> int:
    with api_db.connect() as conn:
        return int(one_row(conn, "select count(*) from app.vehicle_events where tenant_id = %s", (TENANT,))[0])


def test_post_event_returns_it(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    before = count_events(api_db)
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post(
            "/vehicle_events",
            json={"vehicle_id": CAR, "type": "fuel", "occurred_at": "2026-04-02T10:00:00Z",
                  "payload": {"volume": 55.2, "volume_unit": "l", "fill_type": "full", "currency": "EUR",
                              "total_cost": 92.5}},
            headers={"Prefer": "return=representation"},
        )
    assert r.status_code == 201, r.text
    assert r.json()[0]["type"] == "fuel"
    assert count_events(api_db) == before + 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "fuel", "payload": {"volume_unit": "l"}}, "payload.volume: required for fuel events"),
        (
            {"type": "fuel", "payload": {"volume": 5, "volume_unit": "l", "price": 3}},
            "payload.price: unknown key for fuel events",
        ),
        ({"type": "note", "payload": {"text": 42}}, "payload.text: must be a string"),
        ({"type": "teleport", "payload": {}}, "type: must be one of"),
        ({"type": "odometer", "payload": {}}, "vehicle_events_odometer_events_have_reading"),
        ({"type": "odometer", "odometer": -1, "payload": {}}, "vehicle_events_odometer_range"),
    ],
)
def test_invalid_event_is_400_naming_the_rule_and_writes_nothing(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str, body: dict[str, Any], message: str
) -> None:
    before = count_events(api_db)
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/vehicle_events", json={"vehicle_id": CAR, **body})
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]
    assert count_events(api_db) == before


def test_events_cannot_be_changed_or_deleted(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    before = count_events(api_db)
    with api.client(api.token(OWNER, TENANT)) as client:
        patch = client.patch("/vehicle_events?type=eq.odometer", json={"odometer": 1})
        delete = client.delete("/vehicle_events?type=eq.odometer")
    assert patch.status_code == 403, patch.text
    assert delete.status_code == 403, delete.text
    assert "permission denied" in patch.json()["message"]
    with api_db.connect() as conn:
        assert one_row(
            conn, "select count(*) from app.vehicle_events where tenant_id = %s and odometer = 1", (TENANT,)
        )[0] == 0
    assert count_events(api_db) == before


def test_viewer_cannot_add_events(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    before = count_events(api_db)
    with api.client(api.token(VIEWER, TENANT)) as client:
        r = client.post("/vehicle_events", json={"vehicle_id": CAR, "type": "note", "payload": {"text": "hi"}})
    assert r.status_code == 403, r.text
    assert r.json()["message"] == "role: viewer cannot write vehicle_events"
    assert count_events(api_db) == before


def test_correction_voids_and_second_voiding_is_409(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        newest = client.get("/rpc/vehicle_timeline", params={"vehicle_id": CAR, "limit": 1}).json()[0]
        fix = client.post(
            "/vehicle_events",
            json={
                "vehicle_id": CAR, "type": "void", "voids_event_id": newest["id"],
                "payload": {"reason": "entered twice"},
            },
        )
        assert fix.status_code == 201, fix.text
        again = client.post(
            "/vehicle_events",
            json={"vehicle_id": CAR, "type": "void", "voids_event_id": newest["id"], "payload": {"reason": "again"}},
        )
        assert again.status_code == 409, again.text
        assert "already voided" in again.json()["message"]
        ids = [e["id"] for e in client.get("/rpc/vehicle_timeline", params={"vehicle_id": CAR}).json()]
        assert newest["id"] not in ids
        everything = client.get("/rpc/vehicle_timeline", params={"vehicle_id": CAR, "include_voided": "true"}).json()
        assert [e["voided_by_event_id"] is not None for e in everything if e["id"] == newest["id"]] == [True]


def test_timeline_pages_newest_first(api: PostgrestServer, tenant: str) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        params = {"vehicle_id": CAR, "from": "2026-03-01", "to": "2026-04-01"}
        first = client.get("/rpc/vehicle_timeline", params={**params, "limit": 10})
        second = client.get("/rpc/vehicle_timeline", params={**params, "limit": 10, "offset": 10})
        assert first.status_code == 200, first.text
        times = [e["occurred_at"] for e in first.json() + second.json()]
        assert len(times) == 20
        assert times == sorted(times, reverse=True)
        last = first.json()[-1]
        keyset = client.get(
            "/rpc/vehicle_timeline",
            params={**params, "before": last["occurred_at"], "before_id": last["id"], "limit": 10},
        )
        assert [e["id"] for e in keyset.json()] == [e["id"] for e in second.json()]


def test_timeline_of_another_tenants_vehicle_is_empty(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    other_tenant, other_user = "e1000000-0000-4000-8000-000000000002", "e1000000-0000-4000-8000-0000000000b1"
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Other') on conflict do nothing", (other_tenant,))
        conn.execute("insert into app.users (id) values (%s) on conflict do nothing", (other_user,))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner') on conflict do nothing",
            (other_tenant, other_user),
        )
    with api.client(api.token(other_user, other_tenant)) as client:
        r = client.get("/rpc/vehicle_timeline", params={"vehicle_id": CAR})
    assert r.status_code == 200
    assert r.json() == []


def test_fleet_overview_and_event_months_show_only_the_active_tenant(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str
) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        fleet = client.get("/fleet_overview")
        months = client.get("/vehicle_event_months", params={"month": "eq.2026-03-01"})
    assert fleet.status_code == 200, fleet.text
    assert [row["vehicle_id"] for row in fleet.json()] == [CAR]
    assert fleet.json()[0]["last_event_at"] is not None
    assert {row["tenant_id"] for row in months.json()} == {TENANT}
    # 30 daily readings 2026-03-02 .. 2026-03-31: the newest was voided by an earlier test or not
    assert months.json()[0]["odometer_events"] in (29, 30)
