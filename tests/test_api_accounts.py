"""Accounts through PostgREST, as a client app uses them: sign up, sign in, refresh, sign out,
sessions, passwords, tenant switching, and the attacks on each (reused refresh token, brute force,
account enumeration, revoked sessions)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

pytestmark = pytest.mark.api

PASSWORD = "correct horse battery"


def email() -> str:
    return f"u{uuid.uuid4().hex[:12]}@example.org"


def rpc(api: Any, name: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    with api.client(token) as client:
        return client.post(f"/rpc/{name}", json=body or {})


def signed_up(api: Any, address: str | None = None, password: str = PASSWORD) -> str:
    address = address or email()
    response = rpc(api, "sign_up", {"email": address, "password": password})
    assert response.status_code == 200, response.text
    return address


def sign_in(api: Any, address: str, password: str = PASSWORD, tenant_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"email": address, "password": password}
    if tenant_id:
        body["tenant_id"] = tenant_id
    response = rpc(api, "sign_in", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def with_tenant(api: Any, name: str = "Home") -> tuple[str, dict[str, Any]]:
    """A new account with a tenant of its own, signed in to it."""
    address = signed_up(api)
    tokens = sign_in(api, address)
    made = rpc(api, "create_tenant", {"name": name}, tokens["access_token"])
    assert made.status_code == 200, made.text
    tenant_id = made.json()["tenant_id"]
    tokens = rpc(api, "refresh", {"refresh_token": tokens["refresh_token"], "tenant_id": tenant_id}).json()
    assert tokens["tenant_id"] == tenant_id
    return address, tokens


def vehicles(api: Any, token: str) -> Any:
    with api.client(token) as client:
        return client.get("/vehicles")


def test_sign_up_sign_in_and_use_the_token(api: PostgrestServer) -> None:
    address, tokens = with_tenant(api)
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in", "user_id", "tenant_id", "session_id"}
    assert tokens["expires_in"] <= 900
    response = vehicles(api, tokens["access_token"])
    assert response.status_code == 200 and response.json() == []
    with api.client(tokens["access_token"]) as client:
        made = client.post("/vehicles", json={"make": "Honda", "model": "Jazz", "year": 2015})
    assert made.status_code == 201, made.text


def test_the_email_is_case_insensitive_and_the_password_is_never_returned(api: PostgrestServer) -> None:
    address = signed_up(api)
    tokens = sign_in(api, address.upper())
    assert PASSWORD not in str(tokens)
    with api.client(tokens["access_token"]) as client:
        me = client.get("/rpc/my_sessions")
    assert me.status_code == 200 and PASSWORD not in me.text and "hash" not in me.text


def test_a_short_password_is_a_400_naming_the_field(api: PostgrestServer) -> None:
    response = rpc(api, "sign_up", {"email": email(), "password": "short"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("password:")


def test_a_malformed_email_is_a_400_naming_the_field(api: PostgrestServer) -> None:
    response = rpc(api, "sign_up", {"email": "not an email", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["message"].startswith("email:")


def test_sign_up_with_an_existing_email_answers_the_same(api: PostgrestServer) -> None:
    address = signed_up(api)
    again = rpc(api, "sign_up", {"email": address, "password": "another password 123"})
    fresh = rpc(api, "sign_up", {"email": email(), "password": "another password 123"})
    assert again.status_code == fresh.status_code == 200
    assert again.json() == fresh.json()
    # and the old password still works: nothing was changed
    sign_in(api, address)


def test_wrong_password_and_unknown_email_get_the_same_answer(api: PostgrestServer) -> None:
    address = signed_up(api)
    wrong = rpc(api, "sign_in", {"email": address, "password": "wrong password!"})
    unknown = rpc(api, "sign_in", {"email": email(), "password": "wrong password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert address not in wrong.text


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(api: PostgrestServer) -> None:
    _, first = with_tenant(api)
    second = rpc(api, "refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert vehicles(api, second_tokens["access_token"]).status_code == 200

    # the used-up token again: somebody copied it; the whole session ends
    reused = rpc(api, "refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert "refresh_token" in reused.json()["message"]
    assert vehicles(api, second_tokens["access_token"]).status_code == 401
    assert rpc(api, "refresh", {"refresh_token": second_tokens["refresh_token"]}).status_code == 401


def test_sign_out_stops_the_access_token_at_once(api: PostgrestServer) -> None:
    _, tokens = with_tenant(api)
    assert vehicles(api, tokens["access_token"]).status_code == 200
    out = rpc(api, "sign_out", {}, tokens["access_token"])
    assert out.status_code in (200, 204)
    after = vehicles(api, tokens["access_token"])
    assert after.status_code == 401
    assert "session" in after.json()["message"]
    assert rpc(api, "refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_list_and_revoke_sessions(api: PostgrestServer) -> None:
    address, phone = with_tenant(api)
    laptop = sign_in(api, address)
    with api.client(laptop["access_token"]) as client:
        listed = client.post("/rpc/my_sessions").json()
    assert {s["id"] for s in listed} >= {phone["session_id"], laptop["session_id"]}
    assert [s["current"] for s in listed if s["id"] == laptop["session_id"]] == [True]

    revoked = rpc(api, "revoke_session", {"id": phone["session_id"]}, laptop["access_token"])
    assert revoked.status_code in (200, 204), revoked.text
    assert vehicles(api, phone["access_token"]).status_code == 401
    assert vehicles(api, laptop["access_token"]).status_code == 200


def test_another_users_session_cannot_be_revoked(api: PostgrestServer) -> None:
    _, mine = with_tenant(api)
    _, theirs = with_tenant(api)
    response = rpc(api, "revoke_session", {"id": theirs["session_id"]}, mine["access_token"])
    assert response.status_code == 404
    assert vehicles(api, theirs["access_token"]).status_code == 200


def test_change_password_signs_out_the_other_sessions(api: PostgrestServer) -> None:
    address, phone = with_tenant(api)
    laptop = sign_in(api, address)
    wrong = rpc(
        api,
        "change_password",
        {"current_password": "not it at all", "new_password": "a new password 1"},
        laptop["access_token"],
    )
    assert wrong.status_code in (400, 401, 403)
    changed = rpc(
        api,
        "change_password",
        {"current_password": PASSWORD, "new_password": "a new password 1"},
        laptop["access_token"],
    )
    assert changed.status_code in (200, 204), changed.text
    assert vehicles(api, phone["access_token"]).status_code == 401
    assert vehicles(api, laptop["access_token"]).status_code == 200
    assert rpc(api, "sign_in", {"email": address, "password": PASSWORD}).status_code == 401
    sign_in(api, address, "a new password 1")


def outbox(api_db: Any, kind: str, recipient: str) -> list[dict[str, Any]]:
    """The test hook of the mail that carries tokens (until notifications deliver it)."""
    with api_db.connect() as conn:
        rows = conn.execute(
            "select payload from auth_private.mail_outbox where kind = %s and recipient = %s order by id",
            (kind, recipient.lower()),
        ).fetchall()
    return [row[0] for row in rows]


def test_password_reset_is_single_use_and_signs_everyone_out(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    address, tokens = with_tenant(api)
    asked = rpc(api, "request_password_reset", {"email": address})
    unknown = rpc(api, "request_password_reset", {"email": email()})
    assert asked.status_code == unknown.status_code == 200 and asked.json() == unknown.json()
    [mail] = outbox(api_db, "password_reset", address)

    reset = rpc(api, "reset_password", {"token": mail["token"], "new_password": "reset password 42"})
    assert reset.status_code in (200, 204), reset.text
    assert vehicles(api, tokens["access_token"]).status_code == 401
    sign_in(api, address, "reset password 42")

    again = rpc(api, "reset_password", {"token": mail["token"], "new_password": "third password 42"})
    assert again.status_code == 400 and again.json()["message"].startswith("token:")
    sign_in(api, address, "reset password 42")


def test_the_reset_token_is_stored_hashed(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    [mail] = outbox(api_db, "password_reset", address)
    with api_db.connect() as conn:
        stored = conn.execute(
            "select token_hash = auth_private.token_hash(%s), position(convert_to(%s, 'UTF8') in token_hash)"
            " from auth_private.one_time_tokens where user_id = (select id from app.users where email = %s)",
            (mail["token"], mail["token"], address),
        ).fetchall()
    assert stored == [(True, 0)]


def test_an_expired_reset_token_does_nothing(api: PostgrestServer, api_db: ClonedDatabase) -> None:
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    [mail] = outbox(api_db, "password_reset", address)
    with api_db.connect() as conn:
        conn.execute(
            "update auth_private.one_time_tokens set expires_at = now() - interval '1 second' where used_at is null"
        )
    response = rpc(api, "reset_password", {"token": mail["token"], "new_password": "never applied 1"})
    assert response.status_code == 400
    sign_in(api, address)


def test_brute_force_slows_then_locks_and_the_unknown_email_is_treated_alike(
    api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    address = signed_up(api)
    stranger = email()
    answers: dict[str, list[int]] = {address: [], stranger: []}
    for _ in range(4):
        for who in (address, stranger):
            answers[who].append(rpc(api, "sign_in", {"email": who, "password": "guessing 123"}).status_code)
    # three failures are free, the fourth must wait: the same for an account and for nobody
    assert answers[address] == answers[stranger] == [401, 401, 401, 429]
    throttled = rpc(api, "sign_in", {"email": address, "password": PASSWORD})
    assert throttled.status_code == 429, "even the right password waits while throttled"
    assert "too many failed sign-ins" in throttled.json()["message"]

    # ten failures lock the account for a while: fast-forward the waits, fail on to the lock
    with api_db.connect() as conn:
        conn.execute(
            "update auth_private.sign_in_failures set failures = 9, last_failure_at = now() - interval '2 days'"
        )
    assert rpc(api, "sign_in", {"email": address, "password": "guessing 123"}).status_code == 401
    with api_db.connect() as conn:
        locked = one_row(
            conn,
            "select locked_until > now() + interval '10 minutes' "
            "from auth_private.sign_in_failures "
            "where email_key = %s",
            (address,),
        )[0]
        conn.execute("update auth_private.sign_in_failures set last_failure_at = now() - interval '2 days'")
    assert locked
    assert rpc(api, "sign_in", {"email": address, "password": PASSWORD}).status_code == 429

    # a password reset lifts the lock
    rpc(api, "request_password_reset", {"email": address})
    [mail] = outbox(api_db, "password_reset", address)
    assert rpc(
        api, "reset_password", {"token": mail["token"], "new_password": "after the lock 1"}
    ).status_code in (200, 204)
    sign_in(api, address, "after the lock 1")


def test_switching_tenants_by_refresh_needs_a_membership(api: PostgrestServer) -> None:
    address, home = with_tenant(api, "Home")
    work_id = rpc(api, "create_tenant", {"name": "Work"}, home["access_token"]).json()["tenant_id"]
    switched = rpc(api, "refresh", {"refresh_token": home["refresh_token"], "tenant_id": work_id})
    assert switched.status_code == 200 and switched.json()["tenant_id"] == work_id
    _, stranger = with_tenant(api, "Elsewhere")
    refused = rpc(
        api, "refresh", {"refresh_token": switched.json()["refresh_token"], "tenant_id": stranger["tenant_id"]}
    )
    assert refused.status_code == 403
    assert stranger["tenant_id"] not in refused.text or "tenant_id" in refused.json()["message"]
    # sign in straight into a tenant
    assert sign_in(api, address, tenant_id=work_id)["tenant_id"] == work_id


def test_sign_in_failures_and_sign_ins_are_audited_for_the_tenant(api: PostgrestServer) -> None:
    address, owner = with_tenant(api)
    rpc(api, "sign_in", {"email": address, "password": "wrong password 1"})
    sign_in(api, address, tenant_id=owner["tenant_id"])
    with api.client(owner["access_token"]) as client:
        events = client.get("/auth_events", params={"order": "occurred_at"}).json()
    kinds = [e["event"] for e in events]
    assert "sign_in" in kinds and "sign_in_failed" in kinds
    assert all(PASSWORD not in str(e) for e in events)
