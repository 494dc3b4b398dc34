"""Starting the pinned PostgREST binary with our postgrest.conf."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from ..core.errors import MotovaultError
from ..core.paths import postgrest_bin, project_root


def postgrest_env(db_uri: str, jwt_secret: str, port: int, admin_port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PGRST_DB_URI": db_uri,
        "PGRST_JWT_SECRET": jwt_secret,
        "PGRST_SERVER_PORT": str(port),
        "PGRST_ADMIN_SERVER_PORT": str(admin_port),
        **extra,
    }


def start(
    db_uri: str,
    jwt_secret: str,
    port: int,
    admin_port: int,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    binary = postgrest_bin()
    if not binary.is_file():
        raise MotovaultError(f"PostgREST is not installed at {binary} (run `make up`)")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [str(binary), str(project_root() / "postgrest.conf")],
        env=postgrest_env(db_uri, jwt_secret, port, admin_port, **(extra_env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    return proc


def wait_ready(admin_port: int, proc: subprocess.Popen[bytes] | None, log_path: Path, timeout: float = 30) -> None:
    """Poll the admin server's /ready until PostgREST has loaded the schema cache."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{admin_port}/ready"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-10:]
            raise MotovaultError("PostgREST exited at start:\n" + "\n".join(tail))
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise MotovaultError(f"PostgREST was not ready after {timeout:.0f}s; see {log_path}")
