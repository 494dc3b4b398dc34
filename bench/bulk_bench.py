"""Bulk write benchmark: fill-ups inserted through every rule vs a bare INSERT, same run.

    make bench-bulk                      # = .venv/bin/python bench/bulk_bench.py
    .venv/bin/python bench/bulk_bench.py --vehicles 1000 --per-vehicle 100 --api-posts 1000 \
        [--plan-root DIR] [--label NAME] [--keep]

A fresh database `mvbench_bulk_<label>` is deployed from the sqitch plan in --plan-root (default: this
checkout; give a `git archive` of main to measure "before" with the same script). Tenants as people
have them: one fleet of 300 vehicles, two of 100, and the other vehicles in households of 1 to 4.
Tenants, owners, memberships and vehicles are loaded without triggers.

Bulk: for every vehicle, its fill-ups (ten years, full rows with units, volume, price, total and
currency, so the fuel_logs BEFORE trigger never looks the vehicle up) go in as ONE multi-row INSERT
  - through every rule: as app_user with the tenant owner's claims, in a transaction that first runs
    app.check_request() as PostgREST does (bare tokens allowed), into app.fuel_logs (RLS, stamp,
    odometer guard and the vehicle's odometer, vehicle events, audit);
  - bare: the same rows into bench_plain.fuel_logs, a copy of the table (columns, defaults, CHECKs,
    indexes) without triggers, RLS or foreign keys, as the superuser.
The two alternate vehicle by vehicle, so background load hits both alike. Figures: rows/s of each
and the ratio (target: >= 25%).

API: --api-posts single-row POST /fuel_logs through PostgREST (one client, keep-alive, the
vehicles' owners' tokens in turn, each fill-up after the vehicle's latest), requests/s.

A/B in one run: --against DIR deploys a second database from the sqitch project in DIR (e.g. a
`git archive` of main), loads the same fleet into it, and writes each vehicle's rows through its rules
too, the three sides (bare, rules here, rules there) in turn vehicle by vehicle; the API posts
alternate between the two in four rounds. Figures: both ratios to the same bare rate ("against").

Results: bench/results/bulk_bench_<label>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import OWNER_ROLE, load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402
from motovault.testing.postgrest_proc import PostgrestServer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 0.25
COLUMNS = ["tenant_id", "vehicle_id", "filled_on", "filled_time", "odometer", "odometer_unit", "fuel_type",
           "volume", "volume_unit", "price_per_unit", "total_cost", "currency", "is_full"]
INSERT = """
insert into {table} (tenant_id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type,
                     volume, volume_unit, price_per_unit, total_cost, currency, is_full)
select %(tenant)s::uuid, %(vehicle)s::uuid, f, t, o, 'km', 'gasoline', v, 'l', p, c, 'EUR', full_
from unnest(%(filled_on)s::date[], %(filled_time)s::time[], %(odometer)s::integer[], %(volume)s::numeric[],
            %(price)s::numeric[], %(cost)s::numeric[], %(full)s::boolean[]) as r(f, t, o, v, p, c, full_)
