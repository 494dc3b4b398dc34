"""Fuel benchmark: economy of one vehicle, one tenant's due reminders, bulk insert through triggers.

    .venv/bin/python bench/fuel_bench.py --rows 1000000 [--rows 10000000] [--insert-rows 20000] [--keep]

For each --rows scale: a fresh database `mvbench_fuel_<rows>` is deployed from the sqitch plan and
filled by COPY (triggers off: session_replication_role = replica) with rows/1000 tenants of 3
vehicles each (~333 fill-ups per vehicle, same shape at every scale, so the comparison measures
how the queries scale with table size), 5 reminders per tenant and 1 scheduled maintenance item
per vehicle. A progress line goes to stderr.

Database time is the EXPLAIN (ANALYZE) execution time, as app_user with a tenant's claims (RLS on),
median of --repeat runs over --samples different vehicles / tenants, after one warm-up run each.

Bulk insert: INSERT ... SELECT batches of 1000 fill-ups as app_user through every trigger (prepare,
stamp, odometer guard + vehicle sync, audit), alternating runs with and without the audit trigger.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402

VEHICLES_PER_TENANT = 3
ROWS_PER_TENANT = 1000
TODAY = date.today()


def tenant_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def user_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000a1"


def vehicle_id(i: int, v: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000{v:02x}"


def row_id(i: int, v: int, n: int) -> str:
    return f"{i:08x}-{v:04x}-7000-8000-{n:012x}"


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.start = self.last = time.monotonic()

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= 1 or self.done >= self.total:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            pct = 100 * self.done / self.total
            bar = "#" * int(pct / 5)
            eta = (self.total - self.done) / rate if rate else 0
            print(f"\r{self.label:<12} [{bar:<20}] {pct:5.1f}% {self.done:>11,}/{self.total:,} "
                  f"{rate:>9,.0f} rows/s eta {eta:5.0f}s",
                  end="", file=sys.stderr, flush=True)
            if self.done >= self.total:
                print(file=sys.stderr)


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows, total: int, label: str) -> None:
    progress = Progress(label, total)
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        buf = io.StringIO()
        pending = 0
        for row in rows:
            buf.write("\t".join("\\N" if x is None else str(x) for x in row))
            buf.write("\n")
            pending += 1
            if pending == 20000:
                copy.write(buf.getvalue())
                buf = io.StringIO()
                progress.add(pending)
                pending = 0
        if pending:
            copy.write(buf.getvalue())
            progress.add(pending)


def fuel_rows(tenants: int):
    per_vehicle = ROWS_PER_TENANT // VEHICLES_PER_TENANT
    extra = ROWS_PER_TENANT - per_vehicle * VEHICLES_PER_TENANT
    rnd = random.Random(42)
    for i in range(1, tenants + 1):
        t = tenant_id(i)
        for v in range(1, VEHICLES_PER_TENANT + 1):
            vid = vehicle_id(i, v)
            n_logs = per_vehicle + (extra if v == 1 else 0)
            odo = rnd.randint(1000, 50000)
            start = TODAY - timedelta(days=n_logs * 4)
            for n in range(n_logs):
                day = start + timedelta(days=n * 4)
                odo += rnd.randint(250, 650)
                is_full = n % 10 != 5
                volume = round(rnd.uniform(30, 50) if is_full else rnd.uniform(8, 20), 3)
                price = round(rnd.uniform(1.5, 2.1), 4)
                yield (t, row_id(i, v, n), vid, day.isoformat(), odo, "km", "gasoline", volume, "l",
                       price, round(volume * price, 2), "EUR", "t" if is_full else "f",
                       "t" if n % 50 == 49 else "f")


def build(settings, rows: int) -> str:
    tenants = rows // ROWS_PER_TENANT
    name = f"mvbench_fuel_{rows}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    t0 = time.monotonic()
    database.sqitch(settings, name, "deploy")
    print(f"deployed the plan into {name} in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no triggers, no FK checks while loading
        copy_rows(conn, "app.tenants", ["id", "name"], ((tenant_id(i), f"Tenant {i}") for i in range(1, tenants + 1)),
                  tenants, "tenants")
        copy_rows(conn, "app.users", ["id"], ((user_id(i),) for i in range(1, tenants + 1)), tenants, "users")
        copy_rows(conn, "app.memberships", ["tenant_id", "user_id", "role"],
                  ((tenant_id(i), user_id(i), "owner") for i in range(1, tenants + 1)), tenants, "memberships")
        copy_rows(conn, "app.vehicles", ["tenant_id", "id", "display_name", "odometer_unit"],
                  ((tenant_id(i), vehicle_id(i, v), f"Vehicle {i}.{v}", "km")
                   for i in range(1, tenants + 1) for v in range(1, VEHICLES_PER_TENANT + 1)),
                  tenants * VEHICLES_PER_TENANT, "vehicles")
        t0 = time.monotonic()
        copy_rows(conn, "app.fuel_logs",
                  ["tenant_id", "id", "vehicle_id", "filled_on", "odometer", "odometer_unit", "fuel_type", "volume",
                   "volume_unit", "price_per_unit", "total_cost", "currency", "is_full", "missed_previous"],
                  fuel_rows(tenants), tenants * ROWS_PER_TENANT, "fuel_logs")
        print(f"fuel_logs: {tenants * ROWS_PER_TENANT:,} rows in {time.monotonic() - t0:.1f}s", file=sys.stderr)

        def reminders():
            for i in range(1, tenants + 1):
                for k in range(5):
                    v = k % VEHICLES_PER_TENANT + 1
                    due_on = (TODAY + timedelta(days=(k * 17 + i) % 90 - 20)).isoformat()
                    yield (tenant_id(i), f"{i:08x}-0000-7000-9000-{k:012x}", vehicle_id(i, v), f"Reminder {k}",
                           "maintenance", due_on if k != 4 else None, None if k != 4 else 10_000_000, "km", "open",
                           f"k{k}")

        copy_rows(conn, "app.reminders",
                  ["tenant_id", "id", "vehicle_id", "title", "category", "due_on", "due_odometer", "odometer_unit",
                   "status", "dedupe_key"],
                  reminders(), tenants * 5, "reminders")
        copy_rows(conn, "app.maintenance",
                  ["tenant_id", "id", "vehicle_id", "series_id", "status", "type", "due_on", "odometer_unit"],
                  ((tenant_id(i), f"{i:08x}-{v:04x}-7000-a000-000000000000", vehicle_id(i, v),
                    f"{i:08x}-{v:04x}-7000-a000-000000000000", "scheduled", "oil_change",
                    (TODAY + timedelta(days=(i * v) % 60)).isoformat(), "km")
                   for i in range(1, tenants + 1) for v in range(1, VEHICLES_PER_TENANT + 1)),
                  tenants * VEHICLES_PER_TENANT, "maintenance")
        t0 = time.monotonic()
        conn.execute(
            """
            update app.vehicles as v
            set odometer_reading = l.odometer
            from (select distinct on (tenant_id, vehicle_id) tenant_id, vehicle_id, odometer
                  from app.fuel_logs order by tenant_id, vehicle_id, read_at desc) as l
            where v.tenant_id = l.tenant_id and v.id = l.vehicle_id
            """
        )
        conn.execute("vacuum analyze")
        print(f"odometers set, vacuum analyze in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return name


def as_tenant(conn: psycopg.Connection, i: int) -> None:
    conn.execute("reset role")
    conn.execute("set role app_user")
    claims = json.dumps({"sub": user_id(i), "tenant_id": tenant_id(i)})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))


def exec_ms(conn: psycopg.Connection, sql: str, params=()) -> float:
    plan = conn.execute("explain (analyze, format json) " + sql, params).fetchone()[0]
    return float(plan[0]["Execution Time"])


def measure(settings, name: str, samples: int, repeat: int) -> dict[str, float]:
    tenants = int(name.rsplit("_", 1)[1]) // ROWS_PER_TENANT
    rnd = random.Random(7)
    picks = [rnd.randint(1, tenants) for _ in range(samples)]
    out: dict[str, list[float]] = {"economy": [], "economy_intervals": [], "reminders_due": []}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for i in picks:
            as_tenant(conn, i)
            vid = vehicle_id(i, 1)
            for key, sql, params in (
                ("economy", "select * from api.fuel_economy(%s, 'l_per_100km')", (vid,)),
                ("economy_intervals", "select * from api.fuel_economy_intervals(%s, 'l_per_100km')", (vid,)),
                ("reminders_due", "select * from api.reminders_due", ()),
            ):
                exec_ms(conn, sql, params)  # warm-up
                out[key].extend(exec_ms(conn, sql, params) for _ in range(repeat))
    return {k: statistics.median(v) for k, v in out.items()} | {
        k + "_p95": sorted(v)[int(len(v) * 0.95) - 1] for k, v in out.items()
    }


def bulk_insert(settings, name: str, insert_rows: int) -> dict[str, float]:
    """Rows/s through every trigger, alternating with and without the audit trigger."""
    batch = 1000
    timings = {"with_audit": [0.0, 0], "without_audit": [0.0, 0]}
    with psycopg.connect(settings.dsn(name), autocommit=True) as admin, \
         psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        rounds = max(insert_rows // batch // 2, 1)
        for r in range(rounds * 2):
            mode = "with_audit" if r % 2 == 0 else "without_audit"
            admin.execute(
                f"alter table app.fuel_logs {'enable' if mode == 'with_audit' else 'disable'} trigger fuel_logs_audit"
            )
            tenant = 1 + r % 50
            as_tenant(conn, tenant)
            vid = vehicle_id(tenant, 2)
            # continue after the vehicle's latest reading (a re-run with --reuse finds earlier runs' rows)
            start_odo, start_at = conn.execute(
                """select v.odometer_reading,
                          greatest(current_date::timestamp, (select max(l.read_at) from app.fuel_logs as l
                                                             where l.tenant_id = v.tenant_id and l.vehicle_id = v.id))
                   from app.vehicles as v where v.id = %s and v.tenant_id = %s""",
                (vid, tenant_id(tenant))).fetchone()
            t0 = time.perf_counter()
            conn.execute(
                """
                insert into app.fuel_logs
                    (vehicle_id, filled_on, filled_time, odometer, volume, price_per_unit, currency, is_full)
                select %s,
                       (%s::timestamp + make_interval(secs => g))::date,
                       (%s::timestamp + make_interval(secs => g))::time,
                       %s + g, 40, 1.799, 'EUR', g %% 10 <> 5
                from generate_series(1, %s) as g
                """,
                (vid, start_at, start_at, start_odo, batch),
            )
            timings[mode][0] += time.perf_counter() - t0
            timings[mode][1] += batch
        admin.execute("alter table app.fuel_logs enable trigger fuel_logs_audit")
    return {mode: n / secs for mode, (secs, n) in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="fuel log rows (repeatable); default 1000000")
    parser.add_argument("--samples", type=int, default=10, help="vehicles / tenants measured")
    parser.add_argument("--repeat", type=int, default=5, help="runs per sample")
    parser.add_argument("--insert-rows", type=int, default=20000, help="rows for the bulk insert measurement")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing database of that size")
    args = parser.parse_args()
    settings = load_settings()
    ensure_cluster()
    results = {}
    for rows in args.rows or [1_000_000]:
        name = f"mvbench_fuel_{rows}"
        with database.superuser_connect(settings) as conn:
            exists = database.database_exists(conn, name)
        if not (args.reuse and exists):
            build(settings, rows)
        figures = measure(settings, name, args.samples, args.repeat)
        figures |= {f"insert_rows_per_s_{k}": v for k, v in bulk_insert(settings, name, args.insert_rows).items()}
        results[rows] = figures
        print(f"\n== {rows:,} fuel logs, {rows // ROWS_PER_TENANT:,} tenants ==")
        for key, value in figures.items():
            unit = "rows/s" if key.startswith("insert") else "ms"
            print(f"  {key:<34} {value:>10.3f} {unit}")
        ins = figures["insert_rows_per_s_with_audit"] / figures["insert_rows_per_s_without_audit"]
        print(f"  {'insert rate kept with audit':<34} {100 * ins:>10.1f} %")
        if not args.keep:
            with database.superuser_connect(settings) as conn:
                conn.execute(f'drop database "{name}"')
    if len(results) > 1:
        small, large = sorted(results)[0], sorted(results)[-1]
        print(f"\n== ratio {large:,} / {small:,} ==")
        for key in ("economy", "economy_intervals", "reminders_due"):
            print(f"  {key:<34} {results[large][key] / results[small][key]:>10.2f}x")


if __name__ == "__main__":
    main()
