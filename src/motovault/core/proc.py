"""Small process helpers: run a command with a clear error, pid files, free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import MotovaultError


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    what: str | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise MotovaultError with its last output lines."""
    full_env = {**os.environ, **(env or {})}
    try:
        result = subprocess.run(
            list(cmd), env=full_env, cwd=cwd, text=True, capture_output=capture, check=False
        )
    except FileNotFoundError:
        raise MotovaultError(f"{cmd[0]}: not installed (run `make up` or `make test` to install it)") from None
    if result.returncode != 0:
        tail = "\n".join(((result.stderr or "") + (result.stdout or "")).strip().splitlines()[-15:])
        raise MotovaultError(f"{what or cmd[0]} failed (exit {result.returncode}):\n{tail}")
    return result


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); treat it as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
