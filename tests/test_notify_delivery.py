"""Notifications end to end: subscriptions through PostgREST, the delivery worker against real
loopback servers (a webhook receiver that verifies Standard Webhooks signatures and can fail, stall,
redirect or be down; aiosmtpd; an ntfy-compatible receiver), a worker killed mid-batch, PostgreSQL
restarted. Events are delivered at least once per subscription, duplicates only with the same id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from motovault.core.db import one_row
from motovault.notify.guard import RefusedTarget, check_host, check_url
from motovault.notify.worker import NotifyWorker
from motovault.stack import cluster
from motovault.stack.settings import OWNER_ROLE, Settings
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.notify_receivers import NtfyReceiver, WebhookReceiver, free_port, webhook_receiver
from support.tenancy_world import World, seed

pytestmark = pytest.mark.api

SETTINGS_SQL = """
alter database "{db}" set motovault.notify_allowed_hosts = '127.0.0.1';
alter database "{db}" set motovault.notify_backoff_seconds = '0.02';
alter database "{db}" set motovault.notify_max_attempts = '3';
"""


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> World:
    with api_db.connect() as conn:
        for statement in SETTINGS_SQL.format(db=api_db.name).strip().splitlines():
            conn.execute(statement)
        return seed(conn, vehicles_per_tenant=2)


@pytest.fixture(autouse=True)
def pause_subscriptions(api_db: ClonedDatabase) -> Iterator[None]:
    """Each test's subscriptions are paused after it: the next test's worker never sends to them."""
    yield
    with api_db.connect() as conn:
        conn.execute("update app.notify_subscriptions set active = false")


def worker_for(api_db: ClonedDatabase, **kw: Any) -> NotifyWorker:
    kw.setdefault("quiet", True)
    kw.setdefault("concurrency", 4)
    return NotifyWorker(api_db.url(OWNER_ROLE), **kw)


def owner(api: PostgrestServer, world: World, role: str = "owner") -> httpx.Client:
    return api.client(api.token(world.a.users[role], world.a.id))


def subscribe(client: httpx.Client, target: str, channel: str = "webhook", **body: Any) -> dict[str, Any]:
    r = client.post("/rpc/create_subscription", json={"name": f"sub {time.monotonic_ns()}", "channel": channel,
                                                      "target": target, **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def add_fuel_logs(client: httpx.Client, vehicle: str, n: int, start: int) -> None:
    year = 2010 + start // 10000  # later odometer readings, later dates
    rows = [{"vehicle_id": vehicle, "filled_on": f"{year}-0{1 + i // 28}-{1 + i % 28:02d}",
             "odometer": start + 10 * i, "volume": 30} for i in range(n)]
    r = client.post("/fuel_logs", json=rows)
    assert r.status_code == 201, r.text


def drain_until(worker: NotifyWorker, done: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    worker.drain()
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
        worker.drain()


def deliveries(client: httpx.Client, subscription: str) -> list[dict[str, Any]]:
    r = client.get("/notify_deliveries", params={"subscription_id": f"eq.{subscription}", "order": "created_at"})
    assert r.status_code == 200, r.text
    return list(r.json())


# --- subscriptions through the API ----------------------------------------------------------------


def test_subscriptions_are_for_owners_and_admins_and_secrets_are_write_only(
    world: World, api: PostgrestServer
) -> None:
    with owner(api, world, "admin") as admin:
        made = subscribe(admin, "http://127.0.0.1:9/hooks?token=abc", event_types=["fuel_log.*"])
        assert made["secret"].startswith("whsec_")
        listed = admin.get("/notify_subscriptions", params={"id": f"eq.{made['id']}"}).json()
        assert listed[0]["target_hint"] == "http://127.0.0.1:9/hooks"
        assert "secret" not in listed[0] and "target" not in listed[0]
        r = admin.patch("/notify_subscriptions", params={"id": f"eq.{made['id']}"}, json={"target_hint": "x"})
        assert r.status_code in (401, 403), r.text
    for role in ("member", "viewer"):
        with owner(api, world, role) as client:
            r = client.post("/rpc/create_subscription", json={"name": "x", "channel": "email", "target": "a@b.example"})
            assert r.status_code == 403, r.text
            assert client.get("/notify_subscriptions").json() == []
            assert client.get("/notify_deliveries").json() == []


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        ({"channel": "webhook", "target": "http://10.1.2.3/x"}, 400, "target: address 10.1.2.3 is loopback, private"),
        ({"channel": "webhook", "target": "http://169.254.169.254/latest"}, 400, "target: address 169.254.169.254"),
        ({"channel": "webhook", "target": "http://localhost:8080/x"}, 400, "target: host localhost is local"),
        ({"channel": "webhook", "target": "http://[::1]/x"}, 400, "target: address ::1 is loopback"),
        ({"channel": "push", "target": "ntfy://192.168.1.5/alerts"}, 400, "target: address 192.168.1.5"),
        ({"channel": "webhook", "target": "ftp://example.com/x"}, 400, "target: a webhook target is an http(s) URL"),
        ({"channel": "email", "target": "not an address"}, 400, "target: an email target is an address"),
        ({"channel": "sms", "target": "+15555550100"}, 400, "channel: webhook, email or push"),
        ({"channel": "email", "target": "a@b.example", "event_types": ["nope.*"]}, 400,
         "notify_subscriptions_event_types_known"),
    ],
)
def test_bad_subscriptions_are_400_naming_the_rule(
    world: World, api: PostgrestServer, api_db: ClonedDatabase, body: dict[str, Any], status: int, rule: str
) -> None:
    with api_db.connect() as conn:
        before = one_row(conn, "select count(*) from app.notify_subscriptions")[0]
    with owner(api, world) as client:
        r = client.post("/rpc/create_subscription", json={"name": "bad", **body})
    assert r.status_code == status, r.text
    assert rule in r.json()["message"]
    with api_db.connect() as conn:
        assert one_row(conn, "select count(*) from app.notify_subscriptions")[0] == before


def test_the_guard_refuses_names_that_resolve_to_private_addresses() -> None:
    for host in ("127.1", "localhost", "metadata.google.internal", "0.0.0.0"):
        with pytest.raises(RefusedTarget):
            check_host(host, 80, frozenset())
    check_host("127.0.0.1", 80, frozenset({"127.0.0.1"}))  # the operator's allow list
    with pytest.raises(RefusedTarget):
        check_url("file:///etc/passwd", frozenset())


# --- the webhook worker ---------------------------------------------------------------------------


def test_webhooks_are_signed_delivered_once_per_subscription_and_listed(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    car = world.a.vehicle_ids[0]
    with owner(api, world) as client, webhook_receiver() as one, webhook_receiver() as two:
        first = subscribe(client, one.url, event_types=["fuel_log.created"])
        second = subscribe(client, two.url, event_types=["fuel_log.*"], vehicle_ids=[car])
        one.secrets.append(first["secret"])
        two.secrets.append(second["secret"])
        add_fuel_logs(client, car, 3, 1000)
        add_fuel_logs(client, world.a.vehicle_ids[1], 2, 1000)
        with worker_for(api_db) as worker:
            drain_until(worker, lambda: len(one.ids()) >= 5 and len(two.ids()) >= 3)
        assert len(one.received) == 5 and len(two.received) == 3  # each event once per subscription
        assert all(r.verified for r in one.received + two.received)
        message = one.received[0].json()
        assert message["type"] == "fuel_log.created" and message["version"] == 1
        assert set(message["data"]) == {"id", "vehicle_id"}
        listed = deliveries(client, first["id"])
    assert {d["id"] for d in listed} == one.ids()  # webhook-id is the delivery id
    assert {(d["status"], d["response_code"], d["attempts"]) for d in listed} == {("delivered", 200, 1)}
    assert all(d["latency_ms"] is not None for d in listed)


def test_failures_back_off_keep_their_id_then_dead_letter_flag_and_replay(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    with owner(api, world) as client, webhook_receiver() as hook:
        made = subscribe(client, hook.url, event_types=["vehicle.created"])
        hook.secrets.append(made["secret"])
        hook.behaviour.status = 500
        assert client.post("/vehicles", json={"display_name": "Failing"}).status_code == 201
        with worker_for(api_db) as worker:
            drain_until(worker, lambda: deliveries(client, made["id"])[0]["status"] == "dead")
            dead = deliveries(client, made["id"])[0]
            assert (dead["status"], dead["attempts"], dead["response_code"]) == ("dead", 3, 500)
            assert [r.webhook_id for r in hook.received] == [dead["id"]] * 3  # the same id on every retry
            flagged = client.get("/notify_subscriptions", params={"id": f"eq.{made['id']}"}).json()[0]
            assert flagged["flagged_at"] is not None and dead["id"] in flagged["flag_reason"]

            hook.behaviour.status = 200
            r = client.post("/rpc/replay_delivery", json={"id": dead["id"]})
            assert r.status_code == 200 and r.json()[0]["status"] == "pending", r.text
            drain_until(worker, lambda: deliveries(client, made["id"])[0]["status"] == "delivered")
        assert deliveries(client, made["id"])[0]["status"] == "delivered"
        assert [r.webhook_id for r in hook.received] == [dead["id"]] * 4
        with owner(api, world, "member") as member:
            assert member.post("/rpc/replay_delivery", json={"id": dead["id"]}).status_code == 403


def test_a_rotated_secret_and_its_predecessor_both_verify(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    with owner(api, world) as client, webhook_receiver() as old_only, webhook_receiver() as new_only:
        made = subscribe(client, old_only.url, event_types=["garage.created"])
        r = client.post("/rpc/rotate_subscription_secret", json={"id": made["id"], "grace_hours": 1})
        assert r.status_code == 200, r.text
        rotated = r.json()["secret"]
        assert rotated != made["secret"]
        old_only.secrets.append(made["secret"])
        new_only.secrets.append(rotated)
        assert client.post("/garages", json={"name": "Rotation"}).status_code == 201
        with worker_for(api_db) as worker:
            drain_until(worker, lambda: len(old_only.received) >= 1)
        received = old_only.received[0]
        assert received.verified  # the old secret still verifies during the grace period
        assert new_only.verify(received.body, received.headers)  # and so does the new one
        assert len(received.headers["webhook-signature"].split(" ")) == 2


def test_redirects_into_private_addresses_are_not_followed(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    with owner(api, world) as client, webhook_receiver() as hook:
        made = subscribe(client, hook.url, event_types=["garage.created"])
        hook.behaviour.redirect_to = "http://169.254.169.254/latest/meta-data/"
        assert client.post("/garages", json={"name": "Redirect"}).status_code == 201
        with worker_for(api_db) as worker:
            drain_until(worker, lambda: deliveries(client, made["id"])[0]["attempts"] >= 1)
        listed = deliveries(client, made["id"])[0]
    assert listed["status"] != "delivered"
    assert "refused" in listed["last_error"] and "169.254.169.254" in listed["last_error"]
    assert len(hook.ids()) == 1  # only the receiver itself was reached, retried with the same id


def test_a_receiver_down_for_a_while_gets_every_event(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    with api_db.connect() as conn:
        conn.execute(f"alter database \"{api_db.name}\" set motovault.notify_max_attempts = '50'")
    port = free_port()
    hook = WebhookReceiver(port=port)
    with owner(api, world) as client:
        made = subscribe(client, hook.url, event_types=["fuel_log.created"])
        hook.secrets.append(made["secret"])
        add_fuel_logs(client, world.a.vehicle_ids[1], 20, 50000)
        with worker_for(api_db) as worker:
            worker.drain()  # connection refused: every delivery is retried later
            down = deliveries(client, made["id"])
            assert {d["status"] for d in down} == {"pending"} and all("Connect" in d["last_error"] for d in down)
            hook.start()
            try:
                drain_until(worker, lambda: len(hook.ids()) >= 20)
            finally:
                hook.stop()
        listed = deliveries(client, made["id"])
    with api_db.connect() as conn:
        conn.execute(f"alter database \"{api_db.name}\" set motovault.notify_max_attempts = '3'")
    assert hook.ids() == {d["id"] for d in listed}
    assert all(r.verified for r in hook.received)


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_the_same_ids(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    with owner(api, world) as client, webhook_receiver() as hook:
        made = subscribe(client, hook.url, event_types=["fuel_log.created"])
        hook.secrets.append(made["secret"])
        add_fuel_logs(client, world.a.vehicle_ids[0], 30, 90000)
        stall = hook.behaviour.stall = threading.Event()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "motovault", "notify", "--dsn", api_db.url(OWNER_ROLE), "--batch", "10",
               "--lease", "1", "--poll", "0.2", "--concurrency", "4", "--quiet"]
        victim = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
        try:
            hook.wait_for_hits(4)  # the worker's first sends are in flight (the receiver holds them)
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
        stall.set()
        hook.behaviour.stall = None
        with worker_for(api_db, lease_seconds=1) as worker:
            drain_until(worker, lambda: {d["status"] for d in deliveries(client, made["id"])} == {"delivered"})
        listed = deliveries(client, made["id"])
    assert len(listed) == 30 and {d["status"] for d in listed} == {"delivered"}
    assert hook.ids() == {d["id"] for d in listed}  # every event arrived; a repeat carries the same id
    assert any(d["attempts"] == 2 for d in listed)  # the killed worker's leases were taken over


@pytest.mark.serial  # restarts the shared cluster
def test_postgresql_restarts_under_the_worker(
    world: World, api: PostgrestServer, api_db: ClonedDatabase, settings: Settings
) -> None:
    with owner(api, world) as client, webhook_receiver() as hook:
        made = subscribe(client, hook.url, event_types=["garage.created"])
        hook.secrets.append(made["secret"])
        worker = worker_for(api_db, poll_seconds=0.2)
        runner = threading.Thread(target=worker.run_forever, daemon=True)
        headers = {"Prefer": "return=representation"}
        before = client.post("/garages", json={"name": "Before restart"}, headers=headers)
        assert before.status_code == 201, before.text
        # the seed's own garage.created is still undispatched: the subscription gets it too
        wanted = {world.a.garage_id, before.json()[0]["id"]}
        runner.start()
        hook.wait_for(2)
        cluster.stop()
        cluster.start(settings)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = client.post("/garages", json={"name": "After restart"}, headers=headers)
            if after.status_code == 201:
                wanted.add(after.json()[0]["id"])
                break
            time.sleep(0.3)
        hook.wait_for(3)
        worker.stopping.set()
        runner.join(10)
        worker.shutdown()
    assert len(wanted) == 3, "no garage could be created after the restart"
    assert {r.json()["data"]["id"] for r in hook.received} == wanted
    assert len(hook.ids()) == 3 and all(r.verified for r in hook.received)
    assert {r.json()["type"] for r in hook.received} == {"garage.created"}


# --- email and push -------------------------------------------------------------------------------


class Recorder(Sink):
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def test_email_goes_through_smtp(world: World, api: PostgrestServer, api_db: ClonedDatabase) -> None:
    from motovault.notify.channels import SmtpSettings

    recorder = Recorder()
    port = free_port()
    smtp = Controller(recorder, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with owner(api, world) as client:
            made = subscribe(client, "Fleet@Example.com", channel="email", event_types=["member.invited"])
            assert made["target_hint"] == "fleet@example.com" and "secret" not in made
            r = client.post("/rpc/invite_member", json={"email": "new@example.com", "role": "member"})
            assert r.status_code == 200, r.text
            with worker_for(api_db, smtp=SmtpSettings(port=port, sender="cars@example.com")) as worker:
                drain_until(worker, lambda: len(recorder.messages) >= 2)
            delivered = deliveries(client, made["id"])
    finally:
        smtp.stop()
    by_rcpt = {tuple(rcpt): content for rcpt, content in recorder.messages}
    assert [r for r, _ in recorder.messages].count(["fleet@example.com"]) == 1, delivered
    # the invitee gets the invitation with its token (account mail), the subscription the event
    invite = message_from_bytes(by_rcpt[("new@example.com",)])
    assert invite["X-Motovault-Event"] == "member.invited"
    text = invite.get_payload(decode=True)
    assert isinstance(text, bytes) and b"/rpc/accept_invitation" in text
    rcpt, content = ["fleet@example.com"], by_rcpt[("fleet@example.com",)]
    mail = message_from_bytes(content)
    assert rcpt == ["fleet@example.com"] and mail["From"] == "cars@example.com"
    assert mail["Subject"] == "motovault: Member invited"
    assert mail["Message-ID"] == f"<{delivered[0]['id']}@motovault>"
    assert delivered[0]["status"] == "delivered"


def test_push_goes_through_apprise_to_an_ntfy_server(
    world: World, api: PostgrestServer, api_db: ClonedDatabase
) -> None:
    ntfy = NtfyReceiver().start()
    try:
        with owner(api, world) as client:
            made = subscribe(client, f"ntfy://127.0.0.1:{ntfy.port}/garage-alerts", channel="push",
                             event_types=["garage.created"])
            assert made["target_hint"] == "ntfy://…"
            assert client.post("/garages", json={"name": "Pushed"}).status_code == 201
            with worker_for(api_db) as worker:
                drain_until(worker, lambda: len(ntfy.messages) >= 1)
            assert deliveries(client, made["id"])[0]["status"] == "delivered"
    finally:
        ntfy.stop()
    assert ntfy.messages[0]["topic"] == "garage-alerts"
    assert "garage.created" in ntfy.messages[0]["message"]


def test_reminder_events_reach_a_webhook(world: World, api: PostgrestServer, api_db: ClonedDatabase) -> None:
    with owner(api, world) as client, webhook_receiver() as hook:
        made = subscribe(client, hook.url, event_types=["reminder.due_soon", "reminder.overdue"])
        hook.secrets.append(made["secret"])
        r = client.post("/reminders", json={"vehicle_id": world.a.vehicle_ids[0], "title": "Registration",
                                            "category": "registration", "due_on": "2020-01-01"})
        assert r.status_code == 201, r.text
        with worker_for(api_db) as worker:
            worker.evaluate_reminders(force=True)
            drain_until(worker, lambda: len(hook.received) >= 1)
            worker.evaluate_reminders(force=True)
            worker.drain()
    assert len(hook.received) == 1  # once per reminder and state
    message = hook.received[0].json()
    assert message["type"] == "reminder.overdue" and message["data"]["title"] == "Registration"
    assert message["data"]["urgency"] == "past_due"


def test_the_worker_role_reaches_no_table(api_db: ClonedDatabase) -> None:
    with api_db.connect(OWNER_ROLE) as conn:
        conn.execute("set role notify_worker")
        for table in ("app.notify_deliveries", "app.outbox_events", "auth_private.notify_signing_secrets"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
