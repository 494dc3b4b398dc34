"""vehicle_images through PostgREST: metadata rules, one primary image per vehicle, photo events."""

from __future__ import annotations

import hashlib

import pytest

from motovault.core.db import one_row
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

TENANT = "e2000000-0000-4000-8000-000000000001"
OWNER = "e2000000-0000-4000-8000-0000000000a1"
CAR = "e2000000-0000-4000-8000-0000000000c1"
SHA = hashlib.sha256(b"car").hexdigest()
RETURN_ROWS = {"Prefer": "return=representation"}

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def tenant(api_db: ClonedDatabase) -> str:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Images')", (TENANT,))
        conn.execute("insert into app.users (id) values (%s)", (OWNER,))
        conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')", (TENANT, OWNER))
        conn.execute("insert into app.vehicles (tenant_id, id, display_name) values (%s, %s, 'Car')", (TENANT, CAR))
    return TENANT


def image(key: str, **extra: object) -> dict[str, object]:
    return {"vehicle_id": CAR, "storage_key": key, "content_type": "image/jpeg", "bytes": 2048, "sha256": SHA,
            "width": 800, "height": 600, **extra}


def count_images(api_db: ClonedDatabase) -> int:
    with api_db.connect() as conn:
        return int(one_row(conn, "select count(*) from app.vehicle_images where tenant_id = %s", (TENANT,))[0])


def test_adding_an_image_records_a_photo_event(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/vehicle_images", json=image("cars/1.jpg", caption="Front"), headers=RETURN_ROWS)
        assert r.status_code == 201, r.text
        image_id = r.json()[0]["id"]
        events = client.get("/rpc/vehicle_timeline", params={"vehicle_id": CAR, "type": "eq.photo"}).json()
    assert [e["payload"] for e in events] == [{"image_id": image_id, "caption": "Front"}]
    assert events[0]["source_id"] == image_id


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (image("a.pdf", content_type="application/pdf"), "content_type: must be an image/* type"),
        (image("b.jpg", bytes=0), "vehicle_images_bytes_positive"),
        (image("c.jpg", sha256="xyz"), "vehicle_images_sha256_hex"),
        (image("d.jpg", width=0), "vehicle_images_width_positive"),
        (image("e.jpg", height=None), "vehicle_images_width_height_together"),
        (image("/etc/passwd"), "vehicle_images_storage_key_format"),
        (image("../up.jpg"), "vehicle_images_storage_key_format"),
    ],
)
def test_invalid_metadata_is_400_naming_the_rule_and_writes_nothing(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str, body: dict[str, object], rule: str
) -> None:
    before = count_images(api_db)
    with api.client(api.token(OWNER, TENANT)) as client:
        r = client.post("/vehicle_images", json=body)
    assert r.status_code == 400, r.text
    assert rule in r.json()["message"]
    assert count_images(api_db) == before


def test_one_primary_image_per_vehicle(api: PostgrestServer, api_db: ClonedDatabase, tenant: str) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        first = client.post("/vehicle_images", json=image("p/1.jpg", is_primary=True), headers=RETURN_ROWS)
        assert first.status_code == 201, first.text
        before = count_images(api_db)
        second = client.post("/vehicle_images", json=image("p/2.jpg", is_primary=True))
        assert second.status_code == 409, second.text
        assert "vehicle_images_one_primary_per_vehicle" in second.json()["message"]
        assert count_images(api_db) == before
        other = client.post("/vehicle_images", json=image("p/3.jpg"), headers=RETURN_ROWS).json()[0]
        switched = client.post("/rpc/set_primary_image", json={"id": other["id"]})
        assert switched.status_code == 200, switched.text
        primaries = client.get("/vehicle_images", params={"vehicle_id": f"eq.{CAR}", "is_primary": "is.true"}).json()
        assert [p["id"] for p in primaries] == [other["id"]]
        missing = client.post("/rpc/set_primary_image", json={"id": "e2000000-0000-4000-8000-00000000ffff"})
        assert missing.status_code == 404


def test_delete_moves_to_trash_and_restore(api: PostgrestServer, tenant: str) -> None:
    with api.client(api.token(OWNER, TENANT)) as client:
        img = client.post("/vehicle_images", json=image("t/1.jpg"), headers=RETURN_ROWS).json()[0]
        assert client.delete("/vehicle_images", params={"id": f"eq.{img['id']}"}).status_code == 204
        assert client.get("/vehicle_images", params={"id": f"eq.{img['id']}"}).json() == []
        assert len(client.get("/vehicle_images_trash", params={"id": f"eq.{img['id']}"}).json()) == 1
        restored = client.post("/rpc/restore_vehicle_image", json={"id": img["id"]})
        assert restored.status_code == 200 and restored.json()[0]["id"] == img["id"]
