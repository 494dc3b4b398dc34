"""`motovault import-tenant FILE`: read a tenant document (`motovault export tenant`) back into the
active tenant through the API (POST /rpc/import_tenant); the tenant must be empty. docs/exports.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..exports.api import client_from_options
from ..exports.tenant import import_tenant
from .export import add_api_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import-tenant", help="import a tenant document into an empty tenant (owners only)",
                       description="Import a document written by `motovault export tenant` into the active "
                       "tenant, which must be empty; all or nothing.")
    p.add_argument("file", type=Path, help="the tenant document (JSON)")
    add_api_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with client_from_options(args.api_url, args.token_env, args.tenant) as client:
        result = import_tenant(client, args.file)
    rows = result.get("rows", {})
    print(f"imported {args.file}: " + ", ".join(f"{name} {n}" for name, n in rows.items()))
    print(f"members added {result.get('members_added', 0)}, skipped {len(result.get('members_skipped', []))}")
    return 0
