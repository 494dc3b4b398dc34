"""The rule registry: every rule documented, with an example that triggers it and the same thing done right
(both run here, side by side, per rule); names stable; --list-rules, --explain; docs/doctor up to date."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from motovault.cli import main
from motovault.core.db import connect
from motovault.doctor import DoctorOptions, run_doctor
from motovault.doctor.docs import INDEX, explain, list_rules, render_docs, rule_page, write_docs
from motovault.doctor.heuristics import LiveOptions
from motovault.doctor.migrations import analyse_migrations, numbered_folder, sqitch_project
from motovault.doctor.model import CATEGORIES, Finding, Level
from motovault.doctor.rule import LiveExample, MigrationExample, Rule
from motovault.doctor.rules import all_rules, closest, find_rule, live_rules, migration_rules
from motovault.stack.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "doctor"
RULES = all_rules()

#: every lint the doctor reported before the registry, with its level(s) and category: suppression files and
#: tests name them, so a rename must keep the old name working
STABLE: dict[str, tuple[tuple[Level, ...], str]] = {
    "missing_timestamps": ((Level.WARNING,), "operations"),
    "missing_tenant_id": ((Level.WARNING,), "multi-tenancy"),
    "missing_soft_delete": ((Level.INFO,), "operations"),
    "twin_columns": ((Level.WARNING,), "naming"),
    "no_primary_key": ((Level.WARNING,), "integrity"),
    "fk_without_index": ((Level.WARNING,), "performance"),
    "nullable_fk": ((Level.INFO,), "integrity"),
    "fk_default_on_delete": ((Level.INFO,), "integrity"),
    "enum_without_check": ((Level.WARNING,), "integrity"),
    "jsonb_without_validation": ((Level.WARNING,), "integrity"),
    "timestamp_without_time_zone": ((Level.WARNING,), "integrity"),
    "money_in_float": ((Level.WARNING,), "integrity"),
    "rls_disabled": ((Level.ERROR,), "security"),
    "rls_not_forced": ((Level.WARNING,), "security"),
    "rls_no_policy": ((Level.WARNING,), "security"),
    "rls_policy_without_tenant_predicate": ((Level.WARNING,), "security"),
    "rls_predicate_not_indexable": ((Level.WARNING, Level.INFO), "security"),
    "rls_predicate_no_index": ((Level.WARNING,), "performance"),
    "multiple_permissive_policies": ((Level.WARNING,), "performance"),
    "view_bypasses_rls": ((Level.ERROR,), "security"),
    "security_definer_search_path": ((Level.ERROR,), "security"),
    "function_public_execute": ((Level.WARNING, Level.ERROR), "security"),
    "extension_in_public": ((Level.WARNING,), "security"),
    "duplicate_index": ((Level.WARNING,), "performance"),
    "unused_index": ((Level.INFO,), "performance"),
    "large_event_table": ((Level.WARNING,), "performance"),
    "migration_unreadable": ((Level.ERROR,), "operations"),
    "migration_unparseable": ((Level.ERROR,), "operations"),
    "migration_column_added_later": ((Level.INFO,), "operations"),
    "migration_not_null_without_default": ((Level.WARNING,), "operations"),
    "migration_constraint_without_not_valid": ((Level.WARNING,), "operations"),
    "migration_index_not_concurrent": ((Level.WARNING,), "operations"),
    "migration_table_without_tenant_id": ((Level.WARNING, Level.INFO), "multi-tenancy"),
    "migration_index_without_if_not_exists": ((Level.WARNING, Level.INFO), "operations"),
    "migration_concurrent_index_if_not_exists": ((Level.WARNING,), "operations"),
    "migration_concurrent_in_transaction": ((Level.ERROR,), "operations"),
    "migration_concurrent_not_alone": ((Level.WARNING,), "operations"),
    "migration_alter_column_type": ((Level.WARNING,), "operations"),
    "migration_drop_column": ((Level.WARNING,), "operations"),
    "migration_drop_table": ((Level.WARNING,), "operations"),
    "migration_rename_table": ((Level.WARNING,), "operations"),
    "migration_rename_column": ((Level.WARNING,), "operations"),
    "migration_validate_in_same_transaction": ((Level.WARNING,), "operations"),
    "migration_constraint_never_validated": ((Level.WARNING,), "integrity"),
    "migration_set_not_null_scan": ((Level.WARNING,), "operations"),
    "migration_without_lock_timeout": ((Level.WARNING,), "operations"),
}


# --- the registry -----------------------------------------------------------------------------------


def test_existing_rule_names_levels_and_categories_are_stable() -> None:
    for name, (levels, category) in STABLE.items():
        rule = find_rule(name)
        assert rule is not None, f"rule {name} is gone: suppression files and reports name it"
        assert set(rule.levels) == set(levels) and rule.levels[0] == levels[0], (name, rule.levels)
        assert rule.category == category, name


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_has_docs_and_both_examples(rule: Rule) -> None:
    for field in ("summary", "anti_pattern", "why", "fix", "recommendation"):
        text = getattr(rule, field)
        assert isinstance(text, str) and len(text.strip()) >= 20, f"{rule.name}: {field} is missing or empty"
    assert "\n" not in rule.summary and not rule.summary.endswith("."), f"{rule.name}: the summary is one line"
    assert rule.category in CATEGORIES
    assert rule.key.startswith(rule.name + ":"), rule.key
    assert rule.bad != rule.good
    kind = LiveExample if rule.scope == "live" else MigrationExample
    assert isinstance(rule.bad, kind) and isinstance(rule.good, kind), f"{rule.name}: examples for {rule.scope}"
    if rule.also_levels:
        assert rule.level_note, f"{rule.name}: say when it reports {[lv.label for lv in rule.also_levels]}"


def test_registry_order_and_lookup() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)) >= len(STABLE) + 2
    assert names == sorted(r.name for r in live_rules()) + sorted(r.name for r in migration_rules())
    assert closest("lock_timeout") == "migration_without_lock_timeout"
    assert closest("rls_disabeld") == "rls_disabled"
    assert closest("patch_change") == "migration_patch_change"
    assert closest("qqqqqqqq") is None


# --- each rule fires on its defective example and stays silent on the fixed one ----------------------


def write_example(root: Path, example: MigrationExample) -> Path:
    root.mkdir(parents=True)
    if example.plan is not None:
        (root / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
        (root / "sqitch.plan").write_text(example.plan)
    for name, text in example.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def migration_findings(root: Path, example: MigrationExample) -> list[Finding]:
    folder = write_example(root, example)
    if example.plan is not None:
        return analyse_migrations(sqitch_project(folder), sqitch=True)
    return analyse_migrations(numbered_folder(folder), sqitch=False)


def check_levels(findings: list[Finding]) -> None:
    for f in findings:
        rule = find_rule(f.lint)
        assert rule is not None and f.level in rule.levels and f.category == rule.category, f.key


MIGRATION_RULES = migration_rules()


@pytest.mark.parametrize("rule", MIGRATION_RULES, ids=[r.name for r in MIGRATION_RULES])
def test_migration_rule_with_and_without_the_defect(rule: Rule, tmp_path: Path) -> None:
    assert isinstance(rule.bad, MigrationExample) and isinstance(rule.good, MigrationExample)
    found = {f.key: f for f in migration_findings(tmp_path / "bad", rule.bad)}
    assert rule.key in found, f"{rule.key} not in {sorted(found)}"
    assert found[rule.key].level == rule.level and found[rule.key].line, found[rule.key]
    check_levels(list(found.values()))
    good = migration_findings(tmp_path / "good", rule.good)
    assert not [f.key for f in good if f.lint == rule.name]
    check_levels(good)


@pytest.fixture(scope="module")
def empty_db() -> Iterator[str]:
    """An empty database (template0): the live examples run in its schema public, one at a time."""
    settings = load_settings()
    name = f"doctor_rules_{os.getpid()}"
    with connect(settings.dsn("postgres")) as conn:
        conn.execute(f'create database "{name}" template template0')
    try:
        yield settings.dsn(name)
    finally:
        with connect(settings.dsn("postgres")) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


_RESET = """
do $$ declare s text; begin
  for s in select nspname from pg_namespace
           where nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and nspname not like 'pg\\_%'
  loop execute format('drop schema %I cascade', s); end loop;
