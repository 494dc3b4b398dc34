"""`motovault replica`: a streaming read replica of the suite's own cluster, end to end through the CLI.

The replica lives in a temporary folder on a free port (MOTOVAULT_REPLICA_DIR, MOTOVAULT_REPLICA_PORT),
so a developer's own replica of the same cluster is never touched. The demo data is loaded on the
primary after the replica is up, so it reaches the replica through the WAL stream, not the base
backup. Tests run in file order: the last one drops the replica; the fixture drops it too whatever
happened (stop, folder, slot)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from motovault.core.db import connect, one_row
from motovault.core.proc import free_port, pid_alive, port_open
from motovault.stack import replica as rep
from motovault.stack.replication import drop_slot
from motovault.stack.settings import ANALYST_LOGIN, OWNER_ROLE, REPLICATION_ROLE, SUPERUSER
from support.databases import SETTINGS, TEMPLATE_BASE, ClonedDatabase

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "sql" / "analyst").glob("*.sql"))
DEMO_DB = f"{TEMPLATE_BASE}_replica"


def steps(output: str) -> dict[str, str]:
    """The '  step   message' lines."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+)\s{2,}(.+)$", output, flags=re.M)}


class ReplicaCli:
    """`motovault replica ...` against the suite's cluster, for a replica in ``home`` on ``port``."""

    def __init__(self, home: Path, port: int, **env: str) -> None:
        self.home, self.port = home, port
        self.first_up = ""  # the output of the fixture's `replica up`
        self.env = {
            **os.environ,
            "MOTOVAULT_PGPORT": str(SETTINGS.pg_port),
            "MOTOVAULT_DB": DEMO_DB,
            "MOTOVAULT_REPLICA_DIR": str(home),
            "MOTOVAULT_REPLICA_PORT": str(port),
            **env,
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "motovault", "replica", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, f"replica {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def status(self) -> tuple[int, dict[str, Any]]:
        result = self.run("status", "--json", check=False)
        report: dict[str, Any] = json.loads(result.stdout)
        return result.returncode, report

    def model(self) -> rep.Replica:
        return rep.Replica(home=self.home, port=self.port, primary=SETTINGS)


def on_primary(dbname: str = DEMO_DB, user: str = SUPERUSER) -> psycopg.Connection:
    return connect(SETTINGS.dsn(dbname, user))


def on_replica(cli: ReplicaCli, dbname: str = DEMO_DB, user: str = SUPERUSER) -> psycopg.Connection:
    return connect(cli.model().settings().dsn(dbname, user))


def slot_row(slot: str) -> tuple[Any, ...] | None:
    with on_primary("postgres") as conn:
        return conn.execute(
            "select slot_type, active, wal_status, restart_lsn::text from pg_replication_slots where slot_name = %s",
            (slot,),
        ).fetchone()


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory, postgresql_template: object) -> Iterator[ReplicaCli]:
    cli = ReplicaCli(tmp_path_factory.mktemp("replica") / "replica", free_port())
    external = None
    try:
        cli.first_up = cli.run("up").stdout
        external = cli.home.resolve() if cli.home.is_symlink() else None
        yield cli
    finally:
        cli.run("drop", check=False)
        model = cli.model()
        try:  # whatever the CLI left behind
            rep.stop(model)
        except Exception:
            pass
        rep.destroy(model)
        if external is not None and external.exists():
            shutil.rmtree(external, ignore_errors=True)
        with on_primary("postgres") as conn:
            drop_slot(conn, model.slot)


