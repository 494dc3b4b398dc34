"""Shared fixtures: one template database built by `sqitch deploy`, a fresh clone per test,
pgTAP files as pytest items, and the real PostgREST binary for API tests.

The project cluster (the one `make up` uses) is started if it is not running,
and stopped again at the end if this session started it.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from pytest_postgresql import factories

from motovault.core.db import connect
from motovault.core.paths import state_dir
from motovault.doctor.suppress import load_check_exceptions
from motovault.stack import cluster, database
from motovault.stack.settings import OWNER_ROLE, SUPERUSER
from motovault.stack.stack import ensure_cluster
from motovault.testing.pgtap import run_pgtap
from motovault.testing.postgrest_proc import PostgrestServer
from motovault.testing.rule_exceptions import rule_exceptions_function
from support.databases import SETTINGS, TEMPLATE_BASE, ClonedDatabase, clone_name
from support.pooling import serve_api

ROOT = Path(__file__).resolve().parents[1]


#: the pgTAP test-helper schema `tests` (docs/testing.md); test databases only, never in the sqitch plan
PGTAP_HELPERS = ROOT / "tests" / "fixtures" / "pgtap" / "helpers.sql"


#: the pytest-xdist worker this process is ("gw0", "gw1", ...), or None in a run without -n
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


@contextmanager
def cluster_lock() -> Iterator[None]:
    """One process at a time (the xdist workers of a run, or two runs on one cluster): starting the
    cluster and deploying a template, whose first deploy creates the cluster-wide roles."""
    path = state_dir() / "test-cluster.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def deploy_plan(host: str, port: int, user: str, dbname: str, password: str, **_: object) -> None:
    """pytest-postgresql loader: the template database gets pgTAP, the whole sqitch plan and then the
    test helpers (schema `tests`), installed after the plan so that the plan deploys exactly as it does
    on a real database. Each xdist worker builds its own template, one after the other (the roles
    the plan creates are shared by the cluster)."""
    with cluster_lock():
        _deploy_plan(host, port, user, dbname, password)


def _deploy_plan(host: str, port: int, user: str, dbname: str, password: str) -> None:
    with connect(make_conninfo(host=host, port=port, user=user, password=password, dbname=dbname)) as conn:
        conn.execute(f'alter database "{dbname}" owner to {OWNER_ROLE}')
        conn.execute("create extension if not exists pgtap")
    database.sqitch(SETTINGS, dbname, "deploy")
    with connect(make_conninfo(host=host, port=port, user=user, password=password, dbname=dbname)) as conn:
        conn.execute(PGTAP_HELPERS.read_text())
        conn.execute(rule_exceptions_function(load_check_exceptions(ROOT / ".doctor-ignore.toml")))
        # tests sign tokens with the server secret (motovault token, PostgrestServer.token), as local
        # development does; production databases leave this off (docs/auth.md)
        conn.execute(f'alter database "{dbname}" set motovault.allow_bare_tokens = on')


_started_cluster = False


def pytest_sessionstart(session: pytest.Session) -> None:
    """The run's first process (the xdist controller, or the only one) starts the cluster when it is not
    running and stops it again at the end; xdist workers find it running and leave it alone."""
    global _started_cluster
    with cluster_lock():
        _started_cluster = XDIST_WORKER is None and not cluster.running(SETTINGS)
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


@pytest.fixture
def clone_db(postgresql_template: object) -> Iterator[ClonedDatabase]:
    """A fresh clone of the template under a unique name (for tests that need its name)."""
    with ClonedDatabase(postgresql_template, clone_name("c")) as clone:
        yield clone


@pytest.fixture
def db(clone_db: ClonedDatabase) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A psycopg connection (superuser, not autocommit) to a fresh clone of the template, per test
    (a clone of ours, so that it has the template's database settings)."""
    with connect(clone_db.url(), autocommit=False) as conn:
        yield conn


@pytest.fixture(scope="module")
def api_kind() -> str:
    """How `api` reaches the database: "direct", or "pgbouncer-transaction" (support/pooling.py). A
    module overrides this fixture, parametrized, to run its API tests both ways."""
    return "direct"


@pytest.fixture(scope="module")
def api_db(postgresql_template: object, api_kind: str) -> Iterator[ClonedDatabase]:
    """A module-scoped clone for the API tests (one per api_kind: the runs never share data)."""
    with ClonedDatabase(postgresql_template, clone_name("api")) as clone:
        yield clone


@pytest.fixture(scope="module")
def api(api_db: ClonedDatabase, api_kind: str) -> Iterator[PostgrestServer]:
    """The real PostgREST binary on free ports against a module-scoped clone (behind PgBouncer when
    api_kind says so)."""
    with serve_api(api_kind, api_db.name) as server:
        yield server


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
