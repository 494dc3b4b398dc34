"""Meters benchmark: the per-vehicle views of hour meters, the mileage log and tires at scale.

    .venv/bin/python bench/meters_bench.py --rows 1000000 [--rows 100000] [--keep] [--reuse]

For each --rows scale a fresh database `mvbench_meters_<rows>` is deployed from the sqitch plan and
filled by COPY (triggers off: session_replication_role = replica) with rows/1000 tenants of 3
vehicles each and, per vehicle, ~333 hour readings, ~333 trips (one a day, gap-free), 2 tire sets of
4 tires with 6 seasonal mounts and ~333 tread measurements: `rows` rows in each of hour_readings,
trips and tread_measurements, the same shape per vehicle at every scale, so the comparison shows
how the views scale with table size. A progress line goes to stderr.

Database time is the EXPLAIN (ANALYZE) execution time, as app_user with a tenant's claims (RLS on),
median (and p95) of --repeat runs over --samples vehicles, after one warm-up run each. The insert
figure is one trip added through every trigger (prepare, stamp, the statement-level trips guard,
audit), rolled back.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import Settings, load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402

VEHICLES_PER_TENANT = 3
ROWS_PER_TENANT = 1000
PER_VEHICLE = ROWS_PER_TENANT // VEHICLES_PER_TENANT
TODAY = date.today()
POSITIONS = ("front_left", "front_right", "rear_left", "rear_right")


def tenant_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def user_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000a1"


def vehicle_id(i: int, v: int) -> str:
    return f"{i:08x}-0000-4000-8000-0000000000{v:02x}"


def row_id(kind: int, i: int, v: int, n: int) -> str:
    return f"{i:08x}-{v:04x}-7000-8{kind:03x}-{n:012x}"


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows: Iterable[tuple[object, ...]],
              total: int) -> None:
    t0 = time.monotonic()
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
                pending = 0
        if pending:
            copy.write(buf.getvalue())
    print(f"{table}: {total:,} rows in {time.monotonic() - t0:.1f}s", file=sys.stderr)


def vehicles(tenants: int) -> Iterator[tuple[int, int]]:
    for i in range(1, tenants + 1):
        for v in range(1, VEHICLES_PER_TENANT + 1):
            yield i, v


def hour_rows(tenants: int) -> Iterator[tuple[object, ...]]:
    for i, v in vehicles(tenants):
        start = datetime.combine(TODAY - timedelta(days=PER_VEHICLE), datetime.min.time())
        for n in range(PER_VEHICLE):
            yield (tenant_id(i), row_id(1, i, v, n), vehicle_id(i, v), "engine", "reading",
                   (start + timedelta(days=n, hours=8)).isoformat(sep=" "), 500 + n * 3)


def trip_rows(tenants: int) -> Iterator[tuple[object, ...]]:
    purposes = ("business", "personal", "commute")
    for i, v in vehicles(tenants):
        start = datetime.combine(TODAY - timedelta(days=PER_VEHICLE + 1), datetime.min.time())
        for n in range(PER_VEHICLE):
            began = start + timedelta(days=n, hours=8)
            yield (tenant_id(i), row_id(2, i, v, n), vehicle_id(i, v), "trip", began.isoformat(sep=" "),
                   (began + timedelta(hours=1)).isoformat(sep=" "), 10000 + n * 40, 10040 + n * 40, "km",
                   purposes[n % 3], "Driver " + str(n % 2), began.isoformat(sep=" "))


def build(settings: Settings, rows: int) -> str:
    tenants = rows // ROWS_PER_TENANT
    name = f"mvbench_meters_{rows}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    database.sqitch(settings, name, "deploy")
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no triggers, no FK checks while loading
        copy_rows(conn, "app.tenants", ["id", "name"], ((tenant_id(i), f"Tenant {i}") for i in range(1, tenants + 1)),
                  tenants)
        copy_rows(conn, "app.users", ["id"], ((user_id(i),) for i in range(1, tenants + 1)), tenants)
        copy_rows(conn, "app.memberships", ["tenant_id", "user_id", "role"],
                  ((tenant_id(i), user_id(i), "owner") for i in range(1, tenants + 1)), tenants)
        copy_rows(conn, "app.vehicles", ["tenant_id", "id", "display_name", "odometer_unit", "odometer_reading"],
                  ((tenant_id(i), vehicle_id(i, v), f"Vehicle {i}.{v}", "km", 10000 + PER_VEHICLE * 40)
                   for i, v in vehicles(tenants)), tenants * VEHICLES_PER_TENANT)
        copy_rows(conn, "app.hour_readings", ["tenant_id", "id", "vehicle_id", "meter", "kind", "read_at", "hours"],
                  hour_rows(tenants), tenants * VEHICLES_PER_TENANT * PER_VEHICLE)
        copy_rows(conn, "app.trips",
                  ["tenant_id", "id", "vehicle_id", "kind", "started_at", "ended_at", "start_odometer", "end_odometer",
                   "odometer_unit", "purpose", "driver", "logged_at"],
                  trip_rows(tenants), tenants * VEHICLES_PER_TENANT * PER_VEHICLE)
        copy_rows(conn, "app.trip_rates", ["tenant_id", "purpose", "valid_from", "rate", "distance_unit", "currency"],
                  ((tenant_id(i), "business", "2000-01-01", "0.30", "km", "EUR") for i in range(1, tenants + 1)),
                  tenants)
        copy_rows(conn, "app.reminders",
                  ["tenant_id", "id", "vehicle_id", "title", "category", "due_hours", "hour_meter", "odometer_unit",
                   "status", "dedupe_key"],
                  ((tenant_id(i), row_id(3, i, v, 0), vehicle_id(i, v), "Hydraulics", "maintenance",
                    500 + PER_VEHICLE * 3 + 40, "engine", "km", "open", "hydraulics") for i, v in vehicles(tenants)),
                  tenants * VEHICLES_PER_TENANT)
        copy_rows(conn, "app.tire_sets",
                  ["tenant_id", "id", "vehicle_id", "name", "brand", "size", "season", "dot_code", "rotate_every_km"],
                  ((tenant_id(i), row_id(4, i, v, s), vehicle_id(i, v), season, "Brand", "205/55 R16", season,
                    "DOT 4B9X 3VR 2319", 10000)
                   for i, v in vehicles(tenants) for s, season in enumerate(("summer", "winter"))),
                  tenants * VEHICLES_PER_TENANT * 2)
        copy_rows(conn, "app.tires", ["tenant_id", "id", "tire_set_id", "label", "position", "added_on"],
                  ((tenant_id(i), row_id(5, i, v, s * 4 + p), row_id(4, i, v, s), str(p + 1), POSITIONS[p],
                    (TODAY - timedelta(days=PER_VEHICLE + 2)).isoformat())
                   for i, v in vehicles(tenants) for s in range(2) for p in range(4)),
                  tenants * VEHICLES_PER_TENANT * 8)

        def mounts() -> Iterator[tuple[object, ...]]:
            # 6 seasonal swaps over the period, alternating sets; the last one still mounted
            step = PER_VEHICLE // 6
            for i, v in vehicles(tenants):
                for k in range(6):
                    on = TODAY - timedelta(days=PER_VEHICLE - k * step)
                    off = None if k == 5 else on + timedelta(days=step)
                    odo = 10000 + k * step * 40
                    yield (tenant_id(i), row_id(6, i, v, k), row_id(4, i, v, k % 2), vehicle_id(i, v), on.isoformat(),
                           odo, off.isoformat() if off else None, odo + step * 40 if off else None, "km")

        copy_rows(conn, "app.tire_mounts",
                  ["tenant_id", "id", "tire_set_id", "vehicle_id", "mounted_on", "mount_odometer", "dismounted_on",
                   "dismount_odometer", "odometer_unit"], mounts(), tenants * VEHICLES_PER_TENANT * 6)

        def treads() -> Iterator[tuple[object, ...]]:
            # ~333 per vehicle: every 8 tires measured on a day the set is mounted
            for i, v in vehicles(tenants):
                for n in range(PER_VEHICLE):
                    k = min(n // (PER_VEHICLE // 6), 5)
                    tire = (k % 2) * 4 + n % 4
                    yield (tenant_id(i), row_id(7, i, v, n), row_id(5, i, v, tire),
                           (TODAY - timedelta(days=PER_VEHICLE - n)).isoformat(), 10000 + n * 40, "km",
                           POSITIONS[n % 4], round(8.0 - n * 0.01, 1))

        copy_rows(conn, "app.tread_measurements",
                  ["tenant_id", "id", "tire_id", "measured_on", "odometer", "odometer_unit", "position", "depth_mm"],
                  treads(), tenants * VEHICLES_PER_TENANT * PER_VEHICLE)
        conn.execute("vacuum analyze")
    return name


def as_tenant(conn: psycopg.Connection, i: int) -> None:
    conn.execute("reset role")
    conn.execute("set role app_user")
    claims = json.dumps({"sub": user_id(i), "tenant_id": tenant_id(i)})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))


def exec_ms(conn: psycopg.Connection, sql: str, params: tuple[object, ...] = ()) -> float:
    row = conn.execute("explain (analyze, format json) " + sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return float(row[0][0]["Execution Time"])


QUERIES = (
    ("hour_meters", "select * from api.hour_meters where vehicle_id = %s"),
    ("hour_readings_page", "select * from api.hour_readings where vehicle_id = %s order by read_at desc limit 50"),
    ("hour_meter_readings_page",
     "select * from api.hour_meter_readings where vehicle_id = %s order by read_at desc limit 50"),
    ("trip_log", "select * from api.trip_log where vehicle_id = %s order by line_no"),
    ("trip_totals", "select * from api.trip_totals where vehicle_id = %s"),
    ("tire_set_status", "select * from api.tire_set_status where vehicle_id = %s"),
    ("tire_wear", "select * from api.tire_wear where vehicle_id = %s"),
    ("reminders_due", "select * from api.reminders_due where vehicle_id = %s"),
)


def measure(settings: Settings, name: str, samples: int, repeat: int) -> dict[str, float]:
    tenants = int(name.rsplit("_", 1)[1]) // ROWS_PER_TENANT
    rnd = random.Random(7)
    picks = [rnd.randint(1, tenants) for _ in range(samples)]
    out: dict[str, list[float]] = {key: [] for key, _ in QUERIES} | {"insert_trip": []}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for i in picks:
            as_tenant(conn, i)
            vid = vehicle_id(i, 1 + i % VEHICLES_PER_TENANT)
            for key, sql in QUERIES:
                exec_ms(conn, sql, (vid,))  # warm-up
                out[key].extend(exec_ms(conn, sql, (vid,)) for _ in range(repeat))
            for _ in range(repeat):
                conn.execute("begin")
                t0 = time.perf_counter()
                conn.execute(
                    """insert into api.trips
                           (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
                       values (%s, localtimestamp - interval '2 hours', localtimestamp - interval '1 hour', %s, %s,
                               'business', 'Bench')""",
                    (vid, 10000 + PER_VEHICLE * 40, 10000 + PER_VEHICLE * 40 + 10))
                out["insert_trip"].append((time.perf_counter() - t0) * 1000)
                conn.execute("rollback")
    return {k: statistics.median(v) for k, v in out.items()} | {
        k + "_p95": sorted(v)[max(int(len(v) * 0.95) - 1, 0)] for k, v in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per table (repeatable); default 1000000")
    parser.add_argument("--samples", type=int, default=10, help="vehicles measured")
    parser.add_argument("--repeat", type=int, default=5, help="runs per sample")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing database of that size")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    settings = load_settings()
    ensure_cluster()
    results: dict[int, dict[str, float]] = {}
    for rows in args.rows or [1_000_000]:
        name = f"mvbench_meters_{rows}"
        with database.superuser_connect(settings) as conn:
            exists = database.database_exists(conn, name)
        if not (args.reuse and exists):
            build(settings, rows)
        figures = measure(settings, name, args.samples, args.repeat)
        results[rows] = figures
        print(f"\n== {rows:,} rows per table, {rows // ROWS_PER_TENANT:,} tenants ==")
        for key, value in figures.items():
            print(f"  {key:<28} {value:>10.3f} ms")
        if not args.keep:
            with database.superuser_connect(settings) as conn:
                conn.execute(f'drop database "{name}"')
    if len(results) > 1:
        small, large = sorted(results)[0], sorted(results)[-1]
        print(f"\n== ratio {large:,} / {small:,} ==")
        for key, _ in QUERIES:
            print(f"  {key:<28} {results[large][key] / results[small][key]:>10.2f}x")
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
