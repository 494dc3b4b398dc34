"""The @v1.0 re-baseline changes no object: a database deployed from the plan before it (the last commit
with the 32-change plan of patches, 2a0c60a) has the same normalized schema (sql/schema.sql form: pg_dump
--schema-only, grants sorted, role settings appended) as one deployed from the refolded plan.

This test proves the refold once and is dropped in the next commit, as the redesign issue asks."""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import sql

from motovault import database
from motovault.core.schema import schema_sql
from motovault.paths import pg_bindir
from motovault.settings import SUPERUSER, Settings

ROOT = Path(__file__).resolve().parents[1]
BEFORE_REBASELINE = "2a0c60a"


@pytest.fixture
def old_plan(tmp_path: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BEFORE_REBASELINE, "sqitch.plan", "sqitch.conf", "deploy", "revert", "verify"],
        capture_output=True, check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive, check=True)
    return tmp_path


@pytest.fixture
def two_databases(settings: Settings) -> Iterator[tuple[str, str]]:
    names = (f"mvold_{os.getpid()}", f"mvnew_{os.getpid()}")
    for name in names:
        assert database.bootstrap(settings, name)
    yield names
    with database.superuser_connect(settings) as conn:
        for name in names:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_the_old_plan_and_the_refolded_plan_deploy_the_same_schema(settings: Settings, old_plan: Path, two_databases: tuple[str, str]) -> None:
    old_db, new_db = two_databases
    assert "audit_partition_root" in (old_plan / "sqitch.plan").read_text()
    assert "audit_partition_root" not in (ROOT / "sqitch.plan").read_text()
    database.sqitch(settings, old_db, "deploy", root=old_plan)
    database.sqitch(settings, new_db, "deploy")
    pg_dump = pg_bindir() / "pg_dump"
    old = schema_sql(settings.dsn(old_db, SUPERUSER), pg_dump)
    new = schema_sql(settings.dsn(new_db, SUPERUSER), pg_dump)
    assert len(old.splitlines()) > 5000
    diff = "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), "old plan", "refolded plan", lineterm=""))
    assert old == new, diff[:5000]
