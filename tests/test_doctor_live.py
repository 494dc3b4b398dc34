"""Live catalog lints: for each check, a schema with the defect (finding present, with its key and
level) and one without (absent). Every case runs in its own schema of one module-wide clone."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Protocol

import psycopg
import pytest

from motovault.doctor import DoctorOptions, Level, run_doctor
from motovault.doctor.live import LiveOptions
from motovault.doctor.model import Finding


class Db(Protocol):
    """The harness's cloned database (tests/conftest.py)."""

    name: str

    def url(self, user: str = ...) -> str: ...

    def connect(self, user: str = ...) -> psycopg.Connection[Any]: ...

_n = itertools.count()

HELPER = """
create function {s}.current_tenant_id() returns uuid language sql stable
as $$ select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'tenant_id')::uuid $$;
"""
# a tenant table built the DESIGN.md way: nothing to report at warning level
GOOD_TENANT_TABLE = HELPER + """
revoke execute on function {s}.current_tenant_id() from public;
create table {s}.tenants (id uuid primary key, name text not null,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now());
create table {s}.t (
  tenant_id uuid not null references {s}.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  display_name text not null,
  status text not null check (status in ('active', 'sold')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  primary key (tenant_id, id));
alter table {s}.t enable row level security, force row level security;
create policy tenant_isolation on {s}.t using (tenant_id = {s}.current_tenant_id());
"""


@pytest.fixture(scope="module")
def doctor_db(api_db: Db) -> Db:
    """One clone for the whole module (the module-scoped clone the harness offers)."""
    return api_db


def run(db: Db, sql: str, *, extra_schemas: tuple[str, ...] = (),
        setup: Callable[[psycopg.Connection[Any], str], None] | None = None,
        **live: Any) -> tuple[str, dict[str, Finding]]:
    s = f"d{next(_n)}"
    with db.connect() as conn:
        conn.execute(f"create schema {s}")
        conn.execute(sql.replace("{s}", s))
        if setup:
            setup(conn, s)
    report = run_doctor(DoctorOptions(dsn=db.url(), schemas=[s, *extra_schemas], live=LiveOptions(**live)))
    return s, {f.key: f for f in report.findings}


