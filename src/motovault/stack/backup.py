"""Backups that prove themselves: a pg_dump (custom format) plus a manifest, and a verification that
restores the dump into a scratch database of the local cluster.

A backup is one tar file holding

    dump.pgcustom   pg_dump --format=custom of the whole database (taken in the manifest's snapshot)
    manifest.json   format, database, time, server version, deployed sqitch changes, the dump's
                    sha256, per table (app, audit, sqitch ...: every ordinary or partitioned table) its
                    row count and the md5 of its rows as text in a total order, and the database's
                    role settings (ALTER ROLE ... IN DATABASE: pg_dump does not carry them), and the
                    documents' files (app.document_files): their count, total bytes, a digest of every
                    (tenant, sha256) and how many files' bytes do not hash to their sha256

The row counts and checksums are computed in the same snapshot pg_dump reads (pg_export_snapshot), so
they describe exactly the dumped data even while the database is being written.

Verification: the dump's sha256, pg_restore into a scratch database, the role settings, `sqitch
verify` there, then every table's count and checksum against the manifest, then the documents: the
same files, and the SHA-256 of every file's bytes recomputed in the restored database equal to the
one it is stored under; the scratch database is dropped in every case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import psycopg
from psycopg import sql

from ..core.db import connect, one_row
from ..core.errors import MotovaultError
from ..core.paths import pg_bindir
from . import database
from .settings import OWNER_ROLE, SUPERUSER, Settings

FORMAT = "motovault-backup/1"
DUMP_NAME = "dump.pgcustom"
MANIFEST_NAME = "manifest.json"
#: schemas whose tables a manifest lists: everything but the catalogs
SKIP_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- manifest ------------------------------------------------------------------------------------------


def table_list(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        """
        select format('%%I.%%I', n.nspname, c.relname)
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p')
          and not c.relispartition
          and n.nspname <> all (%s)
          and n.nspname not like 'pg\\_temp%%'
          and not exists (select from pg_depend as d where d.objid = c.oid and d.deptype = 'e')
        order by 1
        """,
        (list(SKIP_SCHEMAS),),
    ).fetchall()
    return [r[0] for r in rows]


class Fingerprint(TypedDict):
    rows: int
    md5: str


def table_fingerprints(conn: psycopg.Connection, progress: Progress = _quiet) -> dict[str, Fingerprint]:
    """{table: {"rows": n, "md5": md5 of the rows as text, sorted}} for every user table."""
    out: dict[str, Fingerprint] = {}
    tables = table_list(conn)
    for i, table in enumerate(tables, 1):
        count, digest = one_row(
            conn,
            sql.SQL(
                "select count(*), coalesce(md5(string_agg(r::text, E'\\n' order by r::text collate \"C\")), '') "
                "from {} as r"
            ).format(sql.SQL(table)),
        )
        out[table] = {"rows": count, "md5": digest}
        if i % 10 == 0 or i == len(tables):
            progress(f"checksummed {i}/{len(tables)} tables")
    return out


class DocumentsFingerprint(TypedDict):
    files: int
    bytes: int
    digest: str
    corrupt: int


def documents_fingerprint(conn: psycopg.Connection) -> DocumentsFingerprint | None:
    """The documents' files: count, total bytes, md5 of the sorted (tenant, sha256) list, and how many
    files' bytes do not hash to the sha256 they are stored under (recomputed here); None without the
    table (a database from before the documents change)."""
    if not one_row(conn, "select to_regclass('app.document_files') is not null")[0]:
        return None
    files, total, digest, corrupt = one_row(
        conn,
        """
        select count(*), coalesce(sum(bytes), 0),
               coalesce(md5(string_agg(tenant_id::text || ':' || sha256, E'\n' order by tenant_id, sha256)), ''),
               count(*) filter (where encode(sha256(content), 'hex') <> sha256 or octet_length(content) <> bytes)
        from app.document_files
        """,
    )
    return {"files": int(files), "bytes": int(total), "digest": str(digest), "corrupt": int(corrupt)}


def compare_documents(expected: Mapping[str, object] | None, actual: Mapping[str, object] | None) -> list[str]:
    """What differs between the manifest's documents and the restored database's."""
    if expected is None:
        return []
    if actual is None:
        return ["documents: in the manifest, but the restored database has no app.document_files"]
    problems = []
    if actual["corrupt"]:
        problems.append(f"documents: {actual['corrupt']} file(s) whose bytes do not match their sha256")
    for key, what in (("files", "files"), ("bytes", "bytes of files"), ("digest", "file digest")):
        if expected[key] != actual[key]:
            problems.append(f"documents: manifest has {what} {expected[key]}, restored database {actual[key]}")
    return problems


def role_settings(conn: psycopg.Connection) -> list[dict[str, str]]:
    rows = conn.execute(
        """
        select r.rolname, c
        from pg_db_role_setting as s
        join pg_roles as r on r.oid = s.setrole
        cross join unnest(s.setconfig) as c
        where s.setdatabase = (select oid from pg_database where datname = current_database())
        order by 1, 2
        """
    ).fetchall()
    return [{"role": role, "name": c.split("=", 1)[0], "value": c.split("=", 1)[1]} for role, c in rows]


def deployed_changes(conn: psycopg.Connection) -> list[str]:
    exists = one_row(conn, "select to_regclass('sqitch.changes') is not null")[0]
    if not exists:
        return []
    return [r[0] for r in conn.execute("select change from sqitch.changes order by committed_at, change").fetchall()]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line.strip()]
        raise MotovaultError(f"{what} failed: {lines[-1] if lines else f'exit status {result.returncode}'}")


def _libpq_dsn(dsn: str) -> str:
    return dsn.replace("pg://", "postgresql://", 1)


# --- create -------------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def create(dsn: str, output: Path, progress: Progress = _quiet) -> BackupResult:
    """Dump the database at `dsn` (a superuser: RLS is forced on tenant tables) into one tar file."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(_libpq_dsn(dsn), autocommit=False, application_name="motovault backup", what=_redact(dsn))
    with conn, tempfile.TemporaryDirectory(prefix="motovault-backup-") as tmp:
        conn.execute("set transaction isolation level repeatable read, read only")
        snapshot = one_row(conn, "select pg_export_snapshot()")[0]
        dbname, server_version = one_row(conn, "select current_database(), current_setting('server_version')")
        progress(f"backing up database {dbname} (PostgreSQL {server_version})")
        # the documents' files first (same snapshot): damaged files are not backed up as if they were good
        documents = documents_fingerprint(conn)
        if documents is not None and documents["corrupt"]:
            raise MotovaultError(
                f"{documents['corrupt']} document file(s) in {dbname} do not match their sha256: "
                "the database is damaged; restore those files from an earlier backup"
            )
        dump = Path(tmp) / DUMP_NAME
        # pg_dump reads the snapshot this transaction exported: the manifest describes exactly the dump
        _run(
            [
                str(pg_bindir() / "pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={dump}",
                _libpq_dsn(dsn),
            ],
            "pg_dump",
        )
        progress(f"dumped {dump.stat().st_size:,} bytes")
        tables = table_fingerprints(conn, progress)
        manifest = {
            "format": FORMAT,
            "database": dbname,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "server_version": server_version,
            "sqitch_changes": deployed_changes(conn),
            "role_settings": role_settings(conn),
            "dump": {"file": DUMP_NAME, "bytes": dump.stat().st_size, "sha256": _sha256(dump)},
            "tables": tables,
            **({"documents": documents} if documents is not None else {}),
        }
        conn.rollback()
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(manifest_bytes)
            info.mtime = int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(manifest_bytes))
            tar.add(dump, arcname=DUMP_NAME)
        os.replace(partial, output)
    rows = sum(int(t["rows"]) for t in tables.values())
    progress(f"wrote {output} ({len(tables)} tables, {rows:,} rows)")
    return BackupResult(output, manifest)


