"""HS256 JSON Web Tokens, the kind PostgREST verifies with its jwt-secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from .errors import MotovaultError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict[str, Any], secret: str) -> str:
    return sign_bytes(claims, secret.encode())


def sign_bytes(claims: dict[str, Any], key: bytes, kid: str | None = None) -> str:
    """HS256 with a raw key (a JWK's decoded `k`); `kid` names the key in the header."""
    header: dict[str, str] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """'90s', '15m', '1h', '7d' or plain seconds -> seconds."""
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise MotovaultError(f"--ttl: expected a positive duration like 90s, 15m, 1h or 7d, got {text!r}")
    return int(match.group(1)) * _UNIT[match.group(2)]


def user_token(
    secret: str,
    user_id: str,
    tenant_id: str | None,
    role: str = "app_user",
    ttl_seconds: int = 3600,
    now: int | None = None,
) -> str:
    """A token for PostgREST: `role` picks the database role, `sub` the user, `tenant_id` the tenant."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"role": role, "sub": user_id, "iat": issued, "exp": issued + ttl_seconds}
    if tenant_id is not None:
        claims["tenant_id"] = tenant_id
    return sign(claims, secret)
