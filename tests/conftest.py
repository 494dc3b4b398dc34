"""Shared fixtures: one template database built by `sqitch deploy`, a fresh clone per test,
pgTAP files as pytest items, and the real PostgREST binary for API tests.

The project cluster (the one `make up` uses) is started if it is not running,
and stopped again at the end if this session started it.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

from motovault.core.db import connect
from motovault.doctor.suppress import load_check_exceptions
from motovault.stack import cluster, database
from motovault.stack.settings import OWNER_ROLE, SUPERUSER, load_settings
from motovault.stack.stack import ensure_cluster
from motovault.testing.pgtap import run_pgtap
from motovault.testing.postgrest_proc import PostgrestServer
from motovault.testing.rule_exceptions import rule_exceptions_function

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings()
TEMPLATE_BASE = f"mvtest_{os.getpid()}"


#: the pgTAP test-helper schema `tests` (docs/testing.md); test databases only, never in the sqitch plan
PGTAP_HELPERS = ROOT / "tests" / "fixtures" / "pgtap" / "helpers.sql"


def deploy_plan(host: str, port: int, user: str, dbname: str, password: str, **_: object) -> None:
    """pytest-postgresql loader: the template database gets pgTAP, the whole sqitch plan and then the
    test helpers (schema `tests`), installed after the plan so that the plan deploys exactly as it does
    on a real database."""
    with connect(make_conninfo(host=host, port=port, user=user, password=password, dbname=dbname)) as conn:
        conn.execute(f'alter database "{dbname}" owner to {OWNER_ROLE}')
        conn.execute("create extension if not exists pgtap")
    database.sqitch(SETTINGS, dbname, "deploy")
    with connect(make_conninfo(host=host, port=port, user=user, password=password, dbname=dbname)) as conn:
        conn.execute(PGTAP_HELPERS.read_text())
        conn.execute(rule_exceptions_function(load_check_exceptions(ROOT / ".doctor-ignore.toml")))


_started_cluster = False


def pytest_sessionstart(session: pytest.Session) -> None:
    global _started_cluster
    _started_cluster = not cluster.running(SETTINGS)
    ensure_cluster()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _started_cluster and not os.environ.get("MOTOVAULT_KEEP_CLUSTER"):
        cluster.stop()


postgresql_template = factories.postgresql_noproc(
    host=SETTINGS.pg_host,
    port=SETTINGS.pg_port,
    user=SUPERUSER,
    password=SETTINGS.secrets["MOTOVAULT_SUPERUSER_PASSWORD"],
    dbname=TEMPLATE_BASE,
    load=[deploy_plan],
)

#: a psycopg connection (superuser) to a fresh clone of the template, per test
db = factories.postgresql("postgresql_template")

_names = itertools.count()


def copy_role_settings(source: str, target: str) -> None:
    """ALTER ROLE ... IN DATABASE settings belong to one database: CREATE DATABASE ... TEMPLATE does not
    copy them. A clone gets the template's (the ones the plan's role_settings change made)."""
    with connect(SETTINGS.dsn("postgres", SUPERUSER)) as conn:
        statements = conn.execute(
            """
            select format('alter role %%I in database %%I set %%s = %%L', r.rolname, %s::text,
                          split_part(c, '=', 1), substr(c, strpos(c, '=') + 1))
            from pg_db_role_setting as s
            join pg_roles as r on r.oid = s.setrole
            join pg_database as d on d.oid = s.setdatabase
            cross join unnest(s.setconfig) as c
            where d.datname = %s
            """,
            (target, source),
        ).fetchall()
        for (statement,) in statements:
            conn.execute(statement)


class ClonedDatabase:
    """A database cloned from the session template, with its name and URLs."""

    def __init__(self, template: object, name: str) -> None:
        self.name = name
        self._janitor = DatabaseJanitor(
            user=SUPERUSER,
            host=SETTINGS.pg_host,
            port=SETTINGS.pg_port,
            dbname=name,
            template_dbname=template.template_dbname,  # type: ignore[attr-defined]
            version=template.version,  # type: ignore[attr-defined]
            password=SETTINGS.secrets["MOTOVAULT_SUPERUSER_PASSWORD"],
        )

    def __enter__(self) -> "ClonedDatabase":
        self._janitor.init()
        copy_role_settings(self._janitor.template_dbname, self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        self._janitor.drop()

    def url(self, user: str = SUPERUSER) -> str:
        return SETTINGS.dsn(self.name, user)

    def connect(self, user: str = SUPERUSER) -> psycopg.Connection:
        return connect(self.url(user))


@pytest.fixture
def clone_db(postgresql_template: object) -> Iterator[ClonedDatabase]:
    """A fresh clone of the template under a unique name (for tests that need its name)."""
    with ClonedDatabase(postgresql_template, f"{TEMPLATE_BASE}_c{next(_names)}") as clone:
        yield clone


@pytest.fixture(scope="module")
def api_db(postgresql_template: object) -> Iterator[ClonedDatabase]:
    with ClonedDatabase(postgresql_template, f"{TEMPLATE_BASE}_api{next(_names)}") as clone:
        yield clone


@pytest.fixture(scope="module")
def api(api_db: ClonedDatabase) -> Iterator[PostgrestServer]:
    """The real PostgREST binary on free ports against a module-scoped clone."""
    server = PostgrestServer(SETTINGS, api_db.name).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings():  # type: ignore[no-untyped-def]
    return SETTINGS


@pytest.fixture
def new_id() -> str:
    return str(uuid.uuid4())


# --- pgTAP files under tests/pgtap are pytest items -------------------------------------------


def _pgtap_test(path: Path):  # type: ignore[no-untyped-def]
    def test_pgtap(clone_db: ClonedDatabase) -> None:
        result = run_pgtap(clone_db.url(), path)
        if not result.ok:
            pytest.fail(result.report(), pytrace=False)

    return test_pgtap


class PgTapFile(pytest.File):
    """A pgTAP file: one test item, run in its own clone of the template database."""

    def collect(self):  # type: ignore[no-untyped-def]
        yield pytest.Function.from_parent(self, name=self.path.stem, callobj=_pgtap_test(self.path))


def pytest_collect_file(parent: pytest.Collector, file_path: Path):  # type: ignore[no-untyped-def]
    if file_path.suffix == ".sql" and file_path.parent.name == "pgtap" and file_path.parent.parent == ROOT / "tests":
        return PgTapFile.from_parent(parent, path=file_path)
    return None