def _redact(dsn: str) -> str:
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", dsn)


# --- verify ------------------------------------------------------------------------------------------------------


def read_backup(path: Path, into: Path) -> tuple[dict[str, Any], Path]:
    if not path.is_file():
        raise MotovaultError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r") as tar:
            names = set(tar.getnames())
            missing = {MANIFEST_NAME, DUMP_NAME} - names
            if missing:
                raise MotovaultError(f"{path}: not a motovault backup (missing {', '.join(sorted(missing))})")
            for name in (MANIFEST_NAME, DUMP_NAME):
                member = tar.getmember(name)
                if not member.isfile():
                    raise MotovaultError(f"{path}: {name} is not a regular file")
                with tar.extractfile(member) as src, (into / name).open("wb") as dst:  # type: ignore[union-attr]
                    while block := src.read(1 << 20):
                        dst.write(block)
    except tarfile.TarError as exc:
        raise MotovaultError(f"{path}: not a readable tar file ({exc})") from None
    try:
        manifest = json.loads((into / MANIFEST_NAME).read_text())
    except ValueError as exc:
        raise MotovaultError(f"{path}: manifest.json is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise MotovaultError(f"{path}: unknown manifest format {found!r}")
    return manifest, into / DUMP_NAME


def compare_tables(
    expected: Mapping[str, Mapping[str, object]], actual: Mapping[str, Mapping[str, object]]
) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"{table}: in the restored database, not in the manifest")
        elif got is None:
            problems.append(f"{table}: in the manifest, missing from the restored database")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: manifest has {want['rows']} rows, restored database {got['rows']}")
        elif want["md5"] != got["md5"]:
            problems.append(f"{table}: checksum differs (manifest {want['md5']}, restored {got['md5']})")
    return problems


