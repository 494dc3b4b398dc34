"""Tenant export and import: how long api.export_tenant and api.import_tenant take for a tenant of a
given size, as the API runs them (app_user with an owner's claims, RLS and every trigger on).

    .venv/bin/python bench/tenant_export_bench.py --dbname exports_bench --vehicles 5 --fill-ups 400

The database must hold the deployed plan (`motovault db deploy --dbname NAME`). A tenant is made with
--vehicles vehicles, each with --fill-ups fill-ups (every 10th partial), one odometer reading per 10
fill-ups and one maintenance record per 20, inserted as the owner through the rules. Then the
tenant is exported, imported into a new empty tenant (api.import_tenant queues it, the import worker
writes it: the import time is both), and exported again; the three times and the rows per second of
the import are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from motovault.core.db import connect  # noqa: E402
from motovault.importing.worker import ImportWorker  # noqa: E402
from motovault.stack.settings import load_settings  # noqa: E402


def become(conn: object, user: str, tenant: str) -> None:
    claims = json.dumps({"role": "app_user", "sub": user, "tenant_id": tenant})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))  # type: ignore[attr-defined]
    conn.execute("set role app_user")  # type: ignore[attr-defined]
    conn.execute("set statement_timeout = 0")  # type: ignore[attr-defined]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dbname", required=True)
    p.add_argument("--vehicles", type=int, default=5)
    p.add_argument("--fill-ups", type=int, default=400)
    args = p.parse_args()
    dsn = load_settings().dsn(args.dbname)
    old, new, owner = (str(uuid.uuid4()) for _ in range(3))
    with connect(dsn) as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'bench old'), (%s, 'bench new')", (old, new))
        conn.execute("insert into app.users (id) values (%s)", (owner,))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'), (%s, %s, 'owner')",
            (old, owner, new, owner))
        become(conn, owner, old)
        t_setup = time.perf_counter()
        for v in range(args.vehicles):
            vehicle = conn.execute(
                "insert into app.vehicles (display_name, odometer_unit) values (%s, 'km') returning id", (f"car {v}",)
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                """insert into app.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit,
                                              currency, is_full)
                   select %s, current_date - (%s - n), 1000 + n * 450, 40 + n %% 7, 'l', 1.789, 'EUR', n %% 10 <> 0
                   from generate_series(1, %s) as n""", (vehicle, args.fill_ups, args.fill_ups))
            conn.execute(
                """insert into app.odometer_entries (vehicle_id, read_on, odometer)
                   select %s, current_date - (%s - n * 10), 1000 + n * 4500 + 100
                   from generate_series(1, %s / 10 - 1) as n""",
                (vehicle, args.fill_ups, args.fill_ups))
            conn.execute(
                """insert into app.maintenance (vehicle_id, type, completed_on, odometer, cost, currency)
                   select %s, 'oil_change', current_date - (%s - n * 20), 1000 + n * 9000 + 200, 80, 'EUR'
                   from generate_series(1, %s / 20 - 1) as n""", (vehicle, args.fill_ups, args.fill_ups))
        setup_s = time.perf_counter() - t_setup
        made = conn.execute(
            "select (select count(*) from app.vehicles) + (select count(*) from app.fuel_logs)"
            " + (select count(*) from app.odometer_entries) + (select count(*) from app.maintenance)"
        ).fetchone()[0]  # type: ignore[index]
        t0 = time.perf_counter()
        doc = conn.execute("select api.export_tenant()").fetchone()[0]  # type: ignore[index]
        t1 = time.perf_counter()
        become(conn, owner, new)
        queued = conn.execute("select api.import_tenant(%s)", (json.dumps(doc),)).fetchone()[0]  # type: ignore[index]
        with ImportWorker(dsn, quiet=True) as worker:
            worker.drain()
        status, result, error = conn.execute(
            "select status, result, error from app.tenant_imports where id = %s", (queued["import_id"],)
        ).fetchone()  # type: ignore[misc]
        if status != "imported":
            raise SystemExit(f"the import {status}: {error}")
        t2 = time.perf_counter()
        conn.execute("select api.export_tenant()").fetchone()
        t3 = time.perf_counter()
    rows = sum(result["rows"].values())
    print(json.dumps({
        "command": " ".join(sys.argv),
        "rows": rows,
        "rows_per_table": result["rows"],
        "document_bytes": len(json.dumps(doc)),
        "export_s": round(t1 - t0, 3),
        "import_s": round(t2 - t1, 3),
        "import_rows_per_s": round(rows / (t2 - t1)),
        "same_rows_made_through_the_rules_s": round(setup_s, 3),
        "same_rows_made_rows_per_s": round(made / setup_s),
        "export_again_s": round(t3 - t2, 3),
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
