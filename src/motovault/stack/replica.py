"""A streaming read replica of the local cluster, for analysts.

``up`` clones the running project cluster with pg_basebackup (``-R``: the standby's configuration;
``-X stream``: the WAL written during the copy; ``-C -S``: a physical replication slot, so the
primary keeps every WAL segment the replica has not received yet, also while the replica is
stopped) into the replica's own folder, and starts it as a hot standby on its own port. Analysts
log in to it as motovault_analyst (a member of analyst); the standby refuses every write
(SQLSTATE 25006).

On the primary (motovault.stack.replication): the roles of sql/bootstrap_replication.sql and a
pg_hba.conf line for replication connections from 127.0.0.1.

Where: .state/replica (``MOTOVAULT_REPLICA_DIR``), on the primary's port + 10
(``MOTOVAULT_REPLICA_PORT``). As root its files live in /var/lib/motovault, like the primary's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..core.db import connect
from ..core.errors import MotovaultError
from ..core.paths import pg_bindir, state_dir
from ..core.proc import run
from .cluster import PgInstance, as_service_user, give_to_service_user
from .replication import check_primary, drop_slot, ensure_hba, ensure_roles, one, primary_connect, slot_state
from .settings import ANALYST_LOGIN, REPLICATION_ROLE, SUPERUSER, Settings, port_from_env

PORT_OFFSET = 10
STREAM_TIMEOUT = 60.0

Say = Callable[[str, str], None]


@dataclass(frozen=True)
class Replica:
    """A replica of ``primary`` (the local cluster) with its files under ``home``, served on ``port``."""

    home: Path
    port: int
    primary: Settings

    @property
    def slot(self) -> str:
        """The primary's replication slot of this replica: one per folder."""
        path = self.home.parent.resolve() / self.home.name
        return "motovault_replica_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]

    @property
    def instance(self) -> PgInstance:
        """The replica's PostgreSQL server (the same class as the primary's)."""
        return PgInstance(
            home=self.home,
            port=self.port,
            host=self.primary.pg_host,
            what="the replica",
            port_variable="MOTOVAULT_REPLICA_PORT",
        )

    @property
    def real_home(self) -> Path:
        return self.instance.real_home

    @property
    def data_dir(self) -> Path:
        return self.instance.data_dir

    @property
    def run_dir(self) -> Path:
        return self.instance.run_dir

    @property
    def log_file(self) -> Path:
        return self.instance.log_file

    def exists(self) -> bool:
        return self.instance.initialized()

    def pid(self) -> int | None:
        """The replica's postmaster, when it runs."""
        return self.instance.pid()

    def serving_port(self) -> int:
        """The port it runs on (its postmaster.pid), else the configured one."""
        return self.instance.serving_port()

    def running(self) -> bool:
        return self.instance.running()

    def settings(self) -> Settings:
        """The primary's settings pointed at the replica (same roles and passwords: it is a copy)."""
        return dataclasses.replace(self.primary, pg_port=self.serving_port())

    def analyst_url(self) -> str:
        return self.settings().dsn(self.primary.db_name, ANALYST_LOGIN)


def local_replica(settings: Settings) -> Replica:
    """The replica of the local stack: .state/replica (MOTOVAULT_REPLICA_DIR), port MOTOVAULT_REPLICA_PORT."""
    folder = os.environ.get("MOTOVAULT_REPLICA_DIR")
    home = Path(folder).absolute() if folder else state_dir() / "replica"
    port = port_from_env("MOTOVAULT_REPLICA_PORT", settings.pg_port + PORT_OFFSET)
    return Replica(home=home, port=port, primary=settings)


# --- the replica ----------------------------------------------------------------------------------


def _folder_size(path: Path) -> str:
    return human_bytes(sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()))


