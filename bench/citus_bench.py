"""Benchmark: what one shard holds and costs on the local Citus cluster, for the capacity plan in
docs/citus.md ("Capacity plan").

    .venv/bin/motovault citus up            # needs a Citus build: make citus CITUS_SRC=DIR
    .venv/bin/python bench/citus_bench.py --events 1000000 --output bench/results/citus_bench.json

Steps, in a scratch database ``citus_bench_<pid>`` of the local cluster (dropped unless --keep):

1. the plan deployed and distributed as `motovault citus deploy` does it (32 shards per table);
2. --tenants tenants with 1-5 vehicles each, and --events events spread over 24 months, loaded with
   COPY through the coordinator with ``session_replication_role = replica`` on the shards (no row
   triggers, as bench/events.py loads them: the generator writes valid rows) -> rows/s;
3. the events' shards: bytes per event (table and indexes, after VACUUM ANALYZE), and the spread of
   events and bytes over the 32 shards;
4. fill-ups through every rule (one multi-row INSERT per vehicle, as the owner role on the
   coordinator): what each fill-up adds on its tenant's shards, table by table (the fill-up, its
   vehicle event, their audit rows, the outbox) -> bytes per fill-up, all in (or what Citus refused);
5. a vehicle's latest 50 events read by tenant and vehicle (a router query: one shard), prepared,
   median and 95th percentile over sampled vehicles -> ms;
6. one tenant's shard group (every co-located table) moved to the other worker with logical
   replication -> seconds and MB/s.

The figures are per shard and per node of this machine (2 cores shared by everything; the load
average is recorded): the capacity plan scales them, it does not extrapolate a cluster's throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from motovault.stack import citus  # noqa: E402
from motovault.stack.settings import OWNER_ROLE, load_settings  # noqa: E402

START = datetime(2024, 12, 1, tzinfo=UTC)
DAYS = 730
TYPES = [("odometer", 60), ("fuel", 25), ("maintenance", 5), ("note", 5), ("inspection", 3), ("registration", 2)]
PAYLOADS = {
    "odometer": '{"source": "obd"}',
    "fuel": '{"volume": 42.5, "volume_unit": "l", "fill_type": "full", "total_cost": 71.4, "currency": "EUR"}',
    "maintenance": '{"category": "oil_change", "total_cost": 89.9, "currency": "EUR"}',
    "note": '{"text": "checked tire pressure"}',
    "inspection": '{"result": "pass"}',
    "registration": '{"expires_on": "2027-01-31"}',
}
#: the tables a fill-up writes to, with its rules (step 4)
FILL_UP_TABLES = ("app.fuel_logs", "app.vehicle_events", "audit.record_version", "app.outbox_events")


def say(step: str, message: str) -> None:
    sys.stderr.write(f"\r\033[K{step}: {message}")
    sys.stderr.flush()


def tenant_uuid(i: int) -> str:
    return str(uuid.UUID(int=(0xC0000000_0000_4000_8000_000000000000 | i)))


def vehicle_uuid(tenant: int, k: int) -> str:
    return str(uuid.UUID(int=(0xC1000000_0000_4000_8000_000000000000 | (tenant << 8) | k)))


def vehicles_of(tenant: int) -> int:
    return 1 + tenant % 5


def load_average() -> float:
    return os.getloadavg()[0]


def load(conn: psycopg.Connection, tenants: int, events: int, seed: int) -> dict[str, float]:
    rnd = random.Random(seed)
    out: dict[str, float] = {}
    conn.execute("set citus.propagate_set_commands = 'local'")  # SET LOCAL reaches the shards' sessions
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")
        for i in range(tenants):
            conn.execute("insert into app.tenants (id, name, kind) values (%s, %s, 'household')",
                         (tenant_uuid(i), f"Bench tenant {i}"))
        with conn.cursor().copy("copy app.vehicles (tenant_id, id, display_name, make, model, year, odometer_unit)"
                                " from stdin") as copy:
            for i in range(tenants):
                for k in range(vehicles_of(i)):
                    copy.write_row((tenant_uuid(i), vehicle_uuid(i, k), f"Vehicle {k}", "Ford", "Model", 2015 + k,
                                    "km"))
    out["tenants_vehicles_s"] = time.perf_counter() - t0
    vehicles = [(i, k) for i in range(tenants) for k in range(vehicles_of(i))]
    kinds = [t for t, w in TYPES for _ in range(w)]
    days = [(START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(DAYS)]
    stamp = datetime.now(UTC).isoformat()
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")
        with conn.cursor().copy("copy app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer,"
                                " odometer_unit, payload, created_at, updated_at) from stdin") as copy:
            batch: list[str] = []
            for n in range(events):
                t, k = vehicles[rnd.randrange(len(vehicles))]
                sec = rnd.randrange(86400)
                at = f"{days[rnd.randrange(DAYS)]} {sec // 3600:02}:{sec // 60 % 60:02}:{sec % 60:02}+00"
                kind = kinds[rnd.randrange(len(kinds))]
                odo, unit = (str(rnd.randrange(1, 300000)), "km") if kind in ("odometer", "fuel", "maintenance") \
                    else ("\\N", "\\N")
                batch.append(f"{tenant_uuid(t)}\t{uuid.UUID(bytes=rnd.randbytes(16), version=4)}\t"
                             f"{vehicle_uuid(t, k)}\t{kind}\t{at}\t{odo}\t{unit}\t{PAYLOADS[kind]}\t{stamp}\t{stamp}\n")
                if len(batch) == 10_000:
                    copy.write("".join(batch))
                    batch.clear()
                    rate = (n + 1) / (time.perf_counter() - t0)
                    say("events", f"{n + 1:,}/{events:,} ({rate:,.0f}/s)")
            copy.write("".join(batch))
    out["copy_events_s"] = time.perf_counter() - t0
    out["copy_events_per_s"] = events / out["copy_events_s"]
    t0 = time.perf_counter()
    conn.execute("vacuum analyze app.vehicle_events")
    out["vacuum_analyze_s"] = time.perf_counter() - t0
    return out


def shard_bytes(conn: psycopg.Connection, table: str) -> dict[int, int]:
    """Bytes (table and indexes) of each shard group of ``table``; a partitioned table's partitions add
    up per shard index (citus_shards names partitions as their own tables)."""
    rows = conn.execute(
        "select s.shardid, s.shard_size from citus_shards as s "
        "where s.table_name = %s::regclass "
        "or s.table_name in (select inhrelid::regclass from pg_inherits where inhparent = %s::regclass)",
        (table, table)).fetchall()
    index = {int(sid): int(size) for sid, size in rows}
    # the shard index of a shard is its position by its hash range: group the partitions' shards by it
    ranges = conn.execute(
        "select shardid, shardminvalue from pg_dist_shard where shardid = any(%s)", (list(index),)).fetchall()
    per: dict[int, int] = {}
    for sid, low in ranges:
        per[int(low)] = per.get(int(low), 0) + index[int(sid)]
    return per


def events_shards(conn: psycopg.Connection, events: int) -> dict[str, float]:
    per = shard_bytes(conn, "app.vehicle_events")
    counts = [int(n) for (n,) in conn.execute(
        "select count(*) from app.vehicle_events group by get_shard_id_for_distribution_column("
        "'app.tenants', tenant_id)").fetchall()]
    total = sum(per.values())
    return {"shards": len(per), "bytes_total": total, "bytes_per_event": total / events,
            "events_per_shard_min": min(counts), "events_per_shard_max": max(counts),
            "bytes_per_shard_min": min(per.values()), "bytes_per_shard_max": max(per.values())}


def fill_ups(conn: psycopg.Connection, tenant: int, per_vehicle: int) -> dict[str, object]:
    """Fill-ups through every rule for one tenant's vehicles; what each adds to its shards."""
    before = {t: sum(shard_bytes(conn, t).values()) for t in FILL_UP_TABLES}
    rows_before = {t: conn.execute(f"select count(*) from {t} where tenant_id = %s",  # noqa: S608
                                   (tenant_uuid(tenant),)).fetchone()[0] for t in FILL_UP_TABLES}
    t0 = time.perf_counter()
    written = 0
    for k in range(vehicles_of(tenant)):
        values = []
        params: list[object] = []
        for n in range(per_vehicle):
            values.append("(%s, %s, %s, %s, 'km', 40.0, 'l', 1.80, 'EUR', true)")
            params += [tenant_uuid(tenant), vehicle_uuid(tenant, k), (START + timedelta(days=n)).date(),
                       10_000 + 500 * n]
        conn.execute("insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, volume,"
                     " volume_unit, price_per_unit, currency, is_full) values " + ", ".join(values), params)
        written += per_vehicle
    elapsed = time.perf_counter() - t0
    for t in FILL_UP_TABLES:
        conn.execute(f"vacuum analyze {t}")
    after = {t: sum(shard_bytes(conn, t).values()) for t in FILL_UP_TABLES}
    rows_after = {t: conn.execute(f"select count(*) from {t} where tenant_id = %s",  # noqa: S608
                                  (tenant_uuid(tenant),)).fetchone()[0] for t in FILL_UP_TABLES}
    grown = {t: (after[t] - before[t]) / written for t in FILL_UP_TABLES}
    return {"fill_ups": written, "rows_per_s": written / elapsed,
            "rows_added_per_fill_up": {t: (rows_after[t] - rows_before[t]) / written for t in FILL_UP_TABLES},
            "bytes_per_fill_up": grown, "bytes_per_fill_up_all": sum(grown.values())}


