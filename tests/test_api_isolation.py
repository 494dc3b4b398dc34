"""Tenant isolation through the real PostgREST, for every endpoint in its OpenAPI document; PostgREST
reached directly and behind PgBouncer in transaction mode (api_kind).

The endpoint list comes from the OpenAPI document itself, so a new table or RPC is covered
without touching this file. Two tenants, each with owner/admin/member/viewer, and an outsider.
"""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def spec(api: PostgrestServer, world: World) -> dict[str, Any]:
    with api.client(api.token(world.a.users["owner"], world.a.id)) as client:
        response = client.get("/")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def table_paths(spec: dict[str, Any]) -> list[str]:
    return sorted(p for p in spec["paths"] if p != "/" and not p.startswith("/rpc/"))


def rpc_paths(spec: dict[str, Any]) -> list[str]:
    return sorted(p for p in spec["paths"] if p.startswith("/rpc/"))


def columns(spec: dict[str, Any], path: str) -> set[str]:
    definition = spec["definitions"].get(path.strip("/"), {})
    return set(definition.get("properties", {}))


def client_for(api: PostgrestServer, world: World, who: str, tenant: str = "a") -> httpx.Client:
    t = getattr(world, tenant)
    if who == "outsider":
        return api.client(api.token(world.outsider, t.id))
    return api.client(api.token(t.users[who], t.id))


def test_openapi_lists_the_tenant_endpoints(spec: dict[str, Any]) -> None:
    paths = table_paths(spec)
    for expected in (
        "/vehicles", "/garages", "/vehicles_trash", "/garages_trash", "/my_tenants", "/members", "/audit_log"
    ):
        assert expected in paths
    assert "/rpc/restore_vehicle" in rpc_paths(spec)


def test_every_readable_endpoint_returns_only_the_callers_tenant(
    api: PostgrestServer, spec: dict[str, Any], world: World
) -> None:
    with client_for(api, world, "owner") as client:
        for path in table_paths(spec):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            rows = response.json()
            if "tenant_id" in columns(spec, path):
                assert {r["tenant_id"] for r in rows} <= {world.a.id}, path
            ids_b = set(world.b.vehicle_ids) | {world.b.garage_id}
            assert not ({r.get("id") for r in rows} & ids_b), path


def test_filters_on_another_tenant_find_nothing(api: PostgrestServer, spec: dict[str, Any], world: World) -> None:
    with client_for(api, world, "owner") as client:
        for path in table_paths(spec):
            if "tenant_id" not in columns(spec, path):
                continue
            response = client.get(path, params={"tenant_id": f"eq.{world.b.id}"})
            assert response.status_code == 200 and response.json() == [], path
            head = client.head(path, params={"tenant_id": f"eq.{world.b.id}"}, headers={"Prefer": "count=exact"})
            assert head.headers["content-range"].endswith("/0"), path


def test_exact_counts_count_only_the_callers_rows(api: PostgrestServer, world: World) -> None:
    with client_for(api, world, "owner") as client:
        response = client.head("/vehicles", headers={"Prefer": "count=exact"})
        assert response.headers["content-range"] == f"0-{len(world.a.vehicle_ids) - 1}/{len(world.a.vehicle_ids)}"
        response = client.get("/vehicles", params={"select": "id", "id": f"in.({','.join(world.b.vehicle_ids)})"})
        assert response.json() == []


def test_embedding_does_not_cross_tenants(api: PostgrestServer, world: World) -> None:
    with client_for(api, world, "owner") as client:
        response = client.get("/garages", params={"select": "id,tenant_id,vehicles(id,tenant_id)"})
    assert response.status_code == 200, response.text
    for garage in response.json():
        assert garage["tenant_id"] == world.a.id
        assert {v["tenant_id"] for v in garage["vehicles"]} <= {world.a.id}


def test_updates_and_deletes_never_reach_another_tenant(
    api: PostgrestServer, api_db: ClonedDatabase, spec: dict[str, Any], world: World
) -> None:
    with client_for(api, world, "owner") as client:
        for path in table_paths(spec):
            props = spec["definitions"].get(path.strip("/"), {}).get("properties", {})
            if props.get("id", {}).get("format") != "uuid":
                continue
            for other_id in world.b.vehicle_ids + [world.b.garage_id]:
                patch = client.patch(path, params={"id": f"eq.{other_id}"}, json={"notes": "hijacked"})
                assert patch.status_code in (204, 400, 401, 403, 404, 405), (path, patch.text)
                delete = client.delete(path, params={"id": f"eq.{other_id}"})
                assert delete.status_code in (204, 401, 403, 404, 405), (path, delete.text)
    with api_db.connect() as conn:
        live = one_row(
            conn,
            "select count(*) from app.vehicles where tenant_id = %s and deleted_at is null and notes is null",
            (world.b.id,),
        )[0]
        garages = one_row(
            conn, "select count(*) from app.garages where tenant_id = %s and deleted_at is null", (world.b.id,)
        )[0]
    assert live == len(world.b.vehicle_ids)
    assert garages == 1


