"""NHTSA recalls: the client against a recorded real answer (tests/fixtures/nhtsa_recalls), the
worker's polite check, the cache, recalls per vehicle through PostgREST (isolation, rules, bad input),
and the announcement of a new recall. No test touches the network: httpx.MockTransport answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from motovault.core.db import one_row
from motovault.core.errors import MotovaultError
from motovault.testing.postgrest_proc import PostgrestServer
from motovault.vin.recalls import RecallChecker, RecallsClient
from support.databases import ClonedDatabase

FIXTURES = Path(__file__).parent / "fixtures" / "nhtsa_recalls"
RDX_2012 = (FIXTURES / "acura_rdx_2012.json").read_bytes()
#: the other recorded answers (README.md there says where each comes from), by request
RECORDED = {
    ("HONDA", "ACCORD", "2024"): (FIXTURES / "honda_accord_2024.json").read_bytes(),
    ("HYUNDAI", "VENUE", "2022"): (FIXTURES / "hyundai_venue_2022.json").read_bytes(),
    ("JEEP", "COMPASS", "2022"): (FIXTURES / "jeep_compass_2022.json").read_bytes(),
}
#: NHTSA's answer for a vehicle it does not know (HTTP 400), built here: no recording was found
UNKNOWN = b'{"Count":0,"Message":"Results returned successfully","results":[]}'

TENANT = "5ec00000-0000-4000-8000-000000000001"
OTHER = "5ec00000-0000-4000-8000-000000000002"
OWNER = "5ec00000-0000-4000-8000-0000000000a1"
VIEWER = "5ec00000-0000-4000-8000-0000000000a2"
STRANGER = "5ec00000-0000-4000-8000-0000000000a3"
RDX = "5ec00000-0000-4000-8000-0000000000c1"
THEIR_RDX = "5ec00000-0000-4000-8000-0000000000c2"
LATER_RDX = "5ec00000-0000-4000-8000-0000000000c3"
UNKNOWN_CAR = "5ec00000-0000-4000-8000-0000000000c4"


class Recorder:
    """A MockTransport handler: the recorded answer for ACURA RDX 2012, NHTSA's 400 for anything else."""

    def __init__(self, *failures: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self.failures = list(failures)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            return self.failures.pop(0)
        p = request.url.params
        if (p["make"], p["model"], p["modelYear"]) == ("ACURA", "RDX", "2012"):
            return httpx.Response(200, content=RDX_2012, headers={"Content-Type": "application/json"})
        if (p["make"], p["model"], p["modelYear"]) in RECORDED:
            body = RECORDED[(p["make"], p["model"], p["modelYear"])]
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return httpx.Response(400, content=UNKNOWN, headers={"Content-Type": "application/json"})


def client(handler: Recorder, slept: list[float] | None = None) -> RecallsClient:
    return RecallsClient(transport=httpx.MockTransport(handler), sleep=(slept if slept is not None else []).append)


# --- the client ----------------------------------------------------------------------------------


def test_client_reads_the_recorded_answer() -> None:
    handler = Recorder()
    with client(handler) as c:
        results = c.recalls("ACURA", "RDX", 2012)
    assert [r["NHTSACampaignNumber"] for r in results] == ["19V182000", "16V061000"]
    sent = handler.requests[0]
    assert sent.url.path == "/recalls/recallsByVehicle"
    assert dict(sent.url.params) == {"make": "ACURA", "model": "RDX", "modelYear": "2012"}
    assert sent.headers["user-agent"].startswith("motovault/")


@pytest.mark.parametrize(
    ("make", "model", "year", "campaigns"),
    [
        ("HONDA", "ACCORD", 2024, ["23V782000", "24V763000", "24V859000"]),
        ("HYUNDAI", "VENUE", 2022, ["22V458000"]),
        ("JEEP", "COMPASS", 2022, ["22V248000", "23V058000", "23V576000", "24V436000"]),
    ],
)
def test_client_reads_the_other_recorded_answers(make: str, model: str, year: int, campaigns: list[str]) -> None:
    with client(Recorder()) as c:
        results = c.recalls(make, model, year)
    assert [r["NHTSACampaignNumber"] for r in results] == campaigns
    assert all(r["Consequence"] and r["Remedy"] and r["Component"] for r in results)


def test_the_recorded_answers_become_recall_rows(api_db: ClonedDatabase) -> None:
    """app.recall_rows over the 2026 recordings: day/month/year dates, the flags, the no-break space."""
    with api_db.connect() as conn:
        rows = conn.execute(
            "select r.campaign_number, r.report_received_on::text, r.over_the_air, r.consequence is not null,"
            " position(chr(160) in r.summary) > 0"
            " from app.recall_rows(%s::jsonb -> 'results') as r order by 1",
            (RECORDED[("JEEP", "COMPASS", "2022")].decode(),),
        ).fetchall()
        venue = one_row(
            conn,
            "select r.component, r.manufacturer, r.park_it from app.recall_rows(%s::jsonb -> 'results') as r",
            (RECORDED[("HYUNDAI", "VENUE", "2022")].decode(),),
        )
    assert rows == [
        ("22V248000", "2022-04-14", False, True, False),
        ("23V058000", "2023-02-09", False, True, False),
        ("23V576000", "2023-08-14", False, True, False),
        ("24V436000", "2024-06-13", True, True, True),
    ]
    assert tuple(venue) == ("SEAT BELTS:FRONT", "Hyundai Motor America", False)


def test_client_reads_nhtsas_400_for_an_unknown_vehicle_as_no_recalls() -> None:
    with client(Recorder()) as c:
        assert c.recalls("TATA", "NEXON", 2022) == []


def test_client_retries_429_and_5xx_with_backoff_and_retry_after() -> None:
    slept: list[float] = []
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(503))
    with client(handler, slept) as c:
        assert len(c.recalls("ACURA", "RDX", 2012)) == 2
    assert slept == [7.0, 2.0]  # Retry-After, then backoff * 2**1


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([httpx.Response(500)] * 4, "NHTSA recalls failed for 2012 ACURA RDX after 4 attempt(s): HTTP 500"),
        ([httpx.Response(200, content=b"<html>maintenance</html>")], "with something that is not JSON"),
        ([httpx.Response(200, json={"Count": 0})], "has no results list"),
        ([httpx.Response(404)], "NHTSA recalls refused 2012 ACURA RDX: HTTP 404"),
    ],
    ids=["5xx-exhausted", "not-json", "no-results", "404"],
)
def test_client_failures_are_one_line(answers: list[httpx.Response], message: str) -> None:
    with client(Recorder(*answers)) as c, pytest.raises(MotovaultError) as raised:
        c.recalls("ACURA", "RDX", 2012)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


