"""`make up` / `make down` / `make status` / `make reset`: the local stack.

Every step says what it did or that there was nothing to do, so a second
`make up` reports that nothing changed.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import psycopg.sql

from ..core import keys
from ..core.db import connect
from ..core.errors import MotovaultError
from ..core.jwt import user_token
from ..core.paths import project_root, state_dir
from ..core.plan import load_plan
from ..core.proc import pid_alive, read_pid, stop_pid
from . import cluster, database, postgrest
from .demo import DEMO_TENANT_ID, DEMO_USERS
from .frontdoor import local as frontdoor
from .replica import Replica, local_replica, wait_streaming
from .replica import destroy as destroy_replica
from .replica import start as start_replica
from .replica import stop as stop_replica
from .settings import AUTHENTICATOR_ROLE, OWNER_ROLE, Settings, load_settings


def shown(path: Path) -> str:
    """A path relative to the checkout when inside it (MOTOVAULT_STATE may be elsewhere)."""
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def say(step: str, message: str) -> None:
    print(f"  {step:<12} {message}", flush=True)


@dataclass(frozen=True)
class Service:
    name: str

    @property
    def pid_file(self) -> Path:
        return state_dir() / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return state_dir() / "log" / f"{self.name}.log"

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def record(self, pid: int) -> None:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{pid}\n")

    def stop(self) -> bool:
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        stop_pid(pid)
        return True


POSTGREST = Service("postgrest")
WORKER = Service("worker")


def worker_available() -> bool:
    return importlib.util.find_spec("motovault.vin.worker") is not None


def api_ready(settings: Settings) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{settings.admin_port}/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _demo_loaded(settings: Settings) -> bool | None:
    """None when the schema has no tenants table yet (nothing to load)."""
    with database.superuser_connect(settings, settings.db_name) as conn:
        if conn.execute("select to_regclass('app.tenants')").fetchone()[0] is None:  # type: ignore[index]
            return None
        row = conn.execute("select 1 from app.tenants where id = %s", (DEMO_TENANT_ID,)).fetchone()
        return row is not None


def load_demo(settings: Settings) -> str:
    loaded = _demo_loaded(settings)
    if loaded is None:
        return "no tenant tables in the plan yet: nothing to load"
    if loaded:
        return "already loaded"
    demo = project_root() / "sql" / "demo.sql"
    result = subprocess.run(
        [
            "psql",
            settings.dsn(settings.db_name, "motovault_owner"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            str(demo),
        ],
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise MotovaultError(f"loading {demo} failed:\n{result.stderr.strip()}")
    return f"loaded {shown(demo)}"


def jwks_path() -> Path:
    """The JWKS file the local PostgREST verifies tokens with (motovault keys export writes it)."""
    return state_dir() / "jwks.json"


def allow_bare_tokens(settings: Settings) -> None:
    """Local development: tokens signed with the server secret alone (`motovault token`, the demo
    token) are accepted by app.check_request. A production database leaves this off."""
    with connect(settings.dsn("postgres")) as conn:
        conn.execute(
            psycopg.sql.SQL("alter database {} set motovault.allow_bare_tokens = on").format(
                psycopg.sql.Identifier(settings.db_name)
            )
        )


def _start_postgrest(settings: Settings) -> str:
    with connect(settings.dsn(settings.db_name, OWNER_ROLE)) as conn:
        document = keys.jwks_document(conn, settings.jwt_secret)
    pid = POSTGREST.pid()
    if pid is not None and api_ready(settings):
        keys.PostgrestTarget(jwks_path(), pid, settings.api_url).publish(document, [])
        return f"already running (pid {pid})"
    keys.write_jwks(jwks_path(), document)
    if pid is not None:
        POSTGREST.stop()
    proc = postgrest.start(
        settings.dsn(settings.db_name, AUTHENTICATOR_ROLE).replace("postgresql://", "postgres://", 1),
        f"@{jwks_path()}",
        settings.api_port,  # not used: PostgREST listens on the front door's unix socket
        settings.admin_port,
        POSTGREST.log_file,
        frontdoor.postgrest_env(),
    )
    POSTGREST.record(proc.pid)
    postgrest.wait_ready(settings.admin_port, proc, POSTGREST.log_file)
    return f"started (pid {proc.pid}, log {shown(POSTGREST.log_file)})"


def _start_worker(settings: Settings) -> str:
    if not worker_available():
        return "not part of this version yet"
    pid = WORKER.pid()
    if pid is not None:
        return f"already running (pid {pid})"
    WORKER.log_file.parent.mkdir(parents=True, exist_ok=True)
    with WORKER.log_file.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "motovault", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    WORKER.record(proc.pid)
    return f"started (pid {proc.pid}, log {shown(WORKER.log_file)})"


def _start_replica(replica: Replica) -> str:
    started = start_replica(replica)
    source = wait_streaming(replica)
    return f"{started}, streaming {source}"


def demo_token(settings: Settings, role: str = "owner", ttl_seconds: int = 24 * 3600) -> str:
    if role not in DEMO_USERS:
        raise MotovaultError(f"--role: the demo has an owner, a member and a viewer, not {role!r}")
    return user_token(settings.jwt_secret, DEMO_USERS[role], DEMO_TENANT_ID, ttl_seconds=ttl_seconds)


UNCHANGED = ("already", "up to date", "nothing to load", "not part of this version")


def up() -> None:
    settings = load_settings()
    print("motovault: bringing the local stack up")
    steps: list[str] = []

    def step(name: str, message: str) -> None:
        steps.append(message)
        say(name, message)

    created = cluster.init(settings)
    step("cluster", f"initialized in {cluster.cluster_home()}" if created else "already initialized")
    started = cluster.start(settings)
    step(
        "postgres",
        f"started on 127.0.0.1:{settings.pg_port}" if started else f"already running on 127.0.0.1:{settings.pg_port}",
    )
    db_created, out = database.provision(settings, settings.db_name, progress=lambda line: say("schema", line))
    step("database", f"created {settings.db_name}" if db_created else f"{settings.db_name} already exists")
    deployed = [line.strip() for line in out.splitlines() if line.strip().startswith("+ ")]
    step("schema", f"deployed {len(deployed)} change(s)" if deployed else "up to date, nothing to deploy")
    allow_bare_tokens(settings)
    step("demo data", load_demo(settings))
    step("postgrest", _start_postgrest(settings))
    step("frontdoor", frontdoor.start(settings))
    step("worker", _start_worker(settings))
    replica = local_replica(settings)
    if replica.exists():  # made by `motovault replica up`; `down` stopped it
        step("replica", _start_replica(replica))
    if all(any(word in message for word in UNCHANGED) for message in steps):
        print("nothing changed: the stack was already up")
    print_welcome(settings)


def print_welcome(settings: Settings) -> None:
    demo = _demo_loaded(settings)
    if demo:
        token = demo_token(settings)
        who = "demo owner (24h; `motovault token --demo` mints another)"
        path = "/vehicles?limit=5"
    else:
        token = user_token(settings.jwt_secret, "00000000-0000-4000-8000-000000000000", None, ttl_seconds=24 * 3600)
        who = "app_user (24h)"
        path = "/"
    api_url = frontdoor.url(settings)
    print()
    print(f"API        {api_url}  (nginx in front of PostgREST: docs/frontdoor.md)")
    print(f"OpenAPI    {api_url}/")
    print(f"health     http://127.0.0.1:{settings.admin_port}/ready")
    print(f'database   127.0.0.1:{settings.pg_port}/{settings.db_name}  (psql "$(.venv/bin/motovault db url)")')
    print(f"token      {who}")
    print(f"  {token}")
    print("try")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{api_url}{path}'")


def _never_started() -> bool:
    return not (state_dir() / "secrets.env").is_file() and not cluster.initialized()


def down() -> None:
    if _never_started():
        print("motovault: nothing to stop (the stack was never started here)")
        return
    settings = load_settings(create_secrets=False)
    print("motovault: stopping the local stack (data kept)")
    say("worker", "stopped" if WORKER.stop() else "was not running")
    say("frontdoor", "stopped" if frontdoor.stop() else "was not running")
    say("postgrest", "stopped" if POSTGREST.stop() else "was not running")
    replica = local_replica(settings)
    if replica.exists():
        say("replica", "stopped (make up starts it again)" if stop_replica(replica) else "was not running")
    say("postgres", "stopped" if cluster.stop() else "was not running")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def schema_status(settings: Settings) -> str:
    """E.g. '2 changes deployed, last: schemas, up to date' (from sqitch.changes, the registry)."""
    with database.superuser_connect(settings) as conn:
        if not database.database_exists(conn, settings.db_name):
            return f"database {settings.db_name} does not exist yet (make up creates it)"
    with database.superuser_connect(settings, settings.db_name) as conn:
        if conn.execute("select to_regclass('sqitch.changes')").fetchone()[0] is None:  # type: ignore[index]
            return "nothing deployed (make up deploys the plan)"
        deployed = [
            row[0]
            for row in conn.execute(
                "select change from sqitch.changes where project = 'motovault' order by committed_at, change"
            )
        ]
    if not deployed:
        return "nothing deployed (make up deploys the plan)"
    plan = [entry.name for entry in load_plan(project_root()).entries]  # a reworked change: once per entry
    unknown = [name for name in deployed if name not in plan]
    pending = plan[len(deployed) :] if deployed == plan[: len(deployed)] else [n for n in plan if n not in deployed]
    text = f"{_plural(len(deployed), 'change')} deployed, last: {deployed[-1]}"
    if pending:
        text += f", {len(pending)} to deploy: {', '.join(pending)} (make up)"
    if unknown:
        text += f", {_plural(len(unknown), 'change')} not in sqitch.plan: {', '.join(unknown)}"
    if not pending and not unknown:
        text += ", up to date"
    return text


def status() -> int:
    if _never_started():
        print(f"motovault: never started here (no state in {state_dir()}); run make up")
        return 0
    settings = load_settings(create_secrets=False)
    print(f"motovault: state in {state_dir()}")
    pg = cluster.running(settings)
    say(
        "postgres",
        f"running on 127.0.0.1:{settings.pg_port} (pid {cluster.postmaster_pid()}, data {cluster.data_dir()})"
        if pg
        else "stopped",
    )
    if pg:
        try:
            say("schema", schema_status(settings))
        except (MotovaultError, KeyError, psycopg.Error) as exc:
            say("schema", f"unknown ({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__})")
    pid = POSTGREST.pid()
    say(
        "postgrest",
        f"running (pid {pid}) on {frontdoor.shown(frontdoor.socket_path())}, ready: {api_ready(settings)}"
        if pid
        else "stopped",
    )
    say("frontdoor", frontdoor.status(settings))
    wpid = WORKER.pid()
    say(
        "worker",
        f"running (pid {wpid})" if wpid else ("stopped" if worker_available() else "not part of this version yet"),
    )
    replica = local_replica(settings)
    if replica.exists():
        say(
            "replica",
            f"running on 127.0.0.1:{replica.serving_port()} (pid {replica.pid()}; motovault replica status)"
            if replica.running()
            else "stopped (motovault replica up starts it)",
        )
    return 0


def reset(assume_yes: bool = False) -> None:
    target = state_dir()
    if not target.exists() and not cluster.cluster_home().is_symlink():
        print(f"motovault: nothing to reset ({target} does not exist)")
        return
    if not assume_yes:
        if not sys.stdin.isatty():
            raise MotovaultError(
                "reset deletes every local database and secret; run it in a terminal, or pass --yes (make reset YES=1)"
            )
        answer = input(f"Delete {target} (databases, secrets, logs)? Type 'yes': ")
        if answer.strip() != "yes":
            print("reset cancelled; nothing removed")
            return
    WORKER.stop()
    frontdoor.stop()
    frontdoor.destroy()
    POSTGREST.stop()
    replica = local_replica(load_settings(create_secrets=False))
    try:
        stop_replica(replica)
    except MotovaultError:
        pass
    destroy_replica(replica)
    try:
        cluster.stop()
    except MotovaultError:
        pass
    cluster.destroy()
    shutil.rmtree(target, ignore_errors=True)
    print(f"removed {target}")


def ensure_cluster() -> Settings:
    """For `make test`: the cluster initialized and running; returns the settings."""
    settings = load_settings()
    cluster.init(settings)
    cluster.start(settings)
    database.bootstrap(settings)
    return settings


__all__ = ["up", "down", "status", "reset", "ensure_cluster", "demo_token", "pid_alive"]
