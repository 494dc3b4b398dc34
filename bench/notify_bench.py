"""Notifications: what the outbox costs record inserts, and how fast the worker delivers webhooks.

    .venv/bin/python bench/notify_bench.py [--deliveries 10000] [--rounds 20] [--stream-seconds 10]

1. A scratch database (``motovault_bench_notify``, dropped afterwards unless --keep) gets the whole
   sqitch plan and one tenant.
2. Outbox overhead: vehicles are inserted as the API role (five 1,000-row INSERTs and 800 single-row
   INSERTs per round), alternately with the ``_800_outbox_*`` triggers of app.vehicles enabled and
   disabled, in the same run. Reported: rows/s both ways and the overhead (target <= 10%), by wall
   time and by the CPU time of the backend that ran the inserts (/proc/<pid>/schedstat).
3. Throughput: ``--deliveries`` events (one transaction) for one webhook subscription to a receiver on
   127.0.0.1 (a separate process: ThreadingHTTPServer, signatures verified with standardwebhooks on a
   sample), drained by one in-process worker with the ``motovault notify`` defaults. Reported:
   deliveries/s from the first claim to the last answer (target >= 500/s).
4. Commit to delivery: for ``--stream-seconds`` a producer commits 10 events every 20 ms (500/s) while
   the worker runs (LISTEN/NOTIFY wake-ups); the receiver notes arrival minus the event's timestamp.
   Reported: p50, p99 (ms).

Progress goes to stderr, figures to stdout (``--json`` for one JSON object).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from motovault.notify.worker import NotifyWorker  # noqa: E402
from motovault.stack import database  # noqa: E402
from motovault.stack.settings import OWNER_ROLE  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402


def progress(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def receiver_main(port: int, secret: str, out: Any, ready: Any, stop: Any) -> None:
    from standardwebhooks.webhooks import Webhook

    hook = Webhook(secret)
    latencies: list[float] = []
    ids: set[str] = set()
    verified = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            nonlocal verified
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrived = time.time()
            stamp = datetime.fromisoformat(json.loads(body)["timestamp"]).timestamp()
            with lock:
                ids.add(self.headers["webhook-id"])
                latencies.append(arrived - stamp)
                check = len(ids) % 100 == 1
            if check:
                hook.verify(body, {k.lower(): v for k, v in self.headers.items()})
                with lock:
                    verified += 1
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    while True:
        command = stop.get()
        with lock:
            out.put({"ids": len(ids), "latencies": list(latencies), "verified": verified})
            if command == "reset":
                ids.clear()
                latencies.clear()
                continue
        break
    server.shutdown()


def setup(settings: Any, name: str) -> tuple[str, str]:
    with database.superuser_connect(settings) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    t0 = time.monotonic()
    database.provision(settings, name)
    progress(f"deployed the plan into {name} in {time.monotonic() - t0:.1f}s")
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
        conn.execute("insert into app.tenants (id, name, kind) values (%s, 'Bench fleet', 'fleet')", (tenant,))
        conn.execute("insert into app.users (id, display_name) values (%s, 'Bench')", (user,))
        conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')", (tenant, user))
    with database.superuser_connect(settings) as conn:
        for setting, value in (("notify_allowed_hosts", "127.0.0.1"), ("notify_backoff_seconds", "1")):
            conn.execute(sql.SQL("alter database {} set {} = {}").format(
                sql.Identifier(name), sql.Identifier("motovault", setting), sql.Literal(value)))
    return tenant, user


def as_api_user(conn: psycopg.Connection, tenant: str, user: str) -> None:
    claims = json.dumps({"sub": user, "tenant_id": tenant, "role": "app_user"})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
    conn.execute("set role app_user")


SINGLES = 800  # single-row INSERTs per round: fewer left the median of the CPU figure +-4% apart


def backend_cpu_ns(pid: int) -> int:
    """CPU time a backend has spent so far (ns, /proc/<pid>/schedstat): the server's own work on
    the statements, which other processes on a loaded machine hardly change, unlike wall time."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def outbox_overhead(settings: Any, name: str, tenant: str, user: str, rounds: int) -> dict:
    """Vehicles inserted as the API role, with the outbox triggers of app.vehicles on and off in turn:
    vehicles are the cheapest record insert (fuel logs spend most of their time in the odometer
    guard), so the outbox's share is largest there. Each part is timed twice: wall time, and the
    CPU time of the backend that ran it (the server's work only: on a loaded machine the steadier
    of the two, since waiting for a core does not count)."""
    kinds = ("batch", "single")
    wall: dict[str, dict[str, list[float]]] = {k: {"on": [], "off": []} for k in kinds}
    cpu: dict[str, dict[str, list[float]]] = {k: {"on": [], "off": []} for k in kinds}
    with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as owner, \
            psycopg.connect(settings.dsn(name), autocommit=True) as api:
        as_api_user(api, tenant, user)
        pid_row = api.execute("select pg_backend_pid()").fetchone()
        assert pid_row is not None
        pid = int(pid_row[0])
        for r in range(rounds * 2):
            mode = "on" if r % 2 == 0 else "off"
            action = "enable" if mode == "on" else "disable"
            for event in ("insert", "update", "delete"):
                owner.execute(f"alter table app.vehicles {action} trigger _800_outbox_{event}")
            c0, t0 = backend_cpu_ns(pid), time.perf_counter()
            for _ in range(5):
                api.execute("insert into api.vehicles (display_name) "
                            "select 'Bench ' || g from generate_series(1, 1000) g")
            wall["batch"][mode].append(5000 / (time.perf_counter() - t0))
            cpu["batch"][mode].append(5000 / ((backend_cpu_ns(pid) - c0) / 1e9))
            c0, t0 = backend_cpu_ns(pid), time.perf_counter()
            for i in range(SINGLES):
                api.execute("insert into api.vehicles (display_name) values (%s)", (f"Single {i}",))
            wall["single"][mode].append(SINGLES / (time.perf_counter() - t0))
            cpu["single"][mode].append(SINGLES / ((backend_cpu_ns(pid) - c0) / 1e9))
        for event in ("insert", "update", "delete"):
            owner.execute(f"alter table app.vehicles enable trigger _800_outbox_{event}")
    out = {}
    for kind in kinds:
        on, off = statistics.median(wall[kind]["on"]), statistics.median(wall[kind]["off"])
        con, coff = statistics.median(cpu[kind]["on"]), statistics.median(cpu[kind]["off"])
        out[kind] = {"rows_per_s_with_outbox": round(on), "rows_per_s_without": round(off),
                     "overhead_pct": round(100 * (1 - on / off), 1),
                     "rows_per_cpu_s_with_outbox": round(con), "rows_per_cpu_s_without": round(coff),
                     "cpu_overhead_pct": round(100 * (1 - con / coff), 1)}
        progress(f"outbox overhead, vehicles {kind}: wall {on:,.0f} vs {off:,.0f} rows/s: "
                 f"{out[kind]['overhead_pct']}%; backend CPU {con:,.0f} vs {coff:,.0f} rows/s: "
                 f"{out[kind]['cpu_overhead_pct']}%")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deliveries", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--stream-seconds", type=float, default=10.0)
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--reuse", action="store_true", help="use the kept database (its tenant and vehicles)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    settings = ensure_cluster()
    name = "motovault_bench_notify"
    if args.reuse:
        with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
            tenant, user = conn.execute("select tenant_id::text, user_id::text from app.memberships").fetchone()  # type: ignore[misc]
            conn.execute("update app.notify_subscriptions set active = false")
    else:
        tenant, user = setup(settings, name)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    results["outbox_overhead"] = outbox_overhead(settings, name, tenant, user, args.rounds)

    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        as_api_user(conn, tenant, user)
        made = conn.execute("select api.create_subscription('bench ' || now(), 'webhook', %s, '{import.*}')",
                            ("http://127.0.0.1:9/hook",)).fetchone()
    # the real port is only known now: point the subscription's target at the receiver
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert made is not None
    subscription, secret = made[0]["id"], made[0]["secret"]
    with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
        conn.execute("update auth_private.notify_targets set target = %s where subscription_id = %s",
                     (f"http://127.0.0.1:{port}/hook", subscription))
        conn.execute("update app.outbox_events set dispatched_at = now() where dispatched_at is null")

    ctx = mp.get_context("spawn")
    out, ready, control = ctx.Queue(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=receiver_main, args=(port, secret, out, ready, control), daemon=True)
    proc.start()
    ready.wait(30)
    try:
        # throughput: N events in one transaction, then drain
        with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
            conn.execute("select app.emit_outbox_event(%s, 'import.finished', jsonb_build_object('n', g)) "
                         "from generate_series(1, %s) as g", (tenant, args.deliveries))
        worker = NotifyWorker(settings.dsn(name, OWNER_ROLE), quiet=True)
        with worker:
            t0 = time.monotonic()
            worker.drain()
            elapsed = time.monotonic() - t0
            control.put("reset")
            got = out.get(60)
            rate = got["ids"] / elapsed
            results["throughput"] = {"deliveries": got["ids"], "seconds": round(elapsed, 2),
                                     "per_s": round(rate), "signatures_verified": got["verified"],
                                     "delivered": worker.stats.delivered}
            progress(f"{got['ids']:,} webhook deliveries in {elapsed:.2f}s: {rate:,.0f}/s "
                     f"({got['verified']} signatures verified)")

            # commit to delivery under a steady 500 events/s
            runner = threading.Thread(target=worker.run_forever, daemon=True)
            worker.poll_seconds = 1.0
            runner.start()
            produced = 0
            with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
                end = time.monotonic() + args.stream_seconds
                tick = time.monotonic()
                while time.monotonic() < end:
                    conn.execute("select app.emit_outbox_event(%s, 'import.finished', jsonb_build_object('n', g)) "
                                 "from generate_series(1, 10) as g", (tenant,))
                    produced += 10
                    tick += 0.02
                    time.sleep(max(0.0, tick - time.monotonic()))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with psycopg.connect(settings.dsn(name, OWNER_ROLE), autocommit=True) as conn:
                    left = conn.execute("select count(*) from app.notify_deliveries where status <> 'delivered'"
                                        ).fetchone()
                if left and left[0] == 0:
                    break
                time.sleep(0.2)
            worker.stopping.set()
            runner.join(15)
        control.put("stop")
        got = out.get(60)
        lat = sorted(got["latencies"])
        p50 = lat[len(lat) // 2] * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        results["commit_to_delivery"] = {"events": produced, "delivered": got["ids"], "p50_ms": round(p50, 1),
                                         "p99_ms": round(p99, 1), "rate_per_s": round(produced / args.stream_seconds)}
        progress(f"commit to delivery at {produced / args.stream_seconds:,.0f} events/s: p50 {p50:.1f} ms, "
                 f"p99 {p99:.1f} ms ({got['ids']:,} of {produced:,} delivered)")
    finally:
        proc.terminate()
        if not args.keep:
            with database.superuser_connect(settings) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    if args.json:
        print(json.dumps(results))
    else:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
