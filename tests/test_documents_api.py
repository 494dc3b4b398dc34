"""Documents through PostgREST: binary upload and download, type detection, limits, de-duplication,
attachment to records, tenant isolation, soft delete, audit, thumbnails."""

from __future__ import annotations

import hashlib
from urllib.parse import quote
from collections.abc import Iterator

import httpx
import pytest

from motovault.core.db import one_row
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
LIMIT = 200_000

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> ClonedDatabase:
    with api_db.connect() as conn:
        conn.execute(f"alter database {api_db.name} set motovault.document_max_bytes = {LIMIT}")
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