def test_rpcs_cannot_touch_another_tenants_rows(
    api: PostgrestServer, api_db: ClonedDatabase, spec: dict[str, Any], world: World
) -> None:
    with api_db.connect() as conn:
        conn.execute("update app.vehicles set deleted_at = now() where id = %s", (world.b.vehicle_ids[0],))
        conn.execute("update app.garages set deleted_at = now() where id = %s", (world.b.garage_id,))
    try:
        with client_for(api, world, "owner") as client:
            for path in rpc_paths(spec):
                params = spec["paths"][path]["post"]["parameters"][0]["schema"]
                props = params.get("properties", {})
                body = {}
                for name, prop in props.items():
                    if name in ("id",):
                        body[name] = world.b.vehicle_ids[0] if "vehicle" in path else world.b.garage_id
                    elif name == "user_id":
                        body[name] = world.b.users["member"]
                    elif name == "role":
                        body[name] = "viewer"
                    elif prop.get("format") == "uuid":
                        body[name] = world.b.vehicle_ids[0]
                    elif name == "name":
                        body[name] = "x"
                if path == "/rpc/create_tenant":
                    continue  # creates a new tenant: nothing of B's is touched (tested below)
                response = client.post(path, json=body)
                assert response.status_code < 500, (path, response.text)
                assert world.b.id not in response.text, (path, response.text)
                if path.startswith("/rpc/restore_"):
                    # B's deleted rows are not visible to A, so there is nothing to restore
                    assert response.status_code == 404, (path, response.text)
                # membership RPCs act on the caller's tenant (users are shared); B's memberships stay as they were
        with api_db.connect() as conn:
            assert one_row(
                conn, "select deleted_at is not null from app.vehicles where id = %s", (world.b.vehicle_ids[0],)
            )[0]
            assert one_row(
                conn, "select count(*) from app.memberships where tenant_id = %s and deleted_at is null", (world.b.id,)
            )[0] == 4
            roles: dict[str, str] = dict(conn.execute(
                "select role, user_id::text from app.memberships where tenant_id = %s", (world.b.id,)
            ).fetchall())
            assert roles == {role: uid for role, uid in world.b.users.items()}
    finally:
        with api_db.connect() as conn:
            conn.execute("update app.vehicles set deleted_at = null where id = %s", (world.b.vehicle_ids[0],))
            conn.execute("update app.garages set deleted_at = null where id = %s", (world.b.garage_id,))


def test_payload_naming_another_tenant_is_refused(api: PostgrestServer, api_db: ClonedDatabase, world: World) -> None:
    with client_for(api, world, "owner") as client:
        response = client.post("/vehicles", json={"tenant_id": world.b.id, "make": "Sneaky"})
        assert response.status_code == 403
        assert "tenant_id" in response.json()["message"]
        response = client.post("/vehicles", json={"make": "Sneaky", "garage_id": world.b.garage_id})
        assert response.status_code == 409
        assert "vehicles_garage_fk" in response.json()["message"]
        response = client.patch(
            "/vehicles", params={"id": f"eq.{world.a.vehicle_ids[0]}"}, json={"tenant_id": world.b.id}
        )
        assert response.status_code == 403
    with api_db.connect() as conn:
        assert one_row(conn, "select count(*) from app.vehicles where make = 'Sneaky'")[0] == 0
        assert one_row(
            conn, "select tenant_id::text from app.vehicles where id = %s", (world.a.vehicle_ids[0],)
        )[0] == world.a.id


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_viewer_cannot_write_any_endpoint(
    api: PostgrestServer, api_db: ClonedDatabase, spec: dict[str, Any], world: World, method: str
) -> None:
    with api_db.connect() as conn:
        before = conn.execute(
            "select (select count(*) from app.vehicles where deleted_at is null),"
            " (select max(updated_at) from app.vehicles),"
            " (select count(*) from app.garages where deleted_at is null),"
            " (select max(updated_at) from app.garages)"
        ).fetchone()
    with client_for(api, world, "viewer") as client:
        for path in table_paths(spec):
            methods = {m.upper() for m in spec["paths"][path]}
            if method not in methods:
                continue
            params = None
            if method != "POST":
                rows = client.get(path, params={"limit": "1"}).json()
                if not rows or "id" not in rows[0]:
                    continue
                params = {"id": f"eq.{rows[0]['id']}"}
            body = {"display_name": "viewer was here", "name": "viewer was here"} if method != "DELETE" else None
            response = client.request(method, path, params=params, json=body)
            assert response.status_code in (400, 403), (path, response.status_code, response.text)
    with api_db.connect() as conn:
        after = conn.execute(
            "select (select count(*) from app.vehicles where deleted_at is null),"
            " (select max(updated_at) from app.vehicles),"
            " (select count(*) from app.garages where deleted_at is null),"
            " (select max(updated_at) from app.garages)"
        ).fetchone()
        assert after == before


def test_outsider_naming_a_tenant_gets_403_everywhere(api: PostgrestServer, spec: dict[str, Any], world: World) -> None:
    with client_for(api, world, "outsider") as client:
        for path in table_paths(spec):
            response = client.get(path)
            assert response.status_code == 403, path
            assert "not a member" in response.json()["message"]
        for path in rpc_paths(spec):
            schema = spec["paths"][path]["post"]["parameters"][0]["schema"]
            body = {
                name: (world.a.vehicle_ids[0] if prop.get("format") == "uuid" else "member")
                for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])
            }
            response = client.post(path, json=body)
            assert response.status_code == 403, (path, response.text)


def test_member_of_b_cannot_use_a_token_for_a(api: PostgrestServer, world: World) -> None:
    token = api.token(world.b.users["owner"], world.a.id)
    with api.client(token) as client:
        assert client.get("/vehicles").status_code == 403


def test_my_tenants_lists_only_the_callers_memberships(api: PostgrestServer, world: World) -> None:
    with api.client(api.token(world.a.users["member"], None)) as client:
        response = client.get("/my_tenants")
    assert response.status_code == 200
    assert [(r["tenant_id"], r["role"]) for r in response.json()] == [(world.a.id, "member")]
