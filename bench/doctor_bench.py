"""Benchmark of `motovault doctor`.

1. Live analysis: a scratch database in the local cluster with 1,000 tables, 5,000 indexes and
   300 policies (plus foreign keys, views and functions); time the whole live analysis
   (catalog snapshot + every lint + markdown and JSON rendering). Target: < 10 s.
2. Migrations: 500 generated migration files; time reading, parsing (pglast) and linting. Target: < 5 s.

    MOTOVAULT_PGPORT=54332 .venv/bin/python bench/doctor_bench.py [--tables 1000] [--keep]

The scratch database is dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from motovault.doctor import DoctorOptions, render_json, render_markdown, run_doctor
from motovault.doctor.migrations import analyse_migrations, numbered_folder
from motovault.stack.settings import load_settings


def schema_sql(tables: int, policies: int) -> str:
    """Per table: pk + 4 indexes = 5 indexes; the first `policies` tables get RLS and a policy."""
    out = [
        "create schema if not exists b_app;",
        "create function b_app.current_tenant_id() returns uuid language sql stable"
        " as $$ select nullif(current_setting('app.tenant', true), '')::uuid $$;",
        "create table b_app.tenants (id uuid primary key, name text not null);",
        # 4 + its primary key: 5 indexes, like every other table
        "create index on b_app.tenants (name); create index on b_app.tenants (lower(name));",
        "create index on b_app.tenants (name, id); create index on b_app.tenants (id, name);",
    ]
    per_schema = 100
    for i in range(tables - 1):
        s = f"b_s{i // per_schema}"
        if i % per_schema == 0:
            out.append(f"create schema if not exists {s};")
        t = f"{s}.t{i}"
        fk = f", parent_id int references {s}.t{i - 1} (id)" if i % per_schema else ""
        out.append(
            f"create table {t} (id int primary key, tenant_id uuid not null references b_app.tenants (id),"
            f" status text, kind text check (kind in ('a', 'b')), payload jsonb, label text, display_name text,"
            f" amount numeric(12, 2), created_at timestamptz not null default now(), updated_at timestamptz{fk});"
        )
        out.append(f"create index on {t} (tenant_id, created_at);")
        out.append(f"create index on {t} (status);")
        out.append(f"create index on {t} (created_at);")
        dup = f"create index on {t} (status);"  # some duplicates
        out.append(f"create index on {t} (display_name);" if i % 10 else dup)
        if i < policies:
            out.append(f"alter table {t} enable row level security, force row level security;")
            out.append(f"create policy p on {t} using (tenant_id = b_app.current_tenant_id());")
        if i % 50 == 0:
            out.append(f"create view {s}.v{i} with (security_invoker = true) as select * from {t};")
            out.append(f"create function {s}.f{i}(x int) returns int language sql as $$ select x $$;")
    return "\n".join(out)


def migration_files(folder: Path, n: int) -> None:
    for i in range(n):
        if i % 3 == 0:
            body = (f"create table t{i} (id uuid primary key, tenant_id uuid not null, vehicle_id uuid, name text,"
                    f" created_at timestamptz not null default now());\n"
                    f"create index if not exists t{i}_vehicle on t{i} (vehicle_id);\n")
        elif i % 3 == 1:
            body = (f"alter table t{i - 1} add column note text;\n"
                    f"alter table t{i - 1} add constraint t{i - 1}_name check (length(name) < 200) not valid;\n"
                    f"create index concurrently if not exists t{i - 1}_name on t{i - 1} (name);\n")
        else:
            body = (f"create or replace function f{i}() returns int language plpgsql as $$\n"
                    f"begin\n  return {i};\nend\n$$;\n"
                    f"insert into t{i - 2} (id, tenant_id, name) values (gen_random_uuid(), gen_random_uuid(), 'x');\n"
                    f"alter table t{i - 2} alter column name type varchar(300);\n")
        (folder / f"{i:04d}_change.sql").write_text(f"-- migration {i}\n" + body * 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--policies", type=int, default=300)
    ap.add_argument("--migrations", type=int, default=500)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    name = f"doctor_bench_{os.getpid()}"
    admin = psycopg.connect(settings.dsn("postgres"), autocommit=True)
    admin.execute(f'create database "{name}"')
    try:
        url = settings.dsn(name)
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(schema_sql(args.tables, args.policies))
            conn.execute("analyze")
            counts = conn.execute(
                "select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                "        where c.relkind = 'r' and n.nspname like 'b\\_%'),"
                "       (select count(*) from pg_index i join pg_class c on c.oid = i.indrelid"
                "        join pg_namespace n on n.oid = c.relnamespace where n.nspname like 'b\\_%'),"
                "       (select count(*) from pg_policy)"
            ).fetchone()
        gen = time.perf_counter() - t0
        assert counts is not None
        print(f"generated {counts[0]} tables, {counts[1]} indexes, {counts[2]} policies in {gen:.1f} s")

        t0 = time.perf_counter()
        report = run_doctor(DoctorOptions(dsn=url))
        md, js = render_markdown(report), render_json(report)
        live = time.perf_counter() - t0
        print(f"live analysis: {live:.2f} s  ({len(report.findings)} findings, {len(md) // 1024} KiB markdown,"
              f" {len(js) // 1024} KiB JSON)  target < 10 s: {'ok' if live < 10 else 'MISSED'}")

        t0 = time.perf_counter()
        report = run_doctor(DoctorOptions(dsn=url, exact_counts=True))
        print(f"live analysis with --exact-counts: {time.perf_counter() - t0:.2f} s")
    finally:
        if not args.keep:
            admin.execute(f'drop database if exists "{name}" with (force)')
        admin.close()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        migration_files(folder, args.migrations)
        t0 = time.perf_counter()
        files = numbered_folder(folder)
        findings = analyse_migrations(files)
        mig = time.perf_counter() - t0
        print(f"migrations: {len(files)} files, {len(findings)} findings in {mig:.2f} s  target < 5 s: "
              f"{'ok' if mig < 5 else 'MISSED'}")
    return 0 if live < 10 and mig < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
