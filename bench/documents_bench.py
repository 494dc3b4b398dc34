"""Documents and recalls benchmark: one vehicle's documents and one vehicle's open recalls at 1M rows.

    .venv/bin/python bench/documents_bench.py [--rows 1000000] [--samples 20] [--repeat 5] [--keep] [--reuse]
        [--output bench/results/documents_bench.json]

A fresh database `mvbench_documents_<rows>` is deployed from the sqitch plan and filled by COPY
(triggers off: session_replication_role = replica) with rows/1000 tenants of 3 vehicles each, 1,000
documents per tenant (~333 per vehicle) pointing at 10 stored files per tenant (small PDFs: the
bytes are never read by these queries), and 1,000 recalls per tenant (~333 per vehicle, every tenth
fixed). Database time is the EXPLAIN (ANALYZE) execution time as app_user with a tenant's claims (RLS
on), median (and p95) of --repeat runs over --samples vehicles, after one warm-up run each; planning
time is reported apart (PostgREST keeps prepared statements).

The queries are what a client sends for a vehicle page:
  GET /documents?vehicle_id=eq.V&order=created_at.desc,id.desc&limit=50
  GET /vehicle_recalls?vehicle_id=eq.V&status=eq.open&order=report_received_on.desc&limit=50
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402

VEHICLES = 3
PER_TENANT = 1000
FILES = 10
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def tenant_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def user_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000a1"


def vehicle_id(i: int, v: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000{v:02x}"


def row_id(i: int, kind: int, n: int) -> str:
    return f"{i:08x}-{kind:04x}-7000-8000-{n:012x}"


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows, total: int) -> None:
    t0 = time.monotonic()
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        buf = io.StringIO()
        for n, row in enumerate(rows, 1):
            buf.write("\t".join("\\N" if x is None else str(x) for x in row) + "\n")
            if n % 20000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())
    print(f"{table}: {total:,} rows in {time.monotonic() - t0:.1f}s", file=sys.stderr)


def pdf(i: int, k: int) -> bytes:
    return f"%PDF-1.4\n% tenant {i} file {k}\n%%EOF\n".encode()


def build(settings, rows: int) -> str:
    tenants = rows // PER_TENANT
    name = f"mvbench_documents_{rows}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    database.sqitch(settings, name, "deploy")
    rnd = random.Random(42)
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no triggers, no FK checks while loading
        tenants_range = range(1, tenants + 1)
        copy_rows(conn, "app.tenants", ["id", "name"], ((tenant_id(i), f"Tenant {i}") for i in tenants_range), tenants)
        copy_rows(conn, "app.users", ["id"], ((user_id(i),) for i in tenants_range), tenants)
        copy_rows(conn, "app.memberships", ["tenant_id", "user_id", "role"],
                  ((tenant_id(i), user_id(i), "owner") for i in tenants_range), tenants)
        copy_rows(conn, "app.vehicles", ["tenant_id", "id", "display_name", "make", "model", "year"],
                  ((tenant_id(i), vehicle_id(i, v), f"Vehicle {i}.{v}", "ACURA", "RDX", 2012)
                   for i in tenants_range for v in range(1, VEHICLES + 1)), tenants * VEHICLES)

        def files():
            for i in tenants_range:
                for k in range(FILES):
                    body = pdf(i, k)
                    yield (tenant_id(i), row_id(i, 1, k), hashlib.sha256(body).hexdigest(), "application/pdf",
                           len(body), "\\\\x" + body.hex(), "none")

        copy_rows(conn, "app.document_files",
                  ["tenant_id", "id", "sha256", "content_type", "bytes", "content", "thumbnail_state"],
                  files(), tenants * FILES)

        def documents():
            for i in tenants_range:
                for n in range(PER_TENANT):
                    k = n % FILES
                    body = pdf(i, k)
                    at = T0 + timedelta(minutes=n * 97 + i)
                    yield (tenant_id(i), row_id(i, 2, n), row_id(i, 1, k), vehicle_id(i, n % VEHICLES + 1),
                           "receipt", f"receipt-{n}.pdf", "application/pdf", len(body),
                           hashlib.sha256(body).hexdigest(), at.isoformat(), at.isoformat(),
                           at.isoformat() if n % 50 == 49 else None)

        copy_rows(conn, "app.documents",
                  ["tenant_id", "id", "file_id", "vehicle_id", "kind", "file_name", "content_type", "bytes", "sha256",
                   "created_at", "updated_at", "deleted_at"],
                  documents(), tenants * PER_TENANT)

        def recalls():
            for i in tenants_range:
                for n in range(PER_TENANT):
                    fixed = n % 10 == 9
                    received = date(2000, 1, 1) + timedelta(days=rnd.randint(0, 9000))
                    yield (tenant_id(i), row_id(i, 3, n), vehicle_id(i, n % VEHICLES + 1),
                           f"{received.year % 100:02d}V{n:06d}", "AIR BAGS", "Summary.", "Consequence.",
                           "Remedy.", received.isoformat(), "fixed" if fixed else "open",
                           received.isoformat() if fixed else None)

        copy_rows(conn, "app.vehicle_recalls",
                  ["tenant_id", "id", "vehicle_id", "campaign_number", "component", "summary", "consequence", "remedy",
                   "report_received_on", "status", "fixed_on"],
                  recalls(), tenants * PER_TENANT)
        conn.execute("vacuum analyze")
    return name


def as_tenant(conn: psycopg.Connection, i: int) -> None:
    conn.execute("reset role")
    conn.execute("set role app_user")
    claims = json.dumps({"sub": user_id(i), "tenant_id": tenant_id(i), "role": "app_user"})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))


def explain(conn: psycopg.Connection, sql: str, params=()) -> tuple[float, float, int]:
    plan = conn.execute("explain (analyze, format json) " + sql, params).fetchone()[0][0]
    return float(plan["Execution Time"]), float(plan["Planning Time"]), int(plan["Plan"]["Actual Rows"])


QUERIES = {
    "vehicle_documents": "select * from api.documents where vehicle_id = %s "
                         "order by created_at desc, id desc limit 50",
    "vehicle_open_recalls": "select * from api.vehicle_recalls where vehicle_id = %s and status = 'open' "
                            "order by report_received_on desc limit 50",
}


def measure(settings, name: str, rows: int, samples: int, repeat: int) -> dict[str, float]:
    tenants = rows // PER_TENANT
    rnd = random.Random(7)
    picks = [(rnd.randint(1, tenants), rnd.randint(1, VEHICLES)) for _ in range(samples)]
    times: dict[str, list[float]] = {k: [] for k in QUERIES}
    planning: dict[str, list[float]] = {k: [] for k in QUERIES}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for i, v in picks:
            as_tenant(conn, i)
            for key, sql in QUERIES.items():
                _, _, got = explain(conn, sql, (vehicle_id(i, v),))  # warm-up
                assert got == 50, f"{key}: {got} rows"
                for _ in range(repeat):
                    ms, plan_ms, _ = explain(conn, sql, (vehicle_id(i, v),))
                    times[key].append(ms)
                    planning[key].append(plan_ms)
    out: dict[str, float] = {}
    for key in QUERIES:
        out[f"{key}_median_ms"] = statistics.median(times[key])
        out[f"{key}_p95_ms"] = sorted(times[key])[int(len(times[key]) * 0.95) - 1]
        out[f"{key}_planning_median_ms"] = statistics.median(planning[key])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="documents (and recalls); default 1000000")
    parser.add_argument("--samples", type=int, default=20, help="vehicles measured")
    parser.add_argument("--repeat", type=int, default=5, help="runs per vehicle")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing database of that size")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    settings = load_settings()
    ensure_cluster()
    name = f"mvbench_documents_{args.rows}"
    with database.superuser_connect(settings) as conn:
        exists = database.database_exists(conn, name)
    t0 = time.monotonic()
    if not (args.reuse and exists):
        build(settings, args.rows)
    built = time.monotonic() - t0
    figures = measure(settings, name, args.rows, args.samples, args.repeat)
    result = {"rows": args.rows, "tenants": args.rows // PER_TENANT, "samples": args.samples,
              "repeat": args.repeat, "build_s": round(built, 1),
              "date": date.today().isoformat()} | {k: round(v, 3) for k, v in figures.items()}
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        with database.superuser_connect(settings) as conn:
            conn.execute(f'drop database "{name}"')


if __name__ == "__main__":
    main()
