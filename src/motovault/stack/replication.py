"""The primary's side of streaming replication: what a read replica (motovault.stack.replica) needs there.

As the superuser of the primary: the replication role and the analysts' login
(sql/bootstrap_replication.sql, passwords from .state/secrets.env), a pg_hba.conf line for
replication connections of that role from 127.0.0.1 (added once, then the configuration is
reloaded), and the replicas' physical replication slots.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg

from ..core.db import connect
from ..core.errors import MotovaultError
from ..core.paths import project_root
from ..core.proc import port_open
from .settings import ANALYST_LOGIN, REPLICATION_ROLE, SUPERUSER, Settings

HBA_LINE = f"host    replication     {REPLICATION_ROLE}    127.0.0.1/32    scram-sha-256"
HBA_COMMENT = "# motovault replica: replication connections from this machine (motovault replica up)"


def primary_connect(settings: Settings) -> psycopg.Connection:
    """The primary as the superuser; a clear error when it does not run."""
    where = f"{settings.pg_host}:{settings.pg_port}"
    if not port_open(settings.pg_host, settings.pg_port):
        raise MotovaultError(f"the primary is not running on {where} (make up starts it)")
    return connect(settings.dsn("postgres", SUPERUSER), what=f"the primary on {where}")


def one(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def check_primary(conn: psycopg.Connection) -> None:
    """The primary can stream WAL: not itself a standby, wal_level replica or logical, WAL senders."""
    if one(conn, "select pg_is_in_recovery()"):
        raise MotovaultError("the primary is itself a standby: make the replica of the primary")
    level = one(conn, "show wal_level")
    if level not in ("replica", "logical"):
        raise MotovaultError(f"the primary has wal_level = {level}: set it to replica and restart it")
    if int(str(one(conn, "show max_wal_senders"))) < 1:
        raise MotovaultError("the primary has max_wal_senders = 0: raise it and restart it")


def ensure_roles(settings: Settings, conn: psycopg.Connection) -> str:
    """The replication role and the analysts' login (sql/bootstrap_replication.sql); says what it did."""
    if one(conn, "select 1 from pg_roles where rolname = 'analyst'") is None:
        raise MotovaultError("the primary has no role analyst: deploy the plan first (make up)")
    wanted = (REPLICATION_ROLE, ANALYST_LOGIN)
    before = {r[0] for r in conn.execute("select rolname from pg_roles where rolname = any(%s)", (list(wanted),))}
    secrets = settings.secrets
    result = subprocess.run(
        [
            "psql", settings.dsn("postgres", SUPERUSER), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-v", f"replication_password={secrets['MOTOVAULT_REPLICATION_PASSWORD']}",
            "-v", f"analyst_password={secrets['MOTOVAULT_ANALYST_PASSWORD']}",
            "-f", str(project_root() / "sql" / "bootstrap_replication.sql"),
        ],
        text=True, capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise MotovaultError(f"creating the replication roles failed: {result.stderr.strip()}")
    created = [name for name in wanted if name not in before]
    if created:
        return "created " + " and ".join(created)
    return f"{' and '.join(wanted)} already exist"


def _hba_has_line(conn: psycopg.Connection) -> bool:
    return one(
        conn,
        """
        select 1 from pg_hba_file_rules
        where error is null and type = 'host' and 'replication' = any(database) and %s = any(user_name)
          and address = '127.0.0.1' and netmask = '255.255.255.255' and auth_method = 'scram-sha-256'
        """,
        (REPLICATION_ROLE,),
    ) is not None


def ensure_hba(conn: psycopg.Connection) -> str:
    """A pg_hba.conf line for replication connections of the replication role from 127.0.0.1, first of
    the rules (so no later edit of the file takes it away); reloads the configuration."""
    if _hba_has_line(conn):
        return f"already allows replication by {REPLICATION_ROLE} from 127.0.0.1"
    path = Path(str(one(conn, "show hba_file")))
    try:
        lines = path.read_text().splitlines(keepends=True)
    except OSError as exc:
        raise MotovaultError(
            f"cannot read {path} ({exc.strerror}): the primary must be the local project cluster"
        ) from None
    first_rule = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), len(lines)
    )
    lines[first_rule:first_rule] = [HBA_COMMENT + "\n", HBA_LINE + "\n", "\n"]
    path.write_text("".join(lines))  # in place: owner and mode stay
    conn.execute("select pg_reload_conf()")
    broken = conn.execute("select line_number, error from pg_hba_file_rules where error is not null").fetchall()
    if broken or not _hba_has_line(conn):
        raise MotovaultError(f"{path}: the replication line was not accepted: {broken}")
    return f"added a replication line for {REPLICATION_ROLE} to {path} and reloaded"


def slot_state(conn: psycopg.Connection, slot: str) -> tuple[bool, int | None] | None:
    """(active, pid of its WAL sender) of the slot, or None when it does not exist."""
    row = conn.execute("select active, active_pid from pg_replication_slots where slot_name = %s", (slot,)).fetchone()
    return None if row is None else (bool(row[0]), row[1])


def drop_slot(conn: psycopg.Connection, slot: str, timeout: float = 15.0) -> bool:
    """Drop the slot (waiting for a just-stopped replica's WAL sender to let go); False when there was none."""
    deadline = time.monotonic() + timeout
    while True:
        state = slot_state(conn, slot)
        if state is None:
            return False
        if not state[0]:
            try:
                conn.execute("select pg_drop_replication_slot(%s)", (slot,))
                return True
            except psycopg.errors.UndefinedObject:
                return False
            except psycopg.errors.ObjectInUse:
                pass
        if time.monotonic() > deadline:
            raise MotovaultError(
                f"replication slot {slot} is in use by WAL sender pid {state[1]}; stop its replica first"
            )
        time.sleep(0.2)
