"""Stations benchmark: api.stations_near over N stations.

    .venv/bin/python bench/stations_bench.py [--stations 1000000] [--samples 50] [--keep]

A fresh database `mvbench_stations_<n>` is deployed from the sqitch plan and filled by COPY with
n stations (a third spread over the whole globe, two thirds clustered around 200 "cities"),
progress on stderr. Database time: EXPLAIN (ANALYZE) execution time of
`select * from api.stations_near(lat, lng, 10, 20)` as app_user, median and p95 over --samples
random city-centred points (one warm-up call first).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from fuel_bench import copy_rows  # noqa: E402

from motovault.stack import database  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    ensure_cluster()
    name = f"mvbench_stations_{args.stations}"
    with database.superuser_connect(settings) as conn:
        conn.execute(f'drop database if exists "{name}"')
    database.bootstrap(settings, name)
    database.sqitch(settings, name, "deploy")
    rnd = random.Random(3)
    cities = [(rnd.uniform(-55, 65), rnd.uniform(-170, 175)) for _ in range(200)]

    def rows():
        for i in range(args.stations):
            if i % 3 == 0:
                lat, lng = rnd.uniform(-60, 70), rnd.uniform(-180, 180)
            else:
                clat, clng = cities[i % len(cities)]
                lat, lng = clat + rnd.gauss(0, 0.3), clng + rnd.gauss(0, 0.3)
            yield (f"Station {i}", "Brand " + str(i % 40), round(max(min(lat, 90), -90), 6),
                   round(max(min(lng, 180), -180), 6), "import")

    with psycopg.connect(settings.dsn(name), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")
        t0 = time.monotonic()
        copy_rows(conn, "app.stations", ["name", "brand", "latitude", "longitude", "source"], rows(),
                  args.stations, "stations")
        conn.execute("vacuum analyze app.stations")
        print(f"loaded and analyzed in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        conn.execute("set role app_user")
        conn.execute("select set_config('request.jwt.claims', %s, false)",
                     (json.dumps({"sub": "00000000-0000-4000-8000-000000000001"}),))
        times, counts = [], []
        for _ in range(args.samples):
            clat, clng = rnd.choice(cities)
            lat, lng = clat + rnd.gauss(0, 0.2), clng + rnd.gauss(0, 0.2)
            sql = "select * from api.stations_near(%s, %s, 10, 20)"
            conn.execute("explain (analyze, format json) " + sql, (lat, lng))
            plan = conn.execute("explain (analyze, format json) " + sql, (lat, lng)).fetchone()[0]
            times.append(float(plan[0]["Execution Time"]))
            counts.append(
                conn.execute("select count(*) from api.stations_near(%s, %s, 10, 20)", (lat, lng)).fetchone()[0]
            )
    print(f"\n== stations_near(lat, lng, 10 km, 20) over {args.stations:,} stations ==")
    print(f"  median {statistics.median(times):.3f} ms   p95 {sorted(times)[int(len(times) * 0.95) - 1]:.3f} ms"
          f"   rows returned (median) {statistics.median(counts):.0f}")
    if not args.keep:
        with database.superuser_connect(settings) as conn:
            conn.execute(f'drop database "{name}"')


if __name__ == "__main__":
    main()