def reads(conn: psycopg.Connection, tenants: int, samples: int, seed: int) -> dict[str, float]:
    rnd = random.Random(seed)
    picks = [(t, rnd.randrange(vehicles_of(t))) for t in (rnd.randrange(tenants) for _ in range(samples))]
    query = ("select id, type, occurred_at, odometer from app.vehicle_events "
             "where tenant_id = %s and vehicle_id = %s order by occurred_at desc, id desc limit 50")
    first = (tenant_uuid(picks[0][0]), vehicle_uuid(*picks[0]))
    literal = sql.SQL(query.replace("%s", "{}")).format(*(sql.Literal(v) for v in first))
    plan = "\n".join(r[0] for r in conn.execute(sql.SQL("explain ") + literal).fetchall())
    times: list[float] = []
    for round_ in range(2):  # round 0 warms the caches and the plan cache
        for t, k in picks:
            t0 = time.perf_counter()
            conn.execute(query, (tenant_uuid(t), vehicle_uuid(t, k)), prepare=True).fetchall()  # as PostgREST
            if round_:
                times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"samples": len(times), "median_ms": statistics.median(times),
            "p95_ms": times[int(0.95 * (len(times) - 1))], "router": "Task Count: 1" in plan}


def move(conn: psycopg.Connection, cluster: citus.CitusCluster, tenant: int) -> dict[str, float]:
    shard, port = conn.execute(
        "select shardid, nodeport from citus_shards "
        "where shardid = get_shard_id_for_distribution_column('app.tenants', %s::uuid)", (tenant_uuid(tenant),)
    ).fetchone()
    group = conn.execute(
        "select sum(s.shard_size) from citus_shards as s join pg_dist_shard as d using (shardid) "
        "where s.nodeport = %s and d.shardminvalue = (select shardminvalue from pg_dist_shard where shardid = %s) "
        "and s.colocation_id = (select colocation_id from citus_shards where shardid = %s)",
        (port, shard, shard)).fetchone()[0]
    target = cluster.port + 1 if port == cluster.port + 2 else cluster.port + 2
    t0 = time.perf_counter()
    conn.execute("select citus_move_shard_placement(%s, '127.0.0.1', %s, '127.0.0.1', %s, "
                 "shard_transfer_mode => 'force_logical')", (shard, port, target))
    elapsed = time.perf_counter() - t0
    return {"group_bytes": int(group), "seconds": elapsed, "mb_per_s": int(group) / 2**20 / elapsed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--fill-ups", type=int, default=100, help="fill-ups per vehicle of the tenant in step 4")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--output", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    cluster = citus.local_citus(load_settings())
    citus.up(cluster, say)
    name = f"citus_bench_{os.getpid()}"
    citus.drop_database(cluster, name)
    citus.create_database(cluster, name)
    results: dict[str, object] = {"tenants": args.tenants, "events": args.events, "load_before": load_average(),
                                  "date": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        t0 = time.perf_counter()
        citus.deploy(cluster, name, say)
        results["deploy_and_distribute_s"] = time.perf_counter() - t0
        with psycopg.connect(cluster.dsn(cluster.coordinator, name), autocommit=True) as su:
            say("load", "tenants and vehicles")
            results["load"] = load(su, args.tenants, args.events, args.seed)
            say("sizes", "events per shard")
            results["events_shards"] = events_shards(su, args.events)
        with psycopg.connect(cluster.dsn(cluster.coordinator, name, OWNER_ROLE), autocommit=True) as owner:
            say("fill-ups", "through every rule")
            busiest = max(i for i in range(args.tenants) if vehicles_of(i) == 5)
            try:
                results["fill_ups"] = fill_ups(owner, busiest, args.fill_ups)
            except psycopg.Error as exc:  # what Citus refuses is a result too (docs/citus.md)
                results["fill_ups"] = {"refused": str(exc).splitlines()[0],
                                       "detail": exc.diag.message_detail, "context": (exc.diag.context or "")[-300:]}
            say("reads", "latest 50 events of a vehicle")
            results["reads"] = reads(owner, args.tenants, args.samples, args.seed)
        with psycopg.connect(cluster.dsn(cluster.coordinator, name), autocommit=True) as su:
            say("move", "a tenant's shard group to the other worker")
            results["move"] = move(su, cluster, busiest)
        results["load_after"] = load_average()
    finally:
        if not args.keep:
            citus.drop_database(cluster, name)
    sys.stderr.write("\n")
    print(json.dumps(results, indent=2))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
