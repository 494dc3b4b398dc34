"""API keys, invitations, outside OpenID Connect tokens and signing-key rotation, through PostgREST,
with their attacks: a read-only key writing, revoked and expired keys, a reused or revoked invitation,
a token of an outside issuer for the wrong audience, and rotation signing nobody out."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from motovault import cli
from motovault.core import keys
from motovault.core.db import one_row
from motovault.core.jwt import sign_bytes
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

pytestmark = pytest.mark.api

PASSWORD = "correct horse battery"


def email() -> str:
    return f"k{uuid.uuid4().hex[:12]}@example.org"


def rpc(api: Any, name: str, body: dict[str, Any] | None = None, token: str | None = None, **headers: str) -> Any:
    with api.client(token) as client:
        return client.post(f"/rpc/{name}", json=body or {}, headers=headers)


def account(api: Any, tenant: bool = True) -> tuple[str, dict[str, Any]]:
    address = email()
    assert rpc(api, "sign_up", {"email": address, "password": PASSWORD}).status_code == 200
    tokens = rpc(api, "sign_in", {"email": address, "password": PASSWORD}).json()
    if tenant:
        tenant_id = rpc(api, "create_tenant", {"name": "Garage"}, tokens["access_token"]).json()["tenant_id"]
        tokens = rpc(api, "refresh", {"refresh_token": tokens["refresh_token"], "tenant_id": tenant_id}).json()
    return address, tokens


def get(api: Any, token: str, path: str = "/vehicles", **headers: str) -> Any:
    with api.client(token) as client:
        return client.get(path, headers=headers)


def post_vehicle(api: Any, token: str) -> Any:
    with api.client(token) as client:
        return client.post("/vehicles", json={"make": "Volvo", "model": "V70", "year": 2008})


# API keys -----------------------------------------------------------------------------------------


def test_an_api_key_is_shown_once_stored_hashed_and_listed_without_its_secret(
    api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    _, owner = account(api)
    made = rpc(api, "create_api_key", {"name": "Home Assistant"}, owner["access_token"])
    assert made.status_code == 200, made.text
    key = made.json()["key"]
    assert key.startswith("mvk_" + made.json()["prefix"] + "_") and len(key) > 40
    listed = get(api, owner["access_token"], "/rpc/api_keys").json()
    assert [k["prefix"] for k in listed] == [made.json()["prefix"]]
    assert key not in json.dumps(listed) and key.split("_")[-1] not in json.dumps(listed)
    with api_db.connect() as conn:
        row = conn.execute(
            "select secret_hash = auth_private.token_hash(%s), position(convert_to(%s, 'UTF8') in secret_hash)"
            " from auth_private.api_keys where prefix = %s",
            (key, key.split("_")[-1], made.json()["prefix"]),
        ).fetchone()
    assert row == (True, 0)


def test_a_read_key_reads_but_cannot_write_anything(api: PostgrestServer) -> None:
    _, owner = account(api)
    assert post_vehicle(api, owner["access_token"]).status_code == 201
    key = rpc(api, "create_api_key", {"name": "dashboard", "scope": "read"}, owner["access_token"]).json()["key"]
    exchanged = rpc(api, "exchange_api_key", {"key": key})
    assert exchanged.status_code == 200 and exchanged.json()["scope"] == "read"
    token = exchanged.json()["access_token"]
    assert len(get(api, token).json()) == 1

    refused = post_vehicle(api, token)
    assert refused.status_code == 403, refused.text
    with api.client(token) as client:
        vehicle_id = get(api, token).json()[0]["id"]
        assert client.patch(f"/vehicles?id=eq.{vehicle_id}", json={"color": "red"}).status_code == 403
        assert client.delete(f"/vehicles?id=eq.{vehicle_id}").status_code == 403
    assert rpc(api, "create_tenant", {"name": "Sneaky"}, token).status_code == 403
    assert rpc(api, "create_api_key", {"name": "more"}, token).status_code == 403
    assert rpc(api, "invite_member", {"email": email()}, token).status_code == 403
    # nothing changed
    assert len(get(api, owner["access_token"]).json()) == 1


def test_a_write_key_writes_and_updates_last_used(api: PostgrestServer) -> None:
    _, owner = account(api)
    made = rpc(api, "create_api_key", {"name": "importer", "scope": "write"}, owner["access_token"]).json()
    token = rpc(api, "exchange_api_key", {"key": made["key"]}).json()["access_token"]
    assert post_vehicle(api, token).status_code == 201
    [listed] = get(api, owner["access_token"], "/rpc/api_keys").json()
    assert listed["last_used_at"] is not None


def test_a_revoked_key_stops_at_once_and_cannot_be_exchanged(api: PostgrestServer) -> None:
    _, owner = account(api)
    made = rpc(api, "create_api_key", {"name": "old phone"}, owner["access_token"]).json()
    token = rpc(api, "exchange_api_key", {"key": made["key"]}).json()["access_token"]
    assert get(api, token).status_code == 200
    assert rpc(api, "revoke_api_key", {"id": made["id"]}, owner["access_token"]).status_code in (200, 204)
    after = get(api, token)
    assert after.status_code == 401 and "key" in after.json()["message"]
    again = rpc(api, "exchange_api_key", {"key": made["key"]})
    assert again.status_code == 401
    assert again.json()["message"] == "key: unknown, revoked or expired"


def test_an_expired_key_stops_and_a_past_expiry_is_refused(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    past = rpc(api, "create_api_key", {"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, owner["access_token"])
    assert past.status_code == 400 and past.json()["message"].startswith("expires_at:")
    made = rpc(
        api, "create_api_key", {"name": "ci", "expires_at": "2999-01-01T00:00:00Z"}, owner["access_token"]
    ).json()
    token = rpc(api, "exchange_api_key", {"key": made["key"]}).json()["access_token"]
    with api_db.connect() as conn:
        conn.execute("update auth_private.api_keys set created_at = now() - interval '1 day',"
                     " expires_at = now() - interval '1 second' where id = %s", (made["id"],))
    assert get(api, token).status_code == 401
    assert rpc(api, "exchange_api_key", {"key": made["key"]}).status_code == 401


def test_a_wrong_or_malformed_key_is_401_alike(api: PostgrestServer) -> None:
    _, owner = account(api)
    key = rpc(api, "create_api_key", {"name": "x"}, owner["access_token"]).json()["key"]
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    answers = [rpc(api, "exchange_api_key", {"key": k}) for k in (tampered, "mvk_nothing", "")]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.text for a in answers}) == 1


def test_a_viewer_makes_read_keys_only(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    viewer_address, viewer = account(api, tenant=False)
    invited = rpc(api, "invite_member", {"email": viewer_address, "role": "viewer"}, owner["access_token"])
    assert invited.status_code == 200, invited.text
    token = mail(api_db, "invitation", viewer_address)[-1]["token"]
    assert rpc(api, "accept_invitation", {"token": token}, viewer["access_token"]).status_code == 200
    viewer = rpc(api, "refresh", {"refresh_token": viewer["refresh_token"], "tenant_id": owner["tenant_id"]}).json()
    refused = rpc(api, "create_api_key", {"name": "x", "scope": "write"}, viewer["access_token"])
    assert refused.status_code == 403 and refused.json()["message"].startswith("scope:")


# invitations ----------------------------------------------------------------------------------------


def mail(api_db: Any, kind: str, recipient: str) -> list[dict[str, Any]]:
    with api_db.connect() as conn:
        rows = conn.execute(
            "select payload from auth_private.mail_outbox where kind = %s and recipient = %s order by id",
            (kind, recipient.lower()),
        ).fetchall()
    return [row[0] for row in rows]


def test_invite_accept_and_the_token_works_once(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    partner_address, partner = account(api, tenant=False)
    invited = rpc(api, "invite_member", {"email": partner_address, "role": "member"}, owner["access_token"])
    assert invited.status_code == 200 and "token" not in invited.json()
    pending = get(api, owner["access_token"], "/invitations").json()
    assert [(p["email"], p["role"]) for p in pending] == [(partner_address, "member")]

    token = mail(api_db, "invitation", partner_address)[-1]["token"]
    accepted = rpc(api, "accept_invitation", {"token": token}, partner["access_token"])
    assert accepted.status_code == 200, accepted.text
    assert get(api, owner["access_token"], "/invitations").json() == []
    in_tenant = rpc(api, "refresh", {"refresh_token": partner["refresh_token"], "tenant_id": owner["tenant_id"]})
    assert in_tenant.status_code == 200
    assert post_vehicle(api, in_tenant.json()["access_token"]).status_code == 201

    _, thief = account(api, tenant=False)
    reused = rpc(api, "accept_invitation", {"token": token}, thief["access_token"])
    assert reused.status_code == 400 and reused.json()["message"].startswith("token:")
    stolen = {"refresh_token": thief["refresh_token"], "tenant_id": owner["tenant_id"]}
    assert rpc(api, "refresh", stolen).status_code == 403


def test_a_revoked_or_expired_invitation_does_nothing(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    revoked_address, revoked_user = account(api, tenant=False)
    late_address, late_user = account(api, tenant=False)
    for address in (revoked_address, late_address):
        assert rpc(api, "invite_member", {"email": address}, owner["access_token"]).status_code == 200
    [revoked_inv] = [p for p in get(api, owner["access_token"], "/invitations").json() if p["email"] == revoked_address]
    with api.client(owner["access_token"]) as client:
        assert client.delete(f"/invitations?id=eq.{revoked_inv['id']}").status_code in (200, 204)
    with api_db.connect() as conn:
        conn.execute(
            "update app.invitations set expires_at = now() - interval '1 second' where email = %s", (late_address,)
        )
    for address, user in ((revoked_address, revoked_user), (late_address, late_user)):
        token = mail(api_db, "invitation", address)[-1]["token"]
        answer = rpc(api, "accept_invitation", {"token": token}, user["access_token"])
        assert answer.status_code == 400, (address, answer.text)
        assert rpc(
            api, "refresh", {"refresh_token": user["refresh_token"], "tenant_id": owner["tenant_id"]}
        ).status_code == 403


def test_only_owners_and_admins_invite(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    member_address, member = account(api, tenant=False)
    rpc(api, "invite_member", {"email": member_address}, owner["access_token"])
    rpc(
        api,
        "accept_invitation",
        {"token": mail(api_db, "invitation", member_address)[-1]["token"]},
        member["access_token"],
    )
    member = rpc(api, "refresh", {"refresh_token": member["refresh_token"], "tenant_id": owner["tenant_id"]}).json()
    refused = rpc(api, "invite_member", {"email": email()}, member["access_token"])
    assert refused.status_code == 403
    bad = rpc(api, "invite_member", {"email": "nope", "role": "member"}, owner["access_token"])
    assert bad.status_code == 400 and bad.json()["message"].startswith("email:")


def test_removing_a_membership_stops_the_members_token_at_once(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    member_address, member = account(api, tenant=False)
    rpc(api, "invite_member", {"email": member_address}, owner["access_token"])
    rpc(
        api,
        "accept_invitation",
        {"token": mail(api_db, "invitation", member_address)[-1]["token"]},
        member["access_token"],
    )
    member = rpc(api, "refresh", {"refresh_token": member["refresh_token"], "tenant_id": owner["tenant_id"]}).json()
    assert get(api, member["access_token"]).status_code == 200
    removed = rpc(api, "remove_member", {"user_id": member["user_id"]}, owner["access_token"])
    assert removed.status_code in (200, 204), removed.text
    assert get(api, member["access_token"]).status_code == 403


def test_invitations_and_key_changes_are_in_the_tenants_audit(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    _, owner = account(api)
    rpc(api, "invite_member", {"email": email()}, owner["access_token"])
    made = rpc(api, "create_api_key", {"name": "x"}, owner["access_token"]).json()
    rpc(api, "revoke_api_key", {"id": made["id"]}, owner["access_token"])
    events = [e["event"] for e in get(api, owner["access_token"], "/auth_events").json()]
    assert {"invitation_created", "api_key_created", "api_key_revoked"} <= set(events), events


# OpenID Connect -------------------------------------------------------------------------------------

ISSUER = "https://sso.example.test/realms/home"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    """An outside OpenID Connect provider: an RSA key pair made here, tokens signed RS256."""

    def __init__(self, kid: str = "sso-1") -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64(numbers.e.to_bytes(3, "big")),
        }]}

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": "motovault", "sub": "f:1234:alice", "role": "app_user",
                "iat": now, "exp": now + 300, "email": "alice@sso.example.test", "email_verified": True}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        payload = b64(json.dumps(body).encode())
        signature = self.key.sign(f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{payload}.{b64(signature)}"


@pytest.fixture(scope="module")
def provider(api: PostgrestServer, api_db: ClonedDatabase, tmp_path_factory: pytest.TempPathFactory) -> Provider:
    made = Provider()
    jwks_file = tmp_path_factory.mktemp("oidc") / "jwks.json"
    jwks_file.write_text(json.dumps(made.jwks()))
    status = cli.main([
        "oidc", "add", "--issuer", ISSUER, "--audience", "motovault", "--jwks", str(jwks_file),
        "--dsn", api_db.url("motovault_owner"), "--output", str(api.jwks_path),
        "--postgrest-pid", str(api.target().pid), "--api-url", api.url,
    ])
    assert status == 0
    # the server secret is not in a file written with --dsn; put it back for the other tests
    api.publish_keys()
    return made


def test_an_outside_token_registers_its_identity_then_works_with_the_membership_check(
    api: PostgrestServer, provider: Provider
) -> None:
    token = provider.token(sub="f:1234:alice")
    before = get(api, token)
    assert before.status_code == 403 and "register_identity" in before.json()["hint"]
    registered = rpc(api, "register_identity", {}, token)
    assert registered.status_code == 200, registered.text
    tenant_id = rpc(api, "create_tenant", {"name": "Alice's"}, token).json()["tenant_id"]
    assert get(api, token, **{"X-Tenant-Id": tenant_id}).status_code == 200
    assert post_vehicle(api, provider.token(sub="f:1234:alice", tenant_id=tenant_id)).status_code == 201
    # a tenant the identity does not belong to
    _, stranger = account(api)
    assert get(api, token, **{"X-Tenant-Id": stranger["tenant_id"]}).status_code == 403


def test_an_outside_token_for_the_wrong_audience_is_refused(api: PostgrestServer, provider: Provider) -> None:
    token = provider.token(sub="f:1234:bob", aud="another-app")
    response = rpc(api, "register_identity", {}, token)
    assert response.status_code == 401
    assert "aud" in response.json()["message"]


def test_an_outside_token_of_an_unknown_key_is_refused_by_postgrest(api: PostgrestServer, provider: Provider) -> None:
    stranger = Provider(kid="sso-1")
    response = get(api, stranger.token(sub="f:1234:alice"))
    assert response.status_code == 401


# rotation ------------------------------------------------------------------------------------------


def test_rotate_without_a_postgrest_to_reload_leaves_the_key_pending(
    api: PostgrestServer, api_db: ClonedDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Elsewhere (docker compose) the command cannot reload PostgREST: the new key is written to the
    file but signs only after the grace period, when PostgREST has been told to reload."""
    with api_db.connect("motovault_owner") as conn:
        [signing_before] = one_row(conn, "select auth_private.current_signing_kid()")
    out_file = tmp_path / "jwks.json"
    status = cli.main([
        "keys", "rotate", "--dsn", api_db.url("motovault_owner"), "--output", str(out_file), "--grace", "5 minutes",
    ])
    assert status == 0
    assert "starts signing in 5 minutes" in capsys.readouterr().out
    with api_db.connect("motovault_owner") as conn:
        [signing_after, pending] = one_row(
            conn,
            "select auth_private.current_signing_kid(),"
            " (select kid from auth_private.signing_keys where signs_from > now() order by created_at desc limit 1)",
        )
    assert signing_after == signing_before
    assert pending in {key.get("kid") for key in json.loads(out_file.read_text())["keys"]}


