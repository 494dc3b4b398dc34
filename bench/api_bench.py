"""Benchmark of GET /vehicles: the full stack against plain PostgREST, in the same run.

full stack  PostgREST (the pinned binary, our postgrest.conf) with a JWT per request (a session
            token, as POST /rpc/sign_in issues it), the db-pre-request check (live session,
            membership), forced RLS on app.vehicles and the security_invoker view api.vehicles:
                                                    GET /vehicles?limit=50
front door  the same full stack through its nginx front door (motovault.frontdoor, as `make up`
            runs it: UTF-8 checks in njs, CORS, body and rate limits, access log, keepalive to a
            PostgREST with the same settings on a unix socket):  GET /vehicles?limit=50
variant     (only with --variant-env) the full stack on a third PostgREST with extra settings, e.g.
            another db-pre-request: an A/B of two versions in the same run, alternating
baseline    a second PostgREST on the same database serving a plain copy of the same rows
            (bench_plain.vehicles, index on (tenant_id, id)), as anon: no JWT, no pre-request,
            no RLS, no view:                        GET /vehicles?limit=50&tenant_id=eq.<tenant>

Requests rotate over every tenant (one session token per tenant owner), so no single tenant's page is
served from cache. Load: wrk, 20 connections, 2 threads, a Lua script rotating the requests;
after a warm-up the two sides take turns in --rounds slices of --duration seconds each (so the
background load of a shared machine hits both alike). p50/p99 are the medians of the rounds'.
CPU us/req: the CPU time each slice took (PostgreSQL's postmaster and backends, the side's
PostgREST and nginx, wrk) per request, median of the rounds; the baseline's over a side's is what
the req/s ratio tends to when the benchmark has the cores to itself (other work on a shared machine
moves req/s far more than it moves the CPU a request takes).
Target: the full stack, and the full stack through the front door, keep at least 85% of the
baseline's requests per second.

    MOTOVAULT_PGPORT=54337 .venv/bin/python bench/api_bench.py \\
        [--tenants 1000 --vehicles 100000 --connections 20 --threads 2 --duration 20]

A scratch database (api_bench_<pid>) is created in the local cluster, loaded with set-based
SQL (progress on stderr), analyzed, and dropped at the end, also on failure or Ctrl-C
(--keep keeps it). Results: a table on stdout and JSON in bench/results/api_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from motovault.core.paths import postgrest_bin
from motovault.stack import cluster, database
from motovault.stack.settings import OWNER_ROLE, Settings, load_settings
from motovault.stack.stack import ensure_cluster
from motovault.testing.frontdoor_proc import HarnessFrontDoor, harness_options
from motovault.testing.postgrest_proc import PostgrestServer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "api_bench.json"
TARGET_RATIO = 0.85
TOKEN_TTL = 6 * 3600


def progress(message: str, end: bool = False) -> None:
    sys.stderr.write(f"\r\033[K{message}" + ("\n" if end else ""))
    sys.stderr.flush()


# --- data -------------------------------------------------------------------------------------

LOAD_PEOPLE = """
create temporary table bench_tenants as
select n, gen_random_uuid() as tenant_id, gen_random_uuid() as user_id, gen_random_uuid() as garage_id
from generate_series(1, {tenants:d}) as n;
create unique index on bench_tenants (n);

insert into app.tenants (id, name, kind)
select tenant_id, 'Bench tenant ' || n, (array['household', 'fleet', 'shop'])[1 + n % 3]
from bench_tenants;

insert into app.users (id, display_name, email)
select user_id, 'Bench owner ' || n, 'owner' || n || '@bench.example'
from bench_tenants;

insert into app.memberships (tenant_id, user_id, role)
select tenant_id, user_id, 'owner'
from bench_tenants;