end $$;
create schema public;
"""


def live_findings(url: str, example: LiveExample) -> list[Finding]:
    with connect(url) as conn:
        conn.execute(_RESET)
        conn.execute(example.sql)  # the examples are literal SQL, no parameters
    options: dict[str, Any] = dict(example.options)
    report = run_doctor(DoctorOptions(dsn=url, live=LiveOptions(**options)))
    return report.findings


LIVE_RULES = live_rules()


@pytest.mark.parametrize("rule", LIVE_RULES, ids=[r.name for r in LIVE_RULES])
def test_live_rule_with_and_without_the_defect(rule: Rule, empty_db: str) -> None:
    assert isinstance(rule.bad, LiveExample) and isinstance(rule.good, LiveExample)
    found = {f.key: f for f in live_findings(empty_db, rule.bad)}
    assert rule.key in found, f"{rule.key} not in {sorted(found)}"
    assert found[rule.key].level == rule.level
    check_levels(list(found.values()))
    good = live_findings(empty_db, rule.good)
    assert not [f.key for f in good if f.lint == rule.name]
    check_levels(good)


# --- --list-rules, --explain, docs/doctor ------------------------------------------------------------


def test_list_rules_one_line_per_rule_in_registry_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out == list_rules()
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [r.name for r in RULES]
    for line, rule in zip(lines, RULES, strict=True):
        name, level, category, summary = line.split(None, 3)
        assert (name, level, category, summary) == (rule.name, rule.level.label, rule.category, rule.summary)


def test_explain_prints_the_rule_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--explain", "migration_patch_change"]) == 0
    out = capsys.readouterr().out
    rule = find_rule("migration_patch_change")
    assert rule is not None and out == rule_page(rule)
    for heading in ("## Anti-pattern", "## Why it hurts", "## Fix", "## Example"):
        assert heading in out
    assert explain("rls_disabled").startswith("# rls_disabled\n")


def test_explain_an_unknown_rule_is_one_line_naming_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--explain", "lock_timeout"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("motovault doctor: error: unknown rule 'lock_timeout'; did you mean "
                          "migration_without_lock_timeout?")
    assert main(["doctor", "--explain", "qqqqqqqq"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean" not in err and "--list-rules" in err


def test_committed_docs_are_what_the_registry_generates() -> None:
    pages = render_docs()
    assert set(pages) == {INDEX} | {f"{r.name}.md" for r in RULES}
    committed = {p.name for p in DOCS.glob("*")} if DOCS.is_dir() else set()
    assert committed == set(pages), "run: .venv/bin/motovault doctor --write-docs docs/doctor"
    stale = [name for name, text in pages.items() if (DOCS / name).read_text() != text]
    assert not stale, f"docs/doctor is stale ({', '.join(stale)}): .venv/bin/motovault doctor --write-docs docs/doctor"


def test_write_docs_writes_every_page_and_removes_only_its_own_stale_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.md").write_text("# mine\n")
    (out / "gone_rule.md").write_text("# gone_rule\n" + render_docs()[INDEX].splitlines()[2] + "\n")
    assert main(["doctor", "--write-docs", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {len(RULES) + 1} pages to {out}\n"
    assert {p.name for p in out.glob("*.md")} == set(render_docs()) | {"notes.md"}
    assert (out / "migration_patch_change.md").read_text() == render_docs()["migration_patch_change.md"]
    assert write_docs(out) and (out / "notes.md").read_text() == "# mine\n"
