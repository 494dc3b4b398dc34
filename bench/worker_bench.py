"""The VIN decode worker end to end, and rpc/decode_vin against GET /vehicles, in one run.

    .venv/bin/python bench/worker_bench.py [--count 100000] [--batch 1000] [--writers 2] [--seconds 10] \\
        [--concurrency 16]

1. A scratch database (``motovault_bench``, dropped afterwards unless --keep) gets the
   whole sqitch plan, one tenant, and ``--count`` vehicles with distinct VINs from
   ``ultravin.generate`` (real WMIs and patterns, correct check digits), loaded with
   COPY: the vehicles trigger queues every VIN (timed as "enqueue").
2. One in-process worker (offline decoder) drains the queue: claim -> decode -> COPY
   -> cache upsert + vehicle fill + jobs done. Reported: VINs/s (target >= 5,000).
3. The real PostgREST binary serves that database; ``--concurrency`` async httpx
   connections hammer ``POST /rpc/decode_vin`` with a cached VIN and
   ``GET /vehicles?limit=1`` for ``--seconds`` each (interleaved, twice), as a
   member of the tenant. Reported: requests/s of both and their ratio (target >= 80%).

Progress goes to stderr, figures to stdout (``--json`` for one JSON object).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import OWNER_ROLE  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402
from motovault.testing.postgrest_proc import PostgrestServer  # noqa: E402
from motovault.vin.worker import Worker  # noqa: E402

TARGET_VINS_PER_S = 5000
TARGET_RATIO = 0.80


def progress(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def make_vins(n: int) -> list[str]:
    import ultravin

    out: list[str] = []
    seen: set[str] = set()
    seed = 1
    while len(out) < n:
        for v in ultravin.generate(n, seed=seed, invalid_rate=0.0):
            if v not in seen and v[0] in "12345":
                seen.add(v)
                out.append(v)
        seed += 1
    return out[:n]


def setup_database(settings, name: str, count: int) -> tuple[str, str, list[str]]:  # type: ignore[no-untyped-def]
    with database.superuser_connect(settings) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    t0 = time.monotonic()
    database.provision(settings, name)
    progress(f"deployed the plan into {name} in {time.monotonic() - t0:.1f}s")
    t0 = time.monotonic()
    vins = make_vins(count)
    progress(f"generated {len(vins):,} VINs in {time.monotonic() - t0:.1f}s")
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
        conn.execute("insert into app.tenants (id, name, kind) values (%s, 'Bench fleet', 'fleet')", (tenant,))
        conn.execute("insert into app.users (id, display_name) values (%s, 'Bench')", (user,))
        conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')", (tenant, user))
    # COPY into a table with row level security needs a role that bypasses it: the superuser
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        t0 = time.monotonic()
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("copy app.vehicles (tenant_id, vin, display_name) from stdin") as copy:
                for v in vins:
                    copy.write_row((tenant, v, ""))
        dt = time.monotonic() - t0
        queued = conn.execute("select count(*) from app.vin_decode_queue where status = 'queued'").fetchone()[0]  # type: ignore[index]
        progress(f"COPY {len(vins):,} vehicles (trigger queues each VIN) in {dt:.1f}s: {queued:,} queued")
        conn.execute("analyze app.vehicles")
        conn.execute("analyze app.vin_decode_queue")
    return tenant, user, vins


def drain(settings, name: str, batch: int, pipeline: bool = True, writers: int = 1) -> dict:  # type: ignore[no-untyped-def]
    """Drain the queue as `motovault worker --once` does (Worker.drain: with ``pipeline``, the next
    batch is claimed and decoded in a thread while the previous one is written)."""
    with Worker(
        settings.dsn(name, OWNER_ROLE), batch_size=batch, quiet=True, pipeline=pipeline, writers=writers
    ) as worker:
        finished = threading.Event()

        def report() -> None:
            while not finished.wait(2):
                progress(f"worker: {worker.stats.done:,} done, {worker.stats.rate():,.0f} VINs/s")

        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()
        t0 = time.monotonic()
        try:
            worker.drain()
        finally:
            finished.set()
            reporter.join()
        dt = time.monotonic() - t0
        stats = worker.stats
    with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
        left = conn.execute("select count(*) from app.vin_decode_queue where status <> 'done'").fetchone()[0]  # type: ignore[index]
        cached = conn.execute("select count(*) from app.vin_cache").fetchone()[0]  # type: ignore[index]
        filled = conn.execute("select count(*) from app.vehicles where vin_decoded_at is not null").fetchone()[0]  # type: ignore[index]
    return {
        "jobs": stats.done, "seconds": round(dt, 2), "vins_per_s": round(stats.done / dt),
        "undecodable": stats.undecodable, "vehicles_filled": filled, "cache_rows": cached, "jobs_left": left,
        "batch": batch, "pipeline": pipeline, "writers": writers,
    }


async def hammer(
    client: httpx.AsyncClient, method: str, url: str, body: dict | None, seconds: float, concurrency: int
) -> float:
    stop = time.monotonic() + seconds
    count = 0
    errors = 0

    async def one() -> None:
        nonlocal count, errors
        while time.monotonic() < stop:
            r = await client.request(method, url, json=body)
            if r.status_code == 200:
                count += 1
            else:
                errors += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    if errors:
        raise RuntimeError(f"{method} {url}: {errors} non-200 answers")
    return count / (time.monotonic() - t0)


async def compare_api(server: PostgrestServer, token: str, vin: str, seconds: float, concurrency: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=30) as client:
        r = await client.post("/rpc/decode_vin", json={"vin": vin})
        assert r.json()["status"] == "decoded", r.text
        await hammer(client, "GET", "/vehicles?limit=1", None, 1, concurrency)  # warm up
        rpc, get = [], []
        for _ in range(2):
            get.append(await hammer(client, "GET", "/vehicles?limit=1", None, seconds / 2, concurrency))
            rpc.append(await hammer(client, "POST", "/rpc/decode_vin", {"vin": vin}, seconds / 2, concurrency))
    rpc_rate, get_rate = sum(rpc) / len(rpc), sum(get) / len(get)
    return {"rpc_decode_vin_req_s": round(rpc_rate), "get_vehicles_req_s": round(get_rate),
            "ratio": round(rpc_rate / get_rate, 3), "concurrency": concurrency, "seconds_each": seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000, help="queued VINs (default 100,000)")
    ap.add_argument("--batch", type=int, default=1000, help="worker batch size (default 1000, as motovault worker)")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds of load per endpoint (default 10)")
    ap.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP connections (default 16)")
    ap.add_argument("--db", default="motovault_bench", help="scratch database (dropped and recreated)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--no-pipeline", action="store_true", help="claim, decode and write one batch at a time")
    ap.add_argument("--writers", type=int, default=2, help="writer connections of the worker (default 2)")
    ap.add_argument("--worker-only", action="store_true", help="skip the API comparison")
    args = ap.parse_args(argv)

    settings = ensure_cluster()
    tenant, user, vins = setup_database(settings, args.db, args.count)
    server = None
    try:
        worker = drain(settings, args.db, args.batch, pipeline=not args.no_pipeline, writers=args.writers)
        progress(f"drained {worker['jobs']:,} jobs in {worker['seconds']}s: {worker['vins_per_s']:,} VINs/s")
        api = None
        if not args.worker_only:
            server = PostgrestServer(settings, args.db).start()
            api = asyncio.run(compare_api(server, server.token(user, tenant), vins[0], args.seconds, args.concurrency))
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            with database.superuser_connect(settings) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(args.db)))
    result = {"worker": worker, "api": api, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
    else:
        w, a = worker, api
        print(f"worker   {w['jobs']:,} queued VINs -> cache -> vehicles in {w['seconds']} s: "
              f"{w['vins_per_s']:,} VINs/s "
              f"(target >= {TARGET_VINS_PER_S:,}; batch {w['batch']}, {w['writers']} writers; "
              f"{w['undecodable']} undecodable, "
              f"{w['vehicles_filled']:,} vehicles filled, {w['jobs_left']} jobs left)")
        if a is not None:
            print(f"api      POST rpc/decode_vin (cached VIN) {a['rpc_decode_vin_req_s']:,} req/s "
                  f"vs GET /vehicles?limit=1 "
                  f"{a['get_vehicles_req_s']:,} req/s: {a['ratio']:.0%} (target >= {TARGET_RATIO:.0%}; "
                  f"{a['concurrency']} connections, {a['seconds_each']} s each)")
    ok = (
        worker["vins_per_s"] >= TARGET_VINS_PER_S
        and worker["jobs_left"] == 0
        and (api is None or api["ratio"] >= TARGET_RATIO)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
