"""`motovault frontdoor config|run`: the front door's nginx config, or nginx itself in the foreground.

`make up` starts the front door on its own (motovault.stack.frontdoor.local); `run` is for a container
(docker-compose.yml's frontdoor service) or a process supervisor: it writes the config into --home
and replaces itself with nginx (as root, nginx runs as the unprivileged user motovault)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..core.errors import MotovaultError
from ..stack import cluster
from ..stack.frontdoor import FrontDoor, FrontDoorOptions, prepare, render


def _host_port(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise MotovaultError(f"{what}: expected HOST:PORT, got {text!r}")
    return host, int(port)


def _options(args: argparse.Namespace) -> FrontDoorOptions:
    host, port = _host_port(args.listen, "--listen")
    _host_port(args.upstream, "--upstream")
    return FrontDoorOptions.from_env(port, args.upstream, host=host)


def config(args: argparse.Namespace) -> int:
    home = Path(args.home).resolve()
    print(render(_options(args), home), end="")
    return 0


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    prepare(options, home)
    door = FrontDoor(options, home, user=cluster.SERVICE_USER if cluster.is_root() else None)
    command = door.command()
    if cluster.is_root():
        import pwd

        door.hand_over()
        entry = pwd.getpwnam(cluster.SERVICE_USER)
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    print(f"motovault frontdoor: nginx on {options.url} in front of {options.upstream} (home {home})", flush=True)
    os.execv(command[0], command)
    return 0  # not reached


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("frontdoor", help="the nginx front door: print its config, or run it in the foreground")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    for name, func, text in (
        ("config", config, "print the nginx config the settings give"),
        ("run", run, "write the config and run nginx in the foreground (containers)"),
    ):
        verb = verbs.add_parser(name, help=text)
        verb.add_argument(
            "--listen", default="127.0.0.1:3000", help="HOST:PORT nginx listens on (default 127.0.0.1:3000)"
        )
        verb.add_argument(
            "--upstream", default="127.0.0.1:3002", help="HOST:PORT of PostgREST (default 127.0.0.1:3002)"
        )
        verb.add_argument(
            "--home",
            default=os.path.join(tempfile.gettempdir(), "motovault-frontdoor"),
            help="folder for the config, pid, logs and temp files",
        )
        verb.set_defaults(func=func)
