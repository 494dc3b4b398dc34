"""`motovault token` and `motovault db url`, run as the console script users run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motovault.core.db import connect, one_row
from motovault.core.jwt import sign
from motovault.stack.settings import Settings
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

ROOT = Path(__file__).resolve().parents[1]
MOTOVAULT = [sys.executable, "-m", "motovault"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MOTOVAULT, *args], capture_output=True, text=True, check=False, cwd=ROOT)


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode(token: str, secret: str) -> dict[str, Any]:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(b64decode(signature), expected), "HS256 signature does not verify"
    assert json.loads(b64decode(header)) == {"alg": "HS256", "typ": "JWT"}
    claims: dict[str, Any] = json.loads(b64decode(payload))
    return claims


def mint(*args: str) -> str:
    result = cli("token", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "token prints the token and nothing else"
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "role", "ttl"),
    [([], "app_user", 3600), (["--role", "anon", "--ttl", "15m"], "anon", 900), (["--ttl", "2d"], "app_user", 172800),
     (["--ttl", "90s"], "app_user", 90), (["--ttl", "120"], "app_user", 120)],
)
def test_token_claims_and_signature(settings: Settings, extra: list[str], role: str, ttl: int) -> None:
    user, tenant = str(uuid.uuid4()), str(uuid.uuid4())
    claims = decode(mint("--user", user, "--tenant", tenant, *extra), settings.jwt_secret)
    assert claims["role"] == role
    assert claims["sub"] == user
    assert claims["tenant_id"] == tenant
    assert claims["exp"] - claims["iat"] == ttl
    import time

    assert abs(claims["iat"] - time.time()) < 60


def test_token_normalises_uuids(settings: Settings) -> None:
    user = uuid.uuid4()
    claims = decode(mint("--user", str(user).upper(), "--tenant", str(user).replace("-", "")), settings.jwt_secret)
    assert claims["sub"] == str(user) and claims["tenant_id"] == str(user)


def test_token_with_a_wrong_secret_does_not_verify(settings: Settings) -> None:
    token = mint("--user", str(uuid.uuid4()), "--tenant", str(uuid.uuid4()))
    with pytest.raises(AssertionError, match="signature"):
        decode(token, settings.jwt_secret + "x")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--user", "not-a-uuid", "--tenant", "d0000000-0000-4000-8000-000000000001"], "not a UUID: 'not-a-uuid'"),
        (["--user", "d0000000-0000-4000-8000-0000000000a1", "--tenant", "123"], "not a UUID: '123'"),
        (["--user", "d0000000-0000-4000-8000-0000000000a1", "--ttl", "1 hour"], "--ttl"),
        (["--user", "d0000000-0000-4000-8000-0000000000a1", "--ttl", "0"], "--ttl"),
        (["--user", "d0000000-0000-4000-8000-0000000000a1", "--ttl", "-5m"], "--ttl"),
        (["--tenant", "d0000000-0000-4000-8000-000000000001"], "--user"),
    ],
)
def test_bad_arguments_give_one_error_line_and_fail(args: list[str], needle: str) -> None:
    result = cli("token", *args)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("motovault token: error:") and needle in errors[0], errors[0]


def test_db_url_connects(settings: Settings, clone_db: ClonedDatabase) -> None:
    result = cli("db", "url", "--dbname", clone_db.name)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    with connect(url, connect_timeout=5, autocommit=False) as conn:
        assert conn.execute("select current_user, current_database()").fetchone() == ("motovault_owner", clone_db.name)
    authenticator = cli("db", "url", "--as", "authenticator", "--dbname", clone_db.name).stdout.strip()
    with connect(authenticator, connect_timeout=5, autocommit=False) as conn:
        assert one_row(conn, "select current_user")[0] == "authenticator"


def test_db_url_defaults_to_the_stack_database(settings: Settings) -> None:
    url = cli("db", "url").stdout.strip()
    info = psycopg.conninfo.conninfo_to_dict(url)
    assert (info["host"], int(str(info["port"])), info["dbname"], info["user"]) == (
        settings.pg_host, settings.pg_port, settings.db_name, "motovault_owner")
    # the credentials are right even when the stack database does not exist yet
    with connect(psycopg.conninfo.make_conninfo(url, dbname="postgres"), connect_timeout=5, autocommit=False) as conn:
        assert one_row(conn, "select current_user")[0] == "motovault_owner"


@pytest.mark.api
def test_postgrest_accepts_a_cli_token_and_rejects_a_forged_one(api: PostgrestServer) -> None:
    user, tenant = str(uuid.uuid4()), str(uuid.uuid4())
    token = mint("--user", user)
    with api.client(token) as client:
        assert client.get("/").status_code == 200
    # a tenant the user does not belong to: the pre-request check refuses it
    with api.client(mint("--user", user, "--tenant", tenant)) as client:
        assert client.get("/").status_code == 403

    claims = decode(token, api.settings.jwt_secret)
    forged = sign(claims, "a-different-secret-that-is-long-enough-0123456789")
    with api.client(forged) as client:
        response = client.get("/")
    assert response.status_code == 401
    assert "JWSError" in response.text or "JWT" in response.text

    with api.client(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) as client:
        assert client.get("/").status_code == 401