@pytest.fixture(scope="module")
def demo_db(replica: ReplicaCli, postgresql_template: object) -> Iterator[ClonedDatabase]:
    """A database with sql/demo.sql, created and loaded on the primary once the replica streams."""
    with ClonedDatabase(postgresql_template, DEMO_DB) as clone:
        result = subprocess.run(
            ["psql", clone.url(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
             "-c", f"set role {OWNER_ROLE}", "-f", str(ROOT / "sql" / "demo.sql")],
            capture_output=True, text=True, check=False,
        )
        assert result.returncode == 0, result.stderr
        rep.wait_replayed(replica.model())
        yield clone


def test_up_clones_the_primary_starts_a_hot_standby_and_streams_through_a_slot(replica: ReplicaCli) -> None:
    out = replica.first_up
    s = steps(out)
    assert s["clone"].startswith("cloned ") and "pg_basebackup" in s["clone"], out
    assert s["replica"].startswith(f"started on 127.0.0.1:{replica.port}"), out
    assert s["streaming"] == f"from 127.0.0.1:{SETTINGS.pg_port}", out
    assert f"{ANALYST_LOGIN}:" in out and f"@127.0.0.1:{replica.port}/{DEMO_DB}" in out, out
    model = replica.model()
    assert (model.data_dir / "standby.signal").is_file(), "pg_basebackup -R writes the standby configuration"
    if os.geteuid() == 0:  # the service user's files stay out of the (root-only) temp folder
        assert replica.home.is_symlink() and str(model.real_home).startswith("/var/lib/motovault/")

    # a physical slot on the primary, held by the replica's WAL sender, which streams
    slot = slot_row(model.slot)
    assert slot is not None and slot[0] == "physical" and slot[1] is True, slot
    with on_primary("postgres") as conn:
        sender = conn.execute(
            """select r.state, r.usename from pg_stat_replication as r
               join pg_replication_slots as s on s.active_pid = r.pid where s.slot_name = %s""",
            (model.slot,),
        ).fetchone()
        assert sender == ("streaming", REPLICATION_ROLE)
        # the roles: replication without superuser, and the analysts' login in analyst
        roles = dict(
            (r[0], r[1:])
            for r in conn.execute(
                "select rolname, rolcanlogin, rolreplication, rolsuper, pg_has_role(rolname, 'analyst', 'member') "
                "from pg_roles where rolname = any(%s)",
                ([REPLICATION_ROLE, ANALYST_LOGIN],),
            )
        )
        assert roles[REPLICATION_ROLE] == (True, True, False, False)
        assert roles[ANALYST_LOGIN] == (True, False, False, True)
        # the primary's pg_hba.conf names the replication role for connections from 127.0.0.1
        assert conn.execute(
            """select 1 from pg_hba_file_rules where error is null and 'replication' = any(database)
               and %s = any(user_name) and address = '127.0.0.1'""",
            (REPLICATION_ROLE,),
        ).fetchone()
    with on_replica(replica, "postgres") as conn:
        assert conn.execute(
            "select pg_is_in_recovery(), status from pg_stat_wal_receiver"
        ).fetchone() == (True, "streaming")


def test_a_second_up_changes_nothing_and_says_so(replica: ReplicaCli) -> None:
    pid = replica.model().pid()
    out = replica.run("up").stdout
    s = steps(out)
    for step in ("roles", "pg_hba", "clone", "replica", "streaming"):
        assert "already" in s[step], f"second up changed {step}: {out}"
    assert "nothing changed" in out
    assert replica.model().pid() == pid


def analytics_views() -> list[str]:
    with on_primary() as conn:
        return [r[0] for r in conn.execute(
            "select table_name from information_schema.views where table_schema = 'analytics' order by 1"
        )]


def test_the_analytics_views_return_the_same_rows_on_the_replica_as_on_the_primary(
    replica: ReplicaCli, demo_db: ClonedDatabase
) -> None:
    views = analytics_views()
    assert len(views) >= 7, views
    for view in views:
        query = sql.SQL("select * from analytics.{}").format(sql.Identifier(view))
        with on_primary(user=ANALYST_LOGIN) as conn:
            expected = sorted(map(repr, conn.execute(query).fetchall()))
        with on_replica(replica, user=ANALYST_LOGIN) as conn:
            got = sorted(map(repr, conn.execute(query).fetchall()))
        assert expected, f"analytics.{view} is empty on the demo data"
        assert got == expected, f"analytics.{view} differs on the replica"


def _psql(url: str, query: Path) -> list[str]:
    result = subprocess.run(
        ["psql", url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", str(query)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return sorted(line for line in result.stdout.splitlines() if line.strip())


@pytest.fixture(scope="module")
def analyst_url(replica: ReplicaCli) -> str:
    """What `motovault replica url` prints: the analysts' login on the replica."""
    url = replica.run("url").stdout.strip()
    assert url.startswith(f"postgresql://{ANALYST_LOGIN}:") and url.endswith(f"@127.0.0.1:{replica.port}/{DEMO_DB}")
    return url


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_example_query_runs_on_the_replica_as_the_analysts_login(
    analyst_url: str, demo_db: ClonedDatabase, query: Path
) -> None:
    rows = _psql(analyst_url, query)
    assert rows, f"{query.name} returned no rows on the replica"
    assert rows == _psql(SETTINGS.dsn(DEMO_DB, ANALYST_LOGIN), query), f"{query.name}: replica and primary differ"


def _sqlstate(conn: psycopg.Connection, statement: str) -> str | None:
    try:
        with conn.transaction():
            conn.execute(statement)
            raise _Rollback()
    except _Rollback:
        return None
    except psycopg.Error as exc:
        return exc.sqlstate


class _Rollback(Exception):
    pass


WRITES = {
    OWNER_ROLE: [
        "insert into app.tenants (name, kind) values ('written on the replica', 'fleet')",
        "update app.vehicles set notes = 'written on the replica'",
        "create table app.written_on_the_replica (n int)",
    ],
    ANALYST_LOGIN: ["create temporary table scratch (n int)"],
}


@pytest.mark.parametrize("role", sorted(WRITES))
def test_the_replica_refuses_every_write_with_25006(replica: ReplicaCli, demo_db: ClonedDatabase, role: str) -> None:
    for statement in WRITES[role]:
        # the same write goes through on the primary (rolled back): the refusal is the standby's
        with on_primary(user=role) as conn:
            assert _sqlstate(conn, statement) is None, statement
        with on_replica(replica, user=role) as conn:
            assert _sqlstate(conn, statement) == "25006", statement
    with on_replica(replica, user=OWNER_ROLE) as conn:
        assert one_row(conn, "select count(*) from app.tenants where name = 'written on the replica'")[0] == 0


def test_status_reports_streaming_and_the_replay_lag(replica: ReplicaCli, demo_db: ClonedDatabase) -> None:
    code, st = replica.status()
    assert code == 0 and st["streaming"] and st["upstream"] == f"127.0.0.1:{SETTINGS.pg_port}", st
    assert st["lag_bytes"] is not None and st["slot_active"] is True
    text = replica.run("status").stdout
    assert re.search(r"^  streaming\s+yes, from 127\.0\.0\.1:", text, flags=re.M), text
    assert re.search(r"^  lag\s+\d+(\.\d)? (bytes|kB|MB) behind the primary", text, flags=re.M), text

    # replay paused on the replica while the primary writes: the lag shows in bytes and seconds
    with on_replica(replica, "postgres") as standby:
        standby.execute("select pg_wal_replay_pause()")
        try:
            with on_primary() as conn:
                conn.execute(
                    "create table public.lag_probe as "
                    "select g as n, repeat('x', 200) as pad "
                    "from generate_series(1, 20000) g"
                )
                target = one_row(conn, "select pg_current_wal_lsn()::text")[0]
            for _ in range(300):  # received (streamed), not replayed
                if one_row(standby, "select pg_last_wal_receive_lsn() >= %s::pg_lsn", (target,))[0]:
                    break
                time.sleep(0.1)
            code, st = replica.status()
            assert code == 0 and st["streaming"] and st["replay_paused"] is True, st
            assert st["lag_bytes"] > 1_000_000, st  # the 20,000 rows wait on the replica
            assert st["lag_seconds"] > 0, st
            text = replica.run("status").stdout
            lag = steps(text)["lag"]
            assert re.match(r"\d+\.\d (kB|MB) behind the primary, \d+\.\d s", lag) and "replay paused" in lag, text
        finally:
            standby.execute("select pg_wal_replay_resume()")
    rep.wait_replayed(replica.model())
    with on_replica(replica) as conn:
        assert one_row(conn, "select count(*) from public.lag_probe")[0] == 20000
    with on_primary() as conn:
        conn.execute("drop table public.lag_probe")
    code, st = replica.status()
    assert code == 0 and st["replay_paused"] is False and st["lag_bytes"] < 1_000_000, st


def test_down_keeps_the_data_and_the_slot_keeps_the_wal_until_up(replica: ReplicaCli, demo_db: ClonedDatabase) -> None:
    model = replica.model()
    pid = model.pid()
    out = replica.run("down").stdout
    assert steps(out)["replica"] == "stopped", out
    assert pid is not None and not pid_alive(pid) and not port_open("127.0.0.1", replica.port)
    assert model.exists(), "down keeps the data"
    code, st = replica.status()
    assert code == 1 and not st["running"] and not st["streaming"] and st["slot_exists"], st
    assert "stopped" in steps(replica.run("status", check=False).stdout)["replica"]

    # written while the replica is down: the inactive slot holds the WAL from before this write
    with on_primary() as conn:
        before = one_row(conn, "select pg_current_wal_lsn()::text")[0]
        conn.execute("create table public.while_down as select 'written while the replica was down' as note")
    slot = slot_row(model.slot)
    assert slot is not None and slot[1] is False and slot[2] in ("reserved", "extended"), slot
    with on_primary("postgres") as conn:
        assert one_row(conn, "select %s::pg_lsn <= %s::pg_lsn", (slot[3], before))[0], (slot, before)

    out = replica.run("up").stdout
    s = steps(out)
    assert s["clone"].startswith("already") and s["replica"].startswith(f"started on 127.0.0.1:{replica.port}"), out
    assert "nothing changed" not in out
    rep.wait_replayed(model)
    with on_replica(replica) as conn:
        assert one_row(conn, "select note from public.while_down")[0] == "written while the replica was down"
    with on_primary() as conn:
        conn.execute("drop table public.while_down")


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("motovault replica: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    nowhere = ReplicaCli(tmp_path / "none", free_port())
    _one_line_error(nowhere.run("status", check=False), "no replica in", "motovault replica up")
    _one_line_error(nowhere.run("status", "--json", check=False), "no replica in")
    _one_line_error(nowhere.run("url", check=False), "no replica in")
    for command in ("down", "drop"):
        result = nowhere.run(command)
        assert "nothing to" in result.stdout and not result.stderr, result

    # the replica's port is taken (here by the primary itself): refused before anything is made
    busy = ReplicaCli(tmp_path / "busy", SETTINGS.pg_port)
    _one_line_error(busy.run("up", check=False), f"port {SETTINGS.pg_port} is taken", "MOTOVAULT_REPLICA_PORT")
    assert not busy.home.exists() and not busy.home.is_symlink()

    # no primary on that port
    port = free_port()
    orphan = ReplicaCli(tmp_path / "orphan", free_port(), MOTOVAULT_PGPORT=str(port))
    _one_line_error(orphan.run("up", check=False), f"the primary is not running on 127.0.0.1:{port}")
    assert not orphan.home.exists()

    bad = ReplicaCli(tmp_path / "bad", free_port(), MOTOVAULT_REPLICA_PORT="fifty")
    _one_line_error(bad.run("up", check=False), "MOTOVAULT_REPLICA_PORT must be a port number")


def test_drop_removes_the_slot_of_a_replica_folder_deleted_by_hand(tmp_path: Path) -> None:
    gone = ReplicaCli(tmp_path / "gone", free_port())
    slot = gone.model().slot
    with on_primary("postgres") as conn:
        conn.execute("select pg_create_physical_replication_slot(%s, true)", (slot,))
    try:
        out = gone.run("drop").stdout
        assert f"dropped the replication slot {slot}" in out, out
        assert slot_row(slot) is None
    finally:
        with on_primary("postgres") as conn:
            drop_slot(conn, slot)


def test_drop_stops_the_replica_deletes_its_folder_and_drops_its_slot(replica: ReplicaCli) -> None:
    model = replica.model()
    pid, real_home = model.pid(), model.real_home
    assert pid is not None and slot_row(model.slot) is not None
    out = replica.run("drop").stdout
    s = steps(out)
    assert s["replica"] == "stopped" and s["folder"].startswith("deleted") and s["slot"] == f"dropped {model.slot}", out
    assert not pid_alive(pid) and not port_open("127.0.0.1", replica.port)
    assert not replica.home.exists() and not replica.home.is_symlink() and not real_home.exists()
    assert slot_row(model.slot) is None
    assert "nothing to drop" in replica.run("drop").stdout
    _one_line_error(replica.run("status", check=False), "no replica in")
