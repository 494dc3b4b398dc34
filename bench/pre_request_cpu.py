"""Backend CPU of PostgREST's per-request statements, one pre-request function against another.

PostgREST runs each request in a transaction: one statement of set_config calls (role, claims, path,
headers), then the db-pre-request (`select app.check_request()`), then the query, then COMMIT. This
script sends the first two as PostgREST does (same claims, same headers, prepared statements) over
one connection per function, alternating the functions in rounds, and reads each backend's CPU time
from /proc/<pid>/schedstat (the server must run on this machine), so the load of other work on a
shared machine moves wall time but hardly the CPU a transaction costs. The empty plpgsql function
bench_exp.noop_pre_request() is the floor (transaction, statement, function call).

    .venv/bin/python bench/api_bench.py --keep --sql bench/experiments/check_request_v1.4.sql ...
    .venv/bin/python bench/pre_request_cpu.py --dbname api_bench_<pid> \\
        app.check_request_v1_4 app.check_request [--rounds 5 --transactions 1500]

The database is one bench/api_bench.py kept (--keep): its signed-in sessions and memberships.
Results: a table on stdout and JSON in bench/results/pre_request_cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import psycopg

from motovault.stack.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "pre_request_cpu.json"
NOOP = "bench_exp.noop_pre_request"
SETTINGS_SQL = (
    "select set_config('search_path', %s, true), set_config('role', %s, true),"
    " set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true),"
    " set_config('request.path', %s, true), set_config('request.headers', %s, true),"
    " set_config('request.cookies', %s, true)"
)


def backend_cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def request_settings(conn: psycopg.Connection[Any]) -> tuple[str, ...]:
    """The settings of one owner's request, as PostgREST sets them for GET /vehicles?limit=50."""
    row = conn.execute(
        """
        select s.user_id::text, s.tenant_id::text, s.id::text
        from auth_private.sessions as s
        where s.tenant_id is not null and s.revoked_at is null and s.expires_at > now()
        order by s.tenant_id
        limit 1
        """
    ).fetchone()
    if row is None:
        raise SystemExit("no live session with a tenant: use a database kept by bench/api_bench.py --keep")
    user_id, tenant_id, session_id = row
    now = int(time.time())
    claims = json.dumps(
        {
            "exp": now + 3600,
            "iat": now,
            "iss": "motovault",
            "sid": session_id,
            "sub": user_id,
            "role": "app_user",
            "tenant_id": tenant_id,
        }
    )
    headers = json.dumps({"host": "127.0.0.1:3000", "user-agent": "wrk", "authorization": "Bearer " + "x" * 330})
    return ('"api", "public"', "app_user", claims, "GET", "/vehicles", headers, "{}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("functions", nargs="+", help="pre-request functions to compare, e.g. app.check_request")
    ap.add_argument("--dbname", required=True, help="a database kept by bench/api_bench.py --keep")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--transactions", type=int, default=1500, help="per function and round")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args()
    settings = load_settings()
    dsn = settings.dsn(args.dbname)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("create schema if not exists bench_exp")
        admin.execute("grant usage on schema bench_exp to anon, app_user")
        admin.execute(f"create or replace function {NOOP}() returns void language plpgsql as $$ begin end $$")
        admin.execute(f"grant execute on function {NOOP}() to anon, app_user")
        params = request_settings(admin)
    names = [NOOP, *args.functions]
    conns: dict[str, tuple[psycopg.Connection[Any], int]] = {}
    samples: dict[str, list[float]] = {name: [] for name in names}
    try:
        for name in names:
            conn = psycopg.connect(dsn, prepare_threshold=0)
            pid = conn.info.backend_pid
            conns[name] = (conn, pid)
        for n in range(args.rounds + 1):  # round 0 warms up (plans, caches)
            for name in names:
                conn, pid = conns[name]
                call = f"select {name}()"
                before = backend_cpu_ns(pid)
                for _ in range(args.transactions):
                    conn.execute("begin isolation level read committed read only")
                    conn.execute(SETTINGS_SQL, params).fetchall()
                    conn.execute(call).fetchall()
                    conn.execute("commit")
                if n:
                    samples[name].append((backend_cpu_ns(pid) - before) / args.transactions / 1000)
    finally:
        for conn, _pid in conns.values():
            conn.close()
    floor = statistics.median(samples[NOOP])
    report: dict[str, Any] = {
        "benchmark": "backend CPU per transaction: set_config statement + db-pre-request, as PostgREST sends them",
        "command": ".venv/bin/python bench/pre_request_cpu.py --dbname " + args.dbname + " " + " ".join(args.functions),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_1_5_15": list(os.getloadavg()),
        "rounds": args.rounds,
        "transactions_per_round": args.transactions,
        "functions": {
            name: {
                "median_us": round(statistics.median(samples[name]), 1),
                "over_empty_function_us": round(statistics.median(samples[name]) - floor, 1),
                "rounds_us": [round(x, 1) for x in samples[name]],
            }
            for name in names
        },
    }
    print(f"backend CPU per transaction, median of {args.rounds} rounds of {args.transactions:,}:")
    for name, r in report["functions"].items():
        print(f"  {name:32s} {r['median_us']:7.1f} us  (+{r['over_empty_function_us']:.1f} over the empty function)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
