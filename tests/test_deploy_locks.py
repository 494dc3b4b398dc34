"""Deploys on live data do not queue traffic behind a lock they cannot get (issue 8).

Every sqitch run of the project goes through motovault.stack.database.sqitch(), which sets PGOPTIONS
``-c lock_timeout=<N>`` for sqitch and its psql; `motovault db deploy` retries a change that failed
with lock_not_available (55P03) and ends with one clear line. The live test holds a lock on the table
the last table-altering change of the plan alters, the way a long analyst transaction would."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from motovault.cli import main
from motovault.core.db import connect, one_row
from motovault.core.errors import MotovaultError
from motovault.core.paths import project_root, state_dir
from motovault.core.plan import load_plan
from motovault.stack import database
from motovault.stack.database import LockNotAvailable
from motovault.stack.settings import OWNER_ROLE, Settings, load_settings
from support.databases import ClonedDatabase, schema_dump

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings()


# --- the wrapper's settings, without a database ---------------------------------------------------


def test_lock_timeout_defaults_to_5s_and_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(database.LOCK_TIMEOUT_ENV, raising=False)
    assert database.deploy_lock_timeout() == "5s"
    monkeypatch.setenv(database.LOCK_TIMEOUT_ENV, "750ms")
    assert database.deploy_lock_timeout() == "750ms"
    assert database.deploy_lock_timeout("2s") == "2s"  # an explicit value wins
    monkeypatch.setenv(database.LOCK_TIMEOUT_ENV, "5 s; drop table x")
    with pytest.raises(MotovaultError, match="give a duration such as 5s"):
        database.deploy_lock_timeout()


def test_pgoptions_keep_the_users_options_and_ours_come_last() -> None:
    assert database.pgoptions("5s") == "-c lock_timeout=5s"
    assert database.pgoptions("5s", "  ") == "-c lock_timeout=5s"
    assert database.pgoptions("1s", "-c statement_timeout=9s -c lock_timeout=1h") == \
        "-c statement_timeout=9s -c lock_timeout=1h -c lock_timeout=1s"


def test_a_lock_timeout_in_sqitch_output_names_the_change_the_table_and_what_stayed(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "checks.sql").write_text(
        "begin;\n\nalter table app.garages\n    add constraint garages_probe check (true);\n"
        "alter table app.vehicles\n    add constraint vehicles_probe check (true);\n\ncommit;\n")
    err = ("psql:deploy/checks.sql:6: ERROR:  55P03: canceling statement due to lock timeout\n"
           "LOCATION:  ProcessInterrupts, postgres.c:3312\n\"psql\" unexpectedly returned exit value 3\n")
    failure = database.lock_failure("deploy", err, tmp_path, "1s")
    assert failure is not None
    assert str(failure) == ("deploy: change checks could not lock app.vehicles within 1s (a long transaction "
                            "holds it); nothing of checks was applied; retry later")
    # a change without a transaction: what ran before the failing statement stays
    (tmp_path / "deploy" / "idx@v1.sql").write_text(
        "set lock_timeout = '2s';\ndrop index concurrently if exists app.v_idx;\n"
        "create index concurrently if not exists v_idx\n    on app.vehicles (vin);\n")
    failure = database.lock_failure("deploy", "psql:deploy/idx@v1.sql:4: ERROR:  55P03: canceling statement "
                                    "due to lock timeout", tmp_path, "5s")
    assert str(failure) == ("deploy: change idx could not lock app.vehicles within 2s (a long transaction holds it); "
                            "deploy/idx@v1.sql has no transaction around line 3: the statements before it stay "
                            "applied and run again on the next deploy; retry later")
    assert database.lock_failure(
        "deploy", "psql:deploy/x.sql:3: ERROR:  42P01: relation does not exist", ROOT, "5s"
    ) is None


def test_deploy_retries_a_change_that_could_not_lock_with_growing_pauses(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = LockNotAvailable("deploy", "input_limits", "deploy/input_limits.sql", 74, ["app.vehicles"], "5s", True,
                               output="  + earlier .. ok\n")
    calls: list[tuple[str, ...]] = []

    def fake_sqitch(
        settings: Settings, dbname: str, *args: str, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        if len(calls) < 3:
            raise failure
        return subprocess.CompletedProcess(args, 0, "  + input_limits .. ok\n", "")

    monkeypatch.setattr(database, "sqitch", fake_sqitch)
    # no database here: the registry check (tests/test_sqitch_plan.py) has nothing to read
    monkeypatch.setattr(database, "refuse_foreign_registry", lambda *_: None)
    lines: list[str] = []
    pauses: list[float] = []
    result = database.deploy(
        settings, "db", "--to", "x", retries=3, retry_wait=2.0, progress=lines.append, sleep=pauses.append
    )
    assert calls == [("deploy", "--to", "x")] * 3
    assert pauses == [2.0, 4.0]
    assert lines == [
        "deploy: change input_limits could not lock app.vehicles within 5s (a long transaction holds it); "
        "retry 1/3 in 2s",
        "deploy: change input_limits could not lock app.vehicles within 5s (a long transaction holds it); "
        "retry 2/3 in 4s",
    ]
    assert result.stdout.count("+ earlier") == 2 and "+ input_limits" in result.stdout
    calls.clear()
    with pytest.raises(LockNotAvailable, match="retry later$"):
        database.deploy(settings, "db", retries=1, retry_wait=0, progress=lines.append, sleep=pauses.append)
    assert len(calls) == 2


# --- PGOPTIONS reach the deploy scripts ------------------------------------------------------------


@pytest.fixture
def probe_project(tmp_path: Path) -> Path:
    """A one-change sqitch project whose deploy script records the settings it runs with."""
    (tmp_path / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    (tmp_path / "sqitch.plan").write_text(
        "%syntax-version=1.0.0\n%project=lock_probe\n\n"
        "probe 2026-11-22T00:00:00Z probe <probe@localhost> # records its settings\n")
    for folder, text in {
        "deploy": "create table public.probe as\n"
                  "select current_setting('lock_timeout') as lock_timeout,\n"
                  "       current_setting('statement_timeout') as statement_timeout;\n",
        "revert": "drop table public.probe;\n",
        "verify": "select lock_timeout from public.probe where false;\n",
    }.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "probe.sql").write_text(text)
    return tmp_path


def probed(settings: Settings, clone_db: ClonedDatabase, project: Path) -> tuple[str, str]:
    database.sqitch(settings, clone_db.name, "deploy", root=project)
    with clone_db.connect() as conn:
        lock_timeout, statement_timeout = one_row(conn, "select lock_timeout, statement_timeout from public.probe")
    database.sqitch(settings, clone_db.name, "revert", "-y", root=project)
    return str(lock_timeout), str(statement_timeout)


def test_every_deploy_script_runs_with_the_lock_timeout_and_the_users_pgoptions(
    settings: Settings, clone_db: ClonedDatabase, probe_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clone_db.connect() as conn:
        conn.execute(f'alter database "{clone_db.name}" owner to {OWNER_ROLE}')
    monkeypatch.delenv(database.LOCK_TIMEOUT_ENV, raising=False)
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=7s")
    assert probed(settings, clone_db, probe_project) == ("5s", "7s")
    monkeypatch.setenv(database.LOCK_TIMEOUT_ENV, "750ms")
    assert probed(settings, clone_db, probe_project) == ("750ms", "7s")


# --- the live case: a change that alters a table someone holds ---------------------------------


PROBE_CHANGE = "probe_alter_vehicles"
PROBE_TABLE = "app.vehicles"


@pytest.fixture
def plan_with_an_altering_change(tmp_path: Path) -> Path:
    """A copy of the project whose plan ends with a change that alters a table an earlier change created
    (ACCESS EXCLUSIVE, as ALTER TABLE ... ADD CONSTRAINT takes) and sets no lock_timeout of its own, so the
    deploy's PGOPTIONS bound is the one at work. (The re-baselined @v1.0 plan has no such change yet.)"""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("sqitch.conf", "sqitch.plan"):
        (project / name).write_text((ROOT / name).read_text())
    for folder in ("deploy", "revert", "verify"):
        shutil.copytree(ROOT / folder, project / folder)
    last = load_plan(ROOT).entries[-1].name
    with (project / "sqitch.plan").open("a") as plan:
        plan.write(f"{PROBE_CHANGE} [{last}] 2026-11-25T00:00:00Z probe <probe@localhost> # alters {PROBE_TABLE}\n")
    (project / "deploy" / f"{PROBE_CHANGE}.sql").write_text(
        f"begin;\nalter table {PROBE_TABLE}\n    add constraint vehicles_probe check (true);\ncommit;\n")
    (project / "revert" / f"{PROBE_CHANGE}.sql").write_text(
        f"begin;\nalter table {PROBE_TABLE} drop constraint vehicles_probe;\ncommit;\n")
    (project / "verify" / f"{PROBE_CHANGE}.sql").write_text(
        "select 1 / count(*)::integer from pg_constraint where conname = 'vehicles_probe';\n")
    return project


