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

    r = commit(member, batch["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "committed"
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
    assert commit(member, again["id"]).status_code == 200
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

    r = commit(member, batch["id"])
    assert r.status_code == 409, r.text
    assert r.json()["message"].startswith("line 3: odometer: odometer_readings_consistent (900); 3 line(s) refused")
    assert count(w["db"], "select count(*) from app.vehicles where display_name = 'my-civic'") == 0, "nothing written"

    r = commit(member, batch["id"], skip_errors=True)
    assert r.status_code == 200 and r.json()["status"] == "committed", r.text
    after = member.get("/import_rows", params={"batch_id": f"eq.{batch['id']}", "order": "line"}).json()
    assert [a["status"] for a in after] == ["created", "skipped", "created", "skipped", "skipped"]
    civic = member.get("/vehicles", params={"display_name": "eq.my-civic"}).json()
    assert len(civic) == 1 and live_fuel_logs(w, civic[0]["id"]) == 2

    assert member.post("/rpc/undo_import", json={"batch_id": batch["id"]}).status_code == 200
    assert member.get("/vehicles_trash", params={"id": f"eq.{civic[0]['id']}"}).json(), "its vehicle is in the trash"


def test_tax_rows_are_reported_as_not_imported_without_blocking_the_commit(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, TAX.read_bytes(), TAX.name, currency="USD", date_order="mdy", vehicle_id=VAN)
    rows = preview(member, batch["id"])
    assert rows and {(r["kind"], r["status"], r["error_message"]) for r in rows} == {
        ("tax", "unsupported", "not imported: expenses are not supported by this version")}
    confirm(member, batch["id"])
    r = commit(member, batch["id"])
    assert r.status_code == 200 and r.json()["status"] == "committed", r.text


def test_fuelio_sample_creates_its_vehicle_and_fill_up(world: World) -> None:
    w, member = world, world["member"]
    batch = parsed(w, FUELIO.read_bytes(), FUELIO.name, currency="GBP")
    assert batch["detected_format"] == "fuelio", batch
    vehicles = member.get("/import_vehicles", params={"batch_id": f"eq.{batch['id']}"}).json()
    assert [(v["action"], v["name"], v["plate"]) for v in vehicles] == [("create", "BMW Z3", "AB12CDE")]
    statuses = [(r["kind"], r["status"]) for r in preview(member, batch["id"])]
    assert ("fuel", "create") in statuses
    confirm(member, batch["id"])
    assert commit(member, batch["id"]).status_code == 200
    car = member.get("/vehicles", params={"license_plate": "eq.AB12CDE"}).json()[0]
    logs = member.get("/fuel_logs", params={"vehicle_id": f"eq.{car['id']}"}).json()
    assert [(g["odometer"], g["odometer_unit"], g["volume"], g["volume_unit"]) for g in logs] == [
        (212477, "mi", 46.301, "l")]
    # the sample's one fill-up carries Fuelio's 21.8 mpg, measured from a fill-up the trimmed file does not
    # hold: motovault has no interval to measure, and says so rather than inventing one
    intervals = member.get("/rpc/fuel_economy_intervals", params={"vehicle_id": car["id"], "unit": "mpg_imp"}).json()
    assert [(i["economy"], i["note"]) for i in intervals] == [
        (None, "first full fill-up: no previous full fill-up to measure from")]


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
    assert viewer.post("/rpc/preview_import", json={"batch_id": batch["id"]}).status_code == 403
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
    assert commit(member, first["id"]).status_code == 200
    later = GAS.read_bytes() + b"\n6/20/2020,205301,10.5,23.10,True,False,\n"  # the sample ends without one
    batch = parsed(w, later, "export-2020-07.csv", currency="USD", vehicle_id=car)
    assert [(p["line"], p["status"]) for p in preview(member, batch["id"])] == [
        (2, "duplicate"), (3, "duplicate"), (4, "create")]
    confirm(member, batch["id"])
    assert commit(member, batch["id"]).status_code == 200
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
        assert w["worker"].drain() == 1, "the next worker reclaims it"
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
