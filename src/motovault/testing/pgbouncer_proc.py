"""A PgBouncer process for tests: transaction pooling in front of the project cluster, and PostgREST
configured for it (no prepared statements, no LISTEN channel: neither survives transaction pooling)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import MotovaultError
from ..core.proc import free_port, port_open, stop_pid
from ..stack import cluster, postgrest
from ..stack.settings import AUTHENTICATOR_ROLE, Settings
from .postgrest_proc import PostgrestServer

PGBOUNCER_CANDIDATES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")

#: what PostgREST needs to change when PgBouncer (transaction mode) sits in front of PostgreSQL
POSTGREST_BEHIND_PGBOUNCER = {"PGRST_DB_PREPARED_STATEMENTS": "false", "PGRST_DB_CHANNEL_ENABLED": "false"}


def pgbouncer_bin() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return next((p for p in PGBOUNCER_CANDIDATES if Path(p).is_file()), None)


@dataclass
class PgBouncer:
    settings: Settings
    pool_mode: str = "transaction"
    pool_size: int = 5
    port: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pgbouncer-")))
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PgBouncer:
        binary = pgbouncer_bin()
        if binary is None:
            raise MotovaultError("pgbouncer is not installed (make deps installs the Debian package)")
        self.port = free_port()
        password = self.settings.secrets["MOTOVAULT_AUTHENTICATOR_PASSWORD"]
        (self.workdir / "userlist.txt").write_text(f'"{AUTHENTICATOR_ROLE}" "{password}"\n')
        (self.workdir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.settings.pg_host} port={self.settings.pg_port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir =\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {self.workdir / 'userlist.txt'}\n"
            f"pool_mode = {self.pool_mode}\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 200\n"
            "server_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\n"
            f"pidfile = {self.workdir / 'pgbouncer.pid'}\n"
        )
        if cluster.is_root():
            # PgBouncer refuses to run as root: it runs as the cluster's service user, like PostgreSQL
            user = pwd.getpwnam(cluster.SERVICE_USER)
            for path in (self.workdir, *self.workdir.iterdir()):
                os.chown(path, user.pw_uid, user.pw_gid)
        self.proc = subprocess.Popen(
            cluster.as_service_user([binary, str(self.workdir / "pgbouncer.ini")]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise MotovaultError(f"pgbouncer did not start:\n{self.log()[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            pidfile = self.workdir / "pgbouncer.pid"
            pid = int(pidfile.read_text().strip()) if pidfile.is_file() else self.proc.pid
            stop_pid(pid)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stop_pid(self.proc.pid)
                self.proc.wait(timeout=10)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def dsn(self, dbname: str) -> str:
        password = self.settings.secrets["MOTOVAULT_AUTHENTICATOR_PASSWORD"]
        return f"postgres://{AUTHENTICATOR_ROLE}:{password}@127.0.0.1:{self.port}/{dbname}"

    def log(self) -> str:
        path = self.workdir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.is_file() else ""


@dataclass
class PooledPostgrestServer(PostgrestServer):
    """PostgREST talking to PostgreSQL through a PgBouncer in transaction mode."""

    bouncer: PgBouncer | None = None

    def start(self) -> PooledPostgrestServer:
        assert self.bouncer is not None
        self.port, self.admin_port = free_port(), free_port()
        env = {**POSTGREST_BEHIND_PGBOUNCER, **self.extra_env}
        self.proc = postgrest.start(
            self.bouncer.dsn(self.dbname), self.settings.jwt_secret, self.port, self.admin_port, self.log_path, env
        )
        postgrest.wait_ready(self.admin_port, self.proc, self.log_path)
        if self.front is not None:
            self.front.start(self.port)
        return self
