"""JWTs PostgREST must refuse: no data ever comes back."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.tenancy_world import World, seed

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> World:
    with api_db.connect() as conn:
        return seed(conn)


def _get(api: PostgrestServer, token: str) -> httpx.Response:
    with api.client(token) as client:
        return client.get("/vehicles")


def _claims(world: World, **overrides: object) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "role": "app_user", "sub": world.a.users["owner"], "tenant_id": world.a.id, "iat": now, "exp": now + 600
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_valid_token_reads_its_tenant(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world)))
    assert response.status_code == 200 and len(response.json()) == len(world.a.vehicle_ids)


def test_wrong_signature_is_401(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world), secret="x" * 48))
    assert response.status_code == 401
    assert "vehicles" not in response.text and world.a.id not in response.text


def test_expired_token_is_401(api: PostgrestServer, world: World) -> None:
    now = int(time.time())
    response = _get(api, api.raw_token(_claims(world, iat=now - 7200, exp=now - 3600)))
    assert response.status_code == 401
    assert "expired" in response.json()["message"].lower()


@pytest.mark.parametrize("role", ["motovault_owner", "postgres", "authenticator", "analyst", "vin_worker"])
def test_role_claim_naming_a_privileged_role_is_refused(api: PostgrestServer, world: World, role: str) -> None:
    response = _get(api, api.raw_token(_claims(world, role=role)))
    assert response.status_code in (401, 403)
    assert not any(vehicle_id in response.text for vehicle_id in world.a.vehicle_ids)


def test_missing_sub_is_401(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world, sub=None)))
    assert response.status_code == 401
    assert "sub" in response.json()["message"]


def test_sub_that_is_not_a_uuid_is_401(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world, sub="alice")))
    assert response.status_code == 401


def test_tenant_claim_that_is_not_a_uuid_is_403(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world, tenant_id="acme")))
    assert response.status_code == 403
    assert "tenant_id" in response.json()["message"]


def test_tenant_claim_of_the_wrong_type_is_403(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world, tenant_id=12)))
    assert response.status_code == 403


def test_malformed_json_claims_are_401(api: PostgrestServer, world: World) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"role": "app_user", "sub": ').rstrip(b"=").decode()
    import hashlib
    import hmac

    signing_input = f"{header}.{payload}"
    signature = hmac.new(api.settings.jwt_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    response = _get(api, token)
    assert response.status_code == 401


def test_no_token_is_anon_and_sees_no_table(api: PostgrestServer, world: World) -> None:
    with api.client() as client:
        response = client.get("/vehicles")
        assert response.status_code == 401
        assert client.get("/").status_code == 200


def test_token_without_tenant_sees_no_tenant_rows(api: PostgrestServer, world: World) -> None:
    response = _get(api, api.raw_token(_claims(world, tenant_id=None)))
    assert response.status_code == 200
    assert response.json() == []
