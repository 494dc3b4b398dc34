"""Migration lints (pglast, apply order): each with a migration set that has the defect and one
that does not. No database needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from motovault.doctor.migrations import (
    analyse_migrations,
    numbered_folder,
    parse_statements,
    sqitch_project,
    strip_psql,
)
from motovault.doctor.model import Finding, Level


def folder(tmp_path: Path, files: dict[str, str]) -> dict[str, Finding]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return {f.key: f for f in analyse_migrations(numbered_folder(tmp_path))}


BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"

CASES = [
    # name, bad files, good files, key, level
    ("column_added_later",
     {"001.sql": BASE, "002.sql": "alter table vehicles add column label text;"},
     {"001.sql": BASE + "alter table vehicles add column label text;"},
     "migration_column_added_later:002.sql:vehicles.label", Level.INFO),
    ("column_added_to_table_outside_the_set",
     {"001.sql": "alter table legacy_cars add column label text;"},
     {"001.sql": "create table legacy_cars (id int primary key, tenant_id uuid, label text);"},
     "migration_column_added_later:001.sql:legacy_cars.label", Level.INFO),
    ("table_without_tenant_id_user_data",
     {"001.sql": BASE, "002.sql": "create table reminders (id uuid primary key, vehicle_id uuid references vehicles "
                                  "(id));"},
     {"001.sql": BASE, "002.sql": "create table reminders (id uuid primary key, tenant_id uuid not null, vehicle_id "
                                  "uuid references vehicles (id));"},
     "migration_table_without_tenant_id:002.sql:reminders", Level.WARNING),
    ("table_without_tenant_id_shared",
     {"001.sql": "create table app.stations (id uuid primary key, name text);"},
     {"001.sql": "create table app.stations (id uuid primary key, tenant_id uuid, name text);"},
     "migration_table_without_tenant_id:001.sql:app.stations", Level.INFO),
    ("index_without_if_not_exists",
     {"001.sql": BASE + "create index vehicles_vin on vehicles (vin);"},
     {"001.sql": BASE + "create index if not exists vehicles_vin on vehicles (vin);"},
     "migration_index_without_if_not_exists:001.sql:vehicles_vin", Level.WARNING),
    ("index_not_concurrent_on_existing_table",
     {"001.sql": BASE, "002.sql": "create index if not exists vehicles_vin on vehicles (vin);"},
     {"001.sql": BASE, "002.sql": "create index concurrently if not exists vehicles_vin on vehicles (vin);"},
     "migration_index_not_concurrent:002.sql:vehicles_vin", Level.WARNING),
    ("index_on_table_new_in_the_same_file_is_fine",
     {"001.sql": "create index if not exists vehicles_vin on vehicles (vin);"},  # vehicles exists outside the set
     {"001.sql": BASE + "create index if not exists vehicles_vin on vehicles (vin);"},
     "migration_index_not_concurrent:001.sql:vehicles_vin", Level.WARNING),
    ("concurrently_in_transaction",
     {"001.sql": BASE, "002.sql": "begin;\ncreate index concurrently if not exists vehicles_vin on vehicles "
                                  "(vin);\ncommit;"},
     {"001.sql": BASE, "002.sql": "create index concurrently if not exists vehicles_vin on vehicles (vin);"},
     "migration_concurrent_in_transaction:002.sql:vehicles_vin", Level.ERROR),
    ("not_null_without_default",
     {"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int not null;"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int not null default 0;"},
     "migration_not_null_without_default:002.sql:vehicles.odometer", Level.WARNING),
    ("alter_column_type",
     {"001.sql": BASE, "002.sql": "alter table vehicles alter column vin type varchar(17);"},
     {"001.sql": BASE + "alter table vehicles alter column vin type varchar(17);"},
     "migration_alter_column_type:002.sql:vehicles.vin", Level.WARNING),
    ("drop_column",
     {"001.sql": BASE, "002.sql": "alter table vehicles drop column vin;"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add column vin2 text;"},
     "migration_drop_column:002.sql:vehicles.vin", Level.WARNING),
    ("rename_column",
     {"001.sql": BASE, "002.sql": "alter table vehicles rename column vin to vehicle_vin;"},
     {"001.sql": BASE.replace("vin text", "vehicle_vin text")},
     "migration_rename_column:002.sql:vehicles.vin", Level.WARNING),
    ("drop_table",
     {"001.sql": BASE, "002.sql": "drop table vehicles;"},
     {"001.sql": BASE + "create table scratch (id int primary key);\ndrop table scratch;"},
     "migration_drop_table:002.sql:vehicles", Level.WARNING),
    ("rename_table",
     {"001.sql": BASE, "002.sql": "alter table vehicles rename to cars;"},
     {"001.sql": BASE.replace("vehicles", "cars")},
     "migration_rename_table:002.sql:vehicles", Level.WARNING),
    ("fk_without_not_valid",
     {"001.sql": BASE + "create table garages (id uuid primary key, tenant_id uuid);",
      "002.sql": "alter table vehicles add column garage_id uuid;\nalter table vehicles add constraint "
                 "vehicles_garage_fk foreign key (garage_id) references garages (id);"},
     {"001.sql": BASE + "create table garages (id uuid primary key, tenant_id uuid);",
      "002.sql": "alter table vehicles add column garage_id uuid;\nalter table vehicles add constraint "
                 "vehicles_garage_fk foreign key (garage_id) references garages (id) not valid;"},
     "migration_constraint_without_not_valid:002.sql:vehicles.vehicles_garage_fk", Level.WARNING),
    ("check_without_not_valid",
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17);"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;\n"
                                  "alter table vehicles validate constraint vin_length;"},
     "migration_constraint_without_not_valid:002.sql:vehicles.vin_length", Level.WARNING),
    # --- locks on live tables: lock_timeout, NOT VALID then VALIDATE later, concurrent indexes alone ---
    ("alter_table_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add column label text;\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nset local lock_timeout = '5s';\nalter table vehicles add column label "
                                  "text;\ncommit;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("enable_rls_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "alter table vehicles enable row level security;"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles enable row level security;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("create_trigger_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "begin;\ncreate trigger vehicles_touch before update on vehicles for each row "
                                  "execute function touch();\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nselect set_config('lock_timeout', '5s', true);\n"
                                  "create trigger vehicles_touch before update on vehicles for each row execute "
                                  "function touch();\ncommit;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("drop_trigger_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "drop trigger vehicles_touch on vehicles;"},
     {"001.sql": BASE, "002.sql": "set lock_timeout to 2000;\ndrop trigger vehicles_touch on vehicles;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("create_policy_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "create policy vehicles_read on vehicles for select using (true);"},
     {"001.sql": BASE, "002.sql": "select set_config('lock_timeout', '1s', false);\ncreate policy vehicles_read on "
                                  "vehicles for select using (true);"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("alter_policy_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "alter policy vehicles_read on vehicles using (false);"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '1s';\nalter policy vehicles_read on vehicles using (false);"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("plain_index_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "create index if not exists vehicles_vin on vehicles (vin);"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\ncreate index if not exists vehicles_vin on vehicles "
                                  "(vin);"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("drop_index_without_lock_timeout_names_its_table",
     {"001.sql": BASE + "create index if not exists vehicles_vin on vehicles "
                        "(vin);", "002.sql": "drop index vehicles_vin;"},
     {"001.sql": BASE + "create index if not exists vehicles_vin on vehicles "
                        "(vin);", "002.sql": "drop index concurrently vehicles_vin;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("foreign_key_of_a_new_table_locks_the_referenced_table",
     {"001.sql": BASE, "002.sql": "begin;\ncreate table fills (tenant_id uuid, id uuid primary key, vehicle_id uuid "
                                  "references vehicles (id));\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nset local lock_timeout = '5s';\n"
                                  "create table fills (tenant_id uuid, id uuid primary key, vehicle_id uuid "
                                  "references vehicles (id));\ncommit;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("lock_table_without_lock_timeout",
     {"001.sql": BASE, "002.sql": "begin;\nlock table vehicles in share row exclusive mode;\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nlock table vehicles in share row exclusive mode nowait;\ncommit;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("lock_timeout_not_needed_on_a_table_new_in_the_file",
     {"001.sql": "alter table vehicles add column label text;"},  # vehicles exists outside the set
     {"001.sql": BASE + "alter table vehicles add column label text;"},
     "migration_without_lock_timeout:001.sql:vehicles", Level.WARNING),
    ("instead_of_trigger_on_a_view_is_not_a_table_lock",
     {"001.sql": BASE, "002.sql": "create trigger t instead of delete on vehicles_api for each row execute function "
                                  "f();"},
     {"001.sql": BASE + "create view vehicles_api as select * from vehicles;",
      "002.sql": "create trigger t instead of delete on vehicles_api for each row execute function f();"},
     "migration_without_lock_timeout:002.sql:vehicles_api", Level.WARNING),
    ("set_local_outside_a_transaction_does_nothing",
     {"001.sql": BASE, "002.sql": "set local lock_timeout = '5s';\nalter table vehicles add column label text;"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles add column label text;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("set_local_ends_with_its_transaction",
     {"001.sql": BASE, "002.sql": "begin;\nset local lock_timeout = '5s';\ncommit;\nbegin;\nalter table vehicles add "
                                  "column label text;\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\ncommit;\nbegin;\nset local lock_timeout = '5s';\nalter table vehicles add "
                                  "column label text;\ncommit;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("lock_timeout_zero_or_reset_does_not_count",
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nset lock_timeout = 0;\nalter table vehicles add column a "
                                  "text;\n"
                                  "set lock_timeout = '5s';\nreset lock_timeout;\nalter table vehicles add column b "
                                  "text;"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = 0;\nset lock_timeout = '5s';\nalter table vehicles add column a "
                                  "text;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("lock_timeout_after_the_statement_is_too_late",
     {"001.sql": BASE, "002.sql": "alter table vehicles add column label text;\nset lock_timeout = '5s';"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles add column label text;"},
     "migration_without_lock_timeout:002.sql:vehicles", Level.WARNING),
    ("lock_timeout_does_not_carry_over_to_the_next_file",
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';", "003.sql": "alter table vehicles add column label text;"},
     {"001.sql": BASE, "002.sql": "select 1;", "003.sql": "set lock_timeout = '5s';\nalter table vehicles add column "
                                                          "label text;"},
     "migration_without_lock_timeout:003.sql:vehicles", Level.WARNING),
    ("validate_in_the_transaction_that_added_not_valid",
     {"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add constraint vin_length check (length(vin) = 17) "
                                  "not valid;\n"
                                  "alter table vehicles validate constraint vin_length;\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add constraint vin_length check (length(vin) = 17) "
                                  "not valid;\ncommit;",
      "003.sql": "begin;\nalter table vehicles validate constraint vin_length;\ncommit;"},
     "migration_validate_in_same_transaction:002.sql:vehicles.vin_length", Level.WARNING),
    ("validate_after_commit_in_the_same_script_is_fine",
     {"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add constraint vin_length check (length(vin) = 17) "
                                  "not valid;\n"
                                  "alter table vehicles validate constraint vin_length;\ncommit;"},
     {"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add constraint vin_length check (length(vin) = 17) "
                                  "not valid;\ncommit;\n"
                                  "alter table vehicles validate constraint vin_length;"},
     "migration_validate_in_same_transaction:002.sql:vehicles.vin_length", Level.WARNING),
    ("not_valid_constraint_never_validated",
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;",
      "003.sql": "alter table vehicles validate constraint vin_length;"},
     "migration_constraint_never_validated:002.sql:vehicles.vin_length", Level.WARNING),
    ("not_valid_constraint_dropped_later_is_not_pending",
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vin_length check (length(vin) = 17) not valid;",
      "003.sql": "alter table vehicles drop constraint vin_length;"},
     "migration_constraint_never_validated:002.sql:vehicles.vin_length", Level.WARNING),
    ("concurrent_index_shares_its_change",
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles add column label text;\n"
                                  "drop index concurrently if exists vehicles_label;\ncreate index concurrently if "
                                  "not exists vehicles_label on vehicles (label);"},
     {"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles add column label text;",
      "003.sql": "set lock_timeout = '5s';\ndrop index concurrently if exists vehicles_label;\n"
                 "create index concurrently if not exists vehicles_label on vehicles (label);\ncomment on index "
                 "vehicles_label is 'x';"},
     "migration_concurrent_not_alone:002.sql:vehicles_label", Level.WARNING),
    ("concurrent_if_not_exists_keeps_an_invalid_index",
     {"001.sql": BASE, "002.sql": "create index concurrently if not exists vehicles_vin on vehicles (vin);"},
     {"001.sql": BASE, "002.sql": "drop index concurrently if exists vehicles_vin;\ncreate index concurrently if not "
                                  "exists vehicles_vin on vehicles (vin);"},
     "migration_concurrent_index_if_not_exists:002.sql:vehicles_vin", Level.WARNING),
    ("drop_index_concurrently_in_transaction",
     {"001.sql": BASE, "002.sql": "begin;\ndrop index concurrently if exists vehicles_vin;\ncommit;"},
     {"001.sql": BASE, "002.sql": "drop index concurrently if exists vehicles_vin;"},
     "migration_concurrent_in_transaction:002.sql:vehicles_vin", Level.ERROR),
    ("unique_constraint_builds_its_index_under_the_alter",
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vehicles_vin_unique unique (tenant_id, vin);"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vehicles_vin_unique unique using index "
                                  "vehicles_vin_unique_idx;"},
     "migration_index_not_concurrent:002.sql:vehicles.vehicles_vin_unique", Level.WARNING),
    ("check_on_an_added_column_without_not_valid",
     {"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int constraint odometer_positive check "
                                  "(odometer >= 0);"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add column odometer int;\n"
                                  "alter table vehicles add constraint odometer_positive check (odometer >= 0) not "
                                  "valid;"},
     "migration_constraint_without_not_valid:002.sql:vehicles.odometer_positive", Level.WARNING),
    ("set_not_null_scans_the_table",
     {"001.sql": BASE, "002.sql": "select 1;", "003.sql": "alter table vehicles alter column vin set not null;"},
     {"001.sql": BASE, "002.sql": "alter table vehicles add constraint vehicles_vin_not_null check (vin is not null) "
                                  "not valid;",
      "003.sql": "alter table vehicles validate constraint vehicles_vin_not_null;\nalter table vehicles alter column "
                 "vin set not null;"},
     "migration_set_not_null_scan:003.sql:vehicles.vin", Level.WARNING),
    ("unparseable_statement",
     {"001.sql": BASE + "create tabel oops (id int);\nselect 1;"},
     {"001.sql": BASE + "select 1;"},
     "migration_unparseable:001.sql:line 2", Level.ERROR),
]


@pytest.mark.parametrize("name,bad,good,key,level", CASES, ids=[c[0] for c in CASES])
def test_migration_lint_present_and_absent(tmp_path: Path, name: str, bad: dict[str, str], good: dict[str, str],
                                           key: str, level: Level) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    found = folder(tmp_path / "bad", bad)
    assert key in found, f"{key} not in {sorted(found)}"
    assert found[key].level == level and found[key].file and found[key].line
    found = folder(tmp_path / "good", good)
    assert key not in found, found.get(key)


def test_numbered_folder_runs_in_natural_order(tmp_path: Path) -> None:
    (tmp_path / "10_b.sql").write_text("alter table t add column b int;")
    (tmp_path / "9_a.sql").write_text("create table t (id int primary key, tenant_id uuid);")
    assert [f.name for f in numbered_folder(tmp_path)] == ["9_a.sql", "10_b.sql"]
    found = {f.key for f in analyse_migrations(numbered_folder(tmp_path))}
    assert "migration_column_added_later:10_b.sql:t.b" in found


def test_unparseable_statement_does_not_stop_the_rest(tmp_path: Path) -> None:
    (tmp_path / "001.sql").write_text("select 'unterminated;\n")
    (tmp_path / "002.sql").write_text("create table t (id int primary key, tenant_id uuid);\nalter table t drop "
                                      "column id;")
    found = {f.key: f for f in analyse_migrations(numbered_folder(tmp_path))}
    assert any(k.startswith("migration_unparseable:001.sql") for k in found)
    assert "migration_table_without_tenant_id:002.sql:t" not in found


PSQL = r"""-- Deploy x
begin;