"""


def progress(message: str, end: bool = False) -> None:
    sys.stderr.write(f"\r\033[K{message}" + ("\n" if end else ""))
    sys.stderr.flush()


def tenant_sizes(vehicles: int) -> list[int]:
    """One fleet of 300, two of 100, households of 1-4 vehicles for the rest (scaled down when small)."""
    sizes = [n for n in (300, 100, 100) if n <= vehicles // 3]
    left = vehicles - sum(sizes)
    k = 0
    while left > 0:
        n = min(1 + k % 4, left)
        sizes.append(n)
        left -= n
        k += 1
    return sizes


def load(conn: psycopg.Connection[Any], vehicles: int) -> list[tuple[str, str, str]]:
    """Tenants, owners, memberships, vehicles (no triggers); returns (tenant, owner, vehicle) per vehicle."""
    sizes = tenant_sizes(vehicles)
    conn.execute("set session_replication_role = replica")
    conn.execute(
        """
        create temporary table bench_tenants as
        select n, size, gen_random_uuid() as tenant_id, gen_random_uuid() as user_id
        from unnest(%s::integer[]) with ordinality as s(size, n)
        """,
        (sizes,),
    )
    conn.execute("insert into app.tenants (id, name) select tenant_id, 'Bulk tenant ' || n from bench_tenants")
    conn.execute("insert into app.users (id, display_name, email) "
                 "select user_id, 'Owner ' || n, 'owner' || n || '@bench.example' from bench_tenants")
    conn.execute("insert into app.memberships (tenant_id, user_id, role) select tenant_id, user_id, 'owner' "
                 "from bench_tenants")
    rows = conn.execute(
        """
        insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
        select t.tenant_id, gen_random_uuid(), 'Vehicle ' || t.n || '.' || k, 'km'
        from bench_tenants as t
        cross join lateral generate_series(1, t.size) as k
        returning tenant_id::text, id::text
        """
    ).fetchall()
    owners = dict(conn.execute("select tenant_id::text, user_id::text from bench_tenants").fetchall())
    conn.execute("reset session_replication_role")
    conn.execute(
        """
        create schema bench_plain;
        comment on schema bench_plain is 'Benchmark baseline: fuel_logs without triggers, RLS or foreign keys.';
        create table bench_plain.fuel_logs (like app.fuel_logs including all);
        """
    )
    conn.execute("analyze")
    return [(t, owners[t], v) for t, v in rows]


def fillups(rnd: random.Random, per_vehicle: int) -> dict[str, list[Any]]:
    """per_vehicle fill-ups over the last ten years, odometer rising."""
    start = date.today() - timedelta(days=3650)
    step = 3650 // max(per_vehicle, 1)
    odo = rnd.randint(0, 50_000)
    out: dict[str, list[Any]] = {k: [] for k in ("filled_on", "filled_time", "odometer", "volume", "price", "cost",
                                                  "full")}
    for n in range(per_vehicle):
        odo += rnd.randint(200, 900)
        volume = round(rnd.uniform(20, 60), 3)
        price = round(rnd.uniform(1.3, 2.1), 4)
        out["filled_on"].append(start + timedelta(days=n * step))
        out["filled_time"].append(f"{rnd.randint(6, 21):02d}:{rnd.randint(0, 59):02d}")
        out["odometer"].append(odo)
        out["volume"].append(volume)
        out["price"].append(price)
        out["cost"].append(round(volume * price, 2))
        out["full"].append(n % 10 != 5)
    return out


def as_member(conn: psycopg.Connection[Any], tenant: str, user: str) -> None:
    conn.execute("reset role")
    conn.execute("select set_config('request.jwt.claims', %s, false)",
                 (json.dumps({"sub": user, "tenant_id": tenant, "role": "app_user"}),))
    conn.execute("set role app_user")


def bulk(dsn: str, fleet: list[tuple[str, str, str]], per_vehicle: int, seed: int,
         against: tuple[str, list[tuple[str, str, str]]] | None = None) -> dict[str, Any]:
    rnd = random.Random(seed)
    seconds = {"rules": 0.0, "bare": 0.0, "against": 0.0}
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as rules, psycopg.connect(dsn, autocommit=True) as bare, \
            psycopg.connect(against[0] if against else dsn, autocommit=True) as other:
        for i, (tenant, owner, vehicle) in enumerate(fleet):
            data = fillups(rnd, per_vehicle)
            params = {"tenant": tenant, "vehicle": vehicle, **data}
            as_member(rules, tenant, owner)
            sides = [("bare", bare, "bench_plain.fuel_logs", params), ("rules", rules, "app.fuel_logs", params)]
            if against:
                o_tenant, o_owner, o_vehicle = against[1][i]
                as_member(other, o_tenant, o_owner)
                sides.append(("against", other, "app.fuel_logs", {"tenant": o_tenant, "vehicle": o_vehicle, **data}))
            k = i % len(sides)
            for side, conn, table, values in sides[k:] + sides[:k] if i % 2 == 0 else (sides[k:] + sides[:k])[::-1]:
                t0 = time.perf_counter()
                with conn.transaction():
                    if side != "bare":
                        # what PostgREST runs before every request (db-pre-request)
                        conn.execute("select app.check_request()")
                    conn.execute(sql.SQL(INSERT).format(table=sql.SQL(table)), values)
                seconds[side] += time.perf_counter() - t0
            rows += per_vehicle
            if i % 20 == 19 or i == len(fleet) - 1:
                progress(f"bulk: {i + 1:,}/{len(fleet):,} vehicles, through the rules {rows / seconds['rules']:,.0f}"
                         f" rows/s, bare {rows / seconds['bare']:,.0f} rows/s"
                         + (f", against {rows / seconds['against']:,.0f} rows/s" if against else ""))
        counts = bare.execute(
            "select (select count(*) from app.fuel_logs), (select count(*) from bench_plain.fuel_logs)"
        ).fetchone()
        if against:
            other.execute("reset role")
        other_count = other.execute("select count(*) from app.fuel_logs").fetchone() if against else (rows,)
    progress("", end=True)
    assert counts is not None and counts[0] == counts[1] == rows, counts
    assert other_count is not None and other_count[0] == rows, other_count
    rate_rules, rate_bare = rows / seconds["rules"], rows / seconds["bare"]
    extra: dict[str, Any] = {}
    if against:
        rate_against = rows / seconds["against"]
        extra["against"] = {"seconds_rules": round(seconds["against"], 2), "rows_per_s_rules": round(rate_against),
                            "ratio": round(rate_against / rate_bare, 4)}
    return {**extra,
        "rows": rows,
        "seconds_rules": round(seconds["rules"], 2),
        "seconds_bare": round(seconds["bare"], 2),
        "rows_per_s_rules": round(rate_rules),
        "rows_per_s_bare": round(rate_bare),
        "ratio": round(rate_rules / rate_bare, 4),
        "target_ratio": TARGET_RATIO,
        "target_met": rate_rules / rate_bare >= TARGET_RATIO,
    }


def api_posts(settings: Any, name: str, fleet: list[tuple[str, str, str]], posts: int) -> dict[str, Any]:
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        latest = {
            str(v): (o, d) for v, o, d in conn.execute(
                "select vehicle_id, max(odometer), max(filled_on) from app.fuel_logs group by vehicle_id")
        }
    server = PostgrestServer(settings, name, front=None).start()
    try:
        tokens = {t: server.token(u, t) for t, u, _ in fleet}
        picks = [fleet[(i * 7) % len(fleet)] for i in range(posts)]
        codes: dict[int, int] = {}
        with server.client() as client:
            t0 = time.perf_counter()
            for n, (tenant, _, vehicle) in enumerate(picks):
                odo, day = latest[vehicle]
                odo, day = odo + 300, day + timedelta(days=1)
                latest[vehicle] = (odo, day)
                response = client.post(
                    "/fuel_logs",
                    headers={"Authorization": f"Bearer {tokens[tenant]}", "Prefer": "return=minimal"},
                    json={"vehicle_id": vehicle, "filled_on": str(day), "filled_time": f"{n % 24:02d}:00",
                          "odometer": odo, "odometer_unit": "km", "volume": 40, "volume_unit": "l",
                          "price_per_unit": 1.799, "currency": "EUR"},
                )
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
                if response.status_code != 201 and codes[response.status_code] == 1:
                    progress(f"POST /fuel_logs: {response.status_code} {response.text[:300]}", end=True)
            seconds = time.perf_counter() - t0
    finally:
        server.stop()
    return {"posts": posts, "seconds": round(seconds, 2), "posts_per_s": round(posts / seconds, 1),
            "status_codes": {str(k): v for k, v in codes.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=1000)
    parser.add_argument("--per-vehicle", type=int, default=100, help="fill-ups per vehicle (one INSERT each)")
    parser.add_argument("--api-posts", type=int, default=1000, help="single-row POST /fuel_logs (0: skip)")
    parser.add_argument("--plan-root", type=Path, default=None, help="the sqitch project to deploy (default: here)")
    parser.add_argument("--label", default="branch", help="names the database and the results file")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--against", type=Path, default=None,
                        help="a second sqitch project (e.g. main) measured in the same run, vehicle by vehicle")
    args = parser.parse_args()

    settings = load_settings()
    ensure_cluster()
    name = f"mvbench_bulk_{args.label}"
    names = [name] + ([f"{name}_against"] if args.against else [])
    with database.superuser_connect(settings) as admin:
        for db in names:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db)))
            admin.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(db), sql.Identifier(OWNER_ROLE)))
    try:
        fleets = []
        for db, root in zip(names, [args.plan_root, args.against], strict=False):
            progress(f"sqitch deploy into {db}")
            database.sqitch(settings, db, "deploy", root=root)
            with psycopg.connect(settings.dsn(db), autocommit=True) as conn:
                # the benchmark's tokens name no session (check_request then only checks the membership)
                conn.execute(
                    sql.SQL("alter database {} set motovault.allow_bare_tokens = on").format(sql.Identifier(db)))
                fleets.append(load(conn, args.vehicles))
                pg_version = conn.execute("show server_version").fetchone()[0]  # type: ignore[index]
        fleet = fleets[0]
        progress(f"loaded {len(fleet):,} vehicles in {len({t for t, _, _ in fleet}):,} tenants", end=True)
        load_before = list(os.getloadavg())
        figures = bulk(settings.dsn(name), fleet, args.per_vehicle, args.seed,
                       (settings.dsn(names[1]), fleets[1]) if args.against else None)
        if args.api_posts and args.against:
            # four rounds, alternating: here, there, here, there
            progress("POST /fuel_logs through PostgREST, alternating with --against")
            rounds = [api_posts(settings, db, f, args.api_posts // 4) for _ in range(2)
                      for db, f in zip(names, fleets, strict=True)]
            for key, part in (("api", rounds[0::2]), ("api_against", rounds[1::2])):
                posts, spent = sum(r["posts"] for r in part), sum(r["seconds"] for r in part)
                figures[key] = {"posts": posts, "seconds": round(spent, 2), "posts_per_s": round(posts / spent, 1),
                                "rounds_posts_per_s": [r["posts_per_s"] for r in part]}
            progress("", end=True)
        elif args.api_posts:
            progress("POST /fuel_logs through PostgREST")
            figures["api"] = api_posts(settings, name, fleet, args.api_posts)
            progress("", end=True)
        result = {
            "benchmark": "fill-ups through every rule (one multi-row INSERT per vehicle, app_user) vs bare INSERT",
            "label": args.label,
            "plan_root": str(args.plan_root or "."),
            "against_plan_root": str(args.against) if args.against else None,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "vehicles": len(fleet),
            "tenants": len({t for t, _, _ in fleet}),
            "per_vehicle": args.per_vehicle,
            **figures,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "postgres": pg_version,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other jobs)",
        }
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"bulk_bench_{args.label}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        print(f"written {out}", file=sys.stderr)
    finally:
        if not args.keep:
            with database.superuser_connect(settings) as admin:
                for db in names:
                    admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
