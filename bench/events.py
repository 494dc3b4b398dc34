"""Benchmark: one vehicle's timeline page and one tenant's fleet overview, at several scales.

    .venv/bin/python bench/events.py --events 1000000            # one scale
    .venv/bin/python bench/events.py --events 100000 1000000     # compare scales
    .venv/bin/python bench/events.py --events 1000000 10000000 --events-per-tenant 1000
        # 1M events over 1,000 tenants vs 10M over 10,000: the same history per vehicle, 10x the table

With a fixed tenant count (the default, 10,000), ten times the events means ten times the history per
vehicle: at 1M a vehicle has ~33 events, so "page 1" (limit 50) returns fewer rows than at 10M. The
output shows the rows each query returned (mean), so pages of unequal size are not compared unawares.

For each scale a fresh database ``bench_events_<N>`` is built from the sqitch plan, then filled:
10,000 tenants (1-5 vehicles each, ~30,000 vehicles) and N events spread over 24 months, loaded with
COPY (progress on stderr). The load runs with session_replication_role = replica, i.e. without row
triggers (payload validation, stamps, audit) and FK checks, and without the payload CHECK (added back
NOT VALID afterwards): the generator writes valid rows, and the benchmark measures reads. Queries run
as PostgREST runs them: logged in as authenticator (so its settings for the database apply), as
app_user with the tenant's JWT claims. "Database time" is planning + execution time from EXPLAIN
ANALYZE, median and 95th percentile over the sampled vehicles/tenants (caches warm: each query runs
once before), both as PostgREST runs them (prepared statements on pooled connections: the plan is
cached) and one-shot (planned every time: with 38 partitions planning is most of the cost), with the
shared buffers each query touched (median): unlike milliseconds, buffers do not depend on what else
the machine is doing.

The scales are measured in turn, --rounds times (default 3), so that checkpoints, autovacuum and other
jobs on the machine weigh on every scale alike; the ratio is printed for all rounds together and for
each round.

Results are printed and written to bench/results/events-<N>.json. Databases are dropped unless --keep;
--reuse measures kept databases again (after `sqitch deploy` of any change they lack, timed) instead
of building them:

    .venv/bin/python bench/events.py --events 1000000 10000000 --events-per-tenant 1000 --keep
    .venv/bin/python bench/events.py --events 1000000 10000000 --events-per-tenant 1000 --keep --reuse
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import AUTHENTICATOR_ROLE, load_settings  # noqa: E402

TENANTS = 10_000
START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN_SECONDS = 730 * 24 * 3600
TYPES = [("odometer", 60), ("fuel", 25), ("maintenance", 5), ("note", 5), ("inspection", 3), ("registration", 2)]


def tenant_uuid(i: int) -> uuid.UUID:
    return uuid.UUID(int=(0xB0000000_0000_4000_8000_000000000000 | i))


def vehicle_uuid(tenant: int, k: int) -> uuid.UUID:
    return uuid.UUID(int=(0xB1000000_0000_4000_8000_000000000000 | (tenant << 8) | k))


def vehicles_of(tenant: int) -> int:
    return 1 + tenant % 5


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    eta = (total - done) / rate if rate else 0
    sys.stderr.write(
        f"\r{label}: {done:,}/{total:,} ({100 * done / total:5.1f}%) {rate:,.0f} rows/s, eta {eta:,.0f}s   "
    )
    sys.stderr.flush()


def build_database(settings, name: str) -> None:
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    database.sqitch(settings, name, "deploy")


def load(settings, name: str, events: int, seed: int) -> dict[str, float]:
    rnd = random.Random(seed)
    timings: dict[str, float] = {}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")
        t0 = time.perf_counter()
        conn.execute(
            """insert into app.tenants (id, name, kind)
               select ('b0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Bench tenant ' || i,
                      (array['household', 'fleet', 'shop'])[1 + i %% 3]
               from generate_series(0, %s - 1) as i""",
            (TENANTS,),
        )
        conn.execute(
            """insert into app.vehicles (tenant_id, id, display_name, make, model, year, odometer_unit)
               select ('b0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
                      ('b1000000-0000-4000-8000-' || lpad(to_hex((i << 8) | k), 12, '0'))::uuid,
                      'Vehicle ' || k, (array['Ford', 'Toyota', 'VW', 'Tesla'])[1 + (i + k) %% 4], 'Model', 2015 + k,
                      case when i %% 2 = 0 then 'km' else 'mi' end
               from generate_series(0, %s - 1) as i, generate_series(0, 4) as k
               where k < 1 + i %% 5""",
            (TENANTS,),
        )
        vehicles = [(t, k) for t in range(TENANTS) for k in range(vehicles_of(t))]
        timings["tenants_vehicles_s"] = time.perf_counter() - t0

        kinds = [t for t, w in TYPES for _ in range(w)]
        payloads = {
            "odometer": '{"source": "obd"}',
            "fuel": '{"volume": 42.5, "volume_unit": "l", "fill_type": "full", "total_cost": 71.4, "currency": "EUR"}',
            "maintenance": '{"category": "oil_change", "total_cost": 89.9, "currency": "EUR"}',
            "note": '{"text": "checked tire pressure"}',
            "inspection": '{"result": "pass"}',
            "registration": '{"expires_on": "2027-01-31"}',
        }
        t0 = time.perf_counter()
        tenant_text = [str(tenant_uuid(t)) for t in range(TENANTS)]
        vehicle_text = [(tenant_text[t], str(vehicle_uuid(t, k)), "km" if t % 2 == 0 else "mi") for t, k in vehicles]
        days = [(START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(SPAN_SECONDS // 86400)]
        stamp = datetime.now(UTC).isoformat()
        # The payload CHECK runs a PL/pgSQL validator per row (tens of microseconds): it is dropped for
        # the load (the generator writes valid payloads) and added back NOT VALID afterwards.
        check = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = 'app.vehicle_events'::regclass and conname = 'vehicle_events_payload_valid'"
        ).fetchone()[0]
        conn.execute("alter table app.vehicle_events drop constraint vehicle_events_payload_valid")
        with conn.cursor() as cur:
            # ids are made here (random v4): the uuid v7 default costs the server a few microseconds a row
            with cur.copy(
                "copy app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit,"
                " payload,"
                " created_at, updated_at) from stdin"
            ) as copy:
                batch = []
                for n in range(events):
                    tenant, vehicle, unit = vehicle_text[rnd.randrange(len(vehicle_text))]
                    sec = rnd.randrange(86400)
                    at = f"{days[rnd.randrange(len(days))]} {sec // 3600:02}:{sec // 60 % 60:02}:{sec % 60:02}+00"
                    kind = kinds[rnd.randrange(len(kinds))]
                    if kind in ("odometer", "fuel", "maintenance"):
                        odo = str(rnd.randrange(1, 300000))
                    else:
                        odo = unit = "\\N"
                    batch.append(f"{tenant}\t{uuid.UUID(bytes=rnd.randbytes(16), version=4)}\t{vehicle}\t{kind}\t"
                                 f"{at}\t{odo}\t"
                                 f"{unit}\t{payloads[kind]}\t{stamp}\t{stamp}\n")
                    if len(batch) == 10_000:
                        copy.write("".join(batch))
                        batch.clear()
                        if n % 100_000 < 10_000:
                            progress("events", n + 1, events, t0)
                copy.write("".join(batch))
            progress("events", events, events, t0)
            sys.stderr.write("\n")
        timings["copy_events_s"] = time.perf_counter() - t0
        try:
            conn.execute(
                f"alter table app.vehicle_events add constraint vehicle_events_payload_valid {check} not valid"
            )
        except psycopg.Error as exc:  # not every version takes NOT VALID checks on partitioned tables
            sys.stderr.write(f"payload CHECK not restored ({exc}); reads do not depend on it\n")
        t0 = time.perf_counter()
        conn.execute("vacuum analyze")
        timings["vacuum_analyze_s"] = time.perf_counter() - t0
        # write the load's dirty pages out now, not while the next scale is being measured
        conn.execute("checkpoint")
        size = conn.execute("select pg_total_relation_size('app.vehicle_events') "
                            "+ coalesce((select sum(pg_total_relation_size(inhrelid)) from pg_inherits "
                            "where inhparent = 'app.vehicle_events'::regclass), 0)").fetchone()[0]
        timings["events_bytes"] = float(size)
    return timings


def explain_ms(conn: psycopg.Connection, sql: str, params: tuple) -> tuple[float, float, int, int]:
    plan = conn.execute("explain (analyze, buffers, format json) " + sql, params).fetchone()[0][0]
    top = plan["Plan"]
    buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    return plan["Planning Time"], plan["Execution Time"], top["Actual Rows"], buffers


QUERIES = {
    # name: (statement with $n parameters, parameter types)
    "timeline_page_1": ("select * from api.vehicle_timeline($1) limit 50", "uuid"),
    "timeline_page_5_offset": ("select * from api.vehicle_timeline($1) limit 50 offset 200", "uuid"),
    "timeline_page_5_keyset": (
        "select * from api.vehicle_timeline($1, before => $2, before_id => $3) limit 50", "uuid, timestamptz, uuid"),
    "fleet_overview": ("select * from api.fleet_overview", ""),
}

Sample = tuple[float, float, int, int]  # planning ms, execution ms, rows, shared buffers


def measure(settings, name: str, tenants: int, samples: int, seed: int) -> dict[str, list[Sample]]:
    """Each query as PostgREST runs it (a prepared statement, reused on a pooled connection: the plan is
    cached after a few executions) and one-shot (planned every time), for `samples` random vehicles."""
    rnd = random.Random(seed + 1)
    picks = []
    for _ in range(samples):
        t = rnd.randrange(tenants)
        picks.append((t, rnd.randrange(vehicles_of(t))))
    raw: dict[str, list[Sample]] = {}
    # client-side binding: EXECUTE takes no bind parameters
    # logged in as PostgREST logs in (authenticator: its settings for this database apply), then app_user
    with psycopg.connect(settings.dsn(name, AUTHENTICATOR_ROLE), autocommit=True,
                         cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute("set role app_user")
        for key, (sql, types) in QUERIES.items():
            conn.execute(f"prepare {key}{'(' + types + ')' if types else ''} as {sql}")
        for round_ in range(2):  # round 0 warms caches and the plan cache
            for t, k in picks:
                claims = json.dumps({"sub": str(uuid.UUID(int=1)), "tenant_id": str(tenant_uuid(t))})
                conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
                v = vehicle_uuid(t, k)
                cursor_row = conn.execute(
                    "select occurred_at, id from api.vehicle_timeline(%s) offset 199 limit 1", (v,)).fetchone()
                args = {
                    "timeline_page_1": (v,),
                    "timeline_page_5_offset": (v,),
                    "timeline_page_5_keyset": (v, *cursor_row) if cursor_row else None,
                    "fleet_overview": (),
                }
                for key, params in args.items():
                    if params is None:
                        continue
                    placeholders = ", ".join(["%s"] * len(params))
                    prepared = f"execute {key}" + (f"({placeholders})" if params else "")
                    oneshot = QUERIES[key][0]
                    for i, _ in enumerate(params):
                        oneshot = oneshot.replace(f"${i + 1}", "%s", 1)
                    if round_ == 0:
                        conn.execute(prepared, params).fetchall()
                        continue
                    raw.setdefault(key + " (prepared)", []).append(explain_ms(conn, prepared, params))
                    raw.setdefault(key + " (one-shot)", []).append(explain_ms(conn, oneshot, params))
    return raw


def summarize(raw: dict[str, list[Sample]]) -> dict[str, dict[str, float]]:
    summary = {}
    for key, values in raw.items():
        totals = sorted(p + e for p, e, _, _ in values)
        summary[key] = {
            "samples": len(values),
            "median_ms": round(statistics.median(totals), 3),
            "p95_ms": round(totals[min(len(totals) - 1, int(len(totals) * 0.95))], 3),
            "max_ms": round(totals[-1], 3),
            "median_planning_ms": round(statistics.median(p for p, _, _, _ in values), 3),
            "median_execution_ms": round(statistics.median(e for _, e, _, _ in values), 3),
            "mean_rows": round(statistics.mean(r for _, _, r, _ in values), 1),
            "median_buffers": statistics.median(b for _, _, _, b in values),
        }
    return summary


def has_events(settings, name: str, events: int) -> bool:
    """The database exists and holds `events` events (a kept run, for --reuse)."""
    with database.superuser_connect(settings) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None:
            return False
    with psycopg.connect(settings.dsn(name)) as conn:
        found = conn.execute("select count(*) from app.vehicle_events").fetchone()[0]
    return found == events


def main(argv: list[str] | None = None) -> int:
    global TENANTS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000], help="scales (events)")
    parser.add_argument("--samples", type=int, default=200, help="vehicles/tenants sampled per query and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measurement rounds; each round measures every scale in turn (default 3)")
    parser.add_argument("--tenants", type=int, default=TENANTS,
                        help="tenants (default 10,000; fewer tenants = more events per vehicle)")
    parser.add_argument("--events-per-tenant", type=int, default=None,
                        help="tenants = events / N at each scale (the same history per vehicle at every scale)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", action="store_true",
                        help="measure kept databases that already hold the events instead of building them again")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.samples < 1:
        parser.error("--rounds and --samples must be at least 1")
    fixed_tenants = args.tenants
    settings = load_settings()
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    scales: dict[int, dict] = {}
    for events in args.events:
        TENANTS = max(1, events // args.events_per_tenant) if args.events_per_tenant else fixed_tenants
        name = f"bench_events_{events}" + ("" if TENANTS == 10_000 else f"_t{TENANTS}")
        if args.reuse and has_events(settings, name, events):
            # a kept database gets the changes of the plan it has not seen (timed: a migration of a
            # database this size)
            sys.stderr.write(f"reusing {name}: sqitch deploy\n")
            t0 = time.perf_counter()
            database.sqitch(settings, name, "deploy")
            timings: dict[str, float] = {"deploy_s": time.perf_counter() - t0}
        else:
            sys.stderr.write(f"building {name} from the sqitch plan\n")
            build_database(settings, name)
            timings = load(settings, name, events, args.seed)
        scales[events] = {"name": name, "tenants": TENANTS, "load": timings, "raw": {}, "rounds": []}
    # the scales are measured in turn, round after round, so that whatever else the machine does
    # (checkpoints, autovacuum, other jobs) weighs on every scale alike
    for round_ in range(args.rounds):
        for events, scale in scales.items():
            sys.stderr.write(f"round {round_ + 1}/{args.rounds}: {events:,} events\n")
            raw = measure(settings, scale["name"], scale["tenants"], args.samples, args.seed + round_)
            scale["rounds"].append(summarize(raw))
            for key, values in raw.items():
                scale["raw"].setdefault(key, []).extend(values)
    report = {}
    for events, scale in scales.items():
        summary = summarize(scale["raw"])
        report[events] = {"events": events, "tenants": scale["tenants"], "load": scale["load"], "queries": summary,
                          "rounds": scale["rounds"]}
        suffix = "" if scale["tenants"] == 10_000 else f"-tenants-{scale['tenants']}"
        (out_dir / f"events-{events}{suffix}.json").write_text(json.dumps(report[events], indent=2) + "\n")
        load_line = (f" (COPY {scale['load']['copy_events_s']:.1f}s, {scale['load']['events_bytes'] / 2**20:,.0f} MiB)"
                     if "copy_events_s" in scale["load"]
                     else f" (reused; sqitch deploy {scale['load']['deploy_s']:.1f}s)")
        print(f"\n== {events:,} events, {scale['tenants']:,} tenants{load_line}")
        for key, s in summary.items():
            print(f"  {key:<36} median {s['median_ms']:7.3f} ms (plan {s['median_planning_ms']:.3f} + exec "
                  f"{s['median_execution_ms']:.3f})   p95 {s['p95_ms']:7.3f} ms   max {s['max_ms']:7.3f} ms   "
                  f"rows {s['mean_rows']:5.1f}   buffers {s['median_buffers']:6.0f}   ({s['samples']} samples)")
    if not args.keep:
        with database.superuser_connect(settings) as conn:
            for scale in scales.values():
                conn.execute(f'drop database if exists "{scale["name"]}"')
    if len(report) > 1:
        small, large = min(report), max(report)
        print(f"\nratio {large:,} / {small:,} events (median of all rounds; per round; buffers):")
        for key in report[large]["queries"]:
            if key in report[small]["queries"]:
                a, b = report[small]["queries"][key], report[large]["queries"][key]
                per_round = [
                    f"{rb[key]['median_ms'] / ra[key]['median_ms']:.2f}x"
                    for ra, rb in zip(report[small]["rounds"], report[large]["rounds"], strict=False)
                    if key in ra and key in rb
                ]
                print(f"  {key:<36} {b['median_ms'] / a['median_ms']:5.2f}x   rounds {' '.join(per_round)}   "
                      f"buffers {a['median_buffers']:.0f} -> {b['median_buffers']:.0f}   "
                      f"(rows {a['mean_rows']:.1f} -> {b['mean_rows']:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
