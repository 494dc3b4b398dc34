"""Reports through PostgREST: POST /report_requests, the worker's report thread renders them as the
member who asked, GET /rpc/report_content downloads HTML or PDF; bad input, tenant isolation, audit."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from motovault.core.db import one_row
from motovault.reports import worker as report_worker
from motovault.reports.worker import ReportWorker
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

TENANT = "7e900000-0000-4000-8000-000000000001"
OTHER = "7e900000-0000-4000-8000-000000000002"
OWNER = "7e900000-0000-4000-8000-0000000000a1"
VIEWER = "7e900000-0000-4000-8000-0000000000a2"
STRANGER = "7e900000-0000-4000-8000-0000000000a3"
CAR = "7e900000-0000-4000-8000-0000000000c1"
OTHER_CAR = "7e900000-0000-4000-8000-0000000000c2"

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> ClonedDatabase:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Report household'), (%s, 'Other')",
                     (TENANT, OTHER))
        conn.execute("insert into app.users (id) values (%s), (%s), (%s)", (OWNER, VIEWER, STRANGER))
        conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'),"
                     " (%s, %s, 'viewer'), (%s, %s, 'owner')", (TENANT, OWNER, TENANT, VIEWER, OTHER, STRANGER))
        conn.execute("insert into app.vehicles (tenant_id, id, display_name, make, model, year, odometer_unit)"
                     " values (%s, %s, 'Family car', 'Skoda', 'Octavia', 2019, 'km'), (%s, %s, 'Theirs', null, null,"
                     " null, 'km')", (TENANT, CAR, OTHER, OTHER_CAR))
        conn.execute(f"""
            insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, fuel_type,
                                       volume, volume_unit, price_per_unit, currency)
            select '{TENANT}', '{CAR}', date '2024-01-01' + 10 * g, 10000 + 400 * g, 'km', 'gasoline',
                   30 + g % 3, 'l', 1.80, 'EUR'
            from generate_series(0, 5) as g;
            insert into app.maintenance (tenant_id, vehicle_id, series_id, type, description, completed_on,
                                         odometer, odometer_unit, cost, currency)
            values ('{TENANT}', '{CAR}', gen_random_uuid(), 'oil_change', 'Oil and filter', '2024-02-15', 11800,
                    'km', 180, 'EUR');
            insert into app.expenses (tenant_id, vehicle_id, category, incurred_on, amount, currency)
            values ('{TENANT}', '{CAR}', 'insurance', '2024-01-05', 45, 'EUR');
        """)
    return api_db


@pytest.fixture(scope="module")
def owner(api: PostgrestServer, world: ClonedDatabase) -> Iterator[httpx.Client]:
    with api.client(api.token(OWNER, TENANT)) as client:
        yield client


def request(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post("/report_requests", json=body, headers={"Prefer": "return=representation",
                                                               "Accept": "application/vnd.pgrst.object+json"})


def content(client: httpx.Client, request_id: str) -> httpx.Response:
    return client.get("/rpc/report_content", params={"id": request_id}, headers={"Accept": "*/*"})


def count_requests(db: ClonedDatabase) -> int:
    with db.connect() as conn:
        return int(one_row(conn, "select count(*) from app.report_requests")[0])


def test_requests_are_rendered_by_the_worker_and_downloaded(owner: httpx.Client, world: ClonedDatabase,
                                                            tmp_path: Path) -> None:
    pdf = request(owner, kind="vehicle", vehicle_id=CAR, format="pdf")
    html = request(owner, kind="fleet", format="HTML")
    assert pdf.status_code == html.status_code == 201, html.text
    assert pdf.json()["status"] == "pending" and html.json()["format"] == "html"
    pending = content(owner, pdf.json()["id"])
    assert pending.status_code == 409 and "is pending" in pending.json()["message"]

    # the worker's login (the owner role) renders as the member who asked: set role app_user, their claims
    with ReportWorker(world.url("motovault_owner"), quiet=True) as worker:
        assert worker.drain() == 2 and worker.failed == 0

    listed = owner.get("/report_requests", params={"order": "created_at"}).json()
    assert [(r["status"], r["content_type"]) for r in listed] == [
        ("done", "application/pdf"), ("done", "text/html; charset=utf-8")]

    got = content(owner, pdf.json()["id"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith(f'attachment; filename="vehicle-{CAR}.pdf"')
    assert got.content.startswith(b"%PDF") and len(got.content) == listed[0]["bytes"]
    (tmp_path / "report.pdf").write_bytes(got.content)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True, capture_output=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and pages[0].read_bytes().startswith(b"\x89PNG") and pages[0].stat().st_size > 5_000

    fleet = content(owner, html.json()["id"])
    assert fleet.status_code == 200 and fleet.headers["content-type"] == "text/html; charset=utf-8"
    assert fleet.headers["content-disposition"].startswith(f'attachment; filename="fleet-{TENANT}.html"')
    # the numbers are the views' numbers: the fleet's total for 2024, as the member reads it
    total = owner.get("/vehicle_tco_years", params={"vehicle_id": f"eq.{CAR}", "year": "eq.2024"}).json()[0]["total"]
    table = re.search(r'<table id="fleet-vehicles">(.*?)</table>', fleet.text, re.S)
    assert table is not None and "Family car" in table.group(1) and f">{total:.2f}<" in table.group(1)


def test_bad_requests_are_4xx_naming_the_rule_and_change_nothing(
    api: PostgrestServer, owner: httpx.Client, world: ClonedDatabase
) -> None:
    before = count_requests(world)
    cases = [
        ({"kind": "monthly", "format": "pdf"}, 400, "report_requests_kind_known"),
        ({"kind": "vehicle", "format": "pdf"}, 400, "report_requests_vehicle_id_with_kind"),
        ({"kind": "fleet", "vehicle_id": CAR}, 400, "report_requests_vehicle_id_with_kind"),
        ({"kind": "fleet", "format": "docx"}, 400, "report_requests_format_known"),
        ({"kind": "vehicle", "vehicle_id": OTHER_CAR}, 409, "report_requests_vehicle_fk"),
    ]
    for body, status, rule in cases:
        r = request(owner, **body)
        assert r.status_code == status and rule in r.text, (body, r.status_code, r.text)
    # the worker's columns are not the client's
    r = request(owner, kind="fleet", status="done")
    assert r.status_code in (401, 403), r.text
    with api.client(api.token(VIEWER, TENANT)) as viewer:
        assert request(viewer, kind="fleet").status_code == 403
    assert count_requests(world) == before


def test_other_tenants_see_nothing_and_the_audit_keeps_no_bytes(
    api: PostgrestServer, owner: httpx.Client, world: ClonedDatabase
) -> None:
    ours = request(owner, kind="fleet", format="html").json()["id"]
    with ReportWorker(world.url("motovault_owner"), quiet=True) as worker:
        worker.drain()
    with api.client(api.token(STRANGER, OTHER)) as stranger:
        assert content(stranger, ours).status_code == 404
        assert stranger.get("/report_requests").json() == []
    assert content(owner, "7e900000-0000-4000-8000-0000000000ff").status_code == 404
    with world.connect() as conn:
        audit = conn.execute(
            "select operation, new_record ? 'content', (new_record ->> 'content_bytes')::int > 0"
            " from audit.record_version where table_name = 'app.report_requests' and row_id = %s order by id",
            (ours,)).fetchall()
    assert audit[0][:2] == ("INSERT", False) and audit[-1] == ("UPDATE", False, True)


def test_a_failed_rendering_is_stored_and_retried_then_final(
    owner: httpx.Client, world: ClonedDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> tuple[bytes, str]:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(report_worker, "render", broken)
    rid = request(owner, kind="fleet").json()["id"]
    with ReportWorker(world.url("motovault_owner"), quiet=True) as worker:
        assert worker.drain() == 1 and worker.failed == 1
        got = owner.get("/report_requests", params={"id": f"eq.{rid}"}).json()[0]
        assert (got["status"], got["attempts"], got["error"]) == ("pending", 1, "RuntimeError: no fonts")
        with world.connect() as conn:  # the retry's pause, over
            conn.execute("update app.report_requests set lease_until = now() - interval '1 s', attempts = 2"
                         " where id = %s", (rid,))
        assert worker.drain() == 1
    got = owner.get("/report_requests", params={"id": f"eq.{rid}"}).json()[0]
    assert (got["status"], got["attempts"]) == ("failed", 3)
    r = content(owner, rid)
    assert r.status_code == 409 and r.json()["details"] == "RuntimeError: no fonts"


def test_motovault_worker_once_renders_the_queued_reports(owner: httpx.Client, world: ClonedDatabase) -> None:
    from motovault.cli import main

    rid = request(owner, kind="vehicle", vehicle_id=CAR, format="html").json()["id"]
    assert main(["worker", "--once", "--quiet", "--no-imports", "--no-thumbnails",
                 "--dsn", world.url("motovault_owner")]) == 0
    got = owner.get("/report_requests", params={"id": f"eq.{rid}"}).json()[0]
    assert (got["status"], got["file_name"]) == ("done", f"vehicle-{CAR}.html")
    assert "Oil and filter" in content(owner, rid).text
