"""Documents through PostgREST: binary upload and download, type detection, limits, de-duplication,
attachment to records, tenant isolation, soft delete, audit, thumbnails."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from motovault.core.db import one_row
from motovault.documents.thumbnails import ThumbnailWorker
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.documents import jpeg, pdf, png, webp

TENANT = "d0c00000-0000-4000-8000-000000000001"
OTHER = "d0c00000-0000-4000-8000-000000000002"
OWNER = "d0c00000-0000-4000-8000-0000000000a1"
VIEWER = "d0c00000-0000-4000-8000-0000000000a2"
STRANGER = "d0c00000-0000-4000-8000-0000000000a3"
CAR = "d0c00000-0000-4000-8000-0000000000c1"
VAN = "d0c00000-0000-4000-8000-0000000000c2"
OTHER_CAR = "d0c00000-0000-4000-8000-0000000000c3"
FILL_UP = "d0c00000-0000-4000-8000-0000000000f1"
EXPENSE = "d0c00000-0000-4000-8000-0000000000e1"
OTHER_EXPENSE = "d0c00000-0000-4000-8000-0000000000e2"
CAR_EXPENSE = "d0c00000-0000-4000-8000-0000000000e3"
LIMIT = 200_000

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def api_db(api_db: ClonedDatabase) -> ClonedDatabase:
    """The module's clone, with a small document limit set before PostgREST connects."""
    with api_db.connect() as conn:
        conn.execute(f"alter database {api_db.name} set motovault.document_max_bytes = {LIMIT}")
    return api_db


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> ClonedDatabase:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Docs'), (%s, 'Other')", (TENANT, OTHER))
        conn.execute("insert into app.users (id) values (%s), (%s), (%s)", (OWNER, VIEWER, STRANGER))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'), (%s, %s, 'viewer'),"
            " (%s, %s, 'owner')",
            (TENANT, OWNER, TENANT, VIEWER, OTHER, STRANGER),
        )
        conn.execute(
            "insert into app.vehicles (tenant_id, id, display_name) values (%s, %s, 'Car'), (%s, %s, 'Van'),"
            " (%s, %s, 'Theirs')",
            (TENANT, CAR, TENANT, VAN, OTHER, OTHER_CAR),
        )
        conn.execute(
            "insert into app.fuel_logs (tenant_id, id, vehicle_id, filled_on, odometer, volume, volume_unit,"
            " odometer_unit) values (%s, %s, %s, '2026-01-10', 1000, 40, 'l', 'km')",
            (TENANT, FILL_UP, CAR),
        )
        conn.execute(
            "insert into app.expenses (tenant_id, id, vehicle_id, category, incurred_on, amount, currency)"
            " values (%s, %s, %s, 'parking', '2026-01-12', 12.5, 'EUR'), (%s, %s, %s, 'tolls', '2026-01-12', 3, 'EUR'),"
            " (%s, %s, %s, 'washing', '2026-01-13', 9, 'EUR')",
            (TENANT, EXPENSE, VAN, OTHER, OTHER_EXPENSE, OTHER_CAR, TENANT, CAR_EXPENSE, CAR),
        )
    return api_db


@pytest.fixture(scope="module")
def owner(api: PostgrestServer, world: ClonedDatabase) -> Iterator[httpx.Client]:
    with api.client(api.token(OWNER, TENANT)) as client:
        yield client


def upload(client: httpx.Client, body: bytes, **fields: str) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream", "Accept": "application/vnd.pgrst.object+json"}
    headers |= {"X-Document-" + k.replace("_", "-").title(): quote(v) for k, v in fields.items()}
    return client.post("/rpc/upload_document", content=body, headers=headers)


def counts(db: ClonedDatabase) -> tuple[int, int]:
    with db.connect() as conn:
        files, docs = one_row(
            conn,
            "select (select count(*) from app.document_files), (select count(*) from app.documents)",
        )
    return int(files), int(docs)


def test_upload_then_download_gives_the_same_bytes_with_type_and_name(owner: httpx.Client) -> None:
    body = pdf("first")
    r = upload(owner, body, vehicle_id=CAR, kind="invoice", file_name="Rechnung März.pdf")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["content_type"] == "application/pdf"
    assert doc["sha256"] == hashlib.sha256(body).hexdigest()
    assert doc["bytes"] == len(body)
    got = owner.get("/rpc/document_content", params={"id": doc["id"]}, headers={"Accept": "*/*"})
    assert got.status_code == 200, got.text
    assert got.content == body
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
    )
    assert got.headers["etag"] == f'"{doc["sha256"]}"'


def test_the_same_bytes_are_stored_once_per_tenant(
    api: PostgrestServer, owner: httpx.Client, world: ClonedDatabase
) -> None:
    body = png(20, 10)
    first = upload(owner, body, vehicle_id=CAR, file_name="a.png")
    files, docs = counts(world)
    second = upload(owner, body, vehicle_id=VAN, file_name="b.png", kind="photo")
    assert first.status_code == second.status_code == 200, second.text
    assert first.json()["file_id"] == second.json()["file_id"]
    assert counts(world) == (files, docs + 1)
    # another tenant uploading the same bytes gets its own copy
    with api.client(api.token(STRANGER, OTHER)) as theirs:
        third = upload(theirs, body, vehicle_id=OTHER_CAR)
    assert third.status_code == 200, third.text
    assert third.json()["file_id"] != first.json()["file_id"]
    assert counts(world) == (files + 1, docs + 2)


