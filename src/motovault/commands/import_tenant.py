"""`motovault import-tenant FILE`: read a tenant document (`motovault export tenant`) back into the
active tenant through the API (POST /rpc/import_tenant, 202), then wait while the worker writes it
(GET /tenant_imports, with a progress bar on a terminal); the tenant must be empty. docs/exports.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import MotovaultError
from ..exports.api import client_from_options
from ..exports.tenant import start_import, wait_for_import
from ..importing.progress import Progress
from .export import add_api_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import-tenant", help="import a tenant document into an empty tenant (owners only)",
                       description="Import a document written by `motovault export tenant` into the active "
                       "tenant, which must be empty; all or nothing. The worker (motovault worker) writes it; "
                       "this command waits for it unless --no-wait.")
    p.add_argument("file", type=Path, help="the tenant document (JSON)")
    p.add_argument("--no-wait", dest="wait", action="store_false",
                   help="print the import's id once it is queued, do not wait for the worker")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="give up waiting for the worker after this long (default 600)")
    add_api_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise MotovaultError(f"--timeout: must be more than 0, got {args.timeout}")
    with client_from_options(args.api_url, args.token_env, args.tenant) as client:
        started = start_import(client, args.file)
        import_id = str(started["import_id"])
        if not args.wait:
            print(f"queued {args.file}: tenant import {import_id}, {started.get('rows_total', 0)} row(s)")
            return 0
        bar = Progress()
        try:
            job = wait_for_import(client, import_id, timeout=args.timeout, on_progress=bar.update)
        finally:
            bar.finish()
    result = job.get("result") or {}
    rows = result.get("rows", {})
    print(f"imported {args.file}: " + ", ".join(f"{name} {n}" for name, n in rows.items()))
    print(f"members added {result.get('members_added', 0)}, skipped {len(result.get('members_skipped', []))}")
    return 0
