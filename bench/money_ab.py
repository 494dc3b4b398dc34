"""Old and new per-vehicle money views alternating in one session (an A/B on a shared, loaded machine).

    .venv/bin/python bench/money_ab.py --snapshot          # before deploying the new changes
    .venv/bin/python bench/money_ab.py [--rounds 7]        # after (money_bench.py --reuse deploys them)

--snapshot copies the current definitions of api.vehicle_cost_months, api.vehicle_tco_months,
api.fuel_economy_intervals and app.fuel_intervals into the schema bench_old of the kept benchmark
database (`mvbench_fuel_<rows>`, built by bench/money_bench.py --sql-build --keep); the run then measures
each old object and its current version one after the other, for the 10 vehicles money_bench.py
measures, round after round (which goes first alternates): EXPLAIN (ANALYZE) execution time as app_user
with the tenant's claims, and planning time. Results go to bench/results/money_ab.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.fuel_bench import ROWS_PER_TENANT, as_tenant, vehicle_id  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402

PAIRS = (
    ("vehicle_cost_months", "select * from bench_old.vehicle_cost_months where vehicle_id = %s",
     "select * from api.vehicle_cost_months where vehicle_id = %s"),
    ("vehicle_tco_months", "select * from bench_old.vehicle_tco_months where vehicle_id = %s",
     "select * from api.vehicle_tco_months where vehicle_id = %s"),
    ("fuel_economy_intervals", "select * from bench_old.fuel_economy_intervals(%s, 'l_per_100km')",
     "select * from api.fuel_economy_intervals(%s, 'l_per_100km')"),
)

SNAPSHOT = """
drop schema if exists bench_old cascade;
create schema bench_old;
grant usage on schema bench_old to app_user;
do $$
declare
    def text;
begin
    foreach def in array array['vehicle_cost_months', 'vehicle_tco_months'] loop
        execute format('create view bench_old.%I with (security_invoker = true) as %s', def,
                       pg_get_viewdef(format('api.%I', def)::regclass));
        execute format('grant select on bench_old.%I to app_user', def);
    end loop;
    def := replace(pg_get_functiondef('app.fuel_intervals(uuid, uuid)'::regprocedure),
                   'FUNCTION app.fuel_intervals(', 'FUNCTION bench_old.fuel_intervals(');
    execute def;
    def := replace(replace(pg_get_functiondef('api.fuel_economy_intervals(uuid, text, date, date)'::regprocedure),
                           'FUNCTION api.fuel_economy_intervals(', 'FUNCTION bench_old.fuel_economy_intervals('),
                   'app.fuel_intervals(', 'bench_old.fuel_intervals(');
    execute def;
    grant execute on all functions in schema bench_old to app_user;
end
$$;
"""


def stats(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    return {"min": round(s[0], 3), "median": round(statistics.median(s), 3),
            "p95": round(s[max(int(len(s) * 0.95) - 1, 0)], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--snapshot", action="store_true", help="copy the current definitions into bench_old")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=10, help="vehicles measured (money_bench.py's picks)")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "money_ab.json")
    args = parser.parse_args()
    settings = load_settings()
    name = f"mvbench_fuel_{args.rows}"
    if args.snapshot:
        with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
            conn.execute(SNAPSHOT)
        print(f"old definitions copied into bench_old of {name}")
        return
    rnd = random.Random(7)
    picks = [rnd.randint(1, args.rows // ROWS_PER_TENANT) for _ in range(args.samples)]
    out: dict[str, list[float]] = {}
    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        for rnd_no in range(args.rounds + 1):  # round 0 warms up
            for i in picks:
                as_tenant(conn, i)
                vid = vehicle_id(i, 1)
                for key, old, new in PAIRS:
                    for label, sql in ((("old", old), ("new", new)) if rnd_no % 2 else (("new", new), ("old", old))):
                        plan = conn.execute("explain (analyze, format json) " + sql, (vid,)).fetchone()[0][0]
                        if rnd_no:
                            out.setdefault(f"{key}:{label}", []).append(float(plan["Execution Time"]))
                            out.setdefault(f"{key}:{label}:planning", []).append(float(plan["Planning Time"]))
    result = {
        "what": "old (bench_old, copied before the rework) and new per-vehicle money views alternating in one "
                f"session, {name}, {args.samples} vehicles x {args.rounds} rounds after a warm-up round, "
                "EXPLAIN ANALYZE execution and planning time (ms) as app_user with RLS",
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
        "ms": {k: stats(v) for k, v in out.items()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for key, _, _ in PAIRS:
        o, n = result["ms"][f"{key}:old"], result["ms"][f"{key}:new"]
        print(f"{key:<24} median {o['median']:7.3f} -> {n['median']:7.3f} ms   "
              f"p95 {o['p95']:7.3f} -> {n['p95']:7.3f} ms   ({n['median'] / o['median']:.2f}x)")


if __name__ == "__main__":
    main()
