"""`motovault doctor` on motovault itself: the deployed plan and the sqitch project are clean."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest

from motovault.cli import main
from motovault.doctor import DoctorOptions, Level, run_doctor

ROOT = Path(__file__).resolve().parents[1]


class Db(Protocol):
    """The harness's cloned database (tests/conftest.py)."""

    name: str

    def url(self, user: str = ...) -> str: ...

    def connect(self, user: str = ...) -> psycopg.Connection[Any]: ...


def test_doctor_on_our_plan_and_sqitch_project_has_no_warnings(
        clone_db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([
        "doctor", "--dsn", clone_db.url(), "--sqitch", str(ROOT), "--fail-on", "warning",
        "--ignore-file", str(ROOT / ".doctor-ignore.toml"), "--format", "json",
    ])
    out = json.loads(capsys.readouterr().out)
    bad = [f"{f['key']} ({f['level']}): {f['message']}" for f in out["findings"] if f["level"] != "info"]
    assert status == 0 and not bad, "\n".join(bad)
    assert out["summary"]["migration_files"] >= 2


def test_every_suppression_in_our_ignore_file_is_used_and_justified(clone_db: Db) -> None:
    from motovault.doctor.suppress import load_suppressions

    supps = load_suppressions(ROOT / ".doctor-ignore.toml")
    report = run_doctor(DoctorOptions(dsn=clone_db.url(), sqitch=ROOT, ignore_file=ROOT / ".doctor-ignore.toml"))
    used = {f.suppressed_by for f in report.suppressed}
    for s in supps:
        assert len(s.reason) > 20
        assert s.reason in used, f"suppression {s.label} matches nothing: remove it"
    assert not report.unused_suppressions, f"keys that match nothing: {report.unused_suppressions}"
    assert all(f.level < Level.WARNING for f in report.active)


DESIGN_PROJECT = Path(__file__).parent / "fixtures" / "doctor" / "design_project"


@pytest.fixture
def schemas_only_db(settings: Any) -> Iterator[str]:
    """A new database with only our roles and schemas (sqitch deploy --to schemas)."""
    from motovault.stack import database

    name = f"doctor_design_{uuid.uuid4().hex[:8]}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'create database "{name}" owner motovault_owner')
    try:
        database.sqitch(settings, name, "deploy", "--to", "schemas")
        yield name
    finally:
        with database.superuser_connect(settings) as conn:
            conn.execute(f'drop database "{name}" with (force)')


def test_design_style_sqitch_project_passes_without_suppressions(schemas_only_db: str, settings: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A small project built the DESIGN.md way (forced RLS, tenant-led keys, inlinable STABLE helper,
    security_invoker views, psql \\gexec, a non-transactional CONCURRENTLY change) deployed by sqitch on
    top of our plan: zero warnings, without an ignore file. Guards the lints' precision."""
    from motovault.stack import database

    database.sqitch(settings, schemas_only_db, "deploy", root=DESIGN_PROJECT)
    status = main(["doctor", "--dsn", settings.dsn(schemas_only_db), "--schema", "app", "api", "audit",
                   "--sqitch", str(DESIGN_PROJECT), "--fail-on", "warning", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    bad = [f"{f['key']} ({f['level']}): {f['message']} "
           f"[{f['evidence']}]" for f in out["findings"] if f["level"] != "info"]
    assert status == 0 and not bad, "\n".join(bad)
    tables = {t["qualified_name"] for t in out["tables"]}
    assert tables >= {"app.vehicles", "app.vehicle_events", "audit.log", "app.vin_cache"}
    assert out["summary"]["migration_files"] == 7


def test_our_ignore_file_is_found_without_flags(clone_db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    """`motovault doctor --sqitch .` on our project uses .doctor-ignore.toml without --ignore-file: the same
    suppressions as when it is named."""
    main(["doctor", "--dsn", clone_db.url(), "--sqitch", str(ROOT), "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    main(["doctor", "--dsn", clone_db.url(), "--sqitch", str(ROOT), "--format", "json",
          "--ignore-file", str(ROOT / ".doctor-ignore.toml")])
    given = json.loads(capsys.readouterr().out)
    assert found["summary"]["ignore_file"] == str(ROOT / ".doctor-ignore.toml")
    assert found["summary"]["ignore_file_origin"] == "found"
    assert found["suppressed"] == given["suppressed"] and len(found["suppressed"]) > 10
    assert [f["key"] for f in found["findings"]] == [f["key"] for f in given["findings"]]
