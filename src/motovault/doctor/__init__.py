"""`motovault doctor`: architecture lints for any PostgreSQL database and its migrations.

    from motovault.doctor import DoctorOptions, run_doctor
    report = run_doctor(DoctorOptions(dsn=..., sqitch=Path(".")))

Modules: rule (what a rule is), rules/ (the registry: one module per rule), catalog (bulk catalog
queries), live (runs the live rules), policies (RLS predicate analysis with pglast), migrations
(migration sources), walker (replays migrations and dispatches to the migration rules), parsing and
locks (statements and the locks they take), suppress (the ignore file), report (markdown and JSON),
docs (rule docs, --list-rules, --explain).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ..core.db import connect, describe
from ..core.errors import MotovaultError
from .catalog import Catalog, load_catalog
from .live import LiveOptions, run_live_lints, tenant_column
from .migrations import analyse_migrations, numbered_folder, sqitch_project
from .model import DatabaseFacts, Finding, ForeignKeyFact, Level, Report, TableFacts
from .report import render_json, render_markdown
from .suppress import Suppression, apply_suppressions, find_ignore_file, load_suppressions

__all__ = ["DoctorOptions", "Finding", "Level", "Report", "run_doctor", "render_json", "render_markdown"]


@dataclass
class DoctorOptions:
    dsn: str | None
    schemas: list[str] = field(default_factory=list)
    migrations: Path | None = None
    sqitch: Path | None = None
    ignore_file: Path | None = None
    find_ignore_file: bool = False  # look for .doctor-ignore.toml (the CLI does, unless --ignore-file/--no-ignore-file)
    exact_counts: bool = False
    live: LiveOptions = field(default_factory=LiveOptions)


_ON_DELETE = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


def table_facts(cat: Catalog) -> list[TableFacts]:
    out: list[TableFacts] = []
    for rel in cat.tables():
        names = {c.name for c in rel.columns}
        fks = []
        for con in rel.constraints:
            if con.type == "f":
                target = cat.relations.get(con.ref_table) if con.ref_table else None
                fks.append(ForeignKeyFact(
                    name=con.name, columns=rel.column_names(con.columns),
                    target=target.qualified if target else f"(outside the analysed schemas, oid {con.ref_table})",
                    target_columns=target.column_names(con.ref_columns) if target else [],
                    on_delete=_ON_DELETE.get(con.on_delete, con.on_delete),
                ))
        out.append(TableFacts(
            schema=rel.schema, name=rel.name, kind="partitioned table" if rel.kind == "p" else "table",
            rows=rel.rows, rows_exact=rel.exact_rows is not None, columns=len(rel.columns),
            has_timestamps={"created_at", "updated_at"} <= names, has_tenant_id=tenant_column(rel) is not None,
            has_soft_delete="deleted_at" in names, rls_enabled=rel.rls, rls_forced=rel.rls_forced,
            policies=len(rel.policies), foreign_keys=fks,
        ))
    return out


def resolve_ignore_file(opts: DoctorOptions) -> tuple[Path | None, str]:
    """The suppressions file to use and where it comes from (given, found, none, disabled)."""
    if opts.ignore_file is not None:
        return opts.ignore_file, "given"
    if not opts.find_ignore_file:
        return None, "disabled"
    found = find_ignore_file(opts.sqitch or opts.migrations or Path.cwd())
    return (found, "found") if found else (None, "none")


def run_doctor(opts: DoctorOptions) -> Report:
    ignore_file, ignore_origin = resolve_ignore_file(opts)
    suppressions: list[Suppression] = load_suppressions(ignore_file) if ignore_file else []
    findings: list[Finding] = []
    database: DatabaseFacts | None = None
    tables: list[TableFacts] = []
    if opts.dsn:
        with connect(opts.dsn, what=f"the database {describe(opts.dsn)}") as conn:
            try:
                conn.execute("set statement_timeout = '60s'")
                cat = load_catalog(conn, opts.schemas or None, exact_counts=opts.exact_counts)
                if opts.schemas:
                    missing = sorted(set(opts.schemas) - set(cat.schemas))
                    if missing:
                        raise MotovaultError(f"schema(s) not found or not analysable: {', '.join(missing)}")
                findings += run_live_lints(cat, opts.live, conn)
            except psycopg.Error as exc:
                raise MotovaultError(f"catalog query failed: {' '.join(str(exc).split())}") from None
        database = DatabaseFacts(name=cat.database, server_version=cat.server_version, schemas=cat.schemas,
                                 stats_age_days=cat.stats_age_days)
        tables = table_facts(cat)
    source = None
    files = []
    if opts.migrations and opts.sqitch:
        raise MotovaultError("give --migrations or --sqitch, not both")
    if opts.migrations:
        files = numbered_folder(opts.migrations)
        source = f"numbered folder {opts.migrations}"
        findings += analyse_migrations(files, sqitch=False)
    elif opts.sqitch:
        files = sqitch_project(opts.sqitch)
        source = f"sqitch project {opts.sqitch}"
        findings += analyse_migrations(files, sqitch=True)
    apply_suppressions(findings, suppressions)
    return Report(
        database=database, tables=tables, findings=findings, migration_source=source,
        migration_files=[f.name for f in files],
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        unused_suppressions=[label for s in suppressions for label in s.unused()],
        ignore_file=str(ignore_file) if ignore_file else None, ignore_file_origin=ignore_origin,
    )