class Reader(threading.Thread):
    """Reads the table every 50 ms in its own autocommit session and keeps the slowest read."""

    def __init__(self, url: str, table: str) -> None:
        super().__init__(daemon=True)
        self.url, self.table = url, table
        self.stop = threading.Event()
        self.slowest = 0.0
        self.reads = 0

    def run(self) -> None:
        with connect(self.url) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(f"select count(*) from {self.table}").fetchone()
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.reads += 1
                time.sleep(0.05)


def deployed(conn: psycopg.Connection, change: str) -> bool:
    return bool(one_row(
        conn, "select exists (select from sqitch.changes where project = 'motovault' and change = %s)", (change,)
    )[0])


def test_a_change_that_cannot_lock_its_table_fails_fast_without_blocking_readers_then_deploys(
    settings: Settings,
    clone_db: ClonedDatabase,
    capsys: pytest.CaptureFixture[str],
    plan_with_an_altering_change: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change, table = PROBE_CHANGE, PROBE_TABLE
    with clone_db.connect() as conn:
        conn.execute(f'alter database "{clone_db.name}" owner to {OWNER_ROLE}')
    reverted = schema_dump(settings, clone_db.name)
    # `motovault db deploy` deploys the project at MOTOVAULT_ROOT; the state (secrets) stays where it is
    monkeypatch.setenv("MOTOVAULT_STATE", str(state_dir()))
    monkeypatch.setenv("MOTOVAULT_ROOT", str(plan_with_an_altering_change))

    # an analyst's transaction that read the table and stays open (killed by the server after 30 s, so
    # that without a lock_timeout this test ends - failing - instead of hanging)
    holder = connect(clone_db.url(), autocommit=False)
    holder.execute("set idle_in_transaction_session_timeout = '30s'")
    holder.execute(f"select count(*) from {table}").fetchone()
    holder_pid = holder.info.backend_pid
    reader = Reader(clone_db.url(), table)
    reader.start()
    started = time.monotonic()
    status = main(
        ["db", "deploy", "--dbname", clone_db.name, "--lock-timeout", "1s", "--retries", "1", "--retry-wait", "0.5"]
    )
    elapsed = time.monotonic() - started
    reader.stop.set()
    reader.join()
    err = capsys.readouterr().err.strip().splitlines()
    with capsys.disabled():
        print(f"\n{change} vs a held {table}: failed after {elapsed:.1f} s (lock_timeout 1s, one retry); "
              f"{reader.reads} reads meanwhile, the slowest {reader.slowest:.2f} s")

    assert status == 1 and elapsed < 20, (status, elapsed, err)
    assert len(err) == 2 and re.fullmatch(
        rf"motovault db: deploy: change {change} could not lock {table} within 1s \(held by pid {holder_pid}: "
        rf"postgres, idle in transaction for \d+s\); retry 1/1 in 0\.5s", err[0]), err
    assert re.fullmatch(
        rf"motovault db: error: deploy: change {change} could not lock {table} within 1s \(held by pid {holder_pid}: "
        rf"postgres, idle in transaction for \d+s\); nothing of {change} was applied; retry later", err[1]), err
    # readers queued behind the waiting ALTER at most for the lock_timeout, not for the holder's whole transaction
    assert reader.reads > 10 and 0.2 < reader.slowest < 1.0 + 1.5, (reader.reads, reader.slowest)
    with clone_db.connect() as conn:
        assert not deployed(conn, change)
        assert one_row(
            conn,
            "select event from sqitch.events where change = %s order by committed_at desc limit 1",
            (change,),
        )[0] == "fail"
    assert schema_dump(settings, clone_db.name) == reverted, f"{change} left part of itself behind"

    holder.rollback()  # the long transaction ends: the same deploy goes through
    holder.close()
    assert main(["db", "deploy", "--dbname", clone_db.name, "--lock-timeout", "1s"]) == 0
    assert f"+ {change}" in capsys.readouterr().out
    with clone_db.connect() as conn:
        assert deployed(conn, change)
    assert schema_dump(settings, clone_db.name) != reverted
    with clone_db.connect() as conn:
        assert one_row(conn, "select count(*) from pg_constraint where conname = 'vehicles_probe'")[0] == 1


def test_a_deploy_blocked_by_another_sqitch_says_so_in_one_line(settings: Settings, clone_db: ClonedDatabase) -> None:
    """sqitch serializes deploys with an advisory lock; under the deploy lock_timeout a second deploy
    gives up after it (and is retried) instead of sqitch's silent 60 s wait."""
    last = load_plan(project_root()).changes[-1]
    with clone_db.connect() as conn:
        conn.execute(f'alter database "{clone_db.name}" owner to {OWNER_ROLE}')
    database.sqitch(settings, clone_db.name, "revert", "-y", "--to", f"{last}^")
    with clone_db.connect() as other:
        other.execute("select pg_advisory_lock(75474063)")  # sqitch's own lock number (App::Sqitch::Engine::pg)
        with pytest.raises(database.RegistryLocked) as caught:
            database.deploy(settings, clone_db.name, lock_timeout="500ms", retries=0)
    assert str(caught.value) == (f"deploy: another sqitch is working on {clone_db.name} (its lock was not free "
                                 "within 500ms); nothing was done; retry later")
    database.deploy(settings, clone_db.name, lock_timeout="500ms", retries=0)
    with clone_db.connect() as conn:
        assert deployed(conn, last)


def test_a_failed_deploy_reports_the_error_not_the_revert_that_followed(
    tmp_path: Path, clone_db: ClonedDatabase
) -> None:
    """After a failed change sqitch reverts everything it deployed in that run: the last lines of its
    output are all "- change .. ok". The error must still be in the message."""
    project = tmp_path / "project"
    for d in ("deploy", "revert", "verify"):
        (project / d).mkdir(parents=True)
    (project / "sqitch.conf").write_text((ROOT / "sqitch.conf").read_text())
    names = [f"step{i}" for i in range(25)] + ["broken"]
    plan = ["%syntax-version=1.0.0", "%project=failing", ""]
    for name in names:
        plan.append(f"{name} 2026-11-22T00:00:00Z t <t@localhost> # {name}")
        body = "select 1 / 0;" if name == "broken" else f"select 1;  -- {name}"
        (project / "deploy" / f"{name}.sql").write_text(f"begin;\n{body}\ncommit;\n")
        (project / "revert" / f"{name}.sql").write_text("select 1;\n")
        (project / "verify" / f"{name}.sql").write_text("select 1;\n")
    (project / "sqitch.plan").write_text("\n".join(plan) + "\n")
    with pytest.raises(MotovaultError) as caught:
        database.sqitch(SETTINGS, clone_db.name, "deploy", root=project)
    message = str(caught.value)
    assert "division by zero" in message and "broken" in message, message
    assert len(message.splitlines()) <= 21