def clone(replica: Replica, conn: psycopg.Connection) -> str:
    """pg_basebackup of the primary into the replica's folder, with its slot and standby configuration."""
    if replica.exists():
        return f"already cloned (data {replica.data_dir})"
    replica.instance.check_port_free()
    replica.instance.prepare_home()
    if replica.data_dir.exists():
        shutil.rmtree(replica.data_dir)  # a clone that did not finish (no PG_VERSION)
    replica.run_dir.mkdir(exist_ok=True)
    give_to_service_user(replica.run_dir)
    state = slot_state(conn, replica.slot)
    if state is not None:
        if state[0]:
            raise MotovaultError(f"replication slot {replica.slot} is in use by WAL sender pid {state[1]}")
        drop_slot(conn, replica.slot)  # left by a replica of this folder that was deleted by hand
    primary = replica.primary
    conninfo = (
        f"host={primary.pg_host} port={primary.pg_port} user={REPLICATION_ROLE} application_name={replica.slot}"
    )
    try:
        run(
            as_service_user([
                str(pg_bindir() / "pg_basebackup"), "--dbname", conninfo, "--pgdata", str(replica.data_dir),
                "--write-recovery-conf", "--wal-method=stream", "--create-slot", "--slot", replica.slot,
                "--checkpoint=fast", "--no-password",
            ]),
            env={"PGPASSWORD": primary.secrets["MOTOVAULT_REPLICATION_PASSWORD"]},
            what="pg_basebackup",
        )
    except MotovaultError:
        shutil.rmtree(replica.data_dir, ignore_errors=True)
        try:
            drop_slot(conn, replica.slot, timeout=5)
        except MotovaultError:
            pass
        raise
    with (replica.data_dir / "postgresql.auto.conf").open("a") as fh:
        fh.write(
            "# motovault read replica (motovault replica up)\n"
            f"unix_socket_directories = '{replica.run_dir}'\n"
            "hot_standby = on\n"
            # the primary keeps the row versions analysts' queries still read, instead of
            # cancelling those queries when it vacuums them away
            "hot_standby_feedback = on\n"
            "cluster_name = 'motovault-replica'\n"
        )
    return (
        f"cloned {_folder_size(replica.data_dir)} from {primary.pg_host}:{primary.pg_port} "
        f"(pg_basebackup, slot {replica.slot}) into {replica.data_dir}"
    )


def start(replica: Replica) -> str:
    if replica.running():
        return f"already running on {replica.primary.pg_host}:{replica.serving_port()} (pid {replica.pid()})"
    if not replica.exists():
        raise MotovaultError(f"no replica in {replica.home} (motovault replica up creates one)")
    replica.instance.start()
    return f"started on {replica.primary.pg_host}:{replica.port} (pid {replica.pid()}, log {replica.log_file})"


def replica_connect(replica: Replica, dbname: str = "postgres", user: str = SUPERUSER) -> psycopg.Connection:
    return connect(
        replica.settings().dsn(dbname, user), connect_timeout=5, what=f"the replica on port {replica.serving_port()}"
    )


def _receiver(replica: Replica) -> tuple[str, str] | None:
    """(status, 'host:port') of the replica's WAL receiver, None when it has none."""
    with replica_connect(replica) as conn:
        row = conn.execute("select status, sender_host, sender_port from pg_stat_wal_receiver").fetchone()
    return None if row is None else (str(row[0]), f"{row[1]}:{row[2]}")


