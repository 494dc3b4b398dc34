"""The calendar feed: a per-user, revocable secret URL; iCalendar served by PostgREST as text/calendar
(a media type handler), read back with the icalendar package."""

from __future__ import annotations

from typing import Any

import httpx
import icalendar
import pytest

from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.tenancy_world import World, seed

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> World:
    with api_db.connect() as conn:
        return seed(conn, vehicles_per_tenant=1)


def as_user(api: PostgrestServer, world: World, role: str) -> httpx.Client:
    return api.client(api.token(world.a.users[role], world.a.id))


def read_feed(api: PostgrestServer, token: str, accept: str = "text/calendar") -> httpx.Response:
    with httpx.Client(base_url=api.url, timeout=30) as anonymous:  # calendar apps send no JWT
        return anonymous.get("/rpc/calendar", params={"token": token}, headers={"Accept": accept})


def events(response: httpx.Response) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_a_feed_lists_due_reminders_and_scheduled_maintenance_as_text_calendar(
    world: World, api: PostgrestServer
) -> None:
    car = world.a.vehicle_ids[0]
    title = "Tüv inspection, brakes; and a very long title that has to be folded over several lines " * 2
    with as_user(api, world, "member") as member:
        rows = {"Prefer": "return=representation"}
        reminder = member.post("/reminders", json={"vehicle_id": car, "title": title[:200], "category": "inspection",
                                                   "due_on": "2027-03-15"}, headers=rows)
        assert reminder.status_code == 201, reminder.text
        scheduled = member.post("/maintenance", json={"vehicle_id": car, "type": "oil_change", "status": "scheduled",
                                                      "due_on": "2027-01-10"}, headers=rows)
        assert scheduled.status_code == 201, scheduled.text
        made = member.post("/rpc/create_calendar_feed", json={"name": "My cars"}).json()
        assert made["path"] == f"/rpc/calendar?token={made['token']}"
        listed = member.get("/calendar_feeds").json()
        assert [f["name"] for f in listed] == ["My cars"] and "token" not in listed[0]

        r = read_feed(api, made["token"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/calendar")
        assert all(len(line.encode()) <= 75 for line in r.content.decode().split("\r\n"))  # folded (RFC 5545)
        found = events(r)
        reminder_uid = f"reminder-{reminder.json()[0]['id']}@motovault"
        assert str(found[reminder_uid]["SUMMARY"]).endswith(": " + title[:200].strip())  # vehicle: title
        assert found[reminder_uid].decoded("DTSTART").isoformat() == "2027-03-15"
        maintenance_uid = f"maintenance-{scheduled.json()[0]['id']}@motovault"
        assert found[maintenance_uid].decoded("DTSTART").isoformat() == "2027-01-10"

        # updated as it changes: same UID, new date
        member.patch("/reminders", params={"id": f"eq.{reminder.json()[0]['id']}"}, json={"due_on": "2027-04-01"})
        assert events(read_feed(api, made["token"]))[reminder_uid].decoded("DTSTART").isoformat() == "2027-04-01"

        # revoked: 404, and nothing but the feed's own user sees it
        with as_user(api, world, "admin") as admin:
            assert admin.get("/calendar_feeds").json() == []
            admin.delete("/calendar_feeds", params={"id": f"eq.{made['id']}"})
        assert read_feed(api, made["token"]).status_code == 200
        assert member.delete("/calendar_feeds", params={"id": f"eq.{made['id']}"}).status_code == 204
    assert read_feed(api, made["token"]).status_code == 404
    assert read_feed(api, "not-a-token").status_code == 404


def test_viewers_get_feeds_too_and_a_weighted_accept_picks_text_calendar(world: World, api: PostgrestServer) -> None:
    with as_user(api, world, "viewer") as viewer:
        made = viewer.post("/rpc/create_calendar_feed", json={}).json()
    r = read_feed(api, made["token"], accept="text/calendar, */*;q=0.5")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(r.content)
    assert str(calendar["X-WR-CALNAME"]) == "motovault: Vehicles"
