"""`motovault db url | deploy`: connection strings of the local database, and deploying the plan to it."""

from __future__ import annotations

import argparse
import sys

from ..stack import database
from ..stack.settings import AUTHENTICATOR_ROLE, OWNER_ROLE, SUPERUSER, load_settings

_ROLES = {"owner": OWNER_ROLE, "superuser": SUPERUSER, "authenticator": AUTHENTICATOR_ROLE}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="local database helpers")
    dsub = p.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    dsub.required = True
    url = dsub.add_parser("url", help="print the connection URL of the local database")
    url.add_argument("--as", dest="as_role", choices=sorted(_ROLES), default="owner", help="log in as (default owner)")
    # --dbname, not --dsn: a database name of the local cluster (the URL is what this prints)
    url.add_argument("--dbname", default=None, help="another database of the local cluster")
    url.set_defaults(func=run_url)
    dep = dsub.add_parser(
        "deploy",
        help="sqitch deploy with a lock_timeout, retrying a change that found its table locked",
        description="Deploys the sqitch plan to the local database as the owner role. Every script runs with "
        f"lock_timeout (PGOPTIONS; default {database.DEFAULT_LOCK_TIMEOUT}, ${database.LOCK_TIMEOUT_ENV}): a change "
        "that cannot get its lock fails fast, nothing of it is applied, and it is retried after a pause "
        "(doubled each time). Progress lines go to stderr.",
    )
    # --dbname, not --dsn: deploys as the local owner role with the local secrets (sqitch target, the
    # authenticator's password, who holds a lock), so only a database of the local cluster
    dep.add_argument("--dbname", default=None, help="another database of the local cluster")
    dep.add_argument(
        "--to", dest="to_change", metavar="CHANGE", help="deploy up to this change (default: the whole plan)"
    )
    dep.add_argument("--lock-timeout", metavar="DURATION", default=None,
                     help=f"how long a statement may wait for a lock (default ${database.LOCK_TIMEOUT_ENV} or "
                     f"{database.DEFAULT_LOCK_TIMEOUT}; 0 waits forever)")
    dep.add_argument("--retries", type=_count, default=database.DEFAULT_RETRIES,
                     help=f"retries of a change that could not get its lock (default {database.DEFAULT_RETRIES})")
    dep.add_argument("--retry-wait", type=_seconds, default=database.DEFAULT_RETRY_WAIT, metavar="SECONDS",
                     help="pause before the first retry, doubled for each next one "
                     f"(default {database.DEFAULT_RETRY_WAIT:g})")
    dep.set_defaults(func=run_deploy)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def run_url(args: argparse.Namespace) -> int:
    settings = load_settings()
    print(settings.dsn(args.dbname, _ROLES[args.as_role]))
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    settings = load_settings()
    database.deploy_lock_timeout(args.lock_timeout)  # a bad duration is an error before anything runs
    extra = ["--to", args.to_change] if args.to_change else []
    result = database.deploy(
        settings, args.dbname or settings.db_name, *extra,
        lock_timeout=args.lock_timeout, retries=args.retries, retry_wait=args.retry_wait,
        progress=lambda line: print(f"motovault db: {line}", file=sys.stderr, flush=True),
    )
    print(result.stdout.rstrip())
    return 0