def wait_streaming(replica: Replica, timeout: float = STREAM_TIMEOUT) -> str:
    """Wait until the replica's WAL receiver streams; says from where."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            receiver = _receiver(replica)
        except MotovaultError:
            receiver = None  # still starting
        if receiver is not None and receiver[0] == "streaming":
            return f"from {receiver[1]}"
        if time.monotonic() > deadline:
            raise MotovaultError(
                f"the replica does not stream from the primary after {timeout:.0f} s; see {replica.log_file}"
            )
        time.sleep(0.2)


def wait_replayed(replica: Replica, timeout: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary had written when this was called."""
    with primary_connect(replica.primary) as conn:
        target = str(one(conn, "select pg_current_wal_lsn()"))
    deadline = time.monotonic() + timeout
    with replica_connect(replica) as conn:
        while not one(conn, "select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
            if time.monotonic() > deadline:
                raise MotovaultError(f"the replica has not replayed up to {target} after {timeout:.0f} s")
            time.sleep(0.1)


def up(replica: Replica, say: Say) -> bool:
    """Create (if missing), start and stream; says each step. Returns True when something changed."""
    changed = False
    with primary_connect(replica.primary) as conn:
        if not replica.running():
            replica.instance.check_port_free()
        check_primary(conn)
        roles = ensure_roles(replica.primary, conn)
        say("roles", roles)
        changed |= roles.startswith("created")
        hba = ensure_hba(conn)
        say("pg_hba", hba)
        changed |= not hba.startswith("already")
        cloned = clone(replica, conn)
        say("clone", cloned)
        changed |= not cloned.startswith("already")
    started = start(replica)
    say("replica", started)
    changed |= not started.startswith("already")
    source = wait_streaming(replica)
    say("streaming", source if changed else f"already streaming {source}")
    return changed


def stop(replica: Replica) -> bool:
    """Stop the replica (its data and slot stay); False when it was not running."""
    return replica.instance.stop()


def destroy(replica: Replica) -> bool:
    """Remove the replica's files (after stop); False when there were none."""
    return replica.instance.destroy()


def drop(replica: Replica, say: Say) -> bool:
    """Stop the replica, delete its folder, drop its slot on the primary. False when the slot could not
    be dropped because the primary does not run (it keeps WAL for the replica until it is dropped)."""
    say("replica", "stopped" if stop(replica) else "was not running")
    say("folder", f"deleted {replica.home}" if destroy(replica) else "none")
    try:
        conn = primary_connect(replica.primary)
    except MotovaultError as exc:
        say("slot", f"{replica.slot} not dropped: {exc}; run `motovault replica drop` again once it runs")
        return False
    with conn:
        say("slot", f"dropped {replica.slot}" if drop_slot(conn, replica.slot) else "none")
    return True


# --- status ---------------------------------------------------------------------------------------


@dataclass
class ReplicaStatus:
    home: str
    data_dir: str
    slot: str
    exists: bool
    running: bool = False
    pid: int | None = None
    port: int | None = None
    streaming: bool = False
    receiver_status: str | None = None
    upstream: str | None = None
    in_recovery: bool | None = None
    replay_paused: bool | None = None
    received_lsn: str | None = None
    replayed_lsn: str | None = None
    last_replayed_at: str | None = None
    primary_running: bool = False
    primary_lsn: str | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    sender_state: str | None = None
    sender_replay_lag_seconds: float | None = None
    slot_exists: bool | None = None
    slot_active: bool | None = None
    slot_retained_bytes: int | None = None
    slot_wal_status: str | None = None
    analyst_url: str | None = None


def status(replica: Replica) -> ReplicaStatus:
    """What the replica and the primary say about it. The lag in bytes is the primary's current WAL
    position minus the replica's replayed one; in seconds, the age of the last replayed transaction
    while received WAL waits to be replayed (0 when everything received is replayed)."""
    st = ReplicaStatus(
        home=str(replica.home), data_dir=str(replica.data_dir), slot=replica.slot, exists=replica.exists()
    )
    if st.exists and replica.running():
        st.running, st.pid, st.port = True, replica.pid(), replica.serving_port()
        st.analyst_url = replica.analyst_url()
        with replica_connect(replica) as conn:
            row = conn.execute(
                """
                select pg_is_in_recovery(),
                       pg_get_wal_replay_pause_state() <> 'not paused',
                       pg_last_wal_receive_lsn()::text,
                       pg_last_wal_replay_lsn()::text,
                       pg_last_xact_replay_timestamp()::text,
                       case when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
                            else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end
                """
            ).fetchone()
            assert row is not None
            (st.in_recovery, st.replay_paused, st.received_lsn, st.replayed_lsn, st.last_replayed_at,
             st.lag_seconds) = row
            receiver = conn.execute("select status, sender_host, sender_port from pg_stat_wal_receiver").fetchone()
        if receiver is not None:
            st.receiver_status, st.upstream = str(receiver[0]), f"{receiver[1]}:{receiver[2]}"
        st.streaming = bool(st.in_recovery) and st.receiver_status == "streaming"
    try:
        conn = primary_connect(replica.primary)
    except MotovaultError:
        return st
    with conn:
        st.primary_running = True
        st.primary_lsn = str(one(conn, "select pg_current_wal_lsn()"))
        if st.replayed_lsn is not None:
            st.lag_bytes = max(0, int(str(one(
                conn, "select pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", (st.primary_lsn, st.replayed_lsn)
            ))))
        row = conn.execute(
            """
            select s.active, s.wal_status, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint,
                   r.state, extract(epoch from r.replay_lag)::float8
            from pg_replication_slots as s
            left join pg_stat_replication as r on r.pid = s.active_pid
            where s.slot_name = %s
            """,
            (replica.slot,),
        ).fetchone()
    st.slot_exists = row is not None
    if row is not None:
        st.slot_active, st.slot_wal_status, st.slot_retained_bytes, st.sender_state, st.sender_replay_lag_seconds = row
    return st


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"
