"""`motovault backup create` and `motovault backup verify`, end to end through the CLI: a backup of a
database holding the demo data and generated rows verifies; a tampered one fails with a clear one-line
message; the scratch database is dropped either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motovault.core.db import one_row
from motovault.stack.settings import Settings
from support.databases import ClonedDatabase
from support.documents import pdf, png
from support.hardening import load_demo

MV = [sys.executable, "-m", "motovault"]


def motovault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MV, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300)


def scratch_databases(settings: Settings) -> list[str]:
    from motovault.stack import database

    with database.superuser_connect(settings) as conn:
        return [r[0] for r in conn.execute("select datname from pg_database where datname like 'mvverify\\_%'")]


@dataclass
class FilledDatabase:
    """A clone holding the demo data and 500 generated vehicles; ``vehicles`` counts them all."""

    clone: ClonedDatabase
    vehicles: int

    def url(self) -> str:
        return self.clone.url()


def member(tar: tarfile.TarFile, name: str) -> bytes:
    """The bytes of one regular file of a backup archive."""
    extracted = tar.extractfile(name)
    assert extracted is not None, f"{name} is not a regular file in the archive"
    return extracted.read()


@pytest.fixture
def filled_db(settings: Settings, clone_db: ClonedDatabase) -> FilledDatabase:
    with clone_db.connect() as conn:
        load_demo(conn)
        demo_vehicles = one_row(conn, "select count(*) from app.vehicles")[0]
        conn.execute(
            """
            insert into app.vehicles (tenant_id, display_name, year, notes)
            select 'd0000000-0000-4000-8000-000000000001', 'Generated ' || g, 1990 + g % 30,
                   repeat(E'n\u00f6tes \\\\ "quoted" ', g % 5)
            from generate_series(1, 500) as g
            """
        )
        add_documents(conn, "d0000000-0000-4000-8000-000000000001")
    return FilledDatabase(clone_db, demo_vehicles + 500)


DOCUMENTS = (pdf("backed up"), png(9, 9))


def add_documents(conn: psycopg.Connection, tenant: str) -> None:
    """Two documents on a vehicle of the tenant (their files go to app.document_files)."""
    vehicle = one_row(conn, "select id from app.vehicles where tenant_id = %s limit 1", (tenant,))[0]
    for body in DOCUMENTS:
        file_id = one_row(
            conn,
            "insert into app.document_files (tenant_id, content, sha256, content_type, bytes)"
            " values (%s, %s, '', '', 0) returning id",
            (tenant, body),
        )[0]
        conn.execute(
            "insert into app.documents (tenant_id, file_id, vehicle_id, file_name, content_type, bytes, sha256)"
            " select tenant_id, id, %s, 'f', content_type, bytes, sha256 from app.document_files where id = %s",
            (vehicle, file_id),
        )


def repack(src: Path, dst: Path, *, manifest: dict[str, Any] | None = None, dump_from: Path | None = None) -> None:
    with tarfile.open(src) as tar:
        original_manifest = json.loads(member(tar, "manifest.json"))
        dump_bytes = member(tar, "dump.pgcustom")
    if dump_from is not None:
        with tarfile.open(dump_from) as tar:
            dump_bytes = member(tar, "dump.pgcustom")
            other = json.loads(member(tar, "manifest.json"))
        original_manifest["dump"] = other["dump"]
    data = json.dumps(manifest or original_manifest).encode()
    import io

    with tarfile.open(dst, "w") as tar:
        for name, payload in (("manifest.json", data), ("dump.pgcustom", dump_bytes)):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_backup_create_then_verify(settings: Settings, filled_db: FilledDatabase, tmp_path: Path) -> None:
    out = tmp_path / "b.tar"
    created = motovault("backup", "create", "--dsn", filled_db.url(), "-o", str(out))
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == str(out)
    assert "motovault backup: dumped" in created.stderr and "wrote" in created.stderr
    with tarfile.open(out) as tar:
        manifest = json.loads(member(tar, "manifest.json"))
    # the demo's vehicles (twelve, in three tenants) plus the 500 generated ones
    assert manifest["tables"]["app.vehicles"]["rows"] == filled_db.vehicles == 512
    assert manifest["tables"]["app.garages"]["rows"] == 4
    assert manifest["tables"]["audit.record_version"]["rows"] > 0
    assert "role_settings" in manifest["sqitch_changes"]
    assert {"role": "analyst", "name": "statement_timeout", "value": "30s"} in manifest["role_settings"]
    # the documents' files: counted, summed, their (tenant, sha256) digested
    assert manifest["documents"]["files"] == 3  # the demo's insurance card and the two added
    with filled_db.clone.connect() as conn:
        stored = one_row(conn, "select sum(octet_length(content)) from app.document_files")[0]
    assert manifest["documents"]["bytes"] == stored > sum(len(d) for d in DOCUMENTS)
    assert manifest["documents"]["corrupt"] == 0

    verified = motovault("backup", "verify", str(out))
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout
    assert "sqitch verify" in verified.stderr and "restoring into scratch database" in verified.stderr
    assert "3 document files match the manifest" in verified.stderr
    assert scratch_databases(settings) == []


def test_verify_refuses_a_tampered_backup_with_a_clear_message(
    settings: Settings, filled_db: FilledDatabase, tmp_path: Path
) -> None:
    good = tmp_path / "good.tar"
    assert motovault("backup", "create", "-q", "--dsn", filled_db.url(), "-o", str(good)).returncode == 0
    with tarfile.open(good) as tar:
        manifest = json.loads(member(tar, "manifest.json"))

    # a checksum in the manifest edited
    edited = json.loads(json.dumps(manifest))
    edited["tables"]["app.vehicles"]["md5"] = "0" * 32
    bad = tmp_path / "edited.tar"
    repack(good, bad, manifest=edited)
    result = motovault("backup", "verify", "-q", str(bad))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "app.vehicles: checksum differs" in result.stderr

    # the role settings pg_dump does not carry, dropped from the manifest: sqitch verify says which change
    edited = json.loads(json.dumps(manifest))
    edited["role_settings"] = []
    repack(good, bad, manifest=edited)
    result = motovault("backup", "verify", "-q", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "motovault backup: error: sqitch verify failed on the restored database: "
        "role_settings not ok"
    )

    # the data changed after the manifest: a dump of different data under the first manifest (written
    # around the triggers, so that only app.vehicles differs: through them the outbox and the audit log
    # would change too, and the first difference named would be theirs)
    with filled_db.clone.connect() as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("update app.vehicles set color = 'tampered' where display_name = 'Generated 7'")
    later = tmp_path / "later.tar"
    assert motovault("backup", "create", "-q", "--dsn", filled_db.url(), "-o", str(later)).returncode == 0
    swapped = tmp_path / "swapped.tar"
    repack(good, swapped, dump_from=later)
    result = motovault("backup", "verify", "-q", str(swapped))
    assert result.returncode == 1
    assert "restored data differs from the manifest" in result.stderr
    assert "app.vehicles: checksum differs" in result.stderr

    # a corrupted dump
    corrupt = tmp_path / "corrupt.tar"
    with tarfile.open(good) as tar:
        dump = bytearray(member(tar, "dump.pgcustom"))
    dump[len(dump) // 2] ^= 0xFF
    (tmp_path / "dump.pgcustom").write_bytes(bytes(dump))
    with tarfile.open(corrupt, "w") as tar:
        tar.add(tmp_path / "dump.pgcustom", arcname="dump.pgcustom")
        info = tarfile.TarInfo("manifest.json")
        data = json.dumps(manifest).encode()
        info.size = len(data)
        import io

        tar.addfile(info, io.BytesIO(data))
    result = motovault("backup", "verify", "-q", str(corrupt))
    assert result.returncode == 1
    assert "sha256" in result.stderr and "does not match" in result.stderr

    # a file whose bytes no longer hash to its sha256 (written around the triggers): no backup of it
    with filled_db.clone.connect() as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute(
            "update app.document_files set content = content || '\\x00'::bytea, bytes = bytes + 1"
            " where content_type = 'image/png'"
        )
    result = motovault("backup", "create", "-q", "--dsn", filled_db.url(), "-o", str(tmp_path / "damaged.tar"))
    assert result.returncode == 1
    assert "1 document file(s)" in result.stderr and "do not match their sha256" in result.stderr

    # not a backup at all
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar")
    result = motovault("backup", "verify", "-q", str(junk))
    assert result.returncode == 1 and "not a readable tar file" in result.stderr
    assert scratch_databases(settings) == []


def test_backup_create_reports_an_unreachable_database_in_one_line(tmp_path: Path, settings: Settings) -> None:
    result = motovault(
        "backup", "create", "--dsn", "postgresql://nobody@127.0.0.1:1/none", "-o", str(tmp_path / "x.tar")
    )
    assert result.returncode == 1
    assert result.stderr.startswith("motovault backup: error: cannot connect")
    assert result.stderr.count("\n") == 1



def test_documents_that_differ_from_the_manifest_are_named() -> None:
    from motovault.stack.backup import compare_documents

    good = {"files": 2, "bytes": 900, "digest": "a" * 32, "corrupt": 0}
    assert compare_documents(good, dict(good)) == []
    assert compare_documents(None, None) == []  # a manifest from before the documents
    assert compare_documents(good, {**good, "digest": "b" * 32}) == [
        f"documents: manifest has file digest {'a' * 32}, restored database {'b' * 32}"
    ]
    assert compare_documents(good, {**good, "corrupt": 1}) == [
        "documents: 1 file(s) whose bytes do not match their sha256"
    ]
    assert compare_documents(good, None) == [
        "documents: in the manifest, but the restored database has no app.document_files"
    ]
