"""Import of a long history through the import worker: rows/s of the parse, the dry run and the commit.

    .venv/bin/python bench/import_apply_bench.py --rows 20000 [--bad-line N] [--chunk 500] [--keep]

A fresh database `mvbench_imports` is deployed from this checkout's sqitch plan (the cluster of
$MOTOVAULT_STATE, started when it is not running). One tenant, its owner and one vehicle; a
generated LubeLogger fuel file of --rows fill-ups (a day and 400 km apart, every 10th partial) is
uploaded as the owner (api.start_import with the owner's claims, as PostgREST calls it), then
`motovault worker`'s import job (motovault.importing.worker.ImportWorker, in this process) parses it
and runs the dry run; the vehicles are confirmed and the commit asked for (api.commit_import), and
the worker commits it. --bad-line puts one refused line there (an odometer below the one before):
the commit is then refused, nothing written, and the time is that of finding it.

Figures (JSON on stdout and in bench/results/import_apply_bench.json): seconds and rows/s of parse +
staging, dry run, and commit, and of the whole import (upload to committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from motovault.importing.worker import ImportWorker  # noqa: E402
from motovault.stack import database  # noqa: E402
from motovault.stack.settings import OWNER_ROLE, load_settings  # noqa: E402
from motovault.stack.stack import ensure_cluster  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "import_apply_bench.json"


def lubelogger_gas(rows: int, bad_line: int | None) -> bytes:
    out = ["Date,Odometer,FuelConsumed,Cost,IsFillToFull,MissedFuelUp,Notes"]
    day = dt.date(1960, 1, 1)
    for n in range(rows):
        odometer = 1000 + n * 400 - (5000 if n + 2 == bad_line else 0)
        out.append(f"{(day + dt.timedelta(days=n)).strftime('%m/%d/%Y')},{odometer},{30 + n % 9}.5,"
                   f"{50 + n % 13}.25,{'False' if n % 10 == 5 else 'True'},False,")
    return ("\n".join(out) + "\n").encode()


def as_member(conn: psycopg.Connection[Any], user: str, tenant: str) -> None:
    claims = json.dumps({"role": "app_user", "sub": user, "tenant_id": tenant})
    conn.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
    conn.execute("set role app_user")


def wait_for(worker: ImportWorker, conn: psycopg.Connection[Any], batch: str, pending: tuple[str, ...]) -> str:
    while True:
        worker.drain()
        row = conn.execute("select status from api.import_batches where id = %s", (batch,)).fetchone()
        assert row is not None
        if row[0] not in pending:
            return str(row[0])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--bad-line", type=int, default=None)
    p.add_argument("--chunk", type=int, default=500, help="rows per app.import_apply_rows call")
    p.add_argument("--keep", action="store_true", help="keep the database")
    args = p.parse_args()

    settings = load_settings()
    ensure_cluster()
    name = "mvbench_imports"
    with database.superuser_connect(settings) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(OWNER_ROLE)))
    try:
        database.sqitch(settings, name, "deploy")
        tenant, user, vehicle = (str(uuid.uuid4()) for _ in range(3))
        owner_dsn = settings.dsn(name, user=OWNER_ROLE)
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            conn.execute("insert into app.tenants (id, name) values (%s, 'bench imports')", (tenant,))
            conn.execute("insert into app.users (id) values (%s)", (user,))
            conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')",
                         (tenant, user))
            conn.execute("insert into app.vehicles (tenant_id, id, display_name, odometer_unit) "
                         "values (%s, %s, 'Long history', 'km')", (tenant, vehicle))
        data = lubelogger_gas(args.rows, args.bad_line)
        load_before = list(os.getloadavg())
        with psycopg.connect(owner_dsn, autocommit=True) as member, \
                ImportWorker(owner_dsn, quiet=True, chunk_rows=args.chunk) as worker:
            as_member(member, user, tenant)
            t0 = time.perf_counter()
            batch = str(member.execute(
                "select id from api.start_import('long.csv', encode(%s::bytea, 'base64'), currency => 'EUR', "
                "vehicle_id => %s)", (data, vehicle)).fetchone()[0])  # type: ignore[index]
            worker.parse_next()  # parse and stage; the dry run follows
            t1 = time.perf_counter()
            status = wait_for(worker, member, batch, ("queued", "parsing", "previewing"))
            t2 = time.perf_counter()
            refused = member.execute("select count(*) from api.import_rows where batch_id = %s and status = 'error'",
                                     (batch,)).fetchone()[0]  # type: ignore[index]
            member.execute("select from api.confirm_import_vehicles(%s)", (batch,))
            member.execute("select from api.commit_import(%s)", (batch,))
            t3 = time.perf_counter()
            final = wait_for(worker, member, batch, ("committing",))
            t4 = time.perf_counter()
            error = member.execute("select error from api.import_batches where id = %s",
                                   (batch,)).fetchone()[0]  # type: ignore[index]
            written = member.execute("select count(*) from api.fuel_logs where vehicle_id = %s",
                                     (vehicle,)).fetchone()[0]  # type: ignore[index]
        result = {
            "benchmark": "a generated LubeLogger fuel file through the import worker: parse, dry run, commit",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "rows": args.rows,
            "bad_line": args.bad_line,
            "chunk_rows": args.chunk,
            "after_parse": status,
            "refused_in_preview": refused,
            "final_status": final,
            "error": error,
            "fill_ups_written": written,
            "parse_and_stage_s": round(t1 - t0, 2),
            "preview_s": round(t2 - t1, 2),
            "commit_s": round(t4 - t3, 2),
            "parse_rows_per_s": round(args.rows / (t1 - t0)),
            "preview_rows_per_s": round(args.rows / (t2 - t1)),
            "commit_rows_per_s": round(args.rows / (t4 - t3)),
            "whole_import_rows_per_s": round(args.rows / (t4 - t0)),
            "load_average_before": [round(x, 1) for x in load_before],
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            with database.superuser_connect(settings) as admin:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
