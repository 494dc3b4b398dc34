"""The project-local PostgreSQL 15 cluster.

initdb and pg_ctl refuse to run as root. When we are root the cluster runs as
the unprivileged system user ``motovault`` and its files live in
/var/lib/motovault/<state-hash>, linked from .state/pg, because the
checkout itself may sit under a folder that user cannot enter (/root).
The hash is of the state folder's path (not the checkout's), so two stacks of
one checkout with different MOTOVAULT_STATE folders never share a cluster.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..core.errors import MotovaultError
from ..core.paths import pg_bindir, state_dir
from ..core.proc import port_open, run
from .settings import SUPERUSER, Settings

SERVICE_USER = "motovault"


def is_root() -> bool:
    return os.geteuid() == 0


def cluster_home() -> Path:
    """Folder holding data/, run/ and postgres.log (a symlink target when root)."""
    return state_dir() / "pg"


def _external_home() -> Path:
    digest = hashlib.sha1(str(state_dir().resolve()).encode()).hexdigest()[:12]
    return Path("/var/lib/motovault") / digest


def real_home() -> Path:
    """cluster_home() with the symlink resolved: every path handed to the service user
    (initdb, pg_ctl, the socket directory) must not go through the state folder, which
    may sit under a folder that user cannot enter (/root, a 0700 tmp dir)."""
    home = cluster_home()
    return home.resolve() if home.is_symlink() else home


def data_dir() -> Path:
    return real_home() / "data"


def log_file() -> Path:
    return real_home() / "postgres.log"


def _as_service_user(cmd: list[str]) -> list[str]:
    if not is_root():
        return cmd
    return ["runuser", "-u", SERVICE_USER, "--", *cmd]


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
    """A cluster left in /var/lib/motovault by an earlier state folder at the same path (deleted
    with its secrets, e.g. a checkout removed and cloned again): its passwords are unknown, so
    it is stopped if it still runs and removed, and a new cluster is made."""
    data = target / "data"
    if (data / "postmaster.pid").is_file():
        subprocess.run(
            _as_service_user([str(pg_bindir() / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, check=False,
        )
    print(f"motovault: removing the orphaned cluster {target} (its state folder is gone)", file=sys.stderr)
    shutil.rmtree(target, ignore_errors=True)


def _prepare_home() -> None:
    home = cluster_home()
    state_dir().mkdir(parents=True, exist_ok=True)
    if not is_root():
        home.mkdir(parents=True, exist_ok=True)
        return
    _ensure_service_user()
    target = _external_home()
    if home.is_symlink() and home.resolve().is_dir():
        # an existing cluster stays where it is (also one made before the hash was
        # keyed by the state folder)
        target = home.resolve()
    elif home.is_symlink():
        home.unlink()  # dangling: its files are gone
    if not home.exists():
        if target.exists():
            _discard_orphan(target)
        target.mkdir(parents=True, exist_ok=True)
        if not home.is_symlink():
            home.symlink_to(target, target_is_directory=True)
    user = pwd.getpwnam(SERVICE_USER)
    for path in (target.parent, target):
        target.mkdir(parents=True, exist_ok=True)
        os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(path, 0o755 if path == target.parent else 0o700)


def as_service_user(cmd: list[str]) -> list[str]:
    """``cmd`` as the user clusters run as: ourselves, or, as root, the system user motovault."""
    return _as_service_user(cmd)


def give_to_service_user(path: Path) -> None:
    """As root, hand ``path`` to the system user the clusters run as (nothing to do otherwise)."""
    if is_root():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def service_home(home: Path) -> Path:
    """Make ``home`` ready for another cluster's files (a replica's) and return the real folder.

    Not root: ``home`` itself. Root: a folder of /var/lib/motovault keyed by the path of ``home``,
    owned by the service user and linked from ``home`` (the same reasons as the primary's: initdb,
    pg_ctl and pg_basebackup run as that user, who may not enter the state folder). A folder left
    there by an earlier ``home`` at the same path that was deleted by hand is an orphan: stopped and
    replaced."""
    home.parent.mkdir(parents=True, exist_ok=True)
    if not is_root():
        home.mkdir(exist_ok=True)
        return home
    _ensure_service_user()
    if home.is_symlink() and home.resolve().is_dir():
        target = home.resolve()
    elif home.is_dir():
        target = home  # made by hand (or before a run as root): used where it is
    else:
        if home.is_symlink():
            home.unlink()  # dangling: its files are gone
        digest = hashlib.sha1(str(home.parent.resolve() / home.name).encode()).hexdigest()[:12]
        target = Path("/var/lib/motovault") / digest
        if target.exists():
            _discard_orphan(target)
        target.mkdir(parents=True)
        home.symlink_to(target, target_is_directory=True)
    target.parent.chmod(0o755)
    give_to_service_user(target)
    target.chmod(0o700)
    return target


def initialized() -> bool:
    return (data_dir() / "PG_VERSION").is_file()


def init(settings: Settings) -> bool:
    """initdb once; returns True when it created the cluster."""
    _prepare_home()
    if initialized():
        return False
    home = real_home()
    pwfile = home / "initdb.pw"
    pwfile.write_text(settings.secrets["MOTOVAULT_SUPERUSER_PASSWORD"] + "\n")
    if is_root():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    os.chmod(pwfile, 0o600)
    try:
        run(
            _as_service_user([
                str(pg_bindir() / "initdb"), "-D", str(data_dir()), "-U", SUPERUSER,
                "--pwfile", str(pwfile), "--auth-local=peer", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums",
            ]),
            what="initdb",
        )
    finally:
        pwfile.unlink(missing_ok=True)
    run_dir = home / "run"
    run_dir.mkdir(exist_ok=True)
    if is_root():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(run_dir, user.pw_uid, user.pw_gid)
    conf = data_dir() / "postgresql.auto.conf"
    with conf.open("a") as fh:
        fh.write(
            "# motovault local cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{run_dir}'\n"
            "shared_preload_libraries = 'pg_stat_statements'\n"
            "fsync = on\n"
            "max_connections = 200\n"
            "log_min_messages = warning\n"
        )
    ensure_memory_settings()
    return True


def shared_buffers_mb(meminfo: Path = Path("/proc/meminfo")) -> int:
    """A quarter of the machine's memory for PostgreSQL's buffer cache, between its default (128 MB)
    and 1 GB: a development machine runs other things too."""
    try:
        total_kb = next(int(line.split()[1]) for line in meminfo.read_text().splitlines() if line.startswith("MemTotal:"))
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
    pid_file = data_dir() / "postmaster.pid"
    return pid_file.is_file() and port_open(settings.pg_host, settings.pg_port)


def postmaster_pid() -> int | None:
    try:
        return int((data_dir() / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def start(settings: Settings) -> bool:
    """Start the cluster if it is not running; returns True when it started it."""
    if running(settings):
        return False
    if port_open(settings.pg_host, settings.pg_port):
        raise MotovaultError(
            f"port {settings.pg_port} is taken by another server; set MOTOVAULT_PGPORT to a free port"
        )
    ensure_memory_settings()
    run(
        _as_service_user([
            str(pg_bindir() / "pg_ctl"), "-D", str(data_dir()), "-l", str(log_file()),
            "-o", f"-p {settings.pg_port}", "-w", "-t", "60", "start",
        ]),
        what=f"starting PostgreSQL (log: {log_file()})",
    )
    deadline = time.monotonic() + 30
    while not port_open(settings.pg_host, settings.pg_port):
        if time.monotonic() > deadline:
            raise MotovaultError(f"PostgreSQL did not open port {settings.pg_port}; see {log_file()}")
        time.sleep(0.1)
    return True


def stop() -> bool:
    if not initialized() or postmaster_pid() is None:
        return False
    run(
        _as_service_user([str(pg_bindir() / "pg_ctl"), "-D", str(data_dir()), "-m", "fast", "-w", "stop"]),
        what="stopping PostgreSQL",
    )
    return True


def destroy() -> None:
    """Remove the cluster's files (after stop)."""
    home = cluster_home()
    if home.is_symlink():
        shutil.rmtree(home.resolve(), ignore_errors=True)
        home.unlink()
    elif home.exists():
        shutil.rmtree(home, ignore_errors=True)


def psql(settings: Settings, sql: str, dbname: str = "postgres") -> str:
    """Run SQL as the superuser through psql and return its unaligned output."""
    result = subprocess.run(
        ["psql", settings.dsn(dbname), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        text=True, capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise MotovaultError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()