insert into app.garages (tenant_id, id, name, is_default)
select tenant_id, garage_id, 'Home', true
from bench_tenants;
"""

# Vehicles are spread round-robin over the tenants. North-American VINs (first character 1-5)
# get their real check digit; the others start with J, K, S, W or Z.
LOAD_VEHICLES = """
insert into app.vehicles (
    tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
    odometer_reading, odometer_unit, is_active, notes
)
select
    t.tenant_id,
    gen_random_uuid(),
    case when g %% 4 <> 0 then t.garage_id end,
    case when raw.vin ~ '^[1-5]'
         then overlay(raw.vin placing app.vin_check_digit(raw.vin) from 9 for 1)
         else raw.vin end,
    spec.year || ' ' || spec.make || ' ' || spec.model,
    spec.make,
    spec.model,
    spec.year,
    (array['black', 'white', 'silver', 'red', 'blue', 'grey'])[1 + g %% 6],
    'B' || lpad((g %% 1000000)::text, 6, '0'),
    (g * 7919) %% 300000,
    case when g %% 5 = 0 then 'km' else 'mi' end,
    g %% 17 <> 0,
    case when g %% 3 = 0 then 'bench vehicle ' || g end
from generate_series(%(first)s::integer, %(last)s::integer) as g
join bench_tenants as t on t.n = 1 + g %% %(tenants)s::integer
cross join lateral (
    select (array['1', '2', '3', '4', '5', 'J', 'K', 'S', 'W', 'Z'])[1 + g %% 10]
           || upper(substr(md5(g::text), 1, 8)) || 'L'   -- position 10: a model-year code
           || upper(substr(md5(g::text), 10, 7)) as vin
) as raw
cross join lateral (
    select (array['Toyota', 'Ford', 'Honda', 'BMW', 'Volkswagen', 'Subaru', 'Mazda', 'Kia'])[1 + g %% 8] as make,
           (array['Model A', 'Model B', 'Model C', 'Model D', 'Model E'])[1 + g %% 5] as model,
           1990 + g %% 36 as year
) as spec;
"""

BASELINE = """
create schema bench_plain;
comment on schema bench_plain is 'Benchmark baseline: a plain copy of the vehicles, no RLS, no view.';
-- the same columns as the API view (run as a superuser, which RLS does not filter)
create table bench_plain.vehicles as
select *
from api.vehicles;
alter table bench_plain.vehicles add constraint vehicles_pkey primary key (tenant_id, id);
grant usage on schema bench_plain to anon;
grant select on bench_plain.vehicles to anon;
analyze bench_plain.vehicles;
"""


def load(conn: psycopg.Connection, tenants: int, vehicles: int, batch: int = 10_000) -> dict[str, Any]:
    """Tenants, owners, memberships, one garage each, then the vehicles in batches; ANALYZE."""
    t0 = time.perf_counter()
    # Bulk load as superuser: the row triggers (stamps, audit, VIN normalization) and the FK
    # triggers are skipped; CHECK constraints still apply, and the data is built consistent.
    conn.execute("set session_replication_role = replica")
    progress(f"loading {tenants:,} tenants, owners, memberships, garages")
    conn.execute(LOAD_PEOPLE.format(tenants=int(tenants)))
    done = 0
    while done < vehicles:
        last = min(done + batch, vehicles)
        conn.execute(LOAD_VEHICLES, {"first": done + 1, "last": last, "tenants": tenants})
        done = last
        rate = done / max(time.perf_counter() - t0, 1e-6)
        progress(f"loading vehicles {done:,}/{vehicles:,} ({rate:,.0f}/s)")
    conn.execute("reset session_replication_role")
    progress("analyze")
    conn.execute("analyze")
    progress("baseline copy bench_plain.vehicles")
    conn.execute(BASELINE)
    seconds = time.perf_counter() - t0
    progress(f"loaded {vehicles:,} vehicles across {tenants:,} tenants in {seconds:.1f} s", end=True)
    size = conn.execute(
        "select pg_total_relation_size('app.vehicles'), pg_total_relation_size('bench_plain.vehicles'),"
        " pg_database_size(current_database())"
    ).fetchone()
    assert size is not None
    return {
        "tenants": tenants,
        "vehicles": vehicles,
        "vehicles_per_tenant": vehicles // tenants,
        "load_seconds": round(seconds, 1),
        "app_vehicles_bytes": size[0],
        "bench_plain_vehicles_bytes": size[1],
        "database_bytes": size[2],
    }


# --- load generation --------------------------------------------------------------------------

WRK_SCRIPT = """
-- generated by bench/api_bench.py: rotate over every tenant's request
local specs = {
%(requests)s
}
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end
function init(args)
    -- formatted here, after wrk.init has set the Host header
    reqs = {}
    for k, spec in ipairs(specs) do
        reqs[k] = wrk.format("GET", spec[1], spec[2])
    end
    -- each thread starts at another place in the list and walks it
    i = (tid or 0) * math.floor(#reqs / 2)
end
function request()
    i = i + 1
    return reqs[(i %% #reqs) + 1]
end
function done(summary, latency, requests)
    io.write(string.format(
        "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"bytes\\": %%d, \\"non_2xx\\": %%d," ..
        " \\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p90_us\\": %%d, \\"p99_us\\": %%d," ..
        " \\"mean_us\\": %%.1f, \\"max_us\\": %%d}\\n",
        summary.requests, summary.duration, summary.bytes, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency.mean, latency.max))
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(path: Path, requests: list[tuple[str, dict[str, str]]]) -> None:
    lines = []
    for target, headers in requests:
        hdrs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        lines.append(f"    {{{lua_string(target)}, {{{hdrs}}}}},")
    path.write_text(WRK_SCRIPT % {"requests": "\n".join(lines)})


def run_wrk(url: str, script: Path, connections: int, threads: int, duration: int) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError("wrk printed no summary:\n" + out.stdout)
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "req_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "kib_per_request": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 1),
    }


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user + system) of these processes and their children, e.g. the postmaster and its
    backends; processes that ended in between are not counted (none should: connections stay open)."""
    wanted = set(roots)
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) in wanted or int(fields[1]) in wanted:  # fields[1]: the parent's pid
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def measured(url: str, script: Path, args: argparse.Namespace, roots: list[int]) -> dict[str, Any]:
    """One slice of wrk, with the CPU it took per request: PostgreSQL (the postmaster and all its
    backends: only this side's are busy), the side's PostgREST and nginx, and wrk itself."""
    before, children = cpu_seconds(roots), os.times()
    run = run_wrk(url, script, args.connections, args.threads, max(1, round(args.duration / args.rounds)))
    after, children_after = cpu_seconds(roots), os.times()
    wrk = children_after.children_user + children_after.children_system
    wrk -= children.children_user + children.children_system
    run["cpu_us_per_request"] = round((after - before + wrk) * 1e6 / max(run["requests"], 1), 1)
    return run


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's rounds: req/s over all of them; latency percentiles are the median of the rounds'."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)

    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "req_per_s": round(requests / seconds, 1),
        "p50_ms": med("p50_ms"),
        "p90_ms": med("p90_ms"),
        "p99_ms": med("p99_ms"),
        "max_ms": max(r["max_ms"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "kib_per_request": runs[0]["kib_per_request"],
        "cpu_us_per_request": round(statistics.median(r["cpu_us_per_request"] for r in runs), 1),
        "rounds": runs,
    }


def session_tokens(conn: psycopg.Connection[Any], ttl_seconds: int) -> dict[str, str]:
    """One signed-in session per tenant owner, as POST /rpc/sign_in makes it (without bcrypt, which
    is not what is measured): tenant -> an access token naming its session (sid), signed in SQL with
    the database's signing key. The full stack checks on every request that the session is live."""
    rows = conn.execute(
        """
        with made as (
            insert into auth_private.sessions (user_id, tenant_id, expires_at)
            select user_id, tenant_id, now() + interval '1 day' from bench_tenants
            returning id, user_id, tenant_id
        )
        select tenant_id::text,
               auth_private.access_token(user_id, tenant_id, jsonb_build_object('sid', id), %s)
        from made
        """,
        (ttl_seconds,),
    ).fetchall()
    return {str(tenant): str(token) for tenant, token in rows}


def foreign_token(conn: psycopg.Connection[Any], user_id: str, tenant_id: str) -> str:
    """A token of a live session of user_id that names a tenant the user does not belong to."""
    row = conn.execute(
        "select auth_private.access_token(%s, %s, jsonb_build_object('sid', s.id), 600)"
        " from auth_private.sessions as s where s.user_id = %s limit 1",
        (user_id, tenant_id, user_id),
    ).fetchone()
    assert row is not None
    return str(row[0])


def check_responses(
    full: PostgrestServer,
    behind: PostgrestServer,
    base: PostgrestServer,
    owners: list[tuple[str, str]],
    tokens: dict[str, str],
    foreign: str,
) -> None:
    """Both sides answer 50 rows of the asked tenant (and the full stack refuses a foreign tenant
    unless an experiment replaced its pre-request)."""
    with httpx.Client(timeout=10) as client:
        for tenant_id, _user_id in owners[:: max(1, len(owners) // 5)][:5]:
            token = tokens[tenant_id]
            r = client.get(f"{full.bare_url}/vehicles?limit=50", headers={"Authorization": f"Bearer {token}"})
            d = client.get(f"{behind.url}/vehicles?limit=50", headers={"Authorization": f"Bearer {token}"})
            b = client.get(f"{base.url}/vehicles?limit=50&tenant_id=eq.{tenant_id}")
            for side, resp in (("full stack", r), ("front door", d), ("baseline", b)):
                rows = resp.json() if resp.status_code == 200 else None
                if not rows or len(rows) != 50 or {row["tenant_id"] for row in rows} != {tenant_id}:
                    raise RuntimeError(
                        f"{side}: GET /vehicles for tenant {tenant_id} gave {resp.status_code} {resp.text[:300]}"
                    )
            if set(r.json()[0]) != set(b.json()[0]):
                raise RuntimeError("full stack and baseline return different columns")
        if full.extra_env.get("PGRST_DB_PRE_REQUEST", "app.check_request") != "app.check_request":
            return  # an experiment's pre-request (none, empty, another version): not what is checked here
        r = client.get(f"{full.url}/vehicles?limit=50", headers={"Authorization": f"Bearer {foreign}"})
        if r.status_code != 403:
            raise RuntimeError(f"full stack: a non-member got {r.status_code}, expected 403")


# --- main -------------------------------------------------------------------------------------


def postgrest_version() -> str:
    out = subprocess.run([str(postgrest_bin()), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def table(results: dict[str, Any]) -> str:
    rows = [("", "req/s", "p50 ms", "p99 ms", "non-2xx", "CPU us/req")]
    for key, label in (
        ("full_stack", "full stack (JWT, pre-request, RLS, view)"),
        ("front_door", "full stack through the front door (nginx)"),
        ("variant", "variant: full stack with --variant-env"),
        ("baseline", "baseline (plain table, anon)"),
    ):
        if key not in results:
            continue
        r = results[key]
        rows.append(
            (
                label,
                f"{r['req_per_s']:,.0f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                str(r["non_2xx"]),
                f"{r['cpu_us_per_request']:,.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    ratio = results["ratio"]
    lines.append(
        f"ratio full/baseline: {ratio:.1%}, front door/baseline: {results['ratio_front_door']:.1%}"
        f"  (target >= {TARGET_RATIO:.0%}: {'ok' if results['target_met'] else 'MISSED'})"
    )
    cpu = results["cpu_ratio"]
    lines.append(
        f"CPU per request, baseline/side: full {cpu['full_stack']:.1%}, front door {cpu['front_door']:.1%}"
        + (f", variant {cpu['variant']:.1%}" if "variant" in cpu else "")
        + " (what req/s tends to when the sides have the 2 cores to themselves)"
    )
    if "variant" in results:
        lines.append(f"ratio variant/baseline: {results['ratio_variant']:.1%} (not part of the target)")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--vehicles", type=int, default=100_000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=20, help="seconds of measured load per side")
    ap.add_argument("--rounds", type=int, default=4, help="the sides alternate in this many slices of --duration")
    ap.add_argument(
        "--full-env",
        action="append",
        default=[],
        metavar="PGRST_X=VALUE",
        help="extra environment for the full-stack PostgREST only (experiments)",
    )
    ap.add_argument(
        "--sql",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="SQL run as superuser in the scratch database after the load (experiments)",
    )
    ap.add_argument(
        "--variant-env",
        action="append",
        default=[],
        metavar="PGRST_X=VALUE",
        help="run a fourth side, the full stack with this extra environment (on top of --full-env), in the "
        "same rounds: an A/B in one run (e.g. --sql bench/experiments/check_request_v1.4.sql "
        "--variant-env PGRST_DB_PRE_REQUEST=app.check_request_v1_4)",
    )
    ap.add_argument("--warmup", type=int, default=3, help="seconds of load per side before measuring")
    ap.add_argument(
        "--tokens",
        choices=("session", "bare"),
        default="session",
        help="session: tokens of signed-in sessions, checked live on every request (what production runs); "
        "bare: tokens without a session (motovault token, allow_bare_tokens on), to measure what the check costs",
    )
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()
    if args.tenants < 2 or args.vehicles < 50 * args.tenants:
        ap.error("need at least 2 tenants and 50 vehicles per tenant (a full page of 50 each)")
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `make bench-deps` (apt-get install wrk)", file=sys.stderr)
        return 2

    # Ctrl-C, SIGTERM and SIGHUP take the same way out: through the finally blocks below.
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, interrupted)  # also when started in the background (SIGINT ignored)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    started_cluster = False
    settings: Settings | None = None
    name = f"api_bench_{os.getpid()}"
    servers: list[PostgrestServer] = []
    created = False
    try:
        started_cluster = not cluster.running(load_settings())
        settings = ensure_cluster()
        with database.superuser_connect(settings) as admin:
            admin.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(OWNER_ROLE))
            )
            created = True
        progress(f"sqitch deploy into scratch database {name}")
        database.sqitch(settings, name, "deploy")

        with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
            data = load(conn, args.tenants, args.vehicles)
            for path in args.sql:
                conn.execute(path.read_text())
            owners = [
                (str(t), str(u)) for t, u in conn.execute("select tenant_id, user_id from bench_tenants order by n")
            ]
            tokens = session_tokens(conn, TOKEN_TTL)
            foreign = foreign_token(conn, owners[0][1], owners[1][0])
            if args.tokens == "bare":
                conn.execute(
                    sql.SQL("alter database {} set motovault.allow_bare_tokens = on").format(sql.Identifier(name))
                )
            pg_version = conn.execute("show server_version").fetchone()[0]  # type: ignore[index]

        progress("starting PostgREST: full stack and baseline")
        full_env = dict(item.split("=", 1) for item in args.full_env)
        full = PostgrestServer(settings, name, extra_env=full_env, front=None).start()
        servers.append(full)
        # the front door as `make up` runs it: one worker per core, access log, default limits, and
        # PostgREST (a second one, same settings) on a unix socket in the front door's home
        door = HarnessFrontDoor(
            harness_options(workers="auto", access_log=True, auth_rate="10r/m", auth_burst=10, cors_origins=()),
            unix_socket=True,
        )
        behind = PostgrestServer(settings, name, extra_env=full_env, front=door).start()
        servers.append(behind)
        base = PostgrestServer(
            settings, name, extra_env={"PGRST_DB_SCHEMAS": "bench_plain", "PGRST_DB_PRE_REQUEST": ""}, front=None
        ).start()
        servers.append(base)
        variant: PostgrestServer | None = None
        if args.variant_env:
            variant_env = {**full_env, **dict(item.split("=", 1) for item in args.variant_env)}
            variant = PostgrestServer(settings, name, extra_env=variant_env, front=None).start()
            servers.append(variant)
        if args.tokens == "bare":
            tokens = {t: full.token(u, t, ttl_seconds=TOKEN_TTL) for t, u in owners}
            foreign = full.token(owners[0][1], owners[1][0])
        check_responses(full, behind, base, owners, tokens, foreign)
        if variant is not None:
            check_responses(variant, behind, base, owners, tokens, foreign)
        load_before = list(os.getloadavg())  # other work on a shared machine shows here

        with tempfile.TemporaryDirectory(prefix="api_bench_") as tmp:
            full_lua, base_lua = Path(tmp) / "full.lua", Path(tmp) / "base.lua"
            wrk_script(full_lua, [("/vehicles?limit=50", {"Authorization": f"Bearer {tokens[t]}"}) for t, _ in owners])
            wrk_script(base_lua, [(f"/vehicles?limit=50&tenant_id=eq.{t}", {}) for t, _ in owners])
            postmaster = cluster.postmaster_pid()
            assert postmaster is not None and full.proc is not None and behind.proc is not None
            assert base.proc is not None and door.home is not None
            nginx = int((door.home / "nginx.pid").read_text())
            sides: tuple[tuple[str, str, Path, list[int]], ...] = (
                ("full_stack", full.bare_url, full_lua, [postmaster, full.proc.pid]),
                ("front_door", behind.url, full_lua, [postmaster, behind.proc.pid, nginx]),
                *(
                    (("variant", variant.bare_url, full_lua, [postmaster, variant.proc.pid]),)
                    if variant is not None and variant.proc is not None
                    else ()
                ),
                ("baseline", base.url, base_lua, [postmaster, base.proc.pid]),
            )
            if args.warmup > 0:
                for key, url, lua, _roots in sides:
                    progress(f"warm-up {key} {args.warmup} s")
                    run_wrk(url, lua, args.connections, args.threads, args.warmup)
            # The sides take turns (full, baseline, full, ...) in `rounds` slices of the duration, so
            # a change in the machine's background load hits both alike.
            slices: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _, _ in sides}
            per_round = max(1, round(args.duration / args.rounds))
            for n in range(args.rounds):
                for key, url, lua, roots in sides:
                    progress(
                        f"round {n + 1}/{args.rounds}: {key}, {args.connections} connections,"
                        f" {args.threads} threads, {per_round} s"
                    )
                    slices[key].append(measured(url, lua, args, roots))
            results: dict[str, Any] = {key: combine(runs) for key, runs in slices.items()}
            progress("done", end=True)

        ratio = results["full_stack"]["req_per_s"] / results["baseline"]["req_per_s"]
        ratio_door = results["front_door"]["req_per_s"] / results["baseline"]["req_per_s"]
        if variant is not None:
            results["ratio_variant"] = round(results["variant"]["req_per_s"] / results["baseline"]["req_per_s"], 3)
        base_cpu = results["baseline"]["cpu_us_per_request"]
        results["cpu_ratio"] = {
            key: round(base_cpu / results[key]["cpu_us_per_request"], 3)
            for key in ("full_stack", "front_door", "variant")
            if key in results
        }
        results.update(
            {
                "ratio": round(ratio, 3),
                "ratio_front_door": round(ratio_door, 3),
                "target_ratio": TARGET_RATIO,
                "target_met": ratio >= TARGET_RATIO
                and ratio_door >= TARGET_RATIO
                and all(results[key]["non_2xx"] == 0 for key in ("full_stack", "front_door", "baseline")),
            }
        )
        report = {
            "benchmark": "GET /vehicles?limit=50: full stack vs plain PostgREST",
            "command": (".venv/bin/python bench/api_bench.py " + shlex.join(sys.argv[1:])).rstrip(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "loadavg_1_5_15_before": load_before,
                "loadavg_1_5_15_after": list(os.getloadavg()),
                "postgresql": pg_version,
                "postgrest": postgrest_version(),
            },
            "load": {
                "tool": "wrk",
                "connections": args.connections,
                "threads": args.threads,
                "duration_s": args.duration,
                "rounds": args.rounds,
                "warmup_s": args.warmup,
                "full_stack_env": full_env,
                "variant_env": dict(item.split("=", 1) for item in args.variant_env),
                "sql": [str(p) for p in args.sql],
                "tokens": args.tokens,
                "rotation": f"{len(owners)} tenants, one owner {args.tokens} token each, round robin",
            },
            "data": data,
            "requests": {
                "full_stack": "GET /vehicles?limit=50 with Authorization: Bearer <owner session token (sid)>",
                "front_door": "the same, through nginx (motovault.frontdoor) in front of a PostgREST on a unix socket",
                "baseline": "GET /vehicles?limit=50&tenant_id=eq.<tenant> (schema bench_plain, anon)",
            },
            **results,
        }
        print(
            f"\nGET /vehicles?limit=50 — {args.vehicles:,} vehicles across {args.tenants:,} tenants, "
            f"wrk {args.connections} connections / {args.threads} threads / {args.duration} s per side\n"
        )
        print(table(results))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nresults: {args.output}")
        return 0 if results["target_met"] else 1
    except KeyboardInterrupt:
        progress("interrupted", end=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for server in servers:
            server.stop()
        if settings is not None and created and not args.keep:
            with database.superuser_connect(settings) as admin:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            progress(f"dropped scratch database {name}", end=True)
        elif created:
            progress(f"kept scratch database {name}", end=True)
        if started_cluster and not os.environ.get("MOTOVAULT_KEEP_CLUSTER"):
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
