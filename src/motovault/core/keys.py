"""The JWKS file PostgREST verifies tokens with, and rotating the keys in it.

Access tokens are signed in the database (auth_private.sign_jwt) with the current key of
auth_private.signing_keys. PostgREST reads every key it accepts from one JWKS file
(``PGRST_JWT_SECRET=@path``): the database's signing keys, the public keys of registered OpenID
Connect issuers (auth_private.postgrest_jwks()) and the local server secret (kid ``local``), which
`motovault token` signs development tokens with. PostgREST 12 tries every key of the file, so a token
signed with an older key stays valid while that key is listed: rotation signs nobody out.

Rotation publishes a key before it signs: the key is added with a delay, the new file is written,
PostgREST reloads it (SIGUSR2), a probe token signed with the new key proves PostgREST accepts it, and
only then does the key start signing.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from .errors import MotovaultError

#: tokens signed in the database live at most this long (auth_private.setting access_token_seconds
#: is 900 by default); retired keys stay in the JWKS for this long
MAX_TOKEN_LIFETIME = "1 hour"


def secret_jwk(secret: str, kid: str = "local") -> dict[str, str]:
    """The server secret as a JWK PostgREST accepts for HS256 (`k` is the base64url of its bytes)."""
    k = base64.urlsafe_b64encode(secret.encode()).rstrip(b"=").decode()
    return {"kty": "oct", "alg": "HS256", "use": "sig", "kid": kid, "k": k}


def jwks_document(conn: psycopg.Connection[Any], server_secret: str | None) -> dict[str, Any]:
    """Every key PostgREST must accept: the server secret's (if given), then the database's."""
    row = conn.execute("select auth_private.postgrest_jwks(%s::interval)", (MAX_TOKEN_LIFETIME,)).fetchone()
    keys: list[dict[str, Any]] = list(row[0]["keys"]) if row else []
    if server_secret:
        keys.insert(0, secret_jwk(server_secret))
    return {"keys": keys}


def write_jwks(path: Path, document: dict[str, Any]) -> None:
    """Writes the file atomically (a reader never sees half of it), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle, indent=1)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def probe_token(key: dict[str, Any], ttl_seconds: int = 60) -> str:
    """A token for the anon role signed with one JWK of the file (to see whether PostgREST knows it)."""
    from .jwt import sign_bytes

    secret = base64.urlsafe_b64decode(key["k"] + "=" * (-len(key["k"]) % 4))
    now = int(time.time())
    return sign_bytes({"role": "anon", "iat": now, "exp": now + ttl_seconds}, secret, kid=key.get("kid"))


@dataclass
class PostgrestTarget:
    """A running PostgREST that reads the JWKS file at `path`: where to signal and where to probe."""

    path: Path
    pid: int | None
    api_url: str

    def publish(self, document: dict[str, Any], must_accept: list[dict[str, Any]], timeout: float = 20) -> bool:
        """Writes the file, makes PostgREST reload it, and waits until it accepts every key of
        must_accept. False when there is no PostgREST to reload (the file is written; someone else
        reloads it)."""
        write_jwks(self.path, document)
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, signal.SIGUSR2)
        except ProcessLookupError:
            raise MotovaultError(
                f"PostgREST (pid {self.pid}) is not running; the JWKS was written to {self.path}"
            ) from None
        deadline = time.monotonic() + timeout
        pending = list(must_accept)
        while pending:
            token = probe_token(pending[0])
            try:
                status = httpx.get(
                    f"{self.api_url}/", headers={"Authorization": f"Bearer {token}"}, timeout=2
                ).status_code
            except httpx.HTTPError:
                status = 0
            if status == 200:
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise MotovaultError(
                    f"PostgREST at {self.api_url} did not accept key {pending[0].get('kid')} within {timeout:.0f}s "
                    f"after reloading {self.path} (last answer {status})"
                )
            time.sleep(0.1)
        return True


@dataclass(frozen=True)
class SigningKey:
    kid: str
    created_at: str
    signs_from: str
    retired_at: str | None
    signing: bool


def list_keys(conn: psycopg.Connection[Any]) -> list[SigningKey]:
    rows = conn.execute(
        """
        select k.kid, k.created_at::text, k.signs_from::text, k.retired_at::text,
               k.kid is not distinct from auth_private.current_signing_kid()
        from auth_private.signing_keys as k
        order by k.created_at
        """
    ).fetchall()
    return [SigningKey(*row) for row in rows]


def rotate(
    conn: psycopg.Connection[Any],
    server_secret: str | None,
    publish: Callable[[dict[str, Any], list[dict[str, Any]]], bool],
    grace: str = "10 minutes",
) -> tuple[str, bool]:
    """Adds a key that signs only after `grace`, publishes it and, once PostgREST is seen to accept
    it, lets it sign at once. Returns (kid, signing now).

    When there is no PostgREST to reload here (publish returns False) or reloading fails, the key
    starts signing after `grace` on its own: the DBA has that long to make PostgREST load the file
    (`kill -USR2`, `docker compose kill -s SIGUSR2 postgrest`)."""
    conn.autocommit = True
    row = conn.execute("select auth_private.add_signing_key(%s::interval)", (grace,)).fetchone()
    assert row is not None
    kid: str = row[0]
    document = jwks_document(conn, server_secret)
    new_key = [key for key in document["keys"] if key.get("kid") == kid]
    try:
        confirmed = publish(document, new_key)
    except MotovaultError as exc:
        raise MotovaultError(
            f"{exc}; key {kid} starts signing in {grace} anyway: reload PostgREST before then"
        ) from None
    if confirmed:
        conn.execute("select auth_private.activate_signing_key(%s)", (kid,))
    return kid, confirmed


def retire(
    conn: psycopg.Connection[Any],
    server_secret: str | None,
    publish: Callable[[dict[str, Any], list[dict[str, Any]]], bool],
) -> int:
    """Retires the keys that signed before the current one and republishes the file (retired keys
    stay listed for MAX_TOKEN_LIFETIME, then drop out at the next export)."""
    conn.autocommit = True
    row = conn.execute("select auth_private.retire_signing_keys()").fetchone()
    assert row is not None
    publish(jwks_document(conn, server_secret), [])
    return int(row[0])


def add_oidc_issuer(
    conn: psycopg.Connection[Any],
    issuer: str,
    audience: str,
    jwks: dict[str, Any],
    tenant_claim: str = "tenant_id",
) -> None:
    conn.autocommit = True
    try:
        conn.execute(
            "select auth_private.add_oidc_issuer(%s, %s, %s::jsonb, %s)",
            (issuer, audience, json.dumps(jwks), tenant_claim),
        )
    except psycopg.Error as exc:
        diag = exc.diag
        raise MotovaultError(" ".join(filter(None, [diag.message_primary, diag.message_detail]))) from None
