"""Soft delete, restore, purge, audit, CHECK rules and membership management through PostgREST,
reached directly and behind PgBouncer in transaction mode (api_kind)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.pooling import KINDS
from support.tenancy_world import World, seed

pytestmark = pytest.mark.api


@pytest.fixture(scope="module", params=KINDS)
def api_kind(request: pytest.FixtureRequest) -> str:
    """Every test here runs against PostgREST directly and behind PgBouncer in transaction mode."""
    return str(request.param)


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> World:
    with api_db.connect() as conn:
        return seed(conn)


def as_(api: PostgrestServer, world: World, role: str, tenant: str = "a") -> httpx.Client:
    t = getattr(world, tenant)
    return api.client(api.token(t.users[role], t.id))


def count(api_db: ClonedDatabase, sql: str, *args: object) -> int:
    with api_db.connect() as conn:
        return int(one_row(conn, sql, args)[0])


# --- soft delete, restore, purge, audit ----------------------------------------------------------


def test_delete_soft_deletes_and_restore_brings_back_with_audit(
    api: PostgrestServer, api_db: ClonedDatabase, world: World
) -> None:
    with as_(api, world, "member") as client:
        created = client.post(
            "/vehicles",
            json={"make": "Mazda", "model": "MX-5", "year": 1990},
            headers={"Prefer": "return=representation"},
        )
        assert created.status_code == 201, created.text
        vehicle = created.json()[0]
        assert vehicle["display_name"] == "1990 Mazda MX-5"
        assert vehicle["created_by"] == world.a.users["member"]
        patched = client.patch("/vehicles", params={"id": f"eq.{vehicle['id']}"}, json={"color": "red"})
        assert patched.status_code == 204
        deleted = client.delete("/vehicles", params={"id": f"eq.{vehicle['id']}"})
        assert deleted.status_code == 204
        assert client.get("/vehicles", params={"id": f"eq.{vehicle['id']}"}).json() == []
        trash = client.get("/vehicles_trash", params={"id": f"eq.{vehicle['id']}"}).json()
        assert len(trash) == 1 and trash[0]["deleted_at"]
        restored = client.post("/rpc/restore_vehicle", json={"id": vehicle["id"]})
        assert restored.status_code == 200, restored.text
        assert restored.json()[0]["color"] == "red"
        assert client.get("/vehicles_trash", params={"id": f"eq.{vehicle['id']}"}).json() == []
        again = client.post("/rpc/restore_vehicle", json={"id": vehicle["id"]})
        assert again.status_code == 404
        assert "no deleted row" in again.json()["message"]
    assert count(api_db, "select count(*) from app.vehicles where id = %s", vehicle["id"]) == 1
    with as_(api, world, "owner") as client:
        log = client.get("/audit_log", params={"row_id": f"eq.{vehicle['id']}", "order": "id"}).json()
    assert [entry["operation"] for entry in log] == ["INSERT", "UPDATE", "SOFT_DELETE", "RESTORE"]
    assert {entry["actor"] for entry in log} == {world.a.users["member"]}
    assert log[1]["old_record"]["color"] is None and log[1]["new_record"]["color"] == "red"


def test_audit_log_is_for_owners_and_admins_only(api: PostgrestServer, world: World) -> None:
    for role, sees in (("owner", True), ("admin", True), ("member", False), ("viewer", False)):
        with as_(api, world, role) as client:
            rows = client.get("/audit_log", params={"limit": "5"}).json()
        assert bool(rows) is sees, role


def test_audit_rows_cannot_be_changed_through_the_api(
    api: PostgrestServer, api_db: ClonedDatabase, world: World
) -> None:
    before = count(api_db, "select count(*) from audit.record_version")
    with as_(api, world, "owner") as client:
        some = client.get("/audit_log", params={"limit": "1"}).json()[0]
        assert client.patch(
            "/audit_log", params={"id": f"eq.{some['id']}"}, json={"operation": "INSERT"}
        ).status_code in (401, 403, 405)
        assert client.delete("/audit_log", params={"id": f"eq.{some['id']}"}).status_code in (401, 403, 405)
        assert client.post("/audit_log", json={"table_name": "x"}).status_code in (401, 403, 405)
    assert count(api_db, "select count(*) from audit.record_version") == before


def test_purge_removes_only_rows_deleted_long_ago_and_only_for_the_owner_role(
    api_db: ClonedDatabase, world: World
) -> None:
    old_id, recent_id = str(uuid.uuid4()), str(uuid.uuid4())
    with api_db.connect() as conn:
        conn.execute(
            "insert into app.garages (tenant_id, id, name, deleted_at) "
            "values (%s, %s, 'old', now() - interval '31 days'), (%s, %s, 'recent', now() - interval '29 days')",
            (world.a.id, old_id, world.a.id, recent_id),
        )
        conn.execute("set role app_user")
        with pytest.raises(Exception, match="permission denied"):
            conn.execute("select * from app.purge_deleted(30)")
        conn.execute("reset role")
        conn.execute("set role motovault_owner")
        purged: dict[str, int] = dict(conn.execute("select table_name, purged from app.purge_deleted(30)").fetchall())
        conn.execute("reset role")
        assert purged["app.garages"] == 1
        remaining = {
            r[0] for r in conn.execute("select id::text from app.garages where id in (%s, %s)", (old_id, recent_id))
        }
        assert remaining == {recent_id}
        ten: dict[str, int] = dict(conn.execute("select table_name, purged from app.purge_deleted(10)").fetchall())
        assert ten["app.garages"] == 1


# --- CHECK rules: a 4xx naming the rule, nothing written -----------------------------------------

VEHICLE_VIOLATIONS = [
    ({"vin": "1HGCM82633A00435"}, 400, "vin: 17 characters expected, found 16"),
    ({"vin": "1HGCM82633A0043I2"}, 400, "I, O and Q are never used"),
    ({"vin": "1HGCM8263$A004352"}, 400, "contains '$' at position 10"),
    ({"vin": "1HGCM82643A004352"}, 400, "position 9 should be 3, found 4"),
    ({"year": 1885}, 400, "vehicles_year_in_range"),
    ({"year": 2999}, 400, "vehicles_year_in_range"),
    ({"odometer_reading": -1}, 400, "vehicles_odometer_not_negative"),
    ({"odometer_unit": "furlongs"}, 400, "vehicles_odometer_unit_known"),
    ({"display_name": "x" * 101}, 400, "vehicles_display_name_not_blank"),
    ({"make": "x" * 101, "display_name": "ok"}, 400, "vehicles_make_length"),
    ({"license_plate": "x" * 21}, 400, "vehicles_license_plate_length"),
    ({"color": "x" * 51}, 400, "vehicles_color_length"),
    ({"vin": "1HGCM82633A004352"}, 409, "vehicles_vin_unique_live"),
]


@pytest.mark.parametrize("payload,status,rule", VEHICLE_VIOLATIONS)
def test_vehicle_rules(
    api: PostgrestServer, api_db: ClonedDatabase, world: World, payload: dict[str, Any], status: int, rule: str
) -> None:
    before = count(api_db, "select count(*) from app.vehicles")
    with as_(api, world, "owner") as client:
        response = client.post("/vehicles", json={"make": "Test", **payload})
    assert response.status_code == status, response.text
    body = response.json()
    assert rule in body["message"] + (body.get("details") or ""), body
    assert count(api_db, "select count(*) from app.vehicles") == before


def test_vin_is_normalized_and_unique_only_among_live_rows_and_per_tenant(
    api: PostgrestServer, api_db: ClonedDatabase, world: World
) -> None:
    with as_(api, world, "owner", "a") as client:
        assert client.post("/vehicles", json={"vin": "WVWZZZ1KZAW000001"}).status_code == 201
    with as_(api, world, "owner", "b") as client:
        # tenant A holds this VIN; B may hold it too
        response = client.post(
            "/vehicles", json={"vin": "  wvwzzz1kzaw000001 "}, headers={"Prefer": "return=representation"}
        )
        assert response.status_code == 201, response.text
        vehicle = response.json()[0]
        assert vehicle["vin"] == "WVWZZZ1KZAW000001"
        assert client.post("/vehicles", json={"vin": "WVWZZZ1KZAW000001"}).status_code == 409
        assert client.delete("/vehicles", params={"id": f"eq.{vehicle['id']}"}).status_code == 204
        again = client.post("/vehicles", json={"vin": "WVWZZZ1KZAW000001"})
        assert again.status_code == 201, again.text
        # the deleted twin cannot come back while the VIN is in use
        restore = client.post("/rpc/restore_vehicle", json={"id": vehicle["id"]})
        assert restore.status_code == 409
        assert "vehicles_vin_unique_live" in restore.json()["message"]


def test_non_north_american_check_digit_is_not_enforced(api: PostgrestServer, world: World) -> None:
    with as_(api, world, "owner") as client:
        response = client.post("/vehicles", json={"vin": "WVWZZZ1KZAW000009"})
    assert response.status_code == 201, response.text


def test_vehicles_may_have_no_vin_and_display_name_defaults(api: PostgrestServer, world: World) -> None:
    with as_(api, world, "owner") as client:
        response = client.post("/vehicles", json={}, headers={"Prefer": "return=representation"})
    assert response.status_code == 201
    assert response.json()[0]["display_name"] == "Vehicle"


GARAGE_VIOLATIONS = [
    ({"name": ""}, 400, "garages_name_not_blank"),
    ({"name": "Lat only", "latitude": 45}, 400, "garages_coordinates_both_or_neither"),
    ({"name": "Far north", "latitude": 91, "longitude": 0}, 400, "garages_latitude_range"),
    ({"name": "Far east", "latitude": 0, "longitude": 181}, 400, "garages_longitude_range"),
    ({"name": "Nowhere", "timezone": "Mars/Olympus_Mons"}, 400, "garages_timezone_known"),
    ({"name": "garage a"}, 409, "garages_name_unique_live"),
]


@pytest.mark.parametrize("payload,status,rule", GARAGE_VIOLATIONS)
def test_garage_rules(
    api: PostgrestServer, api_db: ClonedDatabase, world: World, payload: dict[str, Any], status: int, rule: str
) -> None:
    before = count(api_db, "select count(*) from app.garages")
    with as_(api, world, "owner") as client:
        response = client.post("/garages", json=payload)
    assert response.status_code == status, response.text
    assert rule in response.json()["message"]
    assert count(api_db, "select count(*) from app.garages") == before


def test_at_most_one_default_garage(api: PostgrestServer, api_db: ClonedDatabase, world: World) -> None:
    with as_(api, world, "owner", "b") as client:
        first = client.post(
            "/garages",
            json={
                "name": "Main", "is_default": True, "timezone": "Europe/Berlin", "latitude": 52.52, "longitude": 13.405
            },
        )
        assert first.status_code == 201, first.text
        second = client.post("/garages", json={"name": "Second", "is_default": True})
        assert second.status_code == 409
        assert "garages_one_default_per_tenant" in second.json()["message"]


# --- membership management ----------------------------------------------------------------------


def test_create_tenant_makes_the_caller_owner(api: PostgrestServer) -> None:
    user = str(uuid.uuid4())
    with api.client(api.token(user, None)) as client:
        response = client.post("/rpc/create_tenant", json={"name": "Fleet X", "kind": "fleet"})
        assert response.status_code == 200, response.text
        tenant = response.json()["tenant_id"]
        assert client.get("/my_tenants").json()[0]["role"] == "owner"
        bad = client.post("/rpc/create_tenant", json={"name": "Y", "kind": "castle"})
        assert bad.status_code == 400 and "tenants_kind_known" in bad.json()["message"]
    with api.client(api.token(user, tenant)) as client:
        assert client.get("/members").json()[0]["user_id"] == user


def test_member_management_rules(api: PostgrestServer, api_db: ClonedDatabase, world: World) -> None:
    newcomer = str(uuid.uuid4())
    with as_(api, world, "member") as client:
        refused = client.post("/rpc/add_member", json={"user_id": newcomer, "role": "viewer"})
        assert refused.status_code == 403 and "only owners and admins" in refused.json()["message"]
    with as_(api, world, "admin") as client:
        assert client.post("/rpc/add_member", json={"user_id": newcomer, "role": "owner"}).status_code == 403
        assert client.post("/rpc/add_member", json={"user_id": newcomer, "role": "chief"}).status_code == 400
        added = client.post("/rpc/add_member", json={"user_id": newcomer, "role": "viewer"})
        assert added.status_code == 200, added.text
        assert client.post("/rpc/add_member", json={"user_id": newcomer}).status_code == 409
        assert client.post("/rpc/change_member_role", json={"user_id": newcomer, "role": "member"}).status_code == 200
        assert client.post("/rpc/remove_member", json={"user_id": newcomer}).status_code == 200
    assert count(
        api_db, "select count(*) from app.memberships where user_id = %s and deleted_at is null", newcomer
    ) == 0


def test_last_owner_cannot_be_removed_or_demoted(api: PostgrestServer, api_db: ClonedDatabase, world: World) -> None:
    owner = world.a.users["owner"]
    with as_(api, world, "owner") as client:
        demote = client.post("/rpc/change_member_role", json={"user_id": owner, "role": "admin"})
        assert demote.status_code == 400 and "last owner" in demote.json()["message"]
        leave = client.post("/rpc/remove_member", json={"user_id": owner})
        assert leave.status_code == 400 and "last owner" in leave.json()["message"]
    with as_(api, world, "admin") as client:
        assert client.post("/rpc/remove_member", json={"user_id": owner}).status_code == 403
    assert count(
        api_db,
        "select count(*) from app.memberships where user_id = %s and role = 'owner' and deleted_at is null",
        owner,
    ) == 1
