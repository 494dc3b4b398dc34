"""The sqitch plan as a DBA uses it: deploy, verify, revert to the start, deploy again, verify,
on empty databases of the project cluster, with data in them; roles shared between databases."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from motovault.core.db import connect as db_connect
from motovault.core.db import one_row
from motovault.core.errors import MotovaultError
from motovault.core.plan import load_plan
from motovault.stack import database
from motovault.stack.settings import AUTHENTICATOR_ROLE, OWNER_ROLE, Settings

ROOT = Path(__file__).resolve().parents[1]
MOTOVAULT_ROLES = ("authenticator", "anon", "app_user", "analyst", "vin_worker")
_names = itertools.count()


def plan_changes() -> list[str]:
    return load_plan(ROOT).changes


def plan_entries() -> list[str]:
    """Every change of sqitch.plan in deploy order, a reworked change once per entry (as
    sqitch.changes records it)."""
    return [entry.name for entry in load_plan(ROOT).entries]


@pytest.fixture
def empty_db(settings: Settings) -> Iterator[Callable[[], str]]:
    """Makes empty databases owned by the owner role; drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"mvplan_{os.getpid()}_{next(_names)}"
        assert database.bootstrap(settings, name)
        made.append(name)
        return name

    yield make
    with database.superuser_connect(settings) as conn:
        for name in reversed(made):
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def sqitch(settings: Settings, dbname: str, *args: str) -> str:
    return database.sqitch(settings, dbname, *args).stdout


def connect(settings: Settings, dbname: str, user: str = "postgres") -> psycopg.Connection:
    return db_connect(settings.dsn(dbname, user))


def deployed_changes(settings: Settings, dbname: str) -> list[str]:
    with connect(settings, dbname) as conn:
        if one_row(conn, "select to_regclass('sqitch.changes')")[0] is None:
            return []
        return [
            r[0]
            for r in conn.execute(
                "select change from sqitch.changes where project = 'motovault' order by committed_at"
            )
        ]


def put_data_in_every_table(settings: Settings, dbname: str) -> dict[str, int]:
    """The hook for data before a revert: demo data when the plan has tenants, then one
    default row in every app/audit table that accepts `default values`. Returns rows per table."""
    demo = ROOT / "sql" / "demo.sql"
    with connect(settings, dbname, OWNER_ROLE) as conn:
        if demo.is_file() and one_row(conn, "select to_regclass('app.tenants')")[0] is not None:
            with conn.cursor() as cur:
                cur.execute(demo.read_text())
        tables = conn.execute(
            """select format('%I.%I', n.nspname, c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname in ('app', 'audit') and c.relkind in ('r', 'p')
               order by 1"""
        ).fetchall()
        counts = {}
        for (table,) in tables:
            try:
                with conn.transaction():
                    conn.execute(f"insert into {table} default values")
            except psycopg.Error:
                pass  # the table needs real values; demo data (if any) covers it
            counts[table] = one_row(conn, f"select count(*) from {table}")[0]
        return counts


def test_every_change_has_deploy_revert_and_verify_scripts() -> None:
    changes = plan_changes()
    assert changes[:2] == ["roles", "schemas"]
    missing = [
        f"{kind}/{name}.sql"
        for name in changes
        for kind in ("deploy", "revert", "verify")
        if not (ROOT / kind / f"{name}.sql").is_file()
    ]
    assert not missing, f"scripts missing: {missing}"
    orphans = [
        str(p.relative_to(ROOT))
        for kind in ("deploy", "revert", "verify")
        for p in (ROOT / kind).glob("*.sql")
        if p.stem.split("@")[0] not in changes
    ]
    assert not orphans, f"scripts for no change in sqitch.plan: {orphans}"


