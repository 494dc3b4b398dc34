"""The pgTAP catalog walk fails when a new table forgets a tenant rule."""

from __future__ import annotations

from pathlib import Path

from motovault.doctor.suppress import load_check_exceptions
from motovault.testing.pgtap import run_pgtap
from motovault.testing.rule_exceptions import rule_exceptions_function
from support.databases import ClonedDatabase

ROOT = Path(__file__).resolve().parents[1]

WALK = Path(__file__).parent / "pgtap" / "tenant_tables.sql"


def test_walk_passes_on_the_plan(clone_db: ClonedDatabase) -> None:
    result = run_pgtap(clone_db.url(), WALK)
    assert result.ok, result.report()


def test_walk_fails_for_a_table_without_the_rules(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("create table app.forgetful (id uuid primary key, note text)")
    result = run_pgtap(clone_db.url(), WALK)
    assert not result.ok
    report = result.report()
    rules = ("rls", "force_rls", "tenant_id", "deleted_at", "audit_trigger")
    for rule in (f"forgetful: {name}" for name in rules):
        assert rule in report


def test_walk_fails_for_a_table_audited_per_row_or_missing_an_event(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        # the shape of before bulk writes: one row-level trigger for every event
        conn.execute("drop trigger _900_audit_insert on app.garages")
        conn.execute("drop trigger _900_audit_update on app.garages")
        conn.execute("drop trigger _900_audit_delete on app.garages")
        conn.execute("create trigger _900_audit after insert or update or delete on app.garages "
                     "for each row execute function app.tg_audit_row('tenant_id')")
        # a table whose DELETE statements go unaudited
        conn.execute("drop trigger _900_audit_delete on app.reminders")
    report = run_pgtap(clone_db.url(), WALK).report()
    assert "garages: audit_trigger" in report
    assert "reminders: audit_trigger" in report
    assert "vehicles: audit_trigger" not in report


def test_walk_fails_when_rls_is_not_forced(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("alter table app.garages no force row level security")
    result = run_pgtap(clone_db.url(), WALK)
    assert "garages: force_rls" in result.report()


def test_walk_fails_for_a_view_that_is_not_security_invoker(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("create view api.leaky as select id from app.vehicles")
        conn.execute("comment on view api.leaky is 'x'")
    result = run_pgtap(clone_db.url(), WALK)
    assert not result.ok and "every api view is security_invoker" in result.report()


def test_walk_fails_for_a_soft_deletable_table_without_its_trash_api(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("drop function api.restore_garage(uuid)")
    result = run_pgtap(clone_db.url(), WALK)
    assert "garages: soft_delete_api" in result.report()


def test_walk_fails_for_a_trigger_whose_name_does_not_say_its_order(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute("create trigger garages_touch before update on app.garages "
                     "for each row execute function app.tg_stamp_row('tenant', 'app_user')")
        conn.execute("create function app.touch() returns trigger language plpgsql as $$ begin return new; end $$")
    report = run_pgtap(clone_db.url(), WALK).report()
    assert "app.garages: garages_touch" in report
    assert "app.touch()" in report


def test_walk_takes_its_exceptions_from_the_ignore_file(clone_db: ClonedDatabase) -> None:
    exceptions = load_check_exceptions(ROOT / ".doctor-ignore.toml")
    reasons = {rule: reason for obj, rule, reason in exceptions if obj == "app.stations"}
    assert "tenant_id" in reasons and "shared reference data" in reasons["tenant_id"]
    with clone_db.connect() as conn:
        assert dict(conn.execute(
            "select rule, reason from tests.rule_exceptions() where object = 'app.stations'").fetchall()) == reasons
        conn.execute(rule_exceptions_function([e for e in exceptions if e[:2] != ("app.stations", "tenant_id")]))
    assert "stations: tenant_id" in run_pgtap(clone_db.url(), WALK).report()
