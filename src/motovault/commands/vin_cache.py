"""`motovault vin purge-cache`: delete expired VIN cache rows and old finished decode jobs.

The `vin` command itself lives in commands/vin.py; it calls add_purge_parser().
"""

from __future__ import annotations

import argparse

from ..core.errors import MotovaultError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Nothing at the top level: purge-cache is a subcommand of `vin` (see add_purge_parser)."""


def add_purge_parser(vsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = vsub.add_parser(
        "purge-cache",
        help="delete expired VIN cache rows and decode jobs done long ago",
        description="Runs app.purge_vin_cache() (rows past expires_at: 30 days for decoded VINs, 1 day for "
        "negative entries, see motovault.vin_cache_ttl_days) and app.purge_vin_decode_jobs(--keep-jobs-days).",
    )
    p.add_argument("--dsn", metavar="URL", default=None,
                   help="connection URL of the database (default: $MOTOVAULT_WORKER_DSN or the local stack)")
    p.add_argument("--keep-jobs-days", type=int, default=7, help="keep done jobs this many days (default 7)")
    p.set_defaults(func=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    import psycopg

    from ..core.db import connect
    from ..stack.settings import worker_dsn

    if args.keep_jobs_days < 0:
        raise MotovaultError(f"--keep-jobs-days: must be 0 or more, got {args.keep_jobs_days}")
    try:
        with connect(args.dsn or worker_dsn(), application_name="motovault vin-cache") as conn:
            cache = conn.execute("select app.purge_vin_cache()").fetchone()[0]  # type: ignore[index]
            jobs = conn.execute("select app.purge_vin_decode_jobs(%s)", (args.keep_jobs_days,)).fetchone()[0]  # type: ignore[index]
    except psycopg.Error as exc:
        raise MotovaultError(str(exc).strip().splitlines()[0]) from None
    print(f"purged {cache} expired VIN cache row(s) and {jobs} finished decode job(s)")
    return 0