def test_deploy_verify_revert_deploy_verify_on_a_fresh_database(
    settings: Settings, empty_db: Callable[[], str]
) -> None:
    name = empty_db()
    changes = plan_changes()

    out = sqitch(settings, name, "deploy")
    assert all(f"+ {c} " in out or f"+ {c}." in out for c in changes), out
    assert deployed_changes(settings, name) == plan_entries()
    sqitch(settings, name, "verify")

    rows = put_data_in_every_table(settings, name)
    with connect(settings, name, OWNER_ROLE) as conn:
        # data the plan does not know about lives in its own schema and survives
        conn.execute("create schema scratch; create table scratch.marker (note text)")
        conn.execute("insert into scratch.marker values ('kept across revert')")

    out = sqitch(settings, name, "revert", "-y")
    assert all(f"- {c} " in out or f"- {c}." in out for c in changes), out
    assert deployed_changes(settings, name) == []
    with connect(settings, name) as conn:
        left = one_row(
            conn,
            "select array_agg(nspname) from pg_namespace "
            "where nspname in ('app', 'api', 'audit', 'analytics')",
        )[0]
        assert left is None, f"revert left schemas behind: {left}"
        assert one_row(conn, "select note from scratch.marker")[0] == "kept across revert"

    sqitch(settings, name, "deploy")
    assert deployed_changes(settings, name) == plan_entries()
    sqitch(settings, name, "verify")
    # a second deploy is a no-op
    assert "Nothing to deploy" in sqitch(settings, name, "deploy")
    assert isinstance(rows, dict)


def test_deploy_into_a_second_database_when_roles_exist(settings: Settings, empty_db: Callable[[], str]) -> None:
    first, second = empty_db(), empty_db()
    sqitch(settings, first, "deploy")
    with connect(settings, "postgres") as conn:
        n = one_row(conn, "select count(*) from pg_roles where rolname = any(%s)", (list(MOTOVAULT_ROLES),))[0]
    assert n == len(MOTOVAULT_ROLES)
    sqitch(settings, second, "deploy")
    sqitch(settings, second, "verify")
    sqitch(settings, first, "verify")


def test_reverting_one_database_keeps_the_roles_another_database_uses(
    settings: Settings, empty_db: Callable[[], str]
) -> None:
    kept, reverted = empty_db(), empty_db()
    sqitch(settings, kept, "deploy")
    sqitch(settings, reverted, "deploy")

    out = database.sqitch(settings, reverted, "revert", "-y")
    assert deployed_changes(settings, reverted) == []
    assert "roles kept" in (out.stdout + out.stderr)

    with connect(settings, kept) as conn:
        assert one_row(conn, "select has_schema_privilege('anon', 'api', 'usage')")[0]
        assert one_row(conn, "select pg_has_role('authenticator', 'app_user', 'member')")[0]
    # PostgREST's login still works there, with the password deploy set
    with connect(settings, kept, AUTHENTICATOR_ROLE) as conn:
        assert one_row(conn, "select current_user")[0] == AUTHENTICATOR_ROLE
        conn.execute("set role anon")
        assert one_row(conn, "select has_schema_privilege('api', 'usage')")[0]
    sqitch(settings, kept, "verify")

    # and the reverted database deploys again on top of the surviving roles
    sqitch(settings, reverted, "deploy")
    sqitch(settings, reverted, "verify")


def test_a_database_from_the_plan_before_v1_is_refused_with_what_to_do(
    settings: Settings, empty_db: Callable[[], str]
) -> None:
    """make up (and motovault db deploy) on a database whose registry holds changes this plan does not
    know (deployed before the @v1.0 re-baseline) stops with one clear message and deploys nothing."""
    name = empty_db()
    sqitch(settings, name, "deploy", "--to", "schemas")
    with connect(settings, name) as conn:
        # what a pre-1.0 registry looks like: patch changes folded into others by the re-baseline
        conn.execute("update sqitch.changes set change = 'audit_partition_root' where change = 'schemas'")
        before = one_row(conn, "select count(*) from sqitch.changes")[0]
    with pytest.raises(MotovaultError) as caught:
        database.deploy(settings, name)
    message = str(caught.value)
    assert "audit_partition_root" in message and "make reset" in message and "\n" not in message
    with connect(settings, name) as conn:
        assert one_row(conn, "select count(*) from sqitch.changes")[0] == before
        assert one_row(conn, "select to_regclass('app.vehicles')")[0] is None
