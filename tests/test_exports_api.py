"""Exports through the API and the CLI: the tenant document (export_tenant / import_tenant RPCs,
`motovault export tenant`, `motovault import-tenant`; the import written by the worker) and one vehicle in
LubeLogger's CSV layout (`motovault export lubelogger`), checked against LubeLogger's own import samples."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from motovault.cli import main
from motovault.core.db import one_row
from motovault.exports.api import ApiClient
from motovault.exports.tenant import wait_for_import
from motovault.importing.worker import ImportWorker
from motovault.stack.settings import OWNER_ROLE
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

OLD = "e5000000-0000-4000-8000-000000000001"
NEW = "e5000000-0000-4000-8000-000000000002"
EMPTY = "e5000000-0000-4000-8000-000000000003"
OWNER = "e5000000-0000-4000-8000-0000000000a1"
VIEWER = "e5000000-0000-4000-8000-0000000000a2"
CAR = "e5000000-0000-4000-8000-0000000000c1"
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "imports" / "lubelogger"

pytestmark = pytest.mark.api

FUEL = [
    {"filled_on": "2024-01-05", "odometer": 1000, "volume": "40.125", "price_per_unit": "1.799", "is_full": True},
    {"filled_on": "2024-02-01", "odometer": 1420, "volume": "18.5", "total_cost": "33.48", "is_full": False},
    {"filled_on": "2024-03-03", "odometer": 2210, "volume": "44.01", "total_cost": "80.10", "missed_previous": True,
     "notes": "after a trip, \"forgot\" one"},
]


@pytest.fixture(scope="module")
def tenant(api: PostgrestServer, api_db: ClonedDatabase) -> str:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Leaving'), (%s, 'Arriving'), (%s, 'Empty')",
                     (OLD, NEW, EMPTY))
        conn.execute("insert into app.users (id) values (%s), (%s)", (OWNER, VIEWER))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'), (%s, %s, 'viewer'), "
            "(%s, %s, 'owner'), (%s, %s, 'owner')", (OLD, OWNER, OLD, VIEWER, NEW, OWNER, EMPTY, OWNER))
    with api.client(api.token(OWNER, OLD)) as client:
        r = client.post("/vehicles", json={"id": CAR, "display_name": "Wagon", "odometer_unit": "km"})
        assert r.status_code == 201, r.text
        for row in FUEL:
            r = client.post("/fuel_logs", json={"vehicle_id": CAR, "volume_unit": "l", "currency": "EUR", **row})
            assert r.status_code == 201, r.text
        services: list[dict[str, object]] = [
            {"type": "oil_change", "completed_on": "2024-01-20", "odometer": 1200, "cost": "89.90",
             "notes": "5W-30"},
            {"type": "repair", "description": "Exhaust clamp", "completed_on": "2024-02-10", "odometer": 1500},
            {"type": "upgrade", "description": "Tow hitch", "completed_on": "2024-02-11", "cost": "420"},
        ]
        for service in services:
            currency = "EUR" if "cost" in service else None
            r = client.post("/maintenance", json={"vehicle_id": CAR, "currency": currency, **service})
            assert r.status_code == 201, r.text
        r = client.post("/odometer_entries", json={"vehicle_id": CAR, "read_on": "2024-03-20", "odometer": 2500,
                                                   "notes": "yearly check"})
        assert r.status_code == 201, r.text
    return OLD


@pytest.fixture(scope="module")
def worker(api_db: ClonedDatabase) -> Iterator[ImportWorker]:
    """The import worker, running: it writes the tenant imports the API queues (in chunks of 2 rows here)."""
    stop = threading.Event()
    running = ImportWorker(api_db.url(OWNER_ROLE), quiet=True, poll_seconds=0.2, tenant_chunk_rows=2)
    thread = threading.Thread(target=running.run_forever, args=(stop,), daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join()
    running.close()


def run_cli(monkeypatch: pytest.MonkeyPatch, api: PostgrestServer, token: str, *argv: str) -> int:
    monkeypatch.setenv("EXPORT_TOKEN", token)
    return main([*argv, "--api-url", api.url, "--token-env", "EXPORT_TOKEN"])


def test_tenant_document_round_trips_through_the_cli(
    api: PostgrestServer,
    tenant: str,
    worker: ImportWorker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = tmp_path / "old.json", tmp_path / "new.json"
    assert run_cli(monkeypatch, api, api.token(OWNER, OLD), "export", "tenant", "--output", str(first)) == 0
    doc = json.loads(first.read_text())
    assert (doc["format"], doc["version"], doc["tenant"]["name"]) == ("motovault.tenant", 1, "Leaving")
    assert len(doc["tables"]["fuel_logs"]) == 3 and len(doc["tables"]["maintenance"]) == 3
    assert run_cli(monkeypatch, api, api.token(OWNER, NEW), "import-tenant", str(first)) == 0
    assert "fuel_logs 3" in capsys.readouterr().out
    with api.client(api.token(OWNER, NEW)) as client:
        (job,) = client.get("/tenant_imports").json()
    assert (job["status"], job["rows_done"], job["rows_total"], job["attempts"]) == (
        "imported", sum(len(rows) for rows in doc["tables"].values()), job["rows_total"], 1)
    assert job["result"]["rows"]["fuel_logs"] == 3 and len(job["result"]["ids"]) >= 8
    assert run_cli(monkeypatch, api, api.token(OWNER, NEW), "export", "tenant", "--output", str(second)) == 0
    again = json.loads(second.read_text())
    assert {k: len(v) for k, v in again["tables"].items()} == {k: len(v) for k, v in doc["tables"].items()}
    assert again["members"] == doc["members"]
    # numbers come back exactly as they were written (volume 40.125, price 1.799)
    assert sorted(Decimal(str(f["volume"])) for f in again["tables"]["fuel_logs"]) == sorted(
        Decimal(str(f["volume"])) for f in doc["tables"]["fuel_logs"])

    # a second import into the now full tenant: refused, one line, nothing changed
    assert run_cli(monkeypatch, api, api.token(OWNER, NEW), "import-tenant", str(first)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("motovault import-tenant: error: POST /rpc/import_tenant: HTTP 409: tenant: not empty")
    assert "\n" not in err


def test_the_rpcs_refuse_with_4xx_naming_the_problem(api: PostgrestServer, tenant: str) -> None:
    with api.client(api.token(VIEWER, OLD)) as client:
        r = client.get("/rpc/export_tenant")
    assert r.status_code == 403, r.text
    assert r.json()["message"].startswith("role: only an owner of the tenant may export its data")
    with api.client(api.token(OWNER, OLD)) as client:
        doc = client.get("/rpc/export_tenant").json()
        newer = client.post("/rpc/import_tenant", json={"doc": {**doc, "version": 2}})
        full = client.post("/rpc/import_tenant", json={"doc": doc})
    assert newer.status_code == 400, newer.text
    assert newer.json()["message"] == "version: this server reads version 1 of motovault.tenant, not 2"
    assert full.status_code == 409, full.text


def test_lubelogger_csv_has_the_samples_layout_and_the_numbers(
    api: PostgrestServer, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "lube"
    assert run_cli(monkeypatch, api, api.token(OWNER, OLD), "export", "lubelogger", "--vehicle", CAR,
                   "--output", str(out)) == 0
    sample = {
        "gas_records.csv": "official_gassample.csv",
        "service_records.csv": "official_servicerecordsample.csv",
        "repair_records.csv": "official_servicerecordsample.csv",
        "upgrade_records.csv": "official_servicerecordsample.csv",
        "odometer_records.csv": "official_odometersample.csv",
    }
    for mine, theirs in sample.items():
        assert (out / mine).read_text().splitlines()[0] == (SAMPLES / theirs).read_text().splitlines()[0], mine

    with api.client(api.token(OWNER, OLD)) as client:
        logs = client.get("/fuel_logs", params={"vehicle_id": f"eq.{CAR}", "order": "filled_on"}).json()
    gas = list(csv.DictReader((out / "gas_records.csv").open(newline="")))
    assert [(g["Date"], int(g["Odometer"]), Decimal(g["FuelConsumed"]), Decimal(g["Cost"]), g["IsFillToFull"],
             g["MissedFuelUp"], g["Notes"]) for g in gas] == [
        ("1/5/2024", 1000, Decimal("40.125"), Decimal("72.18"), "True", "False", ""),
        ("2/1/2024", 1420, Decimal("18.5"), Decimal("33.48"), "False", "False", ""),
        ("3/3/2024", 2210, Decimal("44.01"), Decimal("80.10"), "True", "True", 'after a trip, "forgot" one'),
    ]
    assert [Decimal(g["Cost"]) for g in gas] == [Decimal(str(f["total_cost"])) for f in logs]
    service = list(csv.reader((out / "service_records.csv").open(newline="")))[1:]
    assert service == [["1/20/2024", "1200", "Oil change", "5W-30", "89.9"]]
    repair = list(csv.reader((out / "repair_records.csv").open(newline="")))[1:]
    assert repair == [["2/10/2024", "1500", "Exhaust clamp", "", "0"]]
    upgrade = list(csv.reader((out / "upgrade_records.csv").open(newline="")))[1:]
    assert upgrade == [["2/11/2024", "0", "Tow hitch", "", "420"]]
    odometer = list(csv.reader((out / "odometer_records.csv").open(newline="")))[1:]
    assert odometer == [["3/20/2024", "2500", "yearly check"]]


def test_lubelogger_of_an_unknown_vehicle_is_one_line(
    api: PostgrestServer,
    tenant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown = "e5000000-0000-4000-8000-0000000000ff"
    assert run_cli(monkeypatch, api, api.token(OWNER, OLD), "export", "lubelogger", "--vehicle", unknown,
                   "--output", str(tmp_path)) == 1
    assert capsys.readouterr().err.strip() == (
        f"motovault export: error: --vehicle: no vehicle {unknown} in this tenant (GET /vehicles lists them)")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [("currency", "EURO", "fuel_logs_currency_iso4217"), ("volume", "lots", "sqlstate 22P02")],
    ids=["check", "not-a-number"],
)
def test_a_refused_row_fails_the_import_naming_it_and_writes_nothing(
    api: PostgrestServer, api_db: ClonedDatabase, tenant: str, worker: ImportWorker, field: str, value: str,
    rule: str,
) -> None:
    with api.client(api.token(OWNER, OLD)) as client:
        doc: dict[str, Any] = client.get("/rpc/export_tenant").json()
    bad = sorted(doc["tables"]["fuel_logs"], key=lambda r: str(r["filled_on"]))
    bad[1] = {**bad[1], field: value}  # the middle one of three, in a chunk of two
    doc["tables"]["fuel_logs"] = bad
    with api.client(api.token(OWNER, EMPTY)) as client:
        r = client.post("/rpc/import_tenant", json={"doc": doc})
        assert r.status_code == 202, r.text
        started = r.json()
        assert started["status"] == "queued" and started["rows_total"] == sum(len(t) for t in doc["tables"].values())
    with ApiClient(api.url, api.token(OWNER, EMPTY)) as client, pytest.raises(Exception) as failed:
        wait_for_import(client, started["import_id"], timeout=60)
    assert str(failed.value).startswith(f"tenant import {started['import_id']} failed, nothing imported: "
                                        "tables.fuel_logs[1]: ")
    with api.client(api.token(OWNER, EMPTY)) as client:
        job = client.get("/tenant_imports", params={"id": f"eq.{started['import_id']}"}).json()[0]
    assert (job["status"], job["error_table"], job["error_row"], job["error_field"], job["error_rule"]) == (
        "failed", "fuel_logs", 1, field, rule), job
    assert job["result"] is None and job["rows_done"] == 0
    with api_db.connect() as conn:
        written = one_row(conn, "select (select count(*) from app.vehicles where tenant_id = %s)"
                                " + (select count(*) from app.garages where tenant_id = %s)"
                                " + (select count(*) from app.maintenance where tenant_id = %s)"
                                " + (select count(*) from app.tenant_import_documents"
                                "    where tenant_id = %s and doc is not null)", (EMPTY,) * 4)[0]
    assert written == 0, "nothing of the import is written, and its document is dropped"
