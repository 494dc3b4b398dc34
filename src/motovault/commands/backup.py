"""`motovault backup create | verify`: a pg_dump with a manifest, and its proof by restore."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..stack import backup
from ..stack.settings import SUPERUSER, load_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "backup",
        help="back up the database and verify backups",
        description="A backup is one tar file: a pg_dump (custom format) and a manifest of row counts and "
        "checksums per table, taken in one snapshot.",
    )
    bsub = p.add_subparsers(dest="backup_command", metavar="SUBCOMMAND")
    bsub.required = True
    c = bsub.add_parser("create", help="dump the database with a manifest into one file")
    c.add_argument(
        "--dsn", metavar="URL", help="connection URL of the database (a superuser; default: the local database)"
    )
    c.add_argument("-o", "--output", type=Path, help="the backup file (default motovault-DB-TIME.backup.tar)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    c.set_defaults(func=run_create)
    v = bsub.add_parser(
        "verify",
        help="restore a backup into a scratch database, sqitch verify it, compare the manifest",
    )
    v.add_argument("file", type=Path)
    v.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    v.set_defaults(func=run_verify)


def _progress(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    if args.quiet:
        return lambda _: None
    return lambda line: print(f"motovault backup: {line}", file=sys.stderr, flush=True)


def run_create(args: argparse.Namespace) -> int:
    settings = load_settings()
    dsn = args.dsn or settings.dsn(settings.db_name, SUPERUSER)
    output = args.output
    if output is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path(f"motovault-{settings.db_name if not args.dsn else 'db'}-{stamp}.backup.tar")
    result = backup.create(dsn, output, _progress(args))
    print(result.path)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    manifest = backup.verify(settings, args.file, _progress(args))
    print(f"{args.file}: OK ({len(manifest['tables'])} tables match the manifest; sqitch verify passed)")
    return 0