CASES = [
    # name, bad sql, good sql, key (with {s}), level
    ("missing_timestamps",
     "create table {s}.t (id int primary key)",
     "create table {s}.t (id int primary key, created_at timestamptz not null, updated_at timestamptz not null)",
     "missing_timestamps:{s}.t", Level.WARNING),
    ("missing_timestamps_event_table_needs_one_timestamptz",
     "create table {s}.vehicle_events (id int primary key, what text)",
     "create table {s}.vehicle_events (id int primary key, occurred_at timestamptz not null)",
     "missing_timestamps:{s}.vehicle_events", Level.WARNING),
    ("missing_tenant_id",
     "create table {s}.p (tenant_id uuid, id int primary key); create table {s}.c (id int primary key, p_id int "
     "references {s}.p)",
     "create table {s}.p (tenant_id uuid, id int primary key); create table {s}.c (id int primary key, tenant_id "
     "uuid, p_id int references {s}.p)",
     "missing_tenant_id:{s}.c", Level.WARNING),
    ("missing_tenant_id_owner_column",
     "create table {s}.c (id int primary key, user_id uuid)",
     "create table {s}.c (id int primary key, code text)",  # shared reference data: not user data
     "missing_tenant_id:{s}.c", Level.WARNING),
    ("missing_soft_delete",
     "create table {s}.t (id int primary key, tenant_id uuid)",
     "create table {s}.t (id int primary key, tenant_id uuid, deleted_at timestamptz)",
     "missing_soft_delete:{s}.t", Level.INFO),
    ("twin_columns",
     "create table {s}.t (id int primary key, label text, display_name text)",
     "create table {s}.t (id int primary key, display_name text)",
     "twin_columns:{s}.t.label", Level.WARNING),
    ("no_primary_key",
     "create table {s}.t (id int)",
     "create table {s}.t (id int primary key)",
     "no_primary_key:{s}.t", Level.WARNING),
    ("fk_without_index",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int not null references "
     "{s}.p on delete cascade)",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int not null references "
     "{s}.p on delete cascade);"
     " create index on {s}.c (p_id, id)",
     "fk_without_index:{s}.c.c_p_id_fkey", Level.WARNING),
    ("fk_without_index_composite_any_order",
     "create table {s}.p (a int, b int, primary key (a, b)); create table {s}.c (id int primary key, a int not null, "
     "b int not null,"
     " foreign key (a, b) references {s}.p on delete cascade); create index on {s}.c (a)",
     "create table {s}.p (a int, b int, primary key (a, b)); create table {s}.c (id int primary key, a int not null, "
     "b int not null,"
     " foreign key (a, b) references {s}.p on delete cascade); create index on {s}.c (b, a)",
     "fk_without_index:{s}.c.c_a_b_fkey", Level.WARNING),
    ("fk_without_index_partial_on_another_condition",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int references {s}.p on "
     "delete set null,"
     " deleted_at timestamptz); create index on {s}.c (p_id) where deleted_at is null",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int references {s}.p on "
     "delete set null,"
     " deleted_at timestamptz); create index on {s}.c (p_id) where p_id is not null",
     "fk_without_index:{s}.c.c_p_id_fkey", Level.WARNING),
    ("nullable_fk",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int references {s}.p on "
     "delete set null)",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int not null references "
     "{s}.p on delete cascade)",
     "nullable_fk:{s}.c.c_p_id_fkey", Level.INFO),
    ("fk_default_on_delete",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int not null references "
     "{s}.p)",
     "create table {s}.p (id int primary key); create table {s}.c (id int primary key, p_id int not null references "
     "{s}.p on delete restrict)",
     "fk_default_on_delete:{s}.c.c_p_id_fkey", Level.INFO),
    ("enum_without_check",
     "create table {s}.t (id int primary key, status text)",
     "create table {s}.t (id int primary key, status text check (status in ('a', 'b')))",
     "enum_without_check:{s}.t.status", Level.WARNING),
    ("enum_without_check_suffix_and_fk",
     "create table {s}.t (id int primary key, fuel_type text)",
     "create table {s}.fuel_types (code text primary key); create table {s}.t (id int primary key, fuel_type text "
     "references {s}.fuel_types)",
     "enum_without_check:{s}.t.fuel_type", Level.WARNING),
    ("enum_without_check_domain",
     "create domain {s}.label_text as text; create table {s}.t (id int primary key, kind {s}.label_text)",
     "create domain {s}.kind_text as text check (value in ('x', 'y')); create table {s}.t (id int primary key, kind "
     "{s}.kind_text)",
     "enum_without_check:{s}.t.kind", Level.WARNING),
    ("jsonb_without_validation",
     "create table {s}.t (id int primary key, payload jsonb)",
     "create table {s}.t (id int primary key, payload jsonb check (jsonb_typeof(payload) = 'object'))",
     "jsonb_without_validation:{s}.t.payload", Level.WARNING),
    ("jsonb_validated_by_trigger",
     "create table {s}.t (id int primary key, payload jsonb)",
     "create table {s}.t (id int primary key, payload jsonb);"
     " create function {s}.v() returns trigger language plpgsql as $$ begin return new; end $$;"
     " create trigger t_validate before insert or update on {s}.t for each row execute function {s}.v()",
     "jsonb_without_validation:{s}.t.payload", Level.WARNING),
    ("timestamp_without_time_zone",
     "create table {s}.t (id int primary key, at timestamp)",
     "create table {s}.t (id int primary key, at timestamptz)",
     "timestamp_without_time_zone:{s}.t.at", Level.WARNING),
    ("money_in_float",
     "create table {s}.t (id int primary key, total_cost double precision)",
     "create table {s}.t (id int primary key, total_cost numeric(12, 2), odometer double precision)",
     "money_in_float:{s}.t.total_cost", Level.WARNING),
    ("rls_disabled",
     "create table {s}.t (id int primary key, tenant_id uuid)",
     "create table {s}.t (id int primary key, tenant_id uuid); alter table {s}.t enable row level security, force row "
     "level security",
     "rls_disabled:{s}.t", Level.ERROR),
    ("rls_not_forced",
     "create table {s}.t (id int primary key, tenant_id uuid); alter table {s}.t enable row level security",
     "create table {s}.t (id int primary key, tenant_id uuid); alter table {s}.t enable row level security, force row "
     "level security",
     "rls_not_forced:{s}.t", Level.WARNING),
    ("rls_no_policy",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security; create policy p on {s}.t "
     "using (true)",
     "rls_no_policy:{s}.t", Level.WARNING),
    ("rls_policy_without_tenant_predicate",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (true)",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid)",
     "rls_policy_without_tenant_predicate:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_volatile_helper",
     "create function {s}.tid() returns uuid language sql volatile as $$ select current_setting('app.tenant')::uuid $$;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "create function {s}.tid() returns uuid language sql stable as $$ select current_setting('app.tenant')::uuid $$;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "rls_predicate_not_indexable:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_plpgsql_helper",
     "create function {s}.tid() returns uuid language plpgsql stable as $$ begin return "
     "current_setting('app.tenant')::uuid; end $$;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "create function {s}.tid() returns uuid language sql stable return current_setting('app.tenant')::uuid;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "rls_predicate_not_indexable:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_helper_with_from",
     "create table {s}.m (user_name text, tenant_id uuid);"
     " create function {s}.tid() returns uuid language sql stable as $$ select tenant_id from {s}.m where user_name = "
     "current_user $$;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "create function {s}.tid() returns uuid language sql stable as $$ select current_setting('app.tenant')::uuid $$;"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = {s}.tid())",
     "rls_predicate_not_indexable:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_in_subselect",
     "create table {s}.m (user_name text, tenant_id uuid);"
     " create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id in (select m.tenant_id from {s}.m m where m.user_name = "
     "current_user))",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = current_setting('app.tenant')::uuid)",
     "rls_predicate_not_indexable:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_cast_column",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id::text = current_setting('app.tenant'))",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = current_setting('app.tenant')::uuid)",
     "rls_predicate_not_indexable:{s}.t/p/using", Level.WARNING),
    ("rls_predicate_no_index",
     "create table {s}.t (tenant_id uuid, id int primary key); alter table {s}.t enable row level security;"
     " create policy p on {s}.t using (tenant_id = current_setting('app.tenant')::uuid)",
     "create table {s}.t (tenant_id uuid, id int, primary key (tenant_id, id)); alter table {s}.t enable row level "
     "security;"
     " create policy p on {s}.t using (tenant_id = current_setting('app.tenant')::uuid)",
     "rls_predicate_no_index:{s}.t/p/using", Level.WARNING),
    ("multiple_permissive_policies",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security;"
     " create policy a on {s}.t for select using (true); create policy b on {s}.t for all using (id > 0)",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security;"
     " create policy a on {s}.t for select using (true); create policy b on {s}.t for insert with check (id > 0);"
     " create policy c on {s}.t as restrictive for select using (id > 0)",
     "multiple_permissive_policies:{s}.t/public/select", Level.WARNING),
    ("multiple_permissive_policies_public_and_role",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security;"
     " create policy a on {s}.t for select using (true); create policy b on {s}.t for select to app_user using (id > "
     "0)",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security;"
     " create policy a on {s}.t for select using (true); create policy b on {s}.t for update to app_user using (id > "
     "0)",
     "multiple_permissive_policies:{s}.t/app_user/select", Level.WARNING),
    ("view_bypasses_rls_through_an_invoker_view",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security; create policy p on {s}.t "
     "using (true);"
     " create view {s}.v1 with (security_invoker = true) as select * from {s}.t; create view {s}.v2 as select * from "
     "{s}.v1",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security; create policy p on {s}.t "
     "using (true);"
     " create view {s}.v1 with (security_invoker = true) as select * from {s}.t;"
     " create view {s}.v2 with (security_invoker = true) as select * from {s}.v1",
     "view_bypasses_rls:{s}.v2", Level.ERROR),
    ("view_bypasses_rls",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security; create policy p on {s}.t "
     "using (true);"
     " create view {s}.v as select * from {s}.t",
     "create table {s}.t (id int primary key); alter table {s}.t enable row level security; create policy p on {s}.t "
     "using (true);"
     " create view {s}.v with (security_invoker = true) as select * from {s}.t",
     "view_bypasses_rls:{s}.v", Level.ERROR),
    ("security_definer_search_path",
     "create function {s}.f() returns int language sql security definer as $$ select 1 $$",
     "create function {s}.f() returns int language sql security definer set search_path = pg_catalog, pg_temp as $$ "
     "select 1 $$",
     "security_definer_search_path:{s}.f()", Level.ERROR),
    ("function_public_execute",
     "create function {s}.f(a int) returns int language sql as $$ select a $$",
     "create function {s}.f(a int) returns int language sql as $$ select a $$; revoke execute on function {s}.f(int) "
     "from public",
     "function_public_execute:{s}.f(a integer)", Level.WARNING),
    ("duplicate_index",
     "create table {s}.t (id int primary key, a int); create index i1 on {s}.t (a); create index i2 on {s}.t (a)",
     "create table {s}.t (id int primary key, a int, b int); create index i1 on {s}.t (a); create index i2 on {s}.t "
     "(a, b)",
     "duplicate_index:{s}.i1,i2", Level.WARNING),
]


