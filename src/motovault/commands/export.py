"""`motovault export`: take a tenant's data out through the API, as the tenant document
(`export tenant`) or one vehicle in LubeLogger's CSV layout (`export lubelogger`). docs/exports.md."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

from ..exports.api import TOKEN_ENV, client_from_options
from ..exports.lubelogger import export_vehicle
from ..exports.tenant import export_tenant


def add_api_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--api-url", default=None, help="the motovault API (default: the local stack's, http://127.0.0.1:3000)")
    p.add_argument("--token-env", default=TOKEN_ENV, metavar="NAME",
                   help=f"environment variable holding the bearer token (default {TOKEN_ENV})")
    p.add_argument("--tenant", type=_uuid, default=None,
                   help="the tenant, for a token that names none (sent as X-Tenant-Id)")


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export", help="export data through the API (tenant document, LubeLogger CSV)",
                       description="Export the active tenant's data through the API.")
    what = p.add_subparsers(dest="what", metavar="WHAT")
    what.required = True
    t = what.add_parser("tenant", help="the whole tenant as one JSON document (owners only)",
                        description="Write the active tenant's whole data as one JSON document "
                        "(GET /rpc/export_tenant); `motovault import-tenant` reads it back into an empty tenant.")
    t.add_argument("--output", type=Path, required=True, help="the JSON file to write")
    add_api_options(t)
    t.set_defaults(func=run_tenant)
    lube = what.add_parser("lubelogger", help="one vehicle's records as LubeLogger CSV files",
                           description="Write one vehicle's fuel, service, repair, upgrade and odometer records "
                           "as CSV files in LubeLogger's import layout.")
    lube.add_argument("--vehicle", type=_uuid, required=True, help="the vehicle's id")
    lube.add_argument("--output", type=Path, required=True, help="the folder to write the CSV files into")
    add_api_options(lube)
    lube.set_defaults(func=run_lubelogger)


def run_tenant(args: argparse.Namespace) -> int:
    with client_from_options(args.api_url, args.token_env, args.tenant) as client:
        counts = export_tenant(client, args.output)
    print(f"wrote {args.output}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


def run_lubelogger(args: argparse.Namespace) -> int:
    with client_from_options(args.api_url, args.token_env, args.tenant) as client:
        written = export_vehicle(client, args.vehicle, args.output)
    for w in written:
        print(f"wrote {w.path}: {w.rows} rows")
    return 0
