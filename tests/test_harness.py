"""The harness itself: pgTAP verdicts, the template clone, PostgREST, sqitch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motovault.core.db import one_row
from motovault.stack.settings import Settings
from motovault.testing.pgtap import run_pgtap
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase


def fetch_first(cur: psycopg.Cursor[Any]) -> Any:
    """The first column of the cursor's next row (there must be one)."""
    row = cur.fetchone()
    assert row is not None, "the query returned no row"
    return row[0]

FIXTURES = Path(__file__).parent / "fixtures" / "pgtap"


def test_passing_pgtap_file_passes(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), FIXTURES / "passing.sql")
    assert result.ok, result.report()
    assert result.planned == 2 and result.ran == 2


def test_failing_assertion_fails_with_its_diagnostics(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), FIXTURES / "failing_assertion.sql")
    assert not result.ok
    report = result.report()
    assert "not ok 2 - arithmetic is broken on purpose" in report
    assert "have: 2" in report and "want: 3" in report


def test_plan_mismatch_fails(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), FIXTURES / "plan_mismatch.sql")
    assert not result.ok
    assert "planned 3 tests but ran 2" in result.report()


def test_sql_error_half_way_fails_even_after_passing_tests(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), FIXTURES / "sql_error.sql")
    assert result.passed == [1]
    assert not result.ok
    assert 'relation "no_such_table" does not exist' in result.report()


def test_missing_plan_fails(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), FIXTURES / "no_plan.sql")
    assert not result.ok
    assert "no plan line" in result.report()


def test_pgtap_files_are_collected_as_items() -> None:
    import subprocess
    import sys

    pgtap_dir = Path(__file__).parent / "pgtap"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", str(pgtap_dir)],
        capture_output=True, text=True, check=False,
    ).stdout
    stems = sorted(p.stem for p in pgtap_dir.glob("*.sql"))
    assert stems
    for stem in stems:
        assert f"tests/pgtap/{stem}.sql::{stem}" in out


HELPERS = {
    "new_tenant", "new_user", "new_member", "new_garage", "new_vehicle", "new_fuel_log",
    "become", "become_analyst", "become_owner", "unbecome", "outside_request",
    "rule_exceptions",  # made from .doctor-ignore.toml by tests/conftest.py
}


def test_clones_have_the_pgtap_helper_schema(db: psycopg.Connection[Any]) -> None:
    """tests/fixtures/pgtap/helpers.sql is installed into the template, so every clone has it."""
    cur = db.cursor()
    cur.execute(
        "select p.proname from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace where n.nspname = 'tests'"
    )
    assert {r[0] for r in cur.fetchall()} == HELPERS
    cur.execute(
        "select has_schema_privilege('app_user', 'tests', 'usage')"
        " and has_function_privilege('app_user', 'tests.unbecome()', 'execute')"
    )
    assert fetch_first(cur), "a test acting as app_user must be able to switch back"
    cur.execute(
        "select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
        " where n.nspname = 'tests' and has_function_privilege('public', p.oid, 'execute')"
    )
    assert cur.fetchall() == [], "PUBLIC may execute no helper (motovault doctor flags it)"


def test_a_database_deployed_by_the_plan_alone_has_no_test_helpers(settings: Settings) -> None:
    """The helpers exist only in test databases: `sqitch deploy` of the plan never creates them."""
    from psycopg import sql

    from motovault.stack import database

    name = f"mvplain_{os.getpid()}"
    assert database.bootstrap(settings, name)
    try:
        database.sqitch(settings, name, "deploy")
        with database.superuser_connect(settings, name) as conn:
            assert one_row(conn, "select to_regnamespace('app') is not null")[0], "the plan was not deployed"
            # every helper lives in schema tests: no schema, no helper
            assert one_row(conn, "select to_regnamespace('tests')")[0] is None
    finally:
        with database.superuser_connect(settings) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_the_example_in_docs_testing_is_the_pgtap_file_that_runs() -> None:
    """docs/testing.md shows tests/pgtap/example_vehicle_roles.sql verbatim, so the example stays true."""
    root = Path(__file__).resolve().parents[1]
    example = (root / "tests" / "pgtap" / "example_vehicle_roles.sql").read_text()
    assert f"```sql\n{example}```" in (root / "docs" / "testing.md").read_text()


def test_each_test_gets_a_fresh_clone_of_the_template(db: psycopg.Connection[Any]) -> None:
    cur = db.cursor()
    cur.execute("create table app.scratch (x int)")
    db.commit()
    cur.execute("select count(*) from sqitch.changes")
    assert fetch_first(cur) >= 2


def test_previous_test_left_nothing_behind(db: psycopg.Connection[Any]) -> None:
    cur = db.cursor()
    cur.execute("select to_regclass('app.scratch')")
    assert fetch_first(cur) is None


@pytest.mark.api
def test_postgrest_serves_openapi_to_anon(api: PostgrestServer) -> None:
    with api.client() as client:
        response = client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["swagger"] == "2.0"
    assert body["info"]["title"] == "motovault REST API"
    assert "row level security" in body["info"]["description"]


@pytest.mark.api
def test_postgrest_admin_server_answers_live_and_ready(api: PostgrestServer) -> None:
    import httpx

    assert httpx.get(f"http://127.0.0.1:{api.admin_port}/live").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{api.admin_port}/ready").status_code == 200


def test_the_test_client_resends_a_read_once_when_the_connection_breaks_but_never_a_write() -> None:
    """motovault.testing.postgrest_proc: a connection closed before any response is not an answer."""
    import socket
    import threading

    import httpx

    from motovault.testing.postgrest_proc import _RetryIdempotent

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen: list[bytes] = []

    def serve() -> None:
        for n in range(3):
            conn, _ = server.accept()
            seen.append(conn.recv(65536).split(b"\r\n", 1)[0])
            if n != 1:  # the first and third connections break without an answer
                conn.close()
                continue
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    with httpx.Client(base_url=url, transport=_RetryIdempotent(), timeout=5) as client:
        assert client.get("/vehicles").json() == []
        with pytest.raises(httpx.HTTPError):
            client.post("/vehicles", json={})
    thread.join(timeout=5)
    server.close()
    assert seen == [b"GET /vehicles HTTP/1.1", b"GET /vehicles HTTP/1.1", b"POST /vehicles HTTP/1.1"]