@pytest.mark.parametrize("name,bad,good,key,level", CASES, ids=[c[0] for c in CASES])
def test_lint_present_on_defect_and_absent_without(doctor_db: Db, name: str, bad: str, good: str, key: str,
                                                   level: Level) -> None:
    s, found = run(doctor_db, bad)
    k = key.replace("{s}", s)
    assert k in found, f"{k} not in {sorted(found)}"
    assert found[k].level == level
    assert found[k].evidence and found[k].remediation and found[k].message
    s, found = run(doctor_db, good)
    k = key.replace("{s}", s)
    assert k not in found, found.get(k)


def test_design_style_tenant_schema_has_no_warnings(doctor_db: Db) -> None:
    s, found = run(doctor_db, GOOD_TENANT_TABLE + """
        create table {s}.fuel_logs (
          tenant_id uuid not null, id uuid not null default gen_random_uuid(), vehicle_id uuid not null,
          fuel_type text not null check (fuel_type in ('petrol', 'diesel')),
          extra jsonb not null default '{}' check (jsonb_typeof(extra) = 'object'),
          created_at timestamptz not null default now(), updated_at timestamptz not null default now(),
          deleted_at timestamptz,
          primary key (tenant_id, id),
          foreign key (tenant_id, vehicle_id) references {s}.t (tenant_id, id) on delete cascade);
        create index on {s}.fuel_logs (tenant_id, vehicle_id);
        alter table {s}.fuel_logs enable row level security, force row level security;
        create policy tenant_isolation on {s}.fuel_logs using (tenant_id = {s}.current_tenant_id());
        create view {s}.vehicles with (security_invoker = true) as select * from {s}.t where deleted_at is null;
        create table {s}.stations (id uuid primary key, name text not null,
          created_at timestamptz not null default now(), updated_at timestamptz not null default now());
    """)
    loud = {k: f.message for k, f in found.items() if f.level >= Level.WARNING}
    assert not loud


