"""The pgTAP catalog walk fails when a new table forgets a tenant rule."""

from __future__ import annotations

from pathlib import Path

from motovault.testing.pgtap import run_pgtap

WALK = Path(__file__).parent / "pgtap" / "tenant_tables.sql"


def test_walk_passes_on_the_plan(clone_db):
    result = run_pgtap(clone_db.url(), WALK)
    assert result.ok, result.report()


def test_walk_fails_for_a_table_without_the_rules(clone_db):
    with clone_db.connect() as conn:
        conn.execute("create table app.forgetful (id uuid primary key, note text)")
    result = run_pgtap(clone_db.url(), WALK)
    assert not result.ok
    report = result.report()
    for rule in ("forgetful: rls", "forgetful: force_rls", "forgetful: tenant_id", "forgetful: deleted_at", "forgetful: audit_trigger"):
        assert rule in report


def test_walk_fails_when_rls_is_not_forced(clone_db):
    with clone_db.connect() as conn:
        conn.execute("alter table app.garages no force row level security")
    result = run_pgtap(clone_db.url(), WALK)
    assert "garages: force_rls" in result.report()


def test_walk_fails_for_a_view_that_is_not_security_invoker(clone_db):
    with clone_db.connect() as conn:
        conn.execute("create view api.leaky as select id from app.vehicles")
        conn.execute("comment on view api.leaky is 'x'")
    result = run_pgtap(clone_db.url(), WALK)
    assert not result.ok and "every api view is security_invoker" in result.report()
