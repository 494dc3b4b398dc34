"""PostgreSQL 15 instances of the local stack: the project cluster (the primary) and its read replica
are both a :class:`PgInstance` (a folder with ``data/``, ``run/`` and ``postgres.log``, and a port).

initdb and pg_ctl refuse to run as root. When we are root an instance runs as the unprivileged
system user ``motovault`` and its files live in /var/lib/motovault/<hash>, linked from its folder
(the primary's: .state/pg), because the checkout itself may sit under a folder that user cannot
enter (/root). The primary's hash is of the state folder's path (not the checkout's), so two stacks
of one checkout with different MOTOVAULT_STATE folders never share a cluster; a replica's is of its
own folder's path.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import MotovaultError
from ..core.paths import pg_bindir, state_dir
from ..core.proc import pid_alive, port_open, run
from .settings import SUPERUSER, Settings, load_settings

SERVICE_USER = "motovault"
EXTERNAL_ROOT = Path("/var/lib/motovault")


def is_root() -> bool:
    return os.geteuid() == 0


def as_service_user(cmd: list[str]) -> list[str]:
    """``cmd`` as the user instances run as: ourselves, or, as root, the system user motovault."""
    if not is_root():
        return cmd
    return ["runuser", "-u", SERVICE_USER, "--", *cmd]


def give_to_service_user(path: Path) -> None:
    """As root, hand ``path`` to the system user the instances run as (nothing to do otherwise)."""
    if is_root():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def _ensure_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", SERVICE_USER],
            what=f"creating system user {SERVICE_USER}",
        )


def _discard_orphan(target: Path) -> None:
    """Files left in /var/lib/motovault by an earlier folder at the same path (deleted by hand, e.g. a
    checkout removed and cloned again): its passwords are unknown, so the server is stopped if it still
    runs and the files are removed, and a new instance is made."""
    data = target / "data"
    if (data / "postmaster.pid").is_file():
        subprocess.run(
            as_service_user([str(pg_bindir() / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, check=False,
        )
    print(f"motovault: removing the orphaned cluster {target} (its state folder is gone)", file=sys.stderr)
    shutil.rmtree(target, ignore_errors=True)


def service_home(home: Path, link_key: str | None = None) -> Path:
    """Make ``home`` ready for files of a service the stack runs (a PostgreSQL instance, the front
    door's nginx) and return the real folder.

    Not root: ``home`` itself. Root: a folder of /var/lib/motovault owned by the service user and
    linked from ``home`` (keyed by ``link_key``, default the path of ``home``); an existing link or a
    folder made by hand is used where it is, a dangling link is replaced, and files left at the target
    by an earlier ``home`` at the same path are an orphan: stopped and removed."""
    home.parent.mkdir(parents=True, exist_ok=True)
    if not is_root():
        home.mkdir(exist_ok=True)
        return home
    _ensure_service_user()
    if home.is_symlink() and home.resolve().is_dir():
        target = home.resolve()  # also one made before the primary's hash was keyed by the state folder
    elif home.is_dir():
        target = home  # made by hand (or before a run as root): used where it is
    else:
        if home.is_symlink():
            home.unlink()  # dangling: its files are gone
        key = link_key or str(home.parent.resolve() / home.name)
        target = EXTERNAL_ROOT / hashlib.sha1(key.encode()).hexdigest()[:12]
        if target.exists():
            _discard_orphan(target)
        target.mkdir(parents=True)
        home.symlink_to(target, target_is_directory=True)
    target.parent.chmod(0o755)
    give_to_service_user(target)
    target.chmod(0o700)
    return target


@dataclass(frozen=True)
class PgInstance:
    """One PostgreSQL server of the local stack: its files under ``home`` (a link into
    /var/lib/motovault when root), served on ``host:port``.

    ``what`` names it in messages ("PostgreSQL", "the replica"), ``port_variable`` is the environment
    variable that moves it to another port, ``link_key`` what the /var/lib/motovault folder is keyed
    by (default: the path of ``home``)."""

    home: Path
    port: int
    host: str = "127.0.0.1"
    what: str = "PostgreSQL"
    port_variable: str = "MOTOVAULT_PGPORT"
    link_key: str | None = None
    bindir: Path | None = None  # the server binaries (default pg_bindir(): Debian's; a Citus build's)

    def tool(self, name: str) -> str:
        """The path of the server binary ``name`` (initdb, pg_ctl) this instance runs with."""
        return str((self.bindir or pg_bindir()) / name)

    # --- where its files are -------------------------------------------------------------------

    @property
    def real_home(self) -> Path:
        """``home`` with the link resolved: every path handed to the service user (initdb, pg_ctl,
        the socket directory) must not go through the state folder, which may sit under a folder
        that user cannot enter (/root, a 0700 tmp dir)."""
        return self.home.resolve() if self.home.is_symlink() else self.home

    @property
    def data_dir(self) -> Path:
        return self.real_home / "data"

    @property
    def run_dir(self) -> Path:
        return self.real_home / "run"

    @property
    def log_file(self) -> Path:
        return self.real_home / "postgres.log"

    def prepare_home(self) -> Path:
        """Make ``home`` ready for the instance's files and return the real folder (service_home)."""
        return service_home(self.home, self.link_key)

    # --- what runs -----------------------------------------------------------------------------

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def _pid_file(self) -> list[str]:
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def pid(self) -> int | None:
        """The postmaster, when it runs."""
        lines = self._pid_file()
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def serving_port(self) -> int:
        """The port it runs on (its postmaster.pid), else the configured one."""
        lines = self._pid_file()
        try:
            return int(lines[3]) if self.pid() is not None else self.port
        except (IndexError, ValueError):
            return self.port

    def running(self) -> bool:
        return self.pid() is not None and port_open(self.host, self.serving_port())

    # --- life cycle ----------------------------------------------------------------------------

    def initdb(self, superuser: str, password: str, settings: str) -> bool:
        """initdb once (``superuser`` with ``password``, data checksums), then ``settings`` appended to
        its postgresql.auto.conf; returns True when it created the instance."""
        home = self.prepare_home()
        if self.initialized():
            return False
        pwfile = home / "initdb.pw"
        pwfile.write_text(password + "\n")
        give_to_service_user(pwfile)
        os.chmod(pwfile, 0o600)
        try:
            run(
                as_service_user([
                    self.tool("initdb"), "-D", str(self.data_dir), "-U", superuser,
                    "--pwfile", str(pwfile), "--auth-local=peer", "--auth-host=scram-sha-256",
                    "--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums",
                ]),
                what="initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        give_to_service_user(self.run_dir)
        with (self.data_dir / "postgresql.auto.conf").open("a") as fh:
            fh.write(settings)
        return True

    def check_port_free(self) -> None:
        if port_open(self.host, self.port):
            raise MotovaultError(
                f"port {self.port} is taken by another server; set {self.port_variable} to a free port"
            )

    def start(self, timeout: float = 30.0) -> bool:
        """pg_ctl start on ``port`` unless it runs; returns True when it started it."""
        if self.running():
            return False
        self.check_port_free()
        run(
            as_service_user([
                self.tool("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                "-o", f"-p {self.port}", "-w", "-t", "60", "start",
            ]),
            what=f"starting {self.what} (log: {self.log_file})",
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if time.monotonic() > deadline:
                raise MotovaultError(f"{self.what} did not open port {self.port}; see {self.log_file}")
            time.sleep(0.1)
        return True

    def stop(self) -> bool:
        """pg_ctl stop (fast: sessions are ended, data kept); False when it was not running."""
        if not self.initialized() or self.pid() is None:
            return False
        run(
            as_service_user([self.tool("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]),
            what=f"stopping {self.what}",
        )
        return True

    def destroy(self) -> bool:
        """Remove the instance's files (after stop); False when there were none."""
        home = self.home
        if home.is_symlink():
            shutil.rmtree(home.resolve(), ignore_errors=True)
            home.unlink()
            return True
        if home.exists():
            shutil.rmtree(home, ignore_errors=True)
            return True
        return False


# --- the project cluster (the primary) ---------------------------------------------------------------


def cluster_home() -> Path:
    """Folder holding data/, run/ and postgres.log (a symlink target when root)."""
    return state_dir() / "pg"


def local_cluster(settings: Settings | None = None) -> PgInstance:
    """The project cluster in .state/pg on MOTOVAULT_PGPORT."""
    settings = settings or load_settings(create_secrets=False)
    return PgInstance(
        home=cluster_home(),
        port=settings.pg_port,
        host=settings.pg_host,
        link_key=str(state_dir().resolve()),
    )


def data_dir() -> Path:
    return local_cluster().data_dir


def initialized() -> bool:
    return local_cluster().initialized()


def init(settings: Settings) -> bool:
    """initdb once; returns True when it created the cluster."""
    instance = local_cluster(settings)
    instance.prepare_home()  # first: run_dir below is the real folder, not a path through the state folder
    created = instance.initdb(
        SUPERUSER,
        settings.secrets["MOTOVAULT_SUPERUSER_PASSWORD"],
        "# motovault local cluster\n"
        "listen_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{instance.run_dir}'\n"
        "shared_preload_libraries = 'pg_stat_statements'\n"
        "fsync = on\n"
        "max_connections = 200\n"
        "log_min_messages = warning\n",
    )
    if created:
        ensure_memory_settings()
    return created


def shared_buffers_mb(meminfo: Path = Path("/proc/meminfo")) -> int:
    """A quarter of the machine's memory for PostgreSQL's buffer cache, between its default (128 MB)
    and 1 GB: a development machine runs other things too."""
    try:
        total_kb = next(
            int(line.split()[1]) for line in meminfo.read_text().splitlines() if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return 128
    return max(128, min(1024, total_kb // 1024 // 4))


def ensure_memory_settings() -> None:
    """shared_buffers in postgresql.auto.conf, unless it is set there already (by an earlier start or by
    ALTER SYSTEM, which wins). Read at the next start of the server."""
    conf = data_dir() / "postgresql.auto.conf"
    text = conf.read_text() if conf.is_file() else ""
    if any(line.strip().startswith("shared_buffers") for line in text.splitlines()):
        return
    with conf.open("a") as fh:
        fh.write(f"shared_buffers = '{shared_buffers_mb()}MB'  # motovault: a quarter of the memory, at most 1 GB\n")


def running(settings: Settings) -> bool:
    return local_cluster(settings).running()


def postmaster_pid() -> int | None:
    return local_cluster().pid()


def start(settings: Settings) -> bool:
    """Start the cluster if it is not running; returns True when it started it."""
    instance = local_cluster(settings)
    if instance.running():
        return False
    instance.check_port_free()
    ensure_memory_settings()
    return instance.start()


def stop() -> bool:
    return local_cluster().stop()


def destroy() -> None:
    """Remove the cluster's files (after stop)."""
    local_cluster().destroy()


def psql(settings: Settings, sql: str, dbname: str = "postgres") -> str:
    """Run SQL as the superuser through psql and return its unaligned output."""
    result = subprocess.run(
        ["psql", settings.dsn(dbname), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        text=True, capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise MotovaultError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()
