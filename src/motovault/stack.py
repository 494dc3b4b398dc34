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

from . import cluster, database, postgrest
from .demo import DEMO_TENANT_ID, DEMO_USERS
from .errors import MotovaultError
from .jwt import user_token
from .paths import project_root, state_dir
from .proc import pid_alive, read_pid, stop_pid
from .settings import AUTHENTICATOR_ROLE, Settings, load_settings


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
    return importlib.util.find_spec("motovault.worker") is not None


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
        ["psql", settings.dsn(settings.db_name, "motovault_owner"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(demo)],
        text=True, capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise MotovaultError(f"loading {demo} failed:\n{result.stderr.strip()}")
    return f"loaded {demo.relative_to(project_root())}"


def _start_postgrest(settings: Settings) -> str:
    pid = POSTGREST.pid()
    if pid is not None and api_ready(settings):
        return f"already running (pid {pid})"
    if pid is not None:
        POSTGREST.stop()
    proc = postgrest.start(
        settings.dsn(settings.db_name, AUTHENTICATOR_ROLE).replace("postgresql://", "postgres://", 1),
        settings.jwt_secret,
        settings.api_port,
        settings.admin_port,
        POSTGREST.log_file,
    )
    POSTGREST.record(proc.pid)
    postgrest.wait_ready(settings.admin_port, proc, POSTGREST.log_file)
    return f"started (pid {proc.pid}, log {POSTGREST.log_file.relative_to(project_root())})"


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
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    WORKER.record(proc.pid)
    return f"started (pid {proc.pid}, log {WORKER.log_file.relative_to(project_root())})"


def demo_token(settings: Settings, role: str = "owner", ttl_seconds: int = 24 * 3600) -> str:
    if role not in DEMO_USERS:
        raise MotovaultError(f"--role: the demo has an owner, a member and a viewer, not {role!r}")
    return user_token(settings.jwt_secret, DEMO_USERS[role], DEMO_TENANT_ID, ttl_seconds=ttl_seconds)


def up() -> None:
    settings = load_settings()
    print("motovault: bringing the local stack up")
    created = cluster.init(settings)
    say("cluster", f"initialized in {cluster.cluster_home()}" if created else "already initialized")
    started = cluster.start(settings)
    say("postgres", f"started on 127.0.0.1:{settings.pg_port}" if started else f"already running on 127.0.0.1:{settings.pg_port}")
    db_created, out = database.provision(settings, settings.db_name)
    if db_created:
        say("database", f"created {settings.db_name}")
    deployed = [line.strip() for line in out.splitlines() if line.strip().startswith("+ ")]
    say("schema", f"deployed {len(deployed)} change(s)" if deployed else "up to date, nothing to deploy")
    say("demo data", load_demo(settings))
    say("postgrest", _start_postgrest(settings))
    say("worker", _start_worker(settings))
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
    print()
    print(f"API        {settings.api_url}")
    print(f"OpenAPI    {settings.api_url}/")
    print(f"health     http://127.0.0.1:{settings.admin_port}/ready")
    print(f"database   127.0.0.1:{settings.pg_port}/{settings.db_name}  (psql \"$(.venv/bin/motovault db url)\")")
    print(f"token      {who}")
    print(f"  {token}")
    print("try")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{settings.api_url}{path}'")


def down() -> None:
    settings = load_settings()
    print("motovault: stopping the local stack (data kept)")
    say("worker", "stopped" if WORKER.stop() else "was not running")
    say("postgrest", "stopped" if POSTGREST.stop() else "was not running")
    say("postgres", "stopped" if cluster.stop() else "was not running")
    del settings


def status() -> int:
    settings = load_settings()
    pg = cluster.running(settings)
    say("postgres", f"running on 127.0.0.1:{settings.pg_port} (pid {cluster.postmaster_pid()}, data {cluster.data_dir()})" if pg else "stopped")
    if pg:
        try:
            out = database.sqitch(settings, settings.db_name, "status").stdout
            last = [line for line in out.splitlines() if line.startswith("# Change:") or "up-to-date" in line.lower() or "undeployed" in line.lower()]
            say("schema", "; ".join(s.strip("# ") for s in last) or "deployed")
        except MotovaultError:
            say("schema", "not deployed")
    pid = POSTGREST.pid()
    say("postgrest", f"running (pid {pid}) at {settings.api_url}, ready: {api_ready(settings)}" if pid else "stopped")
    wpid = WORKER.pid()
    say("worker", f"running (pid {wpid})" if wpid else ("stopped" if worker_available() else "not part of this version yet"))
    return 0


def reset(assume_yes: bool = False) -> None:
    target = state_dir()
    if not assume_yes:
        if not sys.stdin.isatty():
            raise MotovaultError("reset deletes every local database and secret; run it in a terminal or pass --yes")
        answer = input(f"Delete {target} (databases, secrets, logs)? Type 'yes': ")
        if answer.strip() != "yes":
            print("reset cancelled; nothing removed")
            return
    WORKER.stop()
    POSTGREST.stop()
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
    with database.superuser_connect(settings) as conn:
        database.ensure_owner_role(conn, settings.secrets["MOTOVAULT_OWNER_PASSWORD"])
    return settings


__all__ = ["up", "down", "status", "reset", "ensure_cluster", "demo_token", "pid_alive"]