# --- the check, the cache and the recalls of vehicles ----------------------------------------------

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> ClonedDatabase:
    with api_db.connect() as conn:
        conn.execute("insert into app.tenants (id, name) values (%s, 'Recalls'), (%s, 'Other')", (TENANT, OTHER))
        conn.execute("insert into app.users (id) values (%s), (%s), (%s)", (OWNER, VIEWER, STRANGER))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner'), (%s, %s, 'viewer'),"
            " (%s, %s, 'owner')",
            (TENANT, OWNER, TENANT, VIEWER, OTHER, STRANGER),
        )
        # typed make/model/year, spelled as people type them
        conn.execute(
            "insert into app.vehicles (tenant_id, id, display_name, make, model, year) values"
            " (%s, %s, 'Mine', 'Acura', ' rdx ', 2012), (%s, %s, 'Theirs', 'ACURA', 'RDX', 2012),"
            " (%s, %s, 'Odd', 'Tata', 'Nexon', 2022)",
            (TENANT, RDX, OTHER, THEIR_RDX, TENANT, UNKNOWN_CAR),
        )
    return api_db


@pytest.fixture(scope="module")
def checked(world: ClonedDatabase) -> Iterator[tuple[ClonedDatabase, list[str]]]:
    """The worker's check ran once (recorded answers), while a connection LISTENed for announcements."""
    listener = world.connect()
    listener.execute("listen vehicle_recall")
    slept: list[float] = []
    handler = Recorder()
    with RecallChecker(world.url(), client(handler), interval=2.0, quiet=True, sleep=slept.append,
                       clock=lambda: 0.0) as checker:
        assert checker.drain() == 2  # two distinct make/model/year: RDX 2012 (two tenants) and Nexon
    assert slept == [2.0]  # one request at a time, interval seconds apart
    notes = [n.payload for n in listener.notifies(timeout=1.0, stop_after=4)]
    listener.close()
    yield world, notes


