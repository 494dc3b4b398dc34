"""`motovault schema`: sql/schema.sql, the whole schema as the plan deploys it (normalized, see
motovault.core.schema), written or checked."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from psycopg import sql

from ..core.errors import MotovaultError
from ..core.paths import pg_bindir, project_root
from ..core.schema import schema_sql
from ..stack import database
from ..stack.settings import SUPERUSER, Settings
from ..stack.stack import ensure_cluster


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "schema",
        help="write or check sql/schema.sql (the schema the plan deploys)",
        description="Deploys the plan into a scratch database of the local cluster, writes its normalized "
        "schema (pg_dump --schema-only without the sqitch registry and the monthly partitions, grants sorted, "
        "role settings appended) and drops the scratch database.",
    )
    p.add_argument("--output", type=Path, default=None, help="where to write it (default sql/schema.sql)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff when the file is stale")
    p.set_defaults(func=run)


def generate(settings: Settings) -> str:
    """The normalized schema of a fresh deploy of the plan."""
    name = f"mvschema_{os.getpid()}"
    database.bootstrap(settings, name)
    try:
        database.sqitch(settings, name, "deploy")
        return schema_sql(settings.dsn(name, SUPERUSER), pg_bindir() / "pg_dump")
    finally:
        with database.superuser_connect(settings) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def run(args: argparse.Namespace) -> int:
    target: Path = args.output or project_root() / "sql" / "schema.sql"
    fresh = generate(ensure_cluster())
    if args.check:
        if not target.is_file():
            raise MotovaultError(f"{target} does not exist: run make schema")
        current = target.read_text()
        if current == fresh:
            print(f"{target}: up to date")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(keepends=True), fresh.splitlines(keepends=True), str(target), "the plan as deployed"))
        print(f"{target} is stale: run make schema", file=sys.stderr)
        return 1
    target.write_text(fresh)
    print(f"wrote {target} ({len(fresh.splitlines())} lines)")
    return 0
