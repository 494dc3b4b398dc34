"""Account mail end to end: POST /rpc/request_password_reset through PostgREST, the notify worker,
a real SMTP server (aiosmtpd) that receives the mail, and the token in it resetting the password.
An unknown address gets nothing, a mail is sent once even when the worker restarts, a down SMTP
server means retries then a dead mail, and the worker never logs the token."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from motovault.notify.channels import SmtpSettings
from motovault.notify.worker import NotifyWorker
from motovault.stack.settings import OWNER_ROLE
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.notify_receivers import free_port

pytestmark = pytest.mark.api

PASSWORD = "correct horse battery"
TOKEN = re.compile(r"^    (\S{20,})\r?$", re.M)


class Recorder(Sink):
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="module")
def settings_db(api_db: ClonedDatabase) -> ClonedDatabase:
    with api_db.connect() as conn:
        conn.execute(f'alter database "{api_db.name}" set motovault.notify_backoff_seconds = \'0.01\'')
        conn.execute(f'alter database "{api_db.name}" set motovault.notify_max_attempts = \'2\'')
    return api_db


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def worker_for(db: ClonedDatabase, port: int, **kw: Any) -> NotifyWorker:
    kw.setdefault("quiet", True)
    return NotifyWorker(db.url(OWNER_ROLE), concurrency=2, smtp=SmtpSettings(port=port, sender="cars@example.com"),
                        **kw)


def drain_until(worker: NotifyWorker, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    worker.drain()
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
        worker.drain()


def rpc(api: PostgrestServer, name: str, body: dict[str, Any], token: str | None = None) -> Any:
    with api.client(token) as client:
        return client.post(f"/rpc/{name}", json=body)


def signed_up(api: PostgrestServer) -> str:
    address = f"u{uuid.uuid4().hex[:12]}@example.org"
    response = rpc(api, "sign_up", {"email": address, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return address


def mail_rows(db: ClonedDatabase, address: str) -> list[tuple[str, int, str | None]]:
    with db.connect() as conn:
        rows = conn.execute(
            "select status, attempts, last_error from auth_private.mail_outbox where recipient = %s order by id",
            (address,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_a_reset_mail_reaches_the_user_and_its_token_resets_the_password(
    settings_db: ClonedDatabase, api: PostgrestServer, smtp: tuple[Recorder, int], capfd: pytest.CaptureFixture[str]
) -> None:
    recorder, port = smtp
    address = signed_up(api)
    unknown = f"nobody{uuid.uuid4().hex[:8]}@example.org"
    assert rpc(api, "request_password_reset", {"email": address.upper()}).status_code == 200
    assert rpc(api, "request_password_reset", {"email": unknown}).status_code == 200

    with worker_for(settings_db, port, quiet=False) as worker:
        drain_until(worker, lambda: len(recorder.messages) >= 1)
        worker.drain()  # nothing else is due: the unknown address got no mail
    [(rcpt, content)] = recorder.messages
    mail = message_from_bytes(content)
    assert rcpt == [address] and mail["To"] == address and mail["From"] == "cars@example.com"
    assert mail["X-Motovault-Event"] == "password.reset_requested"
    text = mail.get_payload(decode=True)
    assert isinstance(text, bytes)
    [token] = TOKEN.findall(text.decode())
    assert mail_rows(settings_db, address) == [("sent", 1, None)]
    assert mail_rows(settings_db, unknown) == []
    logged = capfd.readouterr()
    assert "account mail batch of 1: 1 sent" in logged.err and token not in logged.err + logged.out

    reset = rpc(api, "reset_password", {"token": token, "new_password": "a new password 42"})
    assert reset.status_code == 200, reset.text
    assert rpc(api, "sign_in", {"email": address, "password": "a new password 42"}).status_code == 200
    assert rpc(api, "sign_in", {"email": address, "password": PASSWORD}).status_code == 401


def test_a_mail_is_sent_once_across_a_worker_restart(
    settings_db: ClonedDatabase, api: PostgrestServer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    with worker_for(settings_db, port, name="first") as worker:
        drain_until(worker, lambda: len(recorder.messages) >= 1)
    with worker_for(settings_db, port, name="second") as worker:
        worker.drain()
        worker.drain()
    assert [rcpt for rcpt, _ in recorder.messages] == [[address]]
    assert mail_rows(settings_db, address) == [("sent", 1, None)]


def test_a_leased_mail_of_a_dead_worker_comes_back_after_its_lease(
    settings_db: ClonedDatabase, api: PostgrestServer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    with worker_for(settings_db, port, name="dies", lease_seconds=1) as dying:
        assert [m.recipient for m in dying.claim_mail()] == [address]  # then it dies without finishing
    with worker_for(settings_db, port, name="next") as worker:
        worker.drain()
        assert recorder.messages == []  # leased by the dead worker until its lease ends
        time.sleep(1.1)
        drain_until(worker, lambda: len(recorder.messages) >= 1)
    assert [rcpt for rcpt, _ in recorder.messages] == [[address]]
    assert mail_rows(settings_db, address) == [("sent", 2, None)]


def test_smtp_down_retries_then_the_mail_is_dead(settings_db: ClonedDatabase, api: PostgrestServer) -> None:
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    with worker_for(settings_db, free_port()) as worker:
        drain_until(worker, lambda: mail_rows(settings_db, address)[0][0] == "dead")
    [(status, attempts, error)] = mail_rows(settings_db, address)
    assert (status, attempts) == ("dead", 2)
    assert error is not None and "ConnectionRefusedError" in error


def test_a_replaced_reset_token_is_never_mailed(
    settings_db: ClonedDatabase, api: PostgrestServer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    address = signed_up(api)
    rpc(api, "request_password_reset", {"email": address})
    rpc(api, "request_password_reset", {"email": address})  # replaces the first token before any mail went
    with worker_for(settings_db, port) as worker:
        drain_until(worker, lambda: len(recorder.messages) >= 1)
        worker.drain()
    [(rcpt, content)] = recorder.messages
    text = message_from_bytes(content).get_payload(decode=True)
    assert isinstance(text, bytes)
    [token] = TOKEN.findall(text.decode())
    assert mail_rows(settings_db, address) == [
        ("void", 0, "not sent: its token was replaced, used, revoked or expired before delivery"),
        ("sent", 1, None),
    ]
    assert rpc(api, "reset_password", {"token": token, "new_password": "a new password 43"}).status_code == 200


def test_a_revoked_invitation_is_never_mailed(
    settings_db: ClonedDatabase, api: PostgrestServer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    owner = signed_up(api)
    tokens = rpc(api, "sign_in", {"email": owner, "password": PASSWORD}).json()
    tenant = rpc(api, "create_tenant", {"name": "Mail test"}, tokens["access_token"]).json()["tenant_id"]
    tokens = rpc(api, "refresh", {"refresh_token": tokens["refresh_token"], "tenant_id": tenant}).json()
    kept, revoked = (f"i{uuid.uuid4().hex[:12]}@example.org" for _ in range(2))
    for address in (kept, revoked):
        assert rpc(api, "invite_member", {"email": address}, tokens["access_token"]).status_code == 200
    with api.client(tokens["access_token"]) as client:
        assert client.delete("/invitations", params={"email": f"eq.{revoked}"}).status_code == 204
    with worker_for(settings_db, port) as worker:
        drain_until(worker, lambda: len(recorder.messages) >= 1)
        worker.drain()
    assert [rcpt for rcpt, _ in recorder.messages] == [[kept]]
    assert [row[0] for row in mail_rows(settings_db, revoked)] == ["void"]


def test_the_worker_role_reads_no_mail(settings_db: ClonedDatabase) -> None:
    import psycopg

    with settings_db.connect(OWNER_ROLE) as conn:
        conn.execute("set role notify_worker")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select 1 from auth_private.mail_outbox limit 1")