def test_a_check_per_make_model_year_is_queued_once(world: ClonedDatabase) -> None:
    with world.connect() as conn:
        rows = conn.execute("select make, model, model_year from app.recall_checks order by make").fetchall()
    assert ("ACURA", "RDX", 2012) in rows and ("TATA", "NEXON", 2022) in rows
    assert len([r for r in rows if r[0] == "ACURA"]) == 1


def test_recalls_are_added_to_every_matching_vehicle_and_announced(
    api: PostgrestServer, checked: tuple[ClonedDatabase, list[str]]
) -> None:
    notes = checked[1]
    with api.client(api.token(OWNER, TENANT)) as mine:
        rows = mine.get("/vehicle_recalls", params={"order": "campaign_number"}).json()
    assert [(r["vehicle_id"], r["campaign_number"], r["status"]) for r in rows] == [
        (RDX, "16V061000", "open"), (RDX, "19V182000", "open")]
    first = rows[1]
    assert first["component"] == "AIR BAGS:FRONTAL:DRIVER SIDE:INFLATOR MODULE"
    assert first["consequence"].startswith("An explosion of an inflator")  # read from "Conequence"
    assert first["report_received_on"] == "2019-03-06"
    assert first["remedy"].startswith("Honda will notify owners")
    with api.client(api.token(STRANGER, OTHER)) as theirs:
        assert {r["vehicle_id"] for r in theirs.get("/vehicle_recalls").json()} == {THEIR_RDX}
    events = sorted((json.loads(n)["tenant_id"], json.loads(n)["campaign_number"]) for n in notes)
    assert events == sorted([(TENANT, "16V061000"), (TENANT, "19V182000"),
                             (OTHER, "16V061000"), (OTHER, "19V182000")])
    assert {json.loads(n)["type"] for n in notes} == {"vehicle_recall.new"}
    # and each one is an event of the notifications outbox, written in the same transaction
    world, _ = checked
    with world.connect() as conn:
        outbox = conn.execute(
            "select tenant_id::text, subject ->> 'campaign_number', vehicle_id::text from app.outbox_events"
            " where type = 'vehicle_recall.new' order by 1, 2"
        ).fetchall()
    assert sorted(outbox) == sorted([(TENANT, "16V061000", RDX), (TENANT, "19V182000", RDX),
                                     (OTHER, "16V061000", THEIR_RDX), (OTHER, "19V182000", THEIR_RDX)])


def test_a_new_vehicle_gets_the_cached_recalls_without_asking_nhtsa(
    api: PostgrestServer, checked: tuple[ClonedDatabase, list[str]]
) -> None:
    with api.client(api.token(OWNER, TENANT)) as mine:
        r = mine.post("/vehicles", json={"id": LATER_RDX, "display_name": "Second", "make": "acura",
                                         "model": "RDX", "year": 2012})
        assert r.status_code == 201, r.text
        got = mine.get("/vehicle_recalls", params={"vehicle_id": f"eq.{LATER_RDX}"}).json()
    assert sorted(g["campaign_number"] for g in got) == ["16V061000", "19V182000"]


