"""Money benchmark: economy per energy source, energy and cost per distance, EV figures and the costs
view of one vehicle, as the fuel log table grows.

    .venv/bin/python bench/money_bench.py --rows 1000000 [--rows 10000000] [--keep] [--reuse] [--sql-build]

The databases are bench/fuel_bench.py's (`mvbench_fuel_<rows>`: rows/1000 tenants of 3 vehicles,
~333 fill-ups each, built by COPY from Python); --sql-build makes the same shape set-based in SQL
(INSERT ... SELECT over generate_series, one statement per 1,000 tenants, triggers off), which is what
makes 10M rows fit on the shared machine; on top, every measured vehicle gets two declared tanks (a bi-fuel
car: its fill-ups alternate between them). Database time is EXPLAIN (ANALYZE) execution time as
app_user with the tenant's claims (RLS on), median and p95 of --repeat runs over --samples vehicles
after one warm-up run each. Results go to bench/results/money_bench.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.fuel_bench import ROWS_PER_TENANT, as_tenant, build, exec_ms, tenant_id, vehicle_id  # noqa: E402
from motovault.stack import database  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402

QUERIES = (
    ("fuel_economy", "select * from api.fuel_economy(%s, 'l_per_100km')"),
    ("fuel_economy_intervals", "select * from api.fuel_economy_intervals(%s, 'l_per_100km')"),
    ("vehicle_energy", "select * from api.vehicle_energy(%s)"),
    ("ev_efficiency", "select * from api.ev_efficiency(%s)"),
    ("costs", "select * from api.costs where vehicle_id = %s"),
    ("vehicle_cost_months", "select * from api.vehicle_cost_months where vehicle_id = %s"),
    ("vehicle_tco_months", "select * from api.vehicle_tco_months where vehicle_id = %s"),
)


def build_sql(settings, rows: int) -> str:
    """The fuel benchmark's shape, set-based: rows/1000 tenants, 3 vehicles each, 333/333/334 fill-ups
    4 days apart (every 10th a partial one, every 50th after a missed one), odometers increasing."""
    import time

    from bench.fuel_bench import TODAY

    tenants = rows // ROWS_PER_TENANT
    name = f"mvbench_fuel_{rows}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    t0 = time.monotonic()
    database.sqitch(settings, name, "deploy")
    print(f"deployed the plan into {name} in {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
    tid = "(lpad(to_hex(i), 8, '0') || '-0000-4000-8000-000000000000')::uuid"
    uid = "(lpad(to_hex(i), 8, '0') || '-0000-4000-8000-0000000000a1')::uuid"
    vid = "(lpad(to_hex(i), 8, '0') || '-0000-4000-8000-0000000000' || lpad(to_hex(v), 2, '0'))::uuid"
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no triggers, no FK checks while loading
        t0 = time.monotonic()
        conn.execute(f"insert into app.tenants (id, name) select {tid}, 'Tenant ' || i "
                     "from generate_series(1, %s::integer) as i", (tenants,))
        conn.execute(f"insert into app.users (id) select {uid} from generate_series(1, %s::integer) as i", (tenants,))
        conn.execute(f"insert into app.memberships (tenant_id, user_id, role) select {tid}, {uid}, 'owner' "
                     "from generate_series(1, %s::integer) as i", (tenants,))
        conn.execute(f"insert into app.vehicles (tenant_id, id, display_name, odometer_unit) "
                     f"select {tid}, {vid}, 'Vehicle ' || i || '.' || v, 'km' "
                     "from generate_series(1, %s::integer) as i cross join generate_series(1, 3) as v", (tenants,))
        for lo in range(1, tenants + 1, 1000):
            hi = min(lo + 999, tenants)
            conn.execute(
                f"""insert into app.fuel_logs (tenant_id, id, vehicle_id, filled_on, odometer, odometer_unit, fuel_type,
                                               volume, volume_unit, price_per_unit, total_cost, currency, is_full,
                                               missed_previous)
                    select {tid},
                           (lpad(to_hex(i), 8, '0') || '-' || lpad(to_hex(v), 4, '0') || '-7000-8000-'
                            || lpad(to_hex(n), 12, '0'))::uuid,
                           {vid},
                           %(today)s::date - (c - n) * 4,
                           1000 + (i * 7919 + v * 104729) %% 49000 + n * 450 + (n * 37 + i) %% 200,
                           'km', 'gasoline', x.volume, 'l', x.price, round(x.volume * x.price, 2), 'EUR',
                           n %% 10 <> 5, n %% 50 = 49
                    from generate_series(%(lo)s::integer, %(hi)s::integer) as i
                    cross join generate_series(1, 3) as v
                    cross join lateral (select case when v = 1 then 334 else 333 end as c) as k
                    cross join lateral generate_series(0, k.c - 1) as n
                    cross join lateral (
                        select round(case when n %% 10 <> 5 then 30 + (n * 13 + i) %% 20 else 8 + (n * 7 + i) %% 12 end
                                     + ((n + i) %% 1000) / 1000.0, 3) as volume,
                               round(1.5 + ((n * 31 + i * 17) %% 600) / 1000.0, 4) as price
                    ) as x""", {"today": TODAY, "lo": lo, "hi": hi})
            print(f"fuel_logs: tenants {hi:,}/{tenants:,} in {time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
        conn.execute(
            """update app.vehicles as v
               set odometer_reading = l.odometer
               from (select tenant_id, vehicle_id, max(odometer) as odometer from app.fuel_logs
                     group by tenant_id, vehicle_id) as l
               where v.tenant_id = l.tenant_id and v.id = l.vehicle_id""")
        conn.execute("vacuum analyze")
        print(f"{rows:,} fuel logs built set-based and analyzed in {time.monotonic() - t0:.0f}s", file=sys.stderr)
    return name


def declare_tanks(settings, name: str, picks: list[int]) -> None:
    """Two tanks on each measured vehicle (tank 2 takes every other fill-up): a bi-fuel car."""
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for i in picks:
            t, v = tenant_id(i), vehicle_id(i, 1)
            conn.execute(
                """insert into app.energy_sources (tenant_id, vehicle_id, tank_number, name, fuel_types, unit)
                   values (%s, %s, 1, 'Tank 1', '{gasoline}', 'l'), (%s, %s, 2, 'Tank 2', '{gasoline}', 'l')
                   on conflict do nothing""", (t, v, t, v))
            conn.execute(
                """update app.fuel_logs as l set source_id = s.id
                   from app.energy_sources as s
                   where l.tenant_id = %s and l.vehicle_id = %s and s.tenant_id = l.tenant_id
                     and s.vehicle_id = l.vehicle_id and s.deleted_at is null
                     and s.tank_number = 1 + (extract(day from l.filled_on)::int / 4) %% 2""", (t, v))
        conn.execute("analyze app.energy_sources")


def measure(settings, name: str, picks: list[int], repeat: int) -> dict[str, float]:
    out: dict[str, list[float]] = {key: [] for key, _ in QUERIES}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for i in picks:
            as_tenant(conn, i)
            vid = vehicle_id(i, 1)
            for key, sql in QUERIES:
                exec_ms(conn, sql, (vid,))  # warm-up
                out[key].extend(exec_ms(conn, sql, (vid,)) for _ in range(repeat))
    return {k: round(statistics.median(v), 3) for k, v in out.items()} | {
        k + "_p95": round(sorted(v)[max(int(len(v) * 0.95) - 1, 0)], 3) for k, v in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="fuel log rows (repeatable); default 1000000")
    parser.add_argument("--samples", type=int, default=10, help="vehicles measured")
    parser.add_argument("--repeat", type=int, default=5, help="runs per vehicle")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing database of that size")
    parser.add_argument("--sql-build", action="store_true", help="build the database set-based in SQL")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "money_bench.json")
    args = parser.parse_args()
    settings = load_settings()
    ensure_cluster()
    results: dict[int, dict[str, float]] = {}
    for rows in args.rows or [1_000_000]:
        name = f"mvbench_fuel_{rows}"
        with database.superuser_connect(settings) as conn:
            exists = database.database_exists(conn, name)
        if not (args.reuse and exists):
            (build_sql if args.sql_build else build)(settings, rows)
        else:
            database.sqitch(settings, name, "deploy")  # a kept database gets the plan's newer changes
        rnd = random.Random(7)
        picks = [rnd.randint(1, rows // ROWS_PER_TENANT) for _ in range(args.samples)]
        declare_tanks(settings, name, picks)
        results[rows] = measure(settings, name, picks, args.repeat)
        print(f"\n== {rows:,} fuel logs, {rows // ROWS_PER_TENANT:,} tenants (one vehicle, ~333 fill-ups, 2 tanks) ==")
        for key, value in results[rows].items():
            print(f"  {key:<28} {value:>10.3f} ms")
        if not args.keep:
            with database.superuser_connect(settings) as conn:
                conn.execute(f'drop database "{name}"')
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
