"""`motovault db url`: connection strings of the local database."""

from __future__ import annotations

import argparse

from ..settings import AUTHENTICATOR_ROLE, OWNER_ROLE, SUPERUSER, load_settings

_ROLES = {"owner": OWNER_ROLE, "superuser": SUPERUSER, "authenticator": AUTHENTICATOR_ROLE}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="local database helpers")
    dsub = p.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    dsub.required = True
    url = dsub.add_parser("url", help="print the connection URL of the local database")
    url.add_argument("--as", dest="as_role", choices=sorted(_ROLES), default="owner", help="log in as (default owner)")
    url.add_argument("--dbname", default=None, help="another database of the local cluster")
    url.set_defaults(func=run_url)


def run_url(args: argparse.Namespace) -> int:
    settings = load_settings()
    print(settings.dsn(args.dbname, _ROLES[args.as_role]))
    return 0
