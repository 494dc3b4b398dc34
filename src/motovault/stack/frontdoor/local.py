"""The front door of the local stack (`make up`, `make down`, `make status`).

nginx listens on 127.0.0.1:MOTOVAULT_API_PORT (the URL `make up` prints) and proxies to PostgREST
on a unix socket in its home, .state/frontdoor (as root, a folder of /var/lib/motovault linked from
there, owned by the unprivileged user, like the cluster's): PostgREST has no TCP port of its own,
so nothing reaches it but through the front door (its admin server, /ready, stays on
MOTOVAULT_ADMIN_PORT)."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

from ...core.paths import project_root, state_dir
from ...core.proc import port_open, read_pid, stop_pid
from .. import cluster
from ..settings import Settings
from . import FrontDoor, FrontDoorOptions, postgrest_socket_env, prepare, render


def pid_file() -> Path:
    return state_dir() / "run" / "frontdoor.pid"


def home_link() -> Path:
    return state_dir() / "frontdoor"


def socket_path() -> Path:
    return home_link() / "postgrest.sock"


def postgrest_env() -> dict[str, str]:
    """For starting PostgREST: listen on the socket in the front door's home (made if missing)."""
    home = cluster.service_home(home_link())
    (home / "postgrest.sock").unlink(missing_ok=True)  # left by a PostgREST that did not stop cleanly
    return postgrest_socket_env(home / "postgrest.sock")


def options(settings: Settings) -> FrontDoorOptions:
    return FrontDoorOptions.from_env(settings.api_port, f"unix:{socket_path().resolve()}", host=settings.api_host)


def url(settings: Settings) -> str:
    """The API's URL: the front door's (https:// when MOTOVAULT_TLS_CERT is set)."""
    return options(settings).url


def _body(conf: str) -> str:
    """The config without its first lines (they carry the time it was generated)."""
    return "\n".join(conf.splitlines()[2:])


def start(settings: Settings) -> str:
    home = cluster.service_home(home_link())  # first: the socket's path in nginx.conf is the real one
    opts = options(settings)
    pid = read_pid(pid_file())
    if pid is not None and port_open(settings.api_host, settings.api_port):
        current = home / "nginx.conf"
        if current.is_file() and _body(current.read_text()) == _body(render(opts, home)):
            return f"already running (pid {pid}) at {opts.url}"
        prepare(opts, home)
        FrontDoor(opts, home, user=_user()).hand_over()
        os.kill(pid, signal.SIGHUP)  # nginx re-reads its configuration, no request lost
        return f"reloaded with the new settings (pid {pid}) at {opts.url}"
    if pid is not None:
        stop_pid(pid)
    door = FrontDoor(opts, home, user=_user()).start()
    assert door.proc is not None
    pid_file().parent.mkdir(parents=True, exist_ok=True)
    pid_file().write_text(f"{door.proc.pid}\n")
    return f"started (pid {door.proc.pid}) at {opts.url}, in front of PostgREST on {shown(socket_path())}"


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def _user() -> str | None:
    return cluster.SERVICE_USER if cluster.is_root() else None


def stop() -> bool:
    pid = read_pid(pid_file())
    pid_file().unlink(missing_ok=True)
    if pid is None:
        return False
    stop_pid(pid)
    return True


def status(settings: Settings) -> str:
    pid = read_pid(pid_file())
    if pid is None:
        return "stopped"
    return f"running (pid {pid}) at {url(settings)}, listening: {port_open(settings.api_host, settings.api_port)}"


def destroy() -> None:
    """For `make reset`: the front door's home (as root, the folder the state folder links to)."""
    link = home_link()
    if link.is_symlink():
        shutil.rmtree(link.resolve(), ignore_errors=True)
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link, ignore_errors=True)