def test_the_type_comes_from_the_bytes_and_the_png_size_from_its_header(owner: httpx.Client) -> None:
    r = upload(owner, png(33, 21), vehicle_id=CAR, file_name="scan.pdf")  # the name lies: the bytes decide
    assert r.status_code == 200, r.text
    assert r.json()["content_type"] == "image/png"
    file = owner.get("/document_files", params={"id": f"eq.{r.json()['file_id']}"}).json()[0]
    assert (file["width"], file["height"], file["thumbnail_state"]) == (33, 21, "pending")
    assert upload(owner, webp(), vehicle_id=CAR).json()["content_type"] == "image/webp"
    assert upload(owner, jpeg(), vehicle_id=CAR).json()["content_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        (b"", 400, "the request body is empty"),
        (b"PK\x03\x04 a zip file, not a document" * 4, 415, "not a PDF, PNG, JPEG or WebP"),
        (b"<html><script>alert(1)</script></html>", 415, "not a PDF, PNG, JPEG or WebP"),
        (png(40, 40)[:-30], 400, "truncated (a PNG ends with its IEND chunk"),
        (jpeg()[:-400], 400, "truncated (a JPEG ends with its EOI marker"),
        (pdf()[:-40], 400, "truncated (a PDF ends with %%EOF"),
        (webp(64, 64)[:-10], 400, "truncated (a WebP file"),
        (b"%PDF-1.4\n" + b"0" * LIMIT + b"\n%%EOF\n", 413, "over the limit of 200000 bytes"),
    ],
    ids=["empty", "zip", "html", "png-cut", "jpeg-cut", "pdf-cut", "webp-cut", "too-big"],
)
def test_bad_files_are_refused_with_a_4xx_and_nothing_is_stored(
    owner: httpx.Client, world: ClonedDatabase, body: bytes, status: int, rule: str
) -> None:
    before = counts(world)
    r = upload(owner, body, vehicle_id=CAR)
    assert r.status_code == status, r.text
    assert rule in r.json()["message"]
    assert counts(world) == before


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({}, "vehicle_id: a document is attached to a vehicle or to one of its records"),
        ({"vehicle_id": CAR, "kind": "selfie"}, "documents_kind_valid"),
        ({"vehicle_id": CAR, "file_name": "../../etc/passwd"}, "documents_file_name_safe"),
        ({"vehicle_id": CAR, "colour": "red"}, "colour: X-Document-colour is not a field of a document"),
        ({"vehicle_id": OTHER_CAR}, "documents_vehicle_fk"),
        ({"fuel_log_id": FILL_UP, "vehicle_id": VAN}, "belongs to vehicle"),
        ({"vehicle_id": CAR, "id": CAR}, "id: X-Document-id is not a field"),
        ({"expense_id": OTHER_EXPENSE}, "expense_id: no app.expenses"),
        ({"expense_id": EXPENSE, "vehicle_id": CAR}, "belongs to vehicle"),
        ({"expense_id": CAR_EXPENSE, "fuel_log_id": FILL_UP}, "documents_one_record"),
    ],
    ids=["no-vehicle", "kind", "file-name", "unknown-field", "other-tenant-vehicle", "record-of-other-vehicle", "id",
         "other-tenant-expense", "expense-of-other-vehicle", "expense-and-fill-up"],
)
def test_bad_fields_are_a_400_naming_the_rule_and_store_nothing(
    owner: httpx.Client, world: ClonedDatabase, fields: dict[str, str], rule: str
) -> None:
    before = counts(world)
    r = upload(owner, pdf("bad fields " + rule), **fields)
    assert r.status_code in (400, 409), r.text
    assert rule in r.json()["message"] + str(r.json()["details"]), r.text
    assert counts(world) == before


def test_a_document_on_a_fill_up_belongs_to_its_vehicle(owner: httpx.Client) -> None:
    r = upload(owner, pdf("fill-up receipt"), fuel_log_id=FILL_UP, kind="receipt", title="Shell, 40 l")
    assert r.status_code == 200, r.text
    assert (r.json()["vehicle_id"], r.json()["fuel_log_id"]) == (CAR, FILL_UP)
    listed = owner.get("/documents", params={"fuel_log_id": f"eq.{FILL_UP}", "select": "title,kind"}).json()
    assert listed == [{"title": "Shell, 40 l", "kind": "receipt"}]


