"""A PostgREST process for tests: free ports, a log file, readiness, a token helper."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..core import keys
from ..core.db import connect
from ..core.jwt import sign, user_token
from ..core.proc import free_port, stop_pid
from ..stack import postgrest
from ..stack.settings import AUTHENTICATOR_ROLE, OWNER_ROLE, Settings
from .frontdoor_proc import HarnessFrontDoor


class _RetryIdempotent(httpx.HTTPTransport):
    """Sends a GET or HEAD once more when the connection broke before any response came back.

    Under load, a few runs of the full suite saw a fresh connection to a test's PostgREST reset before
    the server logged the request (not reproducible alone). A reset is not an answer: for a read the
    test sends it again, once; a write is never resent (it might have been applied)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
            if request.method not in ("GET", "HEAD"):
                raise
            return super().handle_request(request)


@dataclass
class PostgrestServer:
    settings: Settings
    dbname: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    admin_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="postgrest-", suffix=".log")[1]))
    jwks_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="postgrest-", suffix=".jwks.json")[1]))
    #: an nginx front door (motovault.stack.frontdoor) in front, as clients reach the API; None: bare PostgREST
    front: HarnessFrontDoor | None = field(default_factory=HarnessFrontDoor)

    @property
    def url(self) -> str:
        """Where clients talk to: the front door when there is one."""
        return self.front.url if self.front is not None and self.front.running else self.bare_url

    @property
    def bare_url(self) -> str:
        """PostgREST itself, without the front door (the bench's baseline, what the front door fixes)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PostgrestServer:
        self.port, self.admin_port = free_port(), free_port()
        db_uri = self.settings.dsn(self.dbname, AUTHENTICATOR_ROLE).replace("postgresql://", "postgres://", 1)
        keys.write_jwks(self.jwks_path, self.jwks())
        env = {**self.extra_env, **(self.front.postgrest_env() if self.front is not None else {})}
        self.proc = postgrest.start(db_uri, f"@{self.jwks_path}", self.port, self.admin_port, self.log_path, env)
        postgrest.wait_ready(self.admin_port, self.proc, self.log_path)
        if self.front is not None:
            self.front.start(self.port)
        return self

    def jwks(self) -> dict[str, Any]:
        """What `make up` gives PostgREST: the server secret (kid local) and the database's keys."""
        with connect(self.settings.dsn(self.dbname, OWNER_ROLE)) as conn:
            return keys.jwks_document(conn, self.settings.jwt_secret)

    def target(self) -> keys.PostgrestTarget:
        assert self.proc is not None
        return keys.PostgrestTarget(self.jwks_path, self.proc.pid, self.url)

    def publish_keys(self) -> None:
        """Rewrites the JWKS file from the database and makes PostgREST reload it (as motovault keys
        export does for the local stack)."""
        self.target().publish(self.jwks(), [])

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        if self.proc is not None and self.proc.poll() is None:
            stop_pid(self.proc.pid)
            self.proc.wait(timeout=10)
        self.proc = None

    def reload_schema(self) -> None:
        """Ask PostgREST to reload its schema cache (after DDL in a test) and wait until ready."""
        import os
        import signal
        import time

        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGUSR1)
        time.sleep(0.3)
        postgrest.wait_ready(self.admin_port, self.proc, self.log_path)

    def token(self, user_id: str, tenant_id: str | None, role: str = "app_user", ttl_seconds: int = 600) -> str:
        return user_token(self.settings.jwt_secret, user_id, tenant_id, role=role, ttl_seconds=ttl_seconds)

    def raw_token(self, claims: dict[str, Any], secret: str | None = None) -> str:
        return sign(claims, secret or self.settings.jwt_secret)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, transport=_RetryIdempotent())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
