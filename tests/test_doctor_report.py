"""The report (markdown in the legacy report's structure, JSON), the CLI and suppressions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest

from motovault.cli import main


class Db(Protocol):
    """The harness's cloned database (tests/conftest.py)."""

    name: str

    def url(self, user: str = ...) -> str: ...

    def connect(self, user: str = ...) -> psycopg.Connection[Any]: ...

LEGACY = Path(__file__).parent / "fixtures" / "doctor" / "legacy"


@pytest.fixture
def legacy_db(clone_db: Db) -> Db:
    with clone_db.connect() as conn:
        conn.execute((LEGACY / "schema.sql").read_text())
        conn.execute("analyze legacy.vehicles, legacy.tenants, legacy.schema_migrations")
    return clone_db


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["doctor", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_markdown_reproduces_the_legacy_report_structure(legacy_db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    status, md, _ = doctor(capsys, "--dsn", legacy_db.url(), "--schema", "legacy",
                           "--migrations", str(LEGACY / "migrations"), "--exact-counts")
    assert status == 1  # RLS is off on tenant tables: errors
    order = ["# Database Architecture Analysis", "## Executive Summary", "## Database Overview",
             "## Table Analysis", "## Critical Issues", "## Recommendations"]
    positions = [md.index(h) for h in order]
    assert positions == sorted(positions)
    assert "- **Tables:** 7" in md and "- **Total Records:** 9" in md and "- **Migration Files:** 5" in md
    vehicles = md[md.index("### legacy.vehicles"):]
    vehicles = vehicles[: vehicles.index("\n\n")]
    for line in ("- **Rows:** 5", "- **Columns:** 11", "- **Has Timestamps:** ✅", "- **Has Tenant ID:** ✅",
                 "- **Has Soft Delete:** ✅", "garage_id → legacy.garages", "tenant_id → legacy.tenants"):
        assert line in vehicles
    events = md[md.index("### legacy.vehicle_events"):]
    assert "- **Has Timestamps:** ❌" in events[:300] and "- **Has Tenant ID:** ❌" in events[:300]
    assert "- **Foreign Keys:** None" in md[md.index("### legacy.schema_migrations"):]
    # the legacy report's findings, now with evidence and a fix
    assert ("Migration 002_garages.sql: Schema evolution - column garage_id added to vehicles after initial creation"
            in md)
    assert "Migration 010_vehicle_events.sql: Table created without tenant_id for multi-tenancy" in md
    assert "legacy.vehicles: inconsistent naming - both 'label' and 'display_name' columns exist" in md
    assert "legacy.vehicles: inconsistent naming - both 'nickname' and 'display_name' columns exist" in md
    assert "legacy.vehicle_events: user data without tenant_id" in md
    assert "legacy.garages: no soft delete capability (deleted_at)" in md
    assert "legacy.vehicle_images: missing created_at/updated_at timestamps" in md
    assert "### Naming (data quality) (2 items)" in md
    # recommendations come from findings only, each listing its findings
    recs = md[md.index("## Recommendations"):]
    assert "Resolve naming conflicts" in recs and "`twin_columns:legacy.vehicles.label`" in recs
    assert "Index foreign keys" in recs
    for canned in ("PgBouncer", "read replicas", "backup verification", "event sourcing"):
        assert canned not in md


def test_json_has_summary_tables_and_findings(legacy_db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = doctor(capsys, "--dsn", legacy_db.url(), "--schema", "legacy",
                            "--migrations", str(LEGACY / "migrations"), "--format", "json")
    data = json.loads(out)
    assert set(data) >= {"summary", "tables", "findings"}
    assert data["summary"]["tables"] == 7 and data["summary"]["by_level"]["error"] >= 1
    assert {t["qualified_name"] for t in data["tables"]} >= {"legacy.vehicles", "legacy.schema_migrations"}
    for f in data["findings"]:
        assert {"key", "lint", "level", "category", "object", "file", "message", "remediation", "evidence"} <= set(f)
        assert f["key"].startswith(f["lint"] + ":")
    migration = [f for f in data["findings"] if f["lint"].startswith("migration_")]
    assert migration and all(f["file"] for f in migration)
    assert len({f["key"] for f in data["findings"]}) == len(data["findings"])  # keys are unique


def test_fail_on_levels(legacy_db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    url = legacy_db.url()
    assert doctor(capsys, "--dsn", url, "--schema", "legacy", "--fail-on", "error")[0] == 1
    with legacy_db.connect() as conn:
        conn.execute("create schema clean; create table clean.codes (code text primary key,"
                     " created_at timestamptz not null, updated_at timestamptz not null)")
    assert doctor(capsys, "--dsn", url, "--schema", "clean", "--fail-on", "info")[0] == 0
    with legacy_db.connect() as conn:
        conn.execute("create table clean.notes (id int primary key, tenant_id uuid, created_at timestamptz not null,"
                     " updated_at timestamptz not null, deleted_at timestamptz);"
                     " alter table clean.notes enable row level security")  # rls_not_forced + rls_no_policy: warnings
    assert doctor(capsys, "--dsn", url, "--schema", "clean", "--fail-on", "error")[0] == 0
    assert doctor(capsys, "--dsn", url, "--schema", "clean", "--fail-on", "warning")[0] == 1


def test_suppressions_need_a_reason(legacy_db: Db, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = legacy_db.url()
    ignore = tmp_path / "ignore.toml"
    ignore.write_text('[[suppress]]\nlint = "rls_disabled"\nobject = "legacy.*"\n')
    status, _, err = doctor(capsys, "--dsn", url, "--schema", "legacy", "--ignore-file", str(ignore))
    assert status == 1 and err.count("\n") == 1 and "reason is mandatory" in err
    ignore.write_text('[[suppress]]\nlint = "rls_disabled"\nobject = "legacy.*"\nreason = "legacy app, isolated by '
                      'its own database"\n'
                      '[[suppress]]\nkey = "view_bypasses_rls:*"\nreason = "no views here"\n')
    status, out, _ = doctor(capsys, "--dsn", url, "--schema", "legacy", "--ignore-file", str(ignore),
                            "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert not [f for f in data["findings"] if f["lint"] == "rls_disabled"]
    assert {f["key"] for f in data["suppressed"]} == {"rls_disabled:legacy.garages",
                                                     "rls_disabled:legacy.vehicle_images",
                                                     "rls_disabled:legacy.vehicles"}
    assert data["summary"]["suppressed"] == 3
    _, md, _ = doctor(capsys, "--dsn", url, "--schema", "legacy", "--ignore-file", str(ignore))
    assert "## Suppressed" in md and "legacy app, isolated by its own database" in md
    assert data["unused_suppressions"] == ["view_bypasses_rls:*"] and "## Unused suppressions" in md


def test_bad_dsn_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = doctor(capsys, "--dsn", "postgresql://nobody:x@127.0.0.1:1/nothing")
    assert status == 1 and out == ""
    assert err.startswith("motovault doctor: error: cannot connect to the database") and err.count("\n") == 1


def test_cli_entry_point_bad_dsn_and_unknown_schema(clone_db: Db) -> None:
    proc = subprocess.run([sys.executable, "-m", "motovault", "doctor", "--dsn", "not a url"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "motovault", "doctor", "--dsn", clone_db.url(), "--schema", "nope"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "schema(s) not found" in proc.stderr and proc.stderr.count("\n") == 1


def test_migrations_only_without_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = doctor(capsys, "--no-live", "--migrations", str(LEGACY / "migrations"), "--format", "json",
                            "--fail-on", "warning")
    data = json.loads(out)
    assert status == 1 and data["tables"] == [] and data["summary"]["migration_files"] == 5
    assert all(f["lint"].startswith("migration_") for f in data["findings"])
    status, _, err = doctor(capsys, "--no-live")
    assert status == 1 and "needs --migrations or --sqitch" in err


def test_a_key_list_suppresses_each_key_and_reports_the_unused_ones(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """One reason for several exact keys (historic migrations); a key of the list that matches nothing is unused."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001.sql").write_text("create table t (id int primary key, tenant_id uuid);")
    (tmp_path / "m" / "002.sql").write_text("alter table t add column a int;\ncreate trigger t_x before update on t "
                                            "for each row execute function f();")
    ignore = tmp_path / "ignore.toml"
    ignore.write_text('[[suppress]]\nkey = ["migration_without_lock_timeout:002.sql:t", '
                      '"migration_without_lock_timeout:003.sql:*"]\n'
                      'reason = "written before the lock rules; deployed with a lock_timeout"\n')
    status, out, _ = doctor(capsys, "--no-live", "--migrations", str(tmp_path / "m"), "--ignore-file", str(ignore),
                            "--fail-on", "warning", "--format", "json")
    data = json.loads(out)
    assert status == 0, data["findings"]
    assert [f["key"] for f in data["suppressed"]] == ["migration_without_lock_timeout:002.sql:t"]
    assert data["unused_suppressions"] == ["migration_without_lock_timeout:003.sql:*"]
    ignore.write_text('[[suppress]]\nkey = ["migration_*", 1]\nreason = "a number is no key glob"\n')
    status, _, err = doctor(capsys, "--no-live", "--migrations", str(tmp_path / "m"), "--ignore-file", str(ignore))
    assert status == 1 and "key must be a string or a list of strings" in err


def test_one_entry_excuses_several_lints_and_names_project_checks(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """lint may be a list; checks name the project's own checks (not doctor lints): an entry with checks
    only is no doctor suppression and never unused; load_check_exceptions lists them with the reason."""
    from motovault.doctor.suppress import load_check_exceptions

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001.sql").write_text("create table t (id int primary key, tenant_id uuid);")
    (tmp_path / "m" / "002.sql").write_text("alter table t add column a int;\ncreate index t_a on t (a);")
    ignore = tmp_path / "ignore.toml"
    ignore.write_text(
        '[[suppress]]\nlint = ["migration_without_lock_timeout", "migration_index_not_concurrent"]\nobject = "t"\n'
        'checks = ["stamp_trigger"]\nreason = "a scratch table"\n'
        '[[suppress]]\nobject = "app.queue"\nchecks = ["tenant_id", "deleted_at"]\nreason = "a shared work queue"\n')
    status, out, _ = doctor(capsys, "--no-live", "--migrations", str(tmp_path / "m"), "--ignore-file", str(ignore),
                            "--format", "json")
    data = json.loads(out)
    assert {f["lint"] for f in data["suppressed"]} >= {"migration_without_lock_timeout"}
    assert data["unused_suppressions"] == []
    assert load_check_exceptions(ignore) == [
        ("t", "stamp_trigger", "a scratch table"),
        ("app.queue", "tenant_id", "a shared work queue"),
        ("app.queue", "deleted_at", "a shared work queue"),
    ]
    for bad, message in [
        ('[[suppress]]\nchecks = ["x"]\nreason = "r"\n', "checks need the object they excuse"),
        ('[[suppress]]\nobject = "o"\nchecks = "x"\nreason = "r"\n', "checks must be a list of check names"),
        ('[[suppress]]\nlint = [1]\nobject = "o"\nreason = "r"\n', "lint must be a string or a list of strings"),
    ]:
        ignore.write_text(bad)
        status, _, err = doctor(capsys, "--no-live", "--migrations", str(tmp_path / "m"), "--ignore-file", str(ignore))
        assert status == 1 and message in err, err


# --- the ignore file is found by itself ---------------------------------------------------------------

SUPPRESS_T = ('[[suppress]]\nkey = "migration_without_lock_timeout:002.sql:t"\n'
              'reason = "{where}: deployed with PGOPTIONS lock_timeout"\n')


def repo(tmp_path: Path, git_dir: bool = True) -> Path:
    """tmp/repo (a repository root: .git) with db/migrations holding a finding to suppress."""
    root = tmp_path / "repo"
    migrations = root / "db" / "migrations"
    migrations.mkdir(parents=True)
    if git_dir:
        (root / ".git").mkdir()
    else:
        (root / ".git").write_text("gitdir: /elsewhere/.git/worktrees/repo\n")  # a worktree: .git is a file
    (migrations / "001.sql").write_text("create table t (id int primary key, tenant_id uuid);")
    (migrations / "002.sql").write_text("alter table t add column a int;")
    return root


def lint(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    status, out, err = doctor(capsys, "--no-live", "--migrations", str(folder), "--fail-on", "warning",
                              "--format", "json", *extra)
    assert not err, err
    return status, json.loads(out)


def test_ignore_file_in_the_migrations_folder_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    migrations = repo(tmp_path) / "db" / "migrations"
    (migrations / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="migrations folder"))
    status, data = lint(capsys, migrations)
    assert status == 0 and [f["key"] for f in data["suppressed"]] == ["migration_without_lock_timeout:002.sql:t"]
    assert data["summary"]["ignore_file"] == str(migrations / ".doctor-ignore.toml")
    assert data["summary"]["ignore_file_origin"] == "found"
    _, md, _ = doctor(capsys, "--no-live", "--migrations", str(migrations))
    assert f"- **Ignore file:** `{migrations / '.doctor-ignore.toml'}` (found by itself)" in md


@pytest.mark.parametrize("git_dir", [True, False], ids=["git_folder", "git_file"])
def test_ignore_file_is_looked_for_up_to_the_repository_root(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, git_dir: bool) -> None:
    root = repo(tmp_path, git_dir)
    (tmp_path / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="outside the repository"))
    status, data = lint(capsys, root / "db" / "migrations")
    assert status == 1 and data["summary"]["ignore_file"] is None and not data["suppressed"]  # not above .git
    assert data["summary"]["ignore_file_origin"] == "none"
    (root / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="repository root"))
    (root / "db" / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="db folder"))
    status, data = lint(capsys, root / "db" / "migrations")
    assert status == 0 and data["summary"]["ignore_file"] == str(root / "db" / ".doctor-ignore.toml")  # nearest wins
    assert data["suppressed"][0]["suppressed"] == "db folder: deployed with PGOPTIONS lock_timeout"
    (root / "db" / ".doctor-ignore.toml").unlink()
    status, data = lint(capsys, root / "db" / "migrations")
    assert status == 0 and data["summary"]["ignore_file"] == str(root / ".doctor-ignore.toml")


def test_without_a_migrations_folder_the_current_directory_is_the_start(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from motovault.doctor import DoctorOptions, run_doctor

    root = repo(tmp_path)
    (root / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="repository root"))
    monkeypatch.chdir(root / "db")
    report = run_doctor(DoctorOptions(dsn=None, find_ignore_file=True))
    assert report.ignore_file == str(root / ".doctor-ignore.toml") and report.ignore_file_origin == "found"
    # the migrations folder, when given, is where the search starts (not the current directory)
    monkeypatch.chdir(tmp_path)
    status, data = lint(capsys, root / "db" / "migrations")
    assert status == 0 and data["summary"]["ignore_file"] == str(root / ".doctor-ignore.toml")
    assert run_doctor(DoctorOptions(dsn=None, find_ignore_file=True)).ignore_file is None  # tmp_path: none above


def test_ignore_file_option_overrides_and_no_ignore_file_disables(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    migrations = repo(tmp_path) / "db" / "migrations"
    (migrations / ".doctor-ignore.toml").write_text(SUPPRESS_T.format(where="found"))
    given = tmp_path / "given.toml"
    given.write_text(SUPPRESS_T.format(where="given"))
    status, data = lint(capsys, migrations, "--ignore-file", str(given))
    assert status == 0 and data["summary"]["ignore_file"] == str(given)
    assert data["summary"]["ignore_file_origin"] == "given"
    assert data["suppressed"][0]["suppressed"] == "given: deployed with PGOPTIONS lock_timeout"
    _, md, _ = doctor(capsys, "--no-live", "--migrations", str(migrations), "--ignore-file", str(given))
    assert f"- **Ignore file:** `{given}` (--ignore-file)" in md
    status, data = lint(capsys, migrations, "--no-ignore-file")
    assert status == 1 and data["summary"]["ignore_file"] is None and not data["suppressed"]
    assert data["summary"]["ignore_file_origin"] == "disabled"
    with pytest.raises(SystemExit):  # argparse: not both
        main(["doctor", "--no-live", "--migrations", str(migrations), "--no-ignore-file", "--ignore-file", str(given)])
    capsys.readouterr()


def test_a_broken_found_ignore_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    migrations = repo(tmp_path) / "db" / "migrations"
    (migrations / ".doctor-ignore.toml").write_text("[[suppress]]\nkey = 'x'\n")
    status, out, err = doctor(capsys, "--no-live", "--migrations", str(migrations))
    assert status == 1 and out == "" and err.count("\n") == 1
    assert str(migrations / ".doctor-ignore.toml") in err and "reason is mandatory" in err
