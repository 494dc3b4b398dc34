"""The front door: nginx (Debian's package) in front of PostgREST.

It answers, before PostgREST sees the request: a 400 for a path, query string or header that is
not valid UTF-8 (checks.js, nginx's njs module), a 413 for a body over the limit, a 429 when the
sign-in, sign-up, password-reset and key-exchange RPCs are called too fast, the CORS preflight of
allowed origins; and it serves TLS when a certificate is given. Every answer of its own is JSON
shaped like PostgREST's errors ({"code", "message", "details", "hint"}).

The configuration is rendered from nginx.conf beside this file into a home folder that also
holds the pid file, the logs and nginx's temp folders (never /etc/nginx). As root, nginx runs as
the unprivileged user the clusters run as (motovault.stack.cluster). docs/frontdoor.md tells the rest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import MotovaultError
from ...core.proc import port_open

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf"
CHECKS_JS = HERE / "checks.js"
NJS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")

#: POST /rpc/<name> of these is rate limited (sign-in, sign-up, password reset, key exchange, refresh)
AUTH_RPCS = ("sign_in", "sign_up", "request_password_reset", "reset_password", "exchange_api_key", "refresh")

_RATE = re.compile(r"^[1-9][0-9]*r/[sm]$")
_SIZE = re.compile(r"^[1-9][0-9]*[km]?$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class FrontDoorOptions:
    """What the front door does; ``from_env`` reads them from MOTOVAULT_* variables."""

    port: int
    upstream: str  #: PostgREST: host:port, or unix:/path/of/its.sock
    host: str = "127.0.0.1"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: "*" for any origin; otherwise exact scheme://host[:port] origins; () for none (same-origin only)
    cors_origins: tuple[str, ...] = ()
    body_limit: str = "2m"
    #: bodies of POST /rpc/upload_document (the documents' own limit is checked in the database)
    document_limit: str = "10m"
    auth_rate: str = "10r/m"
    auth_burst: int = 10
    read_timeout: str = "60s"
    workers: str = "auto"
    access_log: bool = True

    def __post_init__(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise MotovaultError(
                "MOTOVAULT_TLS_CERT and MOTOVAULT_TLS_KEY: give both (a certificate and its key) or neither"
            )
        for path in (self.tls_cert, self.tls_key):
            if path is not None and not path.is_file():
                raise MotovaultError(f"TLS file {path} does not exist (MOTOVAULT_TLS_CERT / MOTOVAULT_TLS_KEY)")
        if not _RATE.match(self.auth_rate):
            raise MotovaultError(
                f"MOTOVAULT_AUTH_RATE: expected requests per second or minute like 10r/m, got {self.auth_rate!r}"
            )
        if not _SIZE.match(self.body_limit):
            raise MotovaultError(f"MOTOVAULT_BODY_LIMIT: expected a size like 2m or 512k, got {self.body_limit!r}")
        if not _SIZE.match(self.document_limit):
            raise MotovaultError(
                f"MOTOVAULT_DOCUMENT_LIMIT: expected a size like 10m or 512k, got {self.document_limit!r}"
            )
        if self.auth_burst < 0:
            raise MotovaultError(f"MOTOVAULT_AUTH_BURST: expected a count >= 0, got {self.auth_burst}")
        for origin in self.cors_origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise MotovaultError(
                    f"MOTOVAULT_CORS_ORIGINS: {origin!r} is not * or an origin like https://app.example.com"
                )

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "*") else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @classmethod
    def from_env(
        cls, port: int, upstream: str, env: Mapping[str, str] | None = None, **overrides: object
    ) -> FrontDoorOptions:
        env = os.environ if env is None else env

        def path(name: str) -> Path | None:
            value = env.get(name, "").strip()
            return Path(value).expanduser().resolve() if value else None

        burst = env.get("MOTOVAULT_AUTH_BURST", "").strip() or "10"
        if not burst.isdigit():
            raise MotovaultError(f"MOTOVAULT_AUTH_BURST: expected a count, got {burst!r}")
        values: dict[str, object] = {
            "port": port,
            "upstream": upstream,
            "tls_cert": path("MOTOVAULT_TLS_CERT"),
            "tls_key": path("MOTOVAULT_TLS_KEY"),
            "cors_origins": tuple(
                o.strip().rstrip("/") for o in env.get("MOTOVAULT_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            "body_limit": env.get("MOTOVAULT_BODY_LIMIT", "").strip() or "2m",
            "document_limit": env.get("MOTOVAULT_DOCUMENT_LIMIT", "").strip() or "10m",
            "auth_rate": env.get("MOTOVAULT_AUTH_RATE", "").strip() or "10r/m",
            "auth_burst": int(burst),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def postgrest_socket_env(socket: Path) -> dict[str, str]:
    """PostgREST's environment to listen on ``socket`` instead of a TCP port (server-unix-socket): the
    front door's upstream is then ``unix:<socket>``. Mode 666 inside the front door's home, which only
    its user (and root) can enter: nginx may connect when PostgREST runs as root."""
    return {"PGRST_SERVER_UNIX_SOCKET": str(socket), "PGRST_SERVER_UNIX_SOCKET_MODE": "666"}


def _nginx_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(options: FrontDoorOptions, home: Path) -> str:
    """The nginx.conf for ``options``, with every path in ``home``."""
    if "*" in options.cors_origins:
        cors = '        "~."    "*";'  # any origin: the answer is "*" (no credentials: tokens go in headers)
    else:
        cors = "\n".join(f"        {_nginx_string(o)} {_nginx_string(o)};" for o in options.cors_origins)
    listen = f"{options.host}:{options.port}" + (" ssl" if options.tls else "")
    tls = ""
    hsts = ""
    if options.tls:
        tls = (
            f"        ssl_certificate {home}/tls/cert.pem;\n"
            f"        ssl_certificate_key {home}/tls/key.pem;\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"
            "        ssl_session_cache shared:frontdoor_tls:1m;\n"
        )
        hsts = '        add_header Strict-Transport-Security "max-age=31536000" always;\n'
    values = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "njs_module": str(NJS_MODULE),
        "workers": options.workers,
        "home": str(home),
        "access_log": f"access_log {home}/access.log combined buffer=32k flush=1s;"
        if options.access_log
        else "access_log off;",
        "body_limit": options.body_limit,
        "document_limit": options.document_limit,
        "auth_rate": options.auth_rate,
        "auth_burst": str(options.auth_burst),
        "auth_rpcs": "|".join(AUTH_RPCS),
        "cors_map": cors,
        "upstream": options.upstream,
        "listen": listen,
        "tls": tls,
        "hsts": hsts,
        "read_timeout": options.read_timeout,
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    assert not left, f"nginx.conf: unfilled {left}"
    return text


def nginx_bin() -> Path:
    env = os.environ.get("MOTOVAULT_NGINX")
    if env:
        return Path(env)
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if found is None:
        raise MotovaultError("nginx is not installed (run `make deps`: Debian's nginx-light and libnginx-mod-http-js)")
    return Path(found)


def prepare(options: FrontDoorOptions, home: Path) -> Path:
    """Write nginx.conf, checks.js, the TLS files and the temp folders into ``home``; return the config."""
    if not NJS_MODULE.is_file():
        raise MotovaultError(
            f"nginx's njs module is not installed at {NJS_MODULE} (run `make deps`: libnginx-mod-http-js)"
        )
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "tls"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CHECKS_JS, home / "checks.js")
    if options.tls_cert is not None and options.tls_key is not None:
        shutil.copyfile(options.tls_cert, home / "tls" / "cert.pem")
        key = home / "tls" / "key.pem"
        key.touch(mode=0o600, exist_ok=True)
        key.chmod(0o600)
        key.write_bytes(options.tls_key.read_bytes())
    conf = home / "nginx.conf"
    conf.write_text(render(options, home))
    return conf


@dataclass
class FrontDoor:
    """One nginx process in front of one PostgREST."""

    options: FrontDoorOptions
    home: Path
    #: run as this user (name) when we are root; None: as ourselves
    user: str | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.options.url

    @property
    def error_log(self) -> Path:
        return self.home / "error.log"

    def command(self) -> list[str]:
        return [str(nginx_bin()), "-p", str(self.home), "-c", str(self.home / "nginx.conf"), "-e", str(self.error_log)]

    def start(self, timeout: float = 10) -> FrontDoor:
        prepare(self.options, self.home)
        self.hand_over()
        kwargs: dict[str, object] = {}
        if self.user is not None and os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        self.proc = subprocess.Popen(  # type: ignore[call-overload]
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.home / "nginx.out").open("ab"),
            start_new_session=True,
            cwd=str(self.home),
            **kwargs,
        )
        self.wait_ready(timeout)
        return self

    def hand_over(self) -> None:
        """As root: the home folder and what is in it belong to the user nginx runs as."""
        if self.user is None or os.geteuid() != 0:
            return
        import pwd

        entry = pwd.getpwnam(self.user)
        for path in (self.home, *self.home.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    def wait_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        host = self.options.host if self.options.host not in ("0.0.0.0", "*") else "127.0.0.1"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise MotovaultError("nginx (the front door) exited at start:\n" + self.log_tail())
            if port_open(host, self.options.port):
                return
            time.sleep(0.02)
        raise MotovaultError(
            f"nginx (the front door) did not listen on port {self.options.port} after {timeout:.0f}s; "
            f"see {self.error_log}"
        )

    def log_tail(self, lines: int = 10) -> str:
        text = ""
        for path in (self.error_log, self.home / "nginx.out"):
            if path.is_file():
                text += path.read_text(errors="replace")
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