select format('create role %I nologin', r) from unnest(array['a', 'b']) r
where not exists (select from pg_roles where rolname = r)
\gexec

\if :{?pw}
alter role a with password :'pw';
\else
\warn 'no password'
\endif
create table app.t (id int primary key, tenant_id uuid not null);
commit;
"""


def test_psql_meta_commands_are_stripped_not_fatal() -> None:
    stmts = parse_statements(PSQL)
    assert all(s.node is not None for s in stmts), [s.error for s in stmts]
    kinds = [type(s.node).__name__ for s in stmts]
    assert kinds == ["TransactionStmt", "SelectStmt", "AlterRoleStmt", "CreateStmt", "TransactionStmt"]
    assert stmts[3].line == 13  # lines are kept
    assert "\\" not in strip_psql(PSQL)


def test_sqitch_plan_order_and_reworked_changes(tmp_path: Path) -> None:
    (tmp_path / "sqitch.conf").write_text("[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n")
    (tmp_path / "sqitch.plan").write_text(
        "%syntax-version=1.0.0\n%project=x\n\n"
        "tables 2026-01-01T00:00:00Z a <a@b> # tables\n"
        "indexes [tables] 2026-01-01T00:00:00Z a <a@b> # indexes\n"
        "@v1 2026-01-01T00:00:00Z a <a@b> # tag\n"
        "indexes [indexes@v1] 2026-01-02T00:00:00Z a <a@b> # reworked\n"
    )
    d = tmp_path / "deploy"
    d.mkdir()
    (d / "tables.sql").write_text("begin;\ncreate table app.v (tenant_id uuid, id int, vin text, primary key "
                                  "(tenant_id, id));\n"
                                  "create index v_vin on app.v (vin);\ncommit;\n")
    (d / "indexes@v1.sql").write_text("begin;\ncreate index v_vin2 on app.v (vin);\ncommit;\n")
    (d / "indexes.sql").write_text("create index concurrently if not exists v_vin3 on app.v (vin);\n")
    files = sqitch_project(tmp_path)
    assert [f.name for f in files] == ["deploy/tables.sql", "deploy/indexes@v1.sql", "deploy/indexes.sql"]
    found = {f.key: f for f in analyse_migrations(files, sqitch=True)}
    # new table, same change: a plain index is right; IF NOT EXISTS is only info under sqitch
    assert "migration_index_not_concurrent:deploy/tables.sql:app.v_vin" not in found
    assert found["migration_index_without_if_not_exists:deploy/tables.sql:app.v_vin"].level == Level.INFO
    # table from an earlier change: it may hold rows on a deployed database
    assert found["migration_index_not_concurrent:deploy/indexes@v1.sql:app.v_vin2"].level == Level.WARNING
    assert not any(k.endswith(":v_vin3") for k in found)


def test_our_own_sqitch_project_parses() -> None:
    root = Path(__file__).resolve().parents[1]
    files = sqitch_project(root)
    assert files and all(f.path.is_file() for f in files)
    assert not [f for f in analyse_migrations(files, sqitch=True) if f.lint == "migration_unparseable"]


# --- a real history: ALTER before CREATE, and the later CREATE TABLE IF NOT EXISTS --------------------

HISTORY = Path(__file__).parent / "fixtures" / "doctor" / "history"
HISTORY_SETS = {
    "numbered": ("002_reminder_notes.sql", "003_reminders.sql", "004_reminder_due.sql", False),
    "sqitch": ("deploy/reminder_notes.sql", "deploy/reminders.sql", "deploy/reminder_due.sql", True),
}


def history(kind: str) -> dict[str, Finding]:
    sqitch = HISTORY_SETS[kind][3]
    files = sqitch_project(HISTORY / kind) if sqitch else numbered_folder(HISTORY / kind)
    return {f.key: f for f in analyse_migrations(files, sqitch=sqitch)}


@pytest.mark.parametrize("kind", HISTORY_SETS)
def test_create_table_if_not_exists_after_an_earlier_alter_is_checked_like_any_create(kind: str) -> None:
    notes, creates, due, _ = HISTORY_SETS[kind]
    found = history(kind)
    f = found[f"migration_table_without_tenant_id:{creates}:reminders"]
    assert f.level == Level.WARNING and "references tenant table(s) vehicles" in f.evidence
    # its columns and NOT NULLs are known afterwards: reminders is an existing table with a NOT NULL title
    assert found[f"migration_not_null_without_default:{due}:reminders.due_on"].level == Level.WARNING
    assert f"migration_set_not_null_scan:{due}:reminders.title" not in found
    assert f"migration_column_added_later:{due}:reminders.due_on" in found


@pytest.mark.parametrize("kind", HISTORY_SETS)
def test_statements_on_a_table_created_later_are_errors(kind: str) -> None:
    notes, creates, _, _ = HISTORY_SETS[kind]
    found = history(kind)
    f = found[f"migration_table_used_before_creation:{notes}:reminders"]
    assert f.level == Level.ERROR and f.file == notes
    text = (HISTORY / kind / notes).read_text().splitlines()
    assert f.line is not None  # the first statement on it:
    assert text[f.line - 1].startswith("alter table reminders add column note")
    assert creates in f.evidence and "reminders" in f.message
    assert [k for k in found if k.startswith("migration_table_used_before_creation:")] == [f.key]  # one per file
    # never created in the set: it predates the migrations
    assert not [k for k in found if "legacy_users" in k and k.startswith("migration_table_used_before_creation")]


BEFORE_CREATION = [
    # name, bad files, good files, key
    ("alter_before_create",
     {"001.sql": "alter table t add column a int;", "002.sql": "create table t (id int primary key, tenant_id uuid);"},
     {"001.sql": "create table t (id int primary key, tenant_id uuid);", "002.sql": "alter table t add column a int;"},
     "migration_table_used_before_creation:001.sql:t"),
    ("index_before_create_in_the_same_file",
     {"001.sql": "create index if not exists t_a on t (a);\ncreate table t (id int primary key, tenant_id uuid, a "
                 "int);"},
     {"001.sql": "create table t (id int primary key, tenant_id uuid, a int);\ncreate index if not exists t_a on t "
                 "(a);"},
     "migration_table_used_before_creation:001.sql:t"),
    ("foreign_key_to_a_table_created_later",
     {"001.sql": "create table c (id int primary key, tenant_id uuid, p_id int references app.p (id));",
      "002.sql": "create table app.p (id int primary key, tenant_id uuid);"},
     {"001.sql": "create table app.p (id int primary key, tenant_id uuid);",
      "002.sql": "create table c (id int primary key, tenant_id uuid, p_id int references app.p (id));"},
     "migration_table_used_before_creation:001.sql:app.p"),
    ("trigger_and_policy_before_create",
     {"001.sql": "create trigger t_touch before update on t for each row execute function touch();\n"
                 "create policy t_read on t using (true);",
      "002.sql": "create table t (id int primary key, tenant_id uuid);"},
     {"001.sql": "create table t (id int primary key, tenant_id uuid);",
      "002.sql": "create trigger t_touch before update on t for each row execute function touch();"},
     "migration_table_used_before_creation:001.sql:t"),
    ("alter_after_drop",
     {"001.sql": "create table t (id int primary key, tenant_id uuid);", "002.sql": "drop table t;",
      "003.sql": "alter table t add column a int;"},
     {"001.sql": "create table t (id int primary key, tenant_id uuid);", "002.sql": "drop table t;",
      "003.sql": "alter table if exists t add column a int;"},
     "migration_table_used_before_creation:003.sql:t"),
    ("alter_the_old_name_after_a_rename",
     {"001.sql": "create table t (id int primary key, tenant_id uuid);", "002.sql": "alter table t rename to u;",
      "003.sql": "alter table t add column a int;"},
     {"001.sql": "create table t (id int primary key, tenant_id uuid);", "002.sql": "alter table t rename to u;",
      "003.sql": "alter table u add column a int;"},
     "migration_table_used_before_creation:003.sql:t"),
    ("if_exists_before_create_is_fine",
     {"001.sql": "drop table t;", "002.sql": "create table t (id int primary key, tenant_id uuid);"},
     {"001.sql": "drop table if exists t;", "002.sql": "create table t (id int primary key, tenant_id uuid);"},
     "migration_table_used_before_creation:001.sql:t"),
    ("a_table_never_created_in_the_set_is_pre_existing",
     {"001.sql": "alter table t add column a "
                 "int;", "002.sql": "create table if not exists t (id int primary key, tenant_id uuid);"},
     {"001.sql": "alter table t add column a "
                 "int;", "002.sql": "create table if not exists t2 (id int primary key, tenant_id uuid);"},
     "migration_table_used_before_creation:001.sql:t"),
]


@pytest.mark.parametrize("name,bad,good,key", BEFORE_CREATION, ids=[c[0] for c in BEFORE_CREATION])
def test_table_used_before_creation(
        tmp_path: Path, name: str, bad: dict[str, str], good: dict[str, str], key: str) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    found = folder(tmp_path / "bad", bad)
    assert key in found, f"{key} not in {sorted(found)}"
    assert found[key].level == Level.ERROR
    found = folder(tmp_path / "good", good)
    assert not [k for k in found if k.startswith("migration_table_used_before_creation:")], sorted(found)


def test_create_if_not_exists_of_a_table_the_set_created_earlier_stays_a_no_op(tmp_path: Path) -> None:
    found = folder(tmp_path, {"001.sql": BASE, "002.sql": "create table if not exists vehicles (id uuid primary key);",
                              "003.sql": "alter table vehicles add column label text;"})
    assert "migration_table_without_tenant_id:002.sql:vehicles" not in found  # vehicles of 001 (with tenant_id) stays
    assert "migration_column_added_later:003.sql:vehicles.label" in found


# --- patch changes: a function or view redefined by another change -------------------------------------


FUNC = "create or replace function app.vin_clean(vin text) returns text language sql immutable return upper(vin);\n"
FUNC2 = FUNC.replace("upper(vin)", "upper(btrim(vin))")
VIEW = "create view api.vehicles with (security_invoker = true) as select id, vin from app.vehicles;\n"
VIEW2 = VIEW.replace("create view", "create or replace view").replace("id, vin", "id, vin, 1 as n")

PATCHES = [
    # name, bad files, good files, key (numbered folder: info)
    ("create_or_replace_function_in_a_later_file",
     {"001.sql": FUNC, "002.sql": FUNC2}, {"001.sql": FUNC + FUNC2},
     "migration_patch_change:002.sql:app.vin_clean(text)"),
    ("unqualified_name_matches",
     {"001.sql": FUNC, "002.sql": FUNC2.replace("app.vin_clean", "vin_clean")},
     {"001.sql": FUNC, "002.sql": FUNC2.replace("app.vin_clean(vin text)", "app.vin_clean(vin text, strict boolean)")},
     "migration_patch_change:002.sql:app.vin_clean(text)"),
    ("view_replaced_in_a_later_file",
     {"001.sql": VIEW, "002.sql": VIEW2},
     {"001.sql": VIEW, "002.sql": VIEW2.replace("api.vehicles", "api.vehicles_v2")},
     "migration_patch_change:002.sql:api.vehicles"),
    ("drop_then_create_again",
     {"001.sql": FUNC, "002.sql": "drop function app.vin_clean(text);\n" + FUNC2.replace(" or replace", "")},
     {"001.sql": FUNC, "002.sql": "drop function "
                                  "app.vin_clean(text);", "003.sql": FUNC2.replace("vin_clean", "vin_trim")},
     "migration_patch_change:002.sql:app.vin_clean(text)"),
    ("alter_function_attributes",
     {"001.sql": FUNC, "002.sql": "alter function app.vin_clean(text) security definer;"},
     {"001.sql": FUNC + "alter function app.vin_clean(text) security definer;"},
     "migration_patch_change:002.sql:app.vin_clean(text)"),
    ("alter_view_options",
     {"001.sql": VIEW, "002.sql": "alter view api.vehicles set (security_barrier = true);"},
     {"001.sql": VIEW, "002.sql": "alter view api.vehicles owner to someone_else;"},
     "migration_patch_change:002.sql:api.vehicles"),
]


@pytest.mark.parametrize("name,bad,good,key", PATCHES, ids=[c[0] for c in PATCHES])
def test_patch_change_in_a_numbered_folder(
        tmp_path: Path, name: str, bad: dict[str, str], good: dict[str, str], key: str) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    found = folder(tmp_path / "bad", bad)
    assert key in found, f"{key} not in {sorted(found)}"
    f = found[key]
    assert f.level == Level.INFO and "001.sql" in f.message and "002.sql" in f.message and f.remediation
    found = folder(tmp_path / "good", good)
    assert not [k for k in found if k.startswith("migration_patch_change:")], sorted(found)


PLAN_HEAD = "%syntax-version=1.0.0\n%project=p\n\n"


def sqitch(tmp_path: Path, plan: list[str], scripts: dict[str, str]) -> dict[str, Finding]:
    (tmp_path / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    lines = [f"{entry} 2026-01-0{i + 1}T00:00:00Z a <a@b> # {entry.split()[0]}" for i, entry in enumerate(plan)]
    (tmp_path / "sqitch.plan").write_text(PLAN_HEAD + "\n".join(lines) + "\n")
    (tmp_path / "deploy").mkdir()
    for name, text in scripts.items():
        (tmp_path / "deploy" / name).write_text(text)
    return {f.key: f for f in analyse_migrations(sqitch_project(tmp_path), sqitch=True)}


def test_patch_change_in_a_sqitch_project_names_both_changes_and_says_rework(tmp_path: Path) -> None:
    found = sqitch(tmp_path, ["helpers", "vehicles [helpers]"], {"helpers.sql": FUNC, "vehicles.sql": FUNC2})
    f = found["migration_patch_change:deploy/vehicles.sql:app.vin_clean(text)"]
    assert f.level == Level.WARNING and f.file == "deploy/vehicles.sql" and f.line == 1
    assert "created by change helpers (deploy/helpers.sql)" in f.message
    assert "redefined by change vehicles (deploy/vehicles.sql)" in f.message
    assert f.remediation.startswith("sqitch rework helpers")


def test_a_rework_may_redefine_its_own_objects(tmp_path: Path) -> None:
    found = sqitch(tmp_path, ["helpers", "@v1", "vehicles [helpers]", "helpers [helpers@v1]"],
                   {"helpers@v1.sql": FUNC + VIEW, "vehicles.sql": "select 1;\n", "helpers.sql": FUNC2 + VIEW2})
    assert not [k for k in found if k.startswith("migration_patch_change:")], sorted(found)


def test_a_rework_of_another_change_is_still_a_patch(tmp_path: Path) -> None:
    found = sqitch(tmp_path, ["helpers", "other", "@v1", "other [other@v1]"],
                   {"helpers.sql": FUNC, "other@v1.sql": "select 1;\n", "other.sql": FUNC2})
    assert found["migration_patch_change:deploy/other.sql:app.vin_clean(text)"].level == Level.WARNING


def test_overloads_are_different_functions(tmp_path: Path) -> None:
    found = sqitch(tmp_path, ["a", "b [a]"], {
        "a.sql": FUNC,
        "b.sql": FUNC2.replace("(vin text)", "(vin varchar, strict "
                                             "boolean)") + "alter function app.vin_clean(text, int) stable;\n",
    })
    assert not [k for k in found if k.startswith("migration_patch_change:")], sorted(found)


def test_a_relative_sqitch_folder_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--sqitch some/folder` from anywhere: script paths and finding names stay relative to the project."""
    monkeypatch.chdir(HISTORY)
    files = sqitch_project(Path("sqitch"))
    assert [f.name for f in files] == ["deploy/init.sql", "deploy/reminder_notes.sql", "deploy/reminders.sql",
                                       "deploy/reminder_due.sql"]
    assert all(f.path.is_file() for f in files)
