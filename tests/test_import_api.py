"""Import batches through the real PostgREST and the import worker (docs/imports.md): upload, parse,
preview, confirm, commit, re-import, undo; refused lines; isolation; bad input; the CLI.

The files are the real samples of tests/fixtures/imports (as they are) and small LubeLogger-layout
files written here for the cases the samples do not have.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import httpx
import pytest

from motovault.cli import main
from motovault.core.db import one_row
from motovault.importing.worker import ImportWorker
from motovault.stack.settings import OWNER_ROLE
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

pytestmark = pytest.mark.api

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
GAS = FIXTURES / "lubelogger" / "official_gassample.csv"
TAX = FIXTURES / "lubelogger" / "official_taxrecordsample.csv"
FUELIO = FIXTURES / "fuelio" / "tigattack_fuelio_backup_sample.csv"

TENANT = "45000000-0000-4000-8000-000000000001"
OTHER_TENANT = "45000000-0000-4000-8000-000000000002"
MEMBER = "45000000-0000-4000-8000-0000000000a2"
VIEWER = "45000000-0000-4000-8000-0000000000a3"
OUTSIDER = "45000000-0000-4000-8000-0000000000a4"
TRUCK = "45000000-0000-4000-8000-0000000000c1"
VAN = "45000000-0000-4000-8000-0000000000c2"

#: a LubeLogger fuel file with refused lines: line 3 goes below an earlier reading (odometer guard),
#: line 5 has a volume that is not a number (the parser's problem), line 6 a volume of 0 (a CHECK)
REFUSED = (
    b"Date,Odometer,FuelConsumed,Cost,IsFillToFull,MissedFuelUp,Notes\n"
    b"1/5/2021,1000,10,20,True,False,\n"
    b"1/20/2021,900,10,20,True,False,odometer goes down\n"
    b"2/3/2021,1200,12,24,True,False,\n"
    b"2/13/2021,1300,lots,24,True,False,\n"
    b"2/20/2021,1400,0,0,True,False,\n"
)


class World(TypedDict):
    member: httpx.Client
    viewer: httpx.Client
    outsider: httpx.Client
    worker: ImportWorker
    db: ClonedDatabase
    api: PostgrestServer


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase, api: PostgrestServer) -> Iterator[World]:
    with api_db.connect() as conn:
        params = {"t": TENANT, "o": OTHER_TENANT, "member": MEMBER, "viewer": VIEWER, "outsider": OUTSIDER,
                  "truck": TRUCK, "van": VAN}
        for statement in (
            "insert into app.tenants (id, name) values (%(t)s, 'Imports'), (%(o)s, 'Other household')",
            "insert into app.users (id) values (%(member)s), (%(viewer)s), (%(outsider)s)",
            """insert into app.memberships (tenant_id, user_id, role)
               values (%(t)s, %(member)s, 'owner'), (%(t)s, %(viewer)s, 'viewer'), (%(o)s, %(outsider)s, 'owner')""",
            """insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
               values (%(t)s, %(truck)s, 'Truck', 'mi'), (%(t)s, %(van)s, 'Van', 'mi')""",
        ):
            conn.execute(statement, params)
    clients = [api.client(api.token(u, t)) for u, t in ((MEMBER, TENANT), (VIEWER, TENANT), (OUTSIDER, OTHER_TENANT))]
    with ImportWorker(api_db.url(OWNER_ROLE), quiet=True) as worker:
        yield {"member": clients[0], "viewer": clients[1], "outsider": clients[2], "worker": worker, "db": api_db,
               "api": api}
    for client in clients:
        client.close()


def count(db: ClonedDatabase, sql: str, *params: object) -> int:
    with db.connect() as conn:
        return int(one_row(conn, sql, params)[0])


def start(client: httpx.Client, data: bytes, filename: str, **options: Any) -> httpx.Response:
    body = {"filename": filename, "content": base64.b64encode(data).decode(), **options}
    return client.post("/rpc/start_import", json=body, headers={"Accept": "application/vnd.pgrst.object+json"})


def parsed(w: World, data: bytes, filename: str, **options: Any) -> dict[str, Any]:
    """Upload, let the worker parse, and return the batch."""
    r = start(w["member"], data, filename, **options)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "queued"
    w["worker"].drain()
    batch = w["member"].get("/import_batches", params={"id": f"eq.{r.json()['id']}"}).json()[0]
    assert isinstance(batch, dict)
    return batch


def preview(client: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    r = client.post("/rpc/preview_import", json={"batch_id": batch_id})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


def commit(client: httpx.Client, batch_id: str, **kw: Any) -> httpx.Response:
    return client.post("/rpc/commit_import", json={"batch_id": batch_id, **kw},
                       headers={"Accept": "application/vnd.pgrst.object+json"})


def committed(w: World, batch_id: str, **kw: Any) -> dict[str, Any]:
    """Ask for the commit (202, status committing), let the worker run it, and return the batch."""
    r = commit(w["member"], batch_id, **kw)
    assert r.status_code == 202 and r.json()["status"] == "committing", r.text
    w["worker"].drain()
    batch: dict[str, Any] = w["member"].get("/import_batches", params={"id": f"eq.{batch_id}"}).json()[0]
    return batch


def confirm(client: httpx.Client, batch_id: str, choices: dict[str, str] | None = None) -> list[dict[str, Any]]:
    r = client.post("/rpc/confirm_import_vehicles", json={"batch_id": batch_id, "choices": choices or {}})
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def live_fuel_logs(w: World, vehicle: str) -> int:
    return count(w["db"], "select count(*) from app.fuel_logs where vehicle_id = %s and deleted_at is null", vehicle)


def test_upload_preview_commit_reimport_undo(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, GAS.read_bytes(), GAS.name, currency="USD", vehicle_id=TRUCK)
    assert (batch["status"], batch["detected_format"]) == ("parsed", "lubelogger")
    assert batch["finished_at"] is not None

    rows = preview(member, batch["id"])
    assert [(r["line"], r["kind"], r["status"]) for r in rows] == [(2, "fuel", "create"), (3, "fuel", "create")]
    assert live_fuel_logs(w, TRUCK) == 0, "a preview writes no record"

    r = commit(member, batch["id"])
    assert r.status_code == 409 and "confirmed_at" in r.json()["message"], r.text
    vehicles = confirm(member, batch["id"])
    assert [(v["action"], v["vehicle_id"], v["matched_by"]) for v in vehicles] == [("match", TRUCK, "choice")]

    assert committed(w, batch["id"])["status"] == "committed"
    assert live_fuel_logs(w, TRUCK) == 2
    # the commit wrote its import.finished event into the notifications outbox (docs/notifications.md)
    assert count(
        w["db"],
        "select count(*) from app.outbox_events where type = 'import.finished' "
        "and subject = jsonb_build_object('batch_id', %s::uuid, 'status', 'committed', 'records', 2, 'rejected', 0)",
        batch["id"],
    ) == 1
    created = member.get("/import_rows", params={"batch_id": f"eq.{batch['id']}", "order": "line"}).json()
    assert [(c["status"], c["record_table"]) for c in created] == [("created", "fuel_logs")] * 2
    # the imported history gives LubeLogger's own figure: 220 mi on 11.913 gal (full to full)
    economy = member.get("/rpc/fuel_economy", params={"vehicle_id": TRUCK, "unit": "mpg_us"}).json()
    assert float(economy[0]["economy"]) == 18.47

    # the same file again, as the raw body this time: every line is a duplicate, nothing is created twice
    r = member.post("/rpc/upload_import", content=GAS.read_bytes(), headers={
        "Content-Type": "application/octet-stream", "Accept": "application/vnd.pgrst.object+json",
        "X-Import-Filename": GAS.name, "X-Import-Currency": "usd", "X-Import-Vehicle-Id": TRUCK})
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["file_sha256"] == batch["file_sha256"], "the file is stored once"
    w["worker"].drain()
    assert [(p["status"], p["duplicate_of"]) for p in preview(member, again["id"])] == [
        ("duplicate", c["record_id"]) for c in created]
    confirm(member, again["id"])
    assert committed(w, again["id"])["status"] == "committed"
    assert live_fuel_logs(w, TRUCK) == 2

    # undo: what the first import created goes to the trash, in one call
    r = member.post("/rpc/undo_import", json={"batch_id": batch["id"]},
                    headers={"Accept": "application/vnd.pgrst.object+json"})
    assert r.status_code == 200 and r.json()["status"] == "undone", r.text
    assert live_fuel_logs(w, TRUCK) == 0
    trash = member.get("/fuel_logs_trash", params={"vehicle_id": f"eq.{TRUCK}"}).json()
    assert sorted(t["id"] for t in trash) == sorted(c["record_id"] for c in created)
    r = member.post("/rpc/undo_import", json={"batch_id": batch["id"]})
    assert r.status_code == 409 and "undone, not committed" in r.json()["message"]


def test_all_or_nothing_then_skipping_the_refused_lines(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, REFUSED, "my-civic.csv", currency="EUR")
    assert batch["status"] == "parsed", batch
    rows = {r["line"]: r for r in preview(member, batch["id"])}
    assert {n: r["status"] for n, r in rows.items()} == {2: "create", 3: "error", 4: "create", 5: "error", 6: "error"}
    assert (rows[3]["error_field"], rows[3]["error_rule"], rows[3]["error_value"]) == (
        "odometer", "odometer_readings_consistent", "900")
    assert (rows[5]["error_field"], rows[5]["error_rule"], rows[5]["error_value"]) == (
        "volume", "number_invalid", "lots")
    assert (rows[6]["error_field"], rows[6]["error_rule"]) == ("volume", "fuel_logs_volume_positive")
    vehicles = member.get("/import_vehicles", params={"batch_id": f"eq.{batch['id']}"}).json()
    assert [(v["action"], v["name"]) for v in vehicles] == [("create", "my-civic")]
    confirm(member, batch["id"])

    refused = committed(w, batch["id"])
    assert refused["status"] == "parsed", refused
    assert refused["error"].startswith("line 3: odometer: odometer_readings_consistent (900); 3 line(s) refused")
    assert count(w["db"], "select count(*) from app.vehicles where display_name = 'my-civic'") == 0, "nothing written"

    assert committed(w, batch["id"], skip_errors=True)["status"] == "committed"
    after = member.get("/import_rows", params={"batch_id": f"eq.{batch['id']}", "order": "line"}).json()
    assert [a["status"] for a in after] == ["created", "skipped", "created", "skipped", "skipped"]
    civic = member.get("/vehicles", params={"display_name": "eq.my-civic"}).json()
    assert len(civic) == 1 and live_fuel_logs(w, civic[0]["id"]) == 2

    assert member.post("/rpc/undo_import", json={"batch_id": batch["id"]}).status_code == 200
    assert member.get("/vehicles_trash", params={"id": f"eq.{civic[0]['id']}"}).json(), "its vehicle is in the trash"


def test_tax_rows_become_expenses_once_and_undo_trashes_them(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, TAX.read_bytes(), TAX.name, currency="USD", date_order="mdy", vehicle_id=VAN)
    rows = preview(member, batch["id"])
    assert [(r["line"], r["kind"], r["status"]) for r in rows] == [(2, "tax", "create"), (3, "tax", "create")]
    confirm(member, batch["id"])
    assert committed(w, batch["id"])["status"] == "committed"
    expenses = member.get("/expenses", params={"vehicle_id": f"eq.{VAN}", "order": "incurred_on",
                                               "select": "id,category,title,incurred_on,amount,currency,notes"}).json()
    assert [(e["category"], e["title"], e["incurred_on"], e["amount"], e["currency"], e["notes"])
            for e in expenses] == [
        ("tax", "Test Description 1", "2020-01-01", 20.6, "USD", "Test Note 1"),
        ("tax", "Test Description 2", "2020-01-02", 40.45, "USD", "Test Note 2")]
    created = member.get("/import_rows", params={"batch_id": f"eq.{batch['id']}", "order": "line"}).json()
    assert [(c["record_table"], c["record_id"]) for c in created] == [("expenses", e["id"]) for e in expenses]

    # the same file again: nothing twice
    again = parsed(w, TAX.read_bytes(), TAX.name, currency="USD", date_order="mdy", vehicle_id=VAN)
    assert [r["status"] for r in preview(member, again["id"])] == ["duplicate", "duplicate"]
    confirm(member, again["id"])
    assert committed(w, again["id"])["status"] == "committed"
    assert len(member.get("/expenses", params={"vehicle_id": f"eq.{VAN}"}).json()) == 2

    r = member.post("/rpc/undo_import", json={"batch_id": batch["id"]})
    assert r.status_code == 200, r.text
    assert member.get("/expenses", params={"vehicle_id": f"eq.{VAN}"}).json() == []
    trash = member.get("/expenses_trash", params={"vehicle_id": f"eq.{VAN}", "select": "id"}).json()
    assert sorted(t["id"] for t in trash) == sorted(e["id"] for e in expenses)


def test_fuelio_sample_creates_its_vehicle_and_fill_up(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, FUELIO.read_bytes(), FUELIO.name, currency="GBP")
    assert batch["detected_format"] == "fuelio", batch
    vehicles = member.get("/import_vehicles", params={"batch_id": f"eq.{batch['id']}"}).json()
    assert [(v["action"], v["name"], v["plate"]) for v in vehicles] == [("create", "BMW Z3", "AB12CDE")]
    statuses = [(r["kind"], r["status"]) for r in preview(member, batch["id"])]
    assert statuses == [("fuel", "create"), ("expense", "create")]
    confirm(member, batch["id"])
    assert committed(w, batch["id"])["status"] == "committed"
    car = member.get("/vehicles", params={"license_plate": "eq.AB12CDE"}).json()[0]
    logs = member.get("/fuel_logs", params={"vehicle_id": f"eq.{car['id']}"}).json()
    assert [(g["odometer"], g["odometer_unit"], g["volume"], g["volume_unit"]) for g in logs] == [
        (212477, "mi", 46.301, "l")]
    # TankNumber 1 of a one-tank car (TankCount 1, Tank1Type 100 petrol, 51 l): its energy source
    sources = member.get("/energy_sources", params={"vehicle_id": f"eq.{car['id']}"}).json()
    assert [(s["tank_number"], s["fuel_types"], s["unit"], s["capacity"]) for s in sources] == [
        (1, ["gasoline"], "l", 51.0)]
    assert logs[0]["source_id"] == sources[0]["id"]
    # the MOT of ## Costs (CostTypeID 34, a reminder with no category row): an expense of category other
    costs = member.get("/expenses", params={"vehicle_id": f"eq.{car['id']}"}).json()
    assert [(c["category"], c["title"], c["incurred_on"], c["amount"], c["currency"]) for c in costs] == [
        ("other", "MOT", "2024-02-08", 0, "GBP")]
    # the sample's one fill-up carries Fuelio's 21.8 mpg, measured from a fill-up the trimmed file does not
    # hold: motovault has no interval to measure, and says so rather than inventing one
    intervals = member.get("/rpc/fuel_economy_intervals", params={"vehicle_id": car["id"], "unit": "mpg_imp"}).json()
    assert [(i["economy"], i["note"]) for i in intervals] == [
        (None, "first full fill-up: no previous full fill-up to measure from")]


def test_fuelio_bi_fuel_tanks_become_energy_sources_with_economy_per_tank(world: World) -> None:
    w, member = world, world["member"]
    data = (FIXTURES / "edge" / "fuelio_bifuel.csv").read_bytes()
    batch = parsed(w, data, "fuelio_bifuel.csv", currency="PLN")
    confirm(member, batch["id"])
    assert committed(w, batch["id"])["status"] == "committed"
    car = member.get("/vehicles", params={"vin": "eq.UU1DJF00000000001"}).json()[0]
    sources = member.get("/energy_sources", params={"vehicle_id": f"eq.{car['id']}", "order": "tank_number"}).json()
    assert [(s["tank_number"], s["name"], s["fuel_types"], s["capacity"]) for s in sources] == [
        (1, "Tank 1 (gasoline)", ["gasoline"], 50.0), (2, "Tank 2 (lpg)", ["lpg"], 40.0)]
    logs = member.get("/fuel_logs", params={"vehicle_id": f"eq.{car['id']}", "order": "odometer"}).json()
    tank_of = {s["id"]: s["tank_number"] for s in sources}
    assert [(g["odometer"], tank_of[g["source_id"]]) for g in logs] == [(20000, 2), (20010, 1), (20420, 2)]
    # economy per tank: the LPG tank's 32.5 l over 420 km between its two full fill-ups (Fuelio: 7.9)
    intervals = member.get("/rpc/fuel_economy_intervals",
                           params={"vehicle_id": car["id"], "unit": "l_per_100km"}).json()
    assert [(i["source_id"], i["distance"], i["economy"]) for i in intervals if i["economy"] is not None] == [
        (sources[1]["id"], 420, 7.74)]
    # the LPG filter of ## Costs (category Maintenance): an expense, its category kept in the notes
    costs = member.get("/expenses", params={"vehicle_id": f"eq.{car['id']}"}).json()
    assert [(c["category"], c["title"], c["amount"], c["currency"], c["notes"]) for c in costs] == [
        ("other", "LPG filter", 150, "PLN", "Category in the file: Maintenance")]


def test_a_file_the_parser_refuses_fails_its_batch_naming_the_values(world: World) -> None:
    w = world
    ambiguous = b"Date,Odometer,FuelConsumed,Cost,IsFillToFull,MissedFuelUp,Notes\n5/8/2020,10,1,2,True,False,\n"
    batch = parsed(w, ambiguous, "ambiguous.csv", currency="USD")
    assert batch["status"] == "failed" and "5/8/2020" in batch["error"] and "date-order" in batch["error"], batch
    r = w["member"].post("/rpc/preview_import", json={"batch_id": batch["id"]})
    assert r.status_code == 409 and "failed" in r.json()["message"], r.text

    batch = parsed(w, b"just some text\nnothing a vehicle app writes\n", "notes.txt")
    assert batch["status"] == "failed" and "not a format motovault knows" in batch["error"], batch

    batch = parsed(w, GAS.read_bytes(), GAS.name, format="nonsense", currency="USD")
    assert batch["status"] == "failed" and "nonsense" in batch["error"], batch


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"content": "%%% not base64"}, ["content: not base64"]),
        ({"content": ""}, ["content: the file is empty"]),
        ({"content": "YQ==", "date_order": "sideways"}, ["date_order: sideways is not one of auto, mdy, dmy, ymd"]),
        ({"content": "YQ==", "currency": "euro"}, ["currency: euro is not an ISO 4217 code"]),
    ],
)
def test_bad_uploads_are_refused_with_the_field_and_rule(world: World, body: dict[str, str], words: list[str]) -> None:
    before = count(world["db"], "select count(*) from app.import_batches")
    r = world["member"].post("/rpc/start_import", json={"filename": "x.csv", **body})
    assert r.status_code == 400, r.text
    for word in words:
        assert word in r.text
    assert count(world["db"], "select count(*) from app.import_batches") == before


def test_batches_are_the_tenants_own(world: World) -> None:
    w = world
    batch = parsed(w, GAS.read_bytes(), "isolation.csv", currency="USD", vehicle_id=VAN)
    outsider, viewer = w["outsider"], w["viewer"]
    assert outsider.get("/import_batches", params={"id": f"eq.{batch['id']}"}).json() == []
    assert outsider.get("/import_rows", params={"batch_id": f"eq.{batch['id']}"}).json() == []
    for rpc in ("preview_import", "commit_import", "undo_import", "confirm_import_vehicles"):
        r = outsider.post(f"/rpc/{rpc}", json={"batch_id": batch["id"]})
        assert r.status_code == 404, (rpc, r.text)
    assert viewer.get("/import_batches", params={"id": f"eq.{batch['id']}"}).json()[0]["id"] == batch["id"]
    assert start(viewer, GAS.read_bytes(), "viewer.csv").status_code == 403
    assert viewer.post("/rpc/preview_import", json={"batch_id": batch["id"]}).status_code == 200, "a read"
    assert viewer.post("/rpc/commit_import", json={"batch_id": batch["id"]}).status_code == 403
    assert viewer.post("/rpc/confirm_import_vehicles", json={"batch_id": batch["id"]}).status_code == 403
    # the staging tables are written only by the RPCs: the views refuse direct writes
    r = w["member"].patch("/import_batches", params={"id": f"eq.{batch['id']}"}, json={"status": "committed"})
    assert r.status_code in (401, 403, 405), r.text


def test_an_overlapping_later_export_creates_only_the_new_records(world: World) -> None:
    w, member = world, world["member"]
    r = member.post("/vehicles", json={"display_name": "Overlap", "odometer_unit": "mi"},
                    headers={"Prefer": "return=representation", "Accept": "application/vnd.pgrst.object+json"})
    car = r.json()["id"]
    first = parsed(w, GAS.read_bytes(), "export-2020-06.csv", currency="USD", vehicle_id=car)
    confirm(member, first["id"])
    assert committed(w, first["id"])["status"] == "committed"
    later = GAS.read_bytes() + b"\n6/20/2020,205301,10.5,23.10,True,False,\n"  # the sample ends without one
    batch = parsed(w, later, "export-2020-07.csv", currency="USD", vehicle_id=car)
    assert [(p["line"], p["status"]) for p in preview(member, batch["id"])] == [
        (2, "duplicate"), (3, "duplicate"), (4, "create")]
    confirm(member, batch["id"])
    assert committed(w, batch["id"])["status"] == "committed"
    assert live_fuel_logs(w, car) == 3


def test_a_batch_whose_worker_died_is_parsed_by_the_next_one_once(world: World) -> None:
    w = world
    r = start(w["member"], GAS.read_bytes(), "lease.csv", currency="USD", vehicle_id=VAN)
    batch = r.json()["id"]
    with w["db"].connect(OWNER_ROLE) as conn:
        conn.execute("set role vin_worker")
        # a worker leases it and dies (its lease of 0 seconds has expired at once)
        claimed = conn.execute("select batch_id from app.import_claim(10, 'dead', 0)").fetchall()
        assert [str(c[0]) for c in claimed] == [batch]
        assert w["worker"].drain() == 2, "the next worker reclaims it (and previews it)"
        # the dead worker coming back cannot stage or fail it any more
        assert conn.execute("select app.import_stage(%s, 'dead', 'x', '[]', '[]')", (batch,)).fetchone() == (False,)
        assert conn.execute("select app.import_fail(%s, 'dead', 'late')", (batch,)).fetchone() == (False,)
    rows = w["member"].get("/import_rows", params={"batch_id": f"eq.{batch}"}).json()
    assert len(rows) == 2
    assert w["member"].get("/import_batches", params={"id": f"eq.{batch}"}).json()[0]["status"] == "parsed"


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    import io

    from motovault.importing.progress import Progress

    quiet, shown = io.StringIO(), io.StringIO()
    for stream, enabled in ((quiet, None), (shown, True)):
        bar = Progress(stream, enabled)
        bar.start("upload", 200)
        bar.advance(100)
        bar.finish()
    assert quiet.getvalue() == "", "a pipe or file gets no bar"
    assert "upload" in shown.getvalue() and " 50%" in shown.getvalue()


@pytest.fixture
def running_worker(world: World) -> Iterator[None]:
    stop = threading.Event()
    worker = ImportWorker(world["db"].url(OWNER_ROLE), quiet=True, poll_seconds=0.2)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()
    worker.close()


def test_cli_dry_run_commit_and_undo(world: World, running_worker: None, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    api = world["api"]
    token = api.token(MEMBER, TENANT)
    common = ["--api-url", api.url, "--token", token]
    bad = tmp_path / "refused.csv"
    bad.write_bytes(REFUSED)
    assert main(["import", str(bad), "--currency", "EUR", "--vehicle", "Van", "--dry-run", *common]) == 1
    out = capsys.readouterr().out
    assert "odometer_readings_consistent" in out and "dry run: nothing imported; 3 line(s) would be refused" in out
    assert main(["import", str(bad), "--currency", "EUR", "--vehicle", "Van", "--yes", *common]) == 1
    assert "nothing imported: 3 line(s) would be refused" in capsys.readouterr().out
    assert live_fuel_logs(world, VAN) == 0

    good = tmp_path / "gas.csv"
    good.write_bytes(GAS.read_bytes())
    assert main(["import", str(good), "--currency", "USD", "--vehicle", "Van", "--dry-run", *common]) == 0
    assert main(["import", str(good), "--currency", "USD", "--vehicle", VAN, "--yes", *common]) == 0
    out = capsys.readouterr().out
    assert "imported 2 record(s)" in out and live_fuel_logs(world, VAN) == 2
    batch = out.rsplit("motovault import undo ", 1)[1].split()[0]
    assert main(["import", "undo", batch, *common]) == 0
    assert live_fuel_logs(world, VAN) == 0

    assert main(["import", str(good), "--vehicle", "Van", "--yes", *common]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass --currency" in err and "Traceback" not in err


def lubelogger_gas(rows: int, *, bad_line: int | None = None) -> bytes:
    """A LubeLogger fuel file of ``rows`` fill-ups, a day and 400 km apart, from 1990 (line 2 is the first);
    ``bad_line`` goes below the reading before it (the odometer guard refuses it)."""
    import datetime as dt

    out = ["Date,Odometer,FuelConsumed,Cost,IsFillToFull,MissedFuelUp,Notes"]
    day = dt.date(1990, 1, 1)
    for n in range(rows):
        line = n + 2
        odometer = 1000 + n * 400 - (5000 if line == bad_line else 0)
        out.append(f"{(day + dt.timedelta(days=n)).strftime('%m/%d/%Y')},{odometer},{30 + n % 9}.5,"
                   f"{50 + n % 13}.25,{'False' if n % 10 == 5 else 'True'},False,")
    return ("\n".join(out) + "\n").encode()


def test_a_long_history_commits_in_the_worker_all_or_nothing(world: World) -> None:
    """5,001 fill-ups (years of history: far more than an API request's 5 s allow) through the real PostgREST
    and the worker, one of them refused in the middle: the preview names it, the commit writes nothing,
    and the commit with skip_errors writes the 5,000 others."""
    w, member = world, world["member"]
    rows = 5001
    r = member.post("/vehicles", json={"display_name": "Long history", "odometer_unit": "km"},
                    headers={"Prefer": "return=representation", "Accept": "application/vnd.pgrst.object+json"})
    car = r.json()["id"]
    batch = parsed(w, lubelogger_gas(rows, bad_line=2500), "long.csv", currency="EUR", vehicle_id=car)
    assert batch["status"] == "parsed", batch
    progress = member.get("/import_batch_progress", params={"batch_id": f"eq.{batch['id']}"}).json()[0]
    assert (progress["rows_done"], progress["rows_total"]) == (rows, rows)
    verdicts = [(p["line"], p["status"], p["error_rule"]) for p in member.get("/import_rows", params={
        "batch_id": f"eq.{batch['id']}", "status": "neq.create"}).json()]
    assert verdicts == [(2500, "error", "odometer_readings_consistent")]
    confirm(member, batch["id"])

    refused = committed(w, batch["id"])
    assert refused["status"] == "parsed"
    assert refused["error"].startswith("line 2500: odometer: odometer_readings_consistent (995200); 1 line(s)"), refused
    assert live_fuel_logs(w, car) == 0, "nothing of it written"

    assert committed(w, batch["id"], skip_errors=True)["status"] == "committed"
    assert live_fuel_logs(w, car) == rows - 1
    assert count(w["db"], "select count(*) from app.import_rows where batch_id = %s and status = 'created'",
                 batch["id"]) == rows - 1