def test_extension_in_public(doctor_db: Db) -> None:
    s, found = run(doctor_db, "create extension if not exists citext schema {s}", extra_schemas=("public",))
    assert found["extension_in_public:pgtap"].level == Level.WARNING  # the harness installs pgTAP in public
    assert "extension_in_public:citext" not in found
    s, found = run(doctor_db, "select 1")  # public not analysed: not reported
    assert "extension_in_public:pgtap" not in found


def _use_index(conn: psycopg.Connection[Any], s: str) -> None:
    conn.execute("set enable_seqscan = off")
    conn.execute(f"select * from {s}.t where a = 1").fetchall()
    conn.execute("select pg_stat_force_next_flush()")


def test_unused_index(doctor_db: Db) -> None:
    ddl = "create table {s}.t (id int primary key, a int); create index t_a on {s}.t (a)"
    s, found = run(doctor_db, ddl, unused_index_min_days=0)
    assert found[f"unused_index:{s}.t_a"].level == Level.INFO
    assert f"unused_index:{s}.t_pkey" not in found  # backs a constraint
    s, found = run(doctor_db, ddl, setup=_use_index, unused_index_min_days=0)
    assert f"unused_index:{s}.t_a" not in found
    s, found = run(doctor_db, ddl)  # statistics younger than a week: no verdict
    assert f"unused_index:{s}.t_a" not in found


def test_large_event_table(doctor_db: Db) -> None:
    rows = " insert into {s}.vehicle_events select g, now() from generate_series(1, 100) g; analyze {s}.vehicle_events;"
    ddl = "create table {s}.vehicle_events (id int primary key, created_at timestamptz not null);"
    s, found = run(doctor_db, ddl + rows, large_table_rows=50)
    assert found[f"large_event_table:{s}.vehicle_events"].level == Level.WARNING
    s, found = run(doctor_db, ddl + " create index on {s}.vehicle_events using brin "
                                    "(created_at);" + rows, large_table_rows=50)
    assert f"large_event_table:{s}.vehicle_events" not in found
    s, found = run(doctor_db, ddl + rows, large_table_rows=1000)
    assert f"large_event_table:{s}.vehicle_events" not in found


def test_exact_counts(doctor_db: Db) -> None:
    s = f"d{next(_n)}"
    with doctor_db.connect() as conn:
        conn.execute(f"create schema {s}; create table {s}.t (id int primary key); insert into {s}.t select "
                     "generate_series(1, 7)")
    report = run_doctor(DoctorOptions(dsn=doctor_db.url(), schemas=[s], exact_counts=True))
    (t,) = report.tables
    assert t.rows == 7 and t.rows_exact


def test_partitioned_table_is_one_table_with_its_partitions_rows(doctor_db: Db) -> None:
    s, found = run(doctor_db, """
        create table {s}.vehicle_events (tenant_id uuid not null, id int not null, occurred_at timestamptz not null,
          primary key (tenant_id, id, occurred_at)) partition by range (occurred_at);
        create table {s}.vehicle_events_2026 partition of {s}.vehicle_events
          for values from ('2026-01-01') to ('2027-01-01');
        insert into {s}.vehicle_events select gen_random_uuid(), g, '2026-06-01' from generate_series(1, 100) g;
        analyze {s}.vehicle_events_2026;
    """, large_table_rows=50)
    report = run_doctor(DoctorOptions(dsn=doctor_db.url(), schemas=[s]))
    (t,) = report.tables
    assert t.name == "vehicle_events" and t.kind == "partitioned table" and t.rows == 100
    assert f"large_event_table:{s}.vehicle_events" not in found  # partitioned
    assert not any("vehicle_events_2026" in k for k in found)