def test_a_document_on_an_expense_belongs_to_its_vehicle_and_goes_with_it(
    owner: httpx.Client, world: ClonedDatabase
) -> None:
    r = upload(owner, pdf("parking ticket"), expense_id=EXPENSE, kind="receipt", title="Parking")
    assert r.status_code == 200, r.text
    assert (r.json()["vehicle_id"], r.json()["expense_id"]) == (VAN, EXPENSE)
    listed = owner.get("/documents", params={"expense_id": f"eq.{EXPENSE}", "select": "title"}).json()
    assert listed == [{"title": "Parking"}]
    with world.connect() as conn:  # the foreign key cascades when the expense is purged
        conn.execute("delete from app.expenses where tenant_id = %s and id = %s", (TENANT, EXPENSE))
    assert owner.get("/documents", params={"expense_id": f"eq.{EXPENSE}"}).json() == []


def test_tenants_and_roles_are_isolated(api: PostgrestServer, owner: httpx.Client, world: ClonedDatabase) -> None:
    doc = upload(owner, pdf("private"), vehicle_id=CAR).json()
    with api.client(api.token(STRANGER, OTHER)) as stranger:
        assert stranger.get("/documents", params={"id": f"eq.{doc['id']}"}).json() == []
        r = stranger.get("/rpc/document_content", params={"id": doc["id"]})
        assert r.status_code == 404, r.text
        assert stranger.get("/document_files", params={"id": f"eq.{doc['file_id']}"}).json() == []
    with api.client(api.token(VIEWER, TENANT)) as viewer:
        assert viewer.get("/rpc/document_content", params={"id": doc["id"]}).content == pdf("private")
        before = counts(world)
        r = upload(viewer, pdf("viewer"), vehicle_id=CAR)
        assert r.status_code == 403, r.text
        assert counts(world) == before


def test_delete_is_soft_restore_brings_back_purge_frees_the_file(
    owner: httpx.Client, world: ClonedDatabase
) -> None:
    doc = upload(owner, pdf("to delete"), vehicle_id=CAR, title="Old insurance card").json()
    assert owner.delete("/documents", params={"id": f"eq.{doc['id']}"}).status_code == 204
    assert owner.get("/rpc/document_content", params={"id": doc["id"]}).status_code == 404
    assert [d["id"] for d in owner.get("/documents_trash").json()] == [doc["id"]]
    r = owner.post("/rpc/restore_document", json={"id": doc["id"]})
    assert r.status_code == 200, r.text
    assert owner.get("/rpc/document_content", params={"id": doc["id"]}).content == pdf("to delete")
    assert owner.delete("/documents", params={"id": f"eq.{doc['id']}"}).status_code == 204
    with world.connect() as conn:
        conn.execute("update app.documents set deleted_at = now() - interval '40 days' where id = %s", (doc["id"],))
        conn.execute("select app.purge_deleted(30)")
        left = one_row(conn, "select count(*) from app.document_files where id = %s", (doc["file_id"],))[0]
        audit = conn.execute(
            "select operation, new_record ? 'content', new_record ->> 'content_bytes'"
            " from audit.record_version where table_name = 'app.document_files' and row_id = %s order by id",
            (doc["file_id"],),
        ).fetchall()
        trail = [r[0] for r in conn.execute(
            "select operation from audit.record_version where table_name = 'app.documents' and row_id = %s"
            " order by id", (doc["id"],)).fetchall()]
    assert left == 0
    assert audit == [("INSERT", False, str(len(pdf("to delete")))), ("DELETE", None, None)]
    assert trail == ["INSERT", "SOFT_DELETE", "RESTORE", "SOFT_DELETE", "UPDATE", "DELETE"]


def test_edit_keeps_the_file(owner: httpx.Client) -> None:
    doc = upload(owner, pdf("edit me"), vehicle_id=CAR).json()
    r = owner.patch("/documents", params={"id": f"eq.{doc['id']}"}, json={"kind": "warranty", "title": "Tyres"})
    assert r.status_code == 204, r.text
    r = owner.patch("/documents", params={"id": f"eq.{doc['id']}"}, json={"sha256": "0" * 64})
    assert r.status_code == 400, r.text
    assert "file_id: a document keeps its file" in r.json()["message"]


def test_thumbnail_is_404_until_the_worker_made_it(owner: httpx.Client, world: ClonedDatabase) -> None:
    doc = upload(owner, jpeg(1200, 800), vehicle_id=CAR).json()
    assert owner.get("/rpc/document_thumbnail", params={"id": doc["id"]}).status_code == 404
    with ThumbnailWorker(world.url(), quiet=True) as worker:
        assert worker.drain() >= 1
    r = owner.get("/rpc/document_thumbnail", params={"id": doc["id"]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(r.content)).size) == 320
    file = owner.get("/document_files", params={"id": f"eq.{doc['file_id']}"}).json()[0]
    assert (file["width"], file["height"], file["thumbnail_state"]) == (1200, 800, "done")


def test_motovault_worker_makes_the_thumbnails(owner: httpx.Client, world: ClonedDatabase) -> None:
    doc = upload(owner, png(500, 100), vehicle_id=VAN).json()
    run = subprocess.run(
        [sys.executable, "-m", "motovault", "worker", "--once", "--dsn", world.url()],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stderr
    assert "thumbnails: 1 made, 0 failed" in run.stderr
    thumb = owner.get("/rpc/document_thumbnail", params={"id": doc["id"]})
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 64)
