"""`motovault doctor`: architecture analysis of a PostgreSQL database and its migrations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core.errors import MotovaultError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "doctor",
        help="lint a database's schema (and its migrations) for tenancy, integrity, security, performance",
        description=(
            "Read the live catalog (and, with --migrations or --sqitch, the migration files) and report "
            "findings with evidence and a fix. Exit status 1 when a finding reaches --fail-on. Suppressions come "
            "from .doctor-ignore.toml, found in the migrations folder (or the current directory) or a parent of it, "
            "up to the repository root."
        ),
    )
    p.add_argument(
        "--dsn", metavar="URL", help="connection URL of the database (default: the local motovault database)"
    )
    p.add_argument("--schema", dest="schemas", action="extend", nargs="+", default=[], metavar="S",
                   help="analyse only these schemas (default: every non-system schema except sqitch)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--migrations", type=Path, metavar="DIR", help="a folder of numbered .sql migrations (file order)")
    src.add_argument("--sqitch", type=Path, metavar="DIR", help="a sqitch project: deploy scripts in plan order")
    p.add_argument("--no-live", action="store_true", help="skip the live catalog: lint migration files only")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--fail-on", choices=("info", "warning", "error"), default="error",
                   help="exit 1 when a finding reaches this level (default error)")
    ignore = p.add_mutually_exclusive_group()
    ignore.add_argument("--ignore-file", type=Path, metavar="F",
                        help="TOML suppressions, each with a reason (default: .doctor-ignore.toml, found by itself)")
    ignore.add_argument("--no-ignore-file", action="store_true", help="use no suppressions file")
    p.add_argument("--exact-counts", action="store_true", help="count rows (default: catalog estimates)")
    p.add_argument("--large-table-rows", type=int, default=1_000_000, metavar="N",
                   help="rows from which an event-like table must be partitioned or time-indexed (default 1000000)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report there instead of stdout")
    docs = p.add_mutually_exclusive_group()
    docs.add_argument("--list-rules", action="store_true",
                      help="list the rules (name, level, category, summary) and exit")
    docs.add_argument("--explain", metavar="RULE", help="print the documentation of one rule and exit")
    docs.add_argument("--write-docs", type=Path, metavar="DIR",
                      help="write the rules' documentation pages into DIR and exit")
    p.set_defaults(func=run)


def _documentation(args: argparse.Namespace) -> int | None:
    """--list-rules, --explain, --write-docs: no database, no migrations."""
    from ..doctor import docs

    if args.list_rules:
        sys.stdout.write(docs.list_rules())
    elif args.explain is not None:
        sys.stdout.write(docs.explain(args.explain))
    elif args.write_docs is not None:
        written = docs.write_docs(args.write_docs)
        print(f"wrote {len(written)} pages to {args.write_docs}")
    else:
        return None
    return 0


def run(args: argparse.Namespace) -> int:
    from ..doctor import DoctorOptions, Level, render_json, render_markdown, run_doctor
    from ..doctor.live import LiveOptions

    status = _documentation(args)
    if status is not None:
        return status
    dsn = args.dsn
    if args.no_live:
        if not (args.migrations or args.sqitch):
            raise MotovaultError("--no-live needs --migrations or --sqitch")
        if dsn or args.schemas or args.exact_counts:
            raise MotovaultError("--no-live reads no database: drop --dsn/--schema/--exact-counts")
    elif not dsn:
        from ..stack.settings import load_settings

        dsn = load_settings().dsn()
    for folder in (args.migrations, args.sqitch):
        if folder is not None and not folder.is_dir():
            raise MotovaultError(f"not a folder: {folder}")
    report = run_doctor(DoctorOptions(
        dsn=None if args.no_live else dsn, schemas=args.schemas, migrations=args.migrations, sqitch=args.sqitch,
        ignore_file=args.ignore_file, find_ignore_file=not args.no_ignore_file, exact_counts=args.exact_counts,
        live=LiveOptions(large_table_rows=args.large_table_rows),
    ))
    text = render_json(report) if args.format == "json" else render_markdown(report)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    worst = report.worst()
    return 1 if worst is not None and worst >= Level.parse(args.fail_on) else 0