def test_the_owner_marks_a_recall_fixed_and_nothing_else(
    api: PostgrestServer, checked: tuple[ClonedDatabase, list[str]]
) -> None:
    world, _ = checked
    with api.client(api.token(OWNER, TENANT)) as mine:
        recall = mine.get("/vehicle_recalls", params={"vehicle_id": f"eq.{RDX}", "campaign_number": "eq.19V182000"}
                          ).json()[0]
        where = {"id": f"eq.{recall['id']}"}
        r = mine.patch("/vehicle_recalls", params=where, json={"status": "fixed", "owner_note": "Dealer, 2024"},
                       headers={"Prefer": "return=representation"})
        assert r.status_code == 200, r.text
        assert r.json()[0]["status"] == "fixed" and r.json()[0]["fixed_on"] is not None
        for body, rule in (
            ({"summary": "nothing wrong"}, "summary: set by the NHTSA check, read-only"),
            ({"status": "ignored", "fixed_on": None}, "vehicle_recalls_status_valid"),
            ({"status": "fixed", "fixed_on": "2999-01-01"}, "vehicle_recalls_fixed_on_sane"),
        ):
            bad = mine.patch("/vehicle_recalls", params=where, json=body)
            assert bad.status_code == 400, bad.text
            assert rule in bad.json()["message"], bad.text
        added = mine.post("/vehicle_recalls", json={"vehicle_id": RDX, "campaign_number": "24V001000"})
        assert added.status_code in (401, 403, 405), added.text
    with api.client(api.token(VIEWER, TENANT)) as viewer:
        denied = viewer.patch("/vehicle_recalls", params=where, json={"status": "open"})
        assert denied.status_code in (403, 404) or denied.json() == [], denied.text
    with api.client(api.token(STRANGER, OTHER)) as stranger:
        r = stranger.patch("/vehicle_recalls", params=where, json={"status": "open"},
                           headers={"Prefer": "return=representation"})
        assert r.json() == []
    with world.connect() as conn:
        assert one_row(conn, "select status from app.vehicle_recalls where id = %s", (recall["id"],))[0] == "fixed"


def test_a_dismissed_recall_is_not_added_again_and_failures_back_off(
    api: PostgrestServer, checked: tuple[ClonedDatabase, list[str]]
) -> None:
    world, _ = checked
    with api.client(api.token(OWNER, TENANT)) as mine:
        recall = mine.get("/vehicle_recalls", params={"vehicle_id": f"eq.{RDX}", "campaign_number": "eq.16V061000"}
                          ).json()[0]
        assert mine.delete("/vehicle_recalls", params={"id": f"eq.{recall['id']}"}).status_code == 204
        assert [t["id"] for t in mine.get("/vehicle_recalls_trash").json()] == [recall["id"]]
    with world.connect() as conn:
        conn.execute("update app.recall_checks set next_check_at = now() where make = 'ACURA'")
    failing = Recorder(httpx.Response(500), httpx.Response(500))
    with RecallChecker(world.url(), RecallsClient(transport=httpx.MockTransport(failing), retries=1,
                                                  sleep=lambda s: None), quiet=True) as checker:
        assert checker.run_batch() == 1
        assert checker.failed == 1
    with world.connect() as conn:
        status, attempts, wait, error = one_row(
            conn,
            "select status, attempts, next_check_at - now() > interval '14 minutes', last_error"
            " from app.recall_checks where make = 'ACURA'",
        )
        assert (status, attempts, wait) == ("due", 1, True)
        assert "after 2 attempt(s): HTTP 500" in error
        conn.execute("update app.recall_checks set next_check_at = now() where make = 'ACURA'")
    with RecallChecker(world.url(), client(Recorder()), quiet=True) as checker:
        checker.drain()
        assert checker.added == 0  # the dismissed recall stays dismissed, the others exist already
    with api.client(api.token(OWNER, TENANT)) as mine:
        again = mine.get("/vehicle_recalls", params={"vehicle_id": f"eq.{RDX}"}).json()
    assert [a["campaign_number"] for a in again] == ["19V182000"]
