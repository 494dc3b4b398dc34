"""An nginx front door for a test's PostgREST: a temp home, a free port, one worker, no access log.

Rate limits are generous by default (tests sign in many times); a test of the limits passes its own
options."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.proc import free_port
from ..stack.cluster import SERVICE_USER, is_root
from ..stack.frontdoor import FrontDoor, FrontDoorOptions, postgrest_socket_env


def harness_options(**overrides: Any) -> FrontDoorOptions:
    values: dict[str, Any] = {
        "port": 0,
        "upstream": "",
        "workers": "1",
        "access_log": False,
        "auth_rate": "6000r/m",
        "auth_burst": 1000,
        "cors_origins": ("*",),
    }
    values.update(overrides)
    return FrontDoorOptions(**values)


@dataclass
class HarnessFrontDoor:
    options: FrontDoorOptions = field(default_factory=harness_options)
    #: PostgREST listens on a unix socket in the front door's home, as `make up` runs it (no TCP port)
    unix_socket: bool = False
    door: FrontDoor | None = None
    home: Path | None = None

    def _home(self) -> Path:
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="frontdoor-"))
        return self.home

    def postgrest_env(self) -> dict[str, str]:
        """Extra environment of the PostgREST behind: its unix socket, when there is one."""
        return postgrest_socket_env(self._home() / "postgrest.sock") if self.unix_socket else {}

    @property
    def running(self) -> bool:
        return self.door is not None

    @property
    def url(self) -> str:
        assert self.door is not None, "the front door is not started"
        return self.door.url

    def start(self, upstream_port: int) -> HarnessFrontDoor:
        home = self._home()
        upstream = f"unix:{home / 'postgrest.sock'}" if self.unix_socket else f"127.0.0.1:{upstream_port}"
        options = replace(self.options, port=free_port(), upstream=upstream)
        self.door = FrontDoor(options, home, user=SERVICE_USER if is_root() else None).start()
        return self

    def stop(self) -> None:
        if self.door is not None:
            self.door.stop()
            self.door = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def error_log(self) -> str:
        assert self.door is not None
        return self.door.error_log.read_text(errors="replace") if self.door.error_log.is_file() else ""