def kid(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"])


def test_rotation_signs_nobody_out_and_retired_keys_drop_out_later(
    api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    address, before = account(api)
    status = cli.main([
        "keys", "rotate", "--dsn", api_db.url("motovault_owner"), "--output", str(api.jwks_path),
        "--postgrest-pid", str(api.target().pid), "--api-url", api.url,
    ])
    assert status == 0
    api.publish_keys()  # with the server secret again (see the provider fixture)
    after = rpc(api, "sign_in", {"email": address, "password": PASSWORD, "tenant_id": before["tenant_id"]}).json()
    assert kid(after["access_token"]) != kid(before["access_token"])
    assert get(api, before["access_token"]).status_code == 200, "the old key still verifies"
    assert get(api, after["access_token"]).status_code == 200

    with api_db.connect("motovault_owner") as conn:
        assert keys.retire(conn, api.settings.jwt_secret, lambda doc, _: api.target().publish(doc, [])) >= 1
        assert get(api, before["access_token"]).status_code == 200, "retired keys verify for the token lifetime"
        # once the lifetime has passed the export leaves the old key out: a token signed with it (one
        # PostgREST has not cached yet) is refused, the current key's are not
        old_kid = kid(before["access_token"])
        conn.execute("update auth_private.signing_keys set created_at = now() - interval '3 hours',"
                     " retired_at = now() - interval '2 hours' where kid = %s", (old_kid,))
        [old_secret] = one_row(conn, "select secret from auth_private.signing_keys where kid = %s", (old_kid,))
        api.publish_keys()
    claims = json.loads(base64.urlsafe_b64decode(before["access_token"].split(".")[1] + "=="))
    claims["iat"] = int(time.time())
    assert get(api, sign_bytes(claims, bytes(old_secret), kid=old_kid)).status_code == 401
    assert get(api, after["access_token"]).status_code == 200


def test_export_for_another_machine_takes_the_server_secret_from_the_environment(
    api_db: ClonedDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the compose keys service runs: the database's keys plus the server secret (kid local)."""
    out_file = tmp_path / "jwks.json"
    base = ["keys", "export", "--dsn", api_db.url("motovault_owner"), "--output", str(out_file)]
    monkeypatch.setenv("MV_SECRET", "s" * 40)
    assert cli.main([*base, "--server-secret-env", "MV_SECRET"]) == 0
    kids = [key["kid"] for key in json.loads(out_file.read_text())["keys"]]
    assert kids[0] == "local" and len(kids) >= 2
    assert json.loads(out_file.read_text())["keys"][0] == keys.secret_jwk("s" * 40)
    monkeypatch.delenv("MV_SECRET")
    assert cli.main([*base, "--server-secret-env", "MV_SECRET"]) == 1
    assert "--server-secret-env: $MV_SECRET must hold the server secret" in capsys.readouterr().err
    assert cli.main(base) == 0
    assert "local" not in [key["kid"] for key in json.loads(out_file.read_text())["keys"]]
