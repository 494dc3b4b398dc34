"""Statement timeouts per role (change role_settings): an over-long query of an analyst, or of an API
request, is cancelled with SQLSTATE 57014 and a clear message instead of holding the server.

ALTER ROLE ... IN DATABASE settings belong to one database; the test harness copies the template's
into every clone (tests/conftest.py), and the first test runs the change's own revert and deploy
scripts to show that they take the settings away and bring them back in this database only."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from motovault.core.db import connect, one_row
from motovault.core.paths import project_root
from motovault.stack.settings import Settings
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.tenancy_world import seed

EXPECTED = {"app_user": "5s", "analyst": "30s", "anon": "2s", "vin_worker": "60s"}


def run_script(url: str, kind: str) -> None:
    """The change's deploy or revert script, as sqitch runs it (psql, ON_ERROR_STOP)."""
    script = project_root() / kind / "role_settings.sql"
    proc = subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def role_settings(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        """
        select r.rolname, s.setconfig
        from pg_db_role_setting as s
        join pg_roles as r on r.oid = s.setrole
        where s.setdatabase = (select oid from pg_database where datname = current_database())
        """
    ).fetchall()
    return {role: dict(item.split("=", 1) for item in config) for role, config in rows}


def test_each_role_has_its_statement_timeout_in_this_database_only(
    settings: Settings, clone_db: ClonedDatabase
) -> None:
    run_script(clone_db.url(), "revert")
    with clone_db.connect() as conn:
        assert role_settings(conn) == {}, "the revert script leaves no role setting in this database"
    run_script(clone_db.url(), "deploy")
    with clone_db.connect() as conn:
        got = role_settings(conn)
        # (authenticator has only its planner setting)
        assert {role: cfg.get("statement_timeout") for role, cfg in got.items() if role != "authenticator"} == EXPECTED
        assert got["authenticator"] == {"constraint_exclusion": "off"}
        assert got["analyst"]["idle_in_transaction_session_timeout"] == "10min"
        # cluster-wide role settings (database 0) stay untouched
        assert one_row(conn, "select count(*) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
            "where s.setdatabase = 0 and r.rolname = any(%s)", (list(EXPECTED),))[0] == 0
    with connect(settings.dsn("postgres", "postgres")) as conn:
        assert role_settings(conn) == {}, "another database of the cluster is untouched"


@pytest.fixture
def analyst_login(clone_db: ClonedDatabase) -> Iterator[str]:
    """analyst is NOLOGIN by default: give it a password for the test, take it away afterwards."""
    password = uuid.uuid4().hex
    with clone_db.connect() as conn:
        conn.execute(f"alter role analyst login password '{password}'")
    try:
        yield password
    finally:
        with clone_db.connect() as conn:
            conn.execute("alter role analyst nologin password null")


@pytest.mark.serial  # gives the cluster-wide role analyst a login while it runs
def test_an_over_long_analyst_query_is_cancelled_with_a_clear_error(
    settings: Settings, clone_db: ClonedDatabase, analyst_login: str
) -> None:
    url = f"postgresql://analyst:{analyst_login}@{settings.pg_host}:{settings.pg_port}/{clone_db.name}"
    with connect(url) as conn:
        assert one_row(conn, "show statement_timeout")[0] == "30s"
    with clone_db.connect() as conn:
        conn.execute(f'alter role analyst in database "{clone_db.name}" set statement_timeout = \'1s\'')
    with connect(url) as conn:
        assert one_row(conn, "select current_user")[0] == "analyst"
        assert one_row(conn, "select pg_sleep(0.1), 1")[1] == 1
        started = time.monotonic()
        with pytest.raises(errors.QueryCanceled) as caught:
            conn.execute("select pg_sleep(10)")
        elapsed = time.monotonic() - started
    assert caught.value.sqlstate == "57014"
    assert "canceling statement due to statement timeout" in str(caught.value)
    assert elapsed < 5, f"cancelled after {elapsed:.1f} s"


@pytest.mark.api
def test_an_api_request_that_runs_too_long_is_cut_off_with_a_clean_error(
    settings: Settings, clone_db: ClonedDatabase
) -> None:
    """Through PostgREST, which applies app_user's settings to each request: a test-only RPC that
    sleeps (created in this clone only, never in the plan) is cancelled at app_user's 5 s."""
    with clone_db.connect() as conn:
        world = seed(conn)
        conn.execute(
            """
            create function api.test_only_sleep(seconds double precision) returns integer
            language sql volatile as $$ select pg_sleep(seconds); select 1 $$;
            grant execute on function api.test_only_sleep(double precision) to app_user;
            """
        )
    server = PostgrestServer(settings, clone_db.name).start()
    try:
        member = world.a.users["member"]
        with server.client(server.token(member, world.a.id)) as client:
            quick = client.post("/rpc/test_only_sleep", json={"seconds": 0.1})
            assert quick.status_code == 200, quick.text
            started = time.monotonic()
            slow = client.post("/rpc/test_only_sleep", json={"seconds": 12})
            elapsed = time.monotonic() - started
            body = slow.json()
            assert body["code"] == "57014", slow.text
            assert "statement timeout" in body["message"]
            assert slow.status_code in (500, 503, 504), slow.status_code
            assert 4 < elapsed < 10, f"cut off after {elapsed:.1f} s (app_user: 5s)"
            # the pool is healthy afterwards
            assert client.get("/vehicles", params={"limit": "1"}).status_code == 200
    finally:
        server.stop()