def verify(settings: Settings, path: Path, progress: Progress = _quiet, keep: bool = False) -> dict[str, Any]:
    """Restore the backup into a scratch database, sqitch verify it, compare the manifest; raises
    MotovaultError with a one-line reason when anything differs. Returns the manifest."""
    path = path.resolve()
    with tempfile.TemporaryDirectory(prefix="motovault-verify-") as tmp:
        manifest, dump = read_backup(path, Path(tmp))
        digest = _sha256(dump)
        if digest != manifest.get("dump", {}).get("sha256"):
            raise MotovaultError(f"{path}: the dump's sha256 {digest} does not match the manifest's")
        progress(
            f"{path.name}: backup of {manifest['database']} taken {manifest['created_at']}, "
            f"{len(manifest['tables'])} tables"
        )
        scratch = f"mvverify_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with database.superuser_connect(settings) as admin:
            admin.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(scratch), sql.Identifier(OWNER_ROLE))
            )
        try:
            progress(f"restoring into scratch database {scratch}")
            _run(
                [
                    str(pg_bindir() / "pg_restore"),
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={settings.dsn(scratch, SUPERUSER)}",
                    str(dump),
                ],
                "pg_restore",
            )
            with connect(settings.dsn(scratch, SUPERUSER), application_name="motovault backup") as conn:
                for s in manifest.get("role_settings", []):
                    conn.execute(
                        sql.SQL("alter role {} in database {} set {} = {}").format(
                            sql.Identifier(s["role"]), sql.Identifier(scratch), sql.Identifier(s["name"]),
                            sql.Literal(s["value"]),
                        )
                    )
                changes = deployed_changes(conn)
            if changes != manifest.get("sqitch_changes", []):
                raise MotovaultError("the restored database's sqitch changes differ from the manifest's")
            if changes:
                progress(f"sqitch verify ({len(changes)} changes)")
                try:
                    database.sqitch(settings, scratch, "verify")
                except MotovaultError as exc:
                    failed = [
                        line.strip(" *").split(" ")[0]
                        for line in str(exc).splitlines()
                        if "failed." in line and line.lstrip().startswith("*")
                    ]
                    reason = f"{', '.join(failed)} not ok" if failed else str(exc).splitlines()[-1].strip()
                    raise MotovaultError(f"sqitch verify failed on the restored database: {reason}") from None
            progress("comparing row counts and checksums")
            with connect(
                settings.dsn(scratch, SUPERUSER), autocommit=False, application_name="motovault backup"
            ) as conn:
                actual = table_fingerprints(conn)
                progress("hashing the documents' files")
                documents = documents_fingerprint(conn)
            problems = compare_tables(manifest["tables"], actual)
            problems += compare_documents(manifest.get("documents"), documents)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise MotovaultError(f"restored data differs from the manifest: {problems[0]}{more}")
            rows = sum(int(t["rows"]) for t in actual.values())
            files = f", {documents['files']:,} document files" if documents is not None else ""
            progress(f"OK: {len(actual)} tables, {rows:,} rows{files} match the manifest")
        finally:
            if not keep:
                with database.superuser_connect(settings) as admin:
                    admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(scratch)))
    return manifest
