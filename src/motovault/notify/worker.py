"""The delivery worker: outbox -> deliveries -> webhooks, email, push.

The VIN worker's process model (motovault.vin.worker), all rules in SQL (deploy/notify_deliveries.sql):

1. every ``evaluate_seconds``: ``app.notify_evaluate_reminders()`` writes reminder.due_soon /
   reminder.overdue events that came due (local time of each tenant or garage);
2. ``app.notify_dispatch(n)`` fans undispatched outbox events out into deliveries, one transaction;
3. ``app.notify_claim(n, worker, lease)`` leases due deliveries (``FOR UPDATE SKIP LOCKED``) and
   commits, so a lease outlives a crash of this process: killed mid-batch, its deliveries come back
   when the lease expires and are sent again with the same webhook-id (at least once);
4. the batch is sent concurrently (a thread pool: httpx, smtplib and Apprise block);
5. ``app.notify_finish(results, worker)`` records it in one statement: delivered, retried after an
   exponential backoff with jitter, or dead (the subscription is flagged);
6. account mail (auth_private.mail_outbox: password reset, invitation) the same way, to the user's
   own address: ``app.auth_mail_claim`` / ``app.auth_mail_finish`` (deploy/auth_mail_delivery.sql).

When nothing is due it waits on ``LISTEN notify_outbox`` (every event and replay notifies) or
``poll_seconds``. A lost connection (PostgreSQL restarting) is reopened with a backoff; what was
leased comes back after its lease.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import orjson
import psycopg

from ..core.db import connect
from .account_mail import AccountMail, send_account_mail
from .channels import SmtpSettings, send_email, send_push, send_webhook
from .guard import parse_allowed
from .message import Delivery, Result

CHANNEL = "notify_outbox"
WORKER_ROLE = "notify_worker"


def log(message: str) -> None:
    print(f"notify: {message}", file=sys.stderr, flush=True)


@dataclass
class Stats:
    batches: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    events: int = 0
    mail_sent: int = 0
    mail_retrying: int = 0
    mail_dead: int = 0
    started: float = field(default_factory=time.monotonic)


class NotifyWorker:
    def __init__(
        self,
        dsn: str,
        *,
        batch_size: int = 200,
        lease_seconds: int = 60,
        poll_seconds: float = 5.0,
        evaluate_seconds: float = 60.0,
        concurrency: int = 16,
        timeout_seconds: float = 10.0,
        name: str | None = None,
        role: str | None = WORKER_ROLE,
        quiet: bool = False,
        smtp: SmtpSettings | None = None,
    ) -> None:
        self.dsn = dsn
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.evaluate_seconds = evaluate_seconds
        self.concurrency = concurrency
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.role = role
        self.quiet = quiet
        self.smtp = smtp or SmtpSettings.from_env()
        self.stats = Stats()
        self.stopping = threading.Event()  # run_forever returns soon after it is set
        self.conn: psycopg.Connection | None = None
        self.allowed: frozenset[str] = frozenset()
        self._evaluated_at = float("-inf")
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="notify-send")
        self._http = httpx.Client(
            timeout=timeout_seconds,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.senders: dict[str, Callable[[Delivery], Result]] = {
            "webhook": lambda d: send_webhook(self._http, d, self.allowed),
            "email": lambda d: send_email(self.smtp, d),
            "push": lambda d: send_push(d, self.allowed),
        }

    # -- connection
    def connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault notify", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        row = conn.execute("select current_setting('motovault.notify_allowed_hosts', true)").fetchone()
        self.allowed = parse_allowed(row[0] if row else None)
        conn.execute(f"listen {CHANNEL}")
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def shutdown(self) -> None:
        self.close()
        self._pool.shutdown(wait=True)
        self._http.close()

    def __enter__(self) -> NotifyWorker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- steps
    def evaluate_reminders(self, force: bool = False) -> int:
        now = time.monotonic()
        if not force and now - self._evaluated_at < self.evaluate_seconds:
            return 0
        conn = self.conn or self.connect()
        row = conn.execute("select app.notify_evaluate_reminders()").fetchone()
        self._evaluated_at = now
        return int(row[0]) if row else 0

    def dispatch(self) -> int:
        conn = self.conn or self.connect()
        total = 0
        while True:
            row = conn.execute("select app.notify_dispatch(%s)", (max(self.batch_size, 1000),)).fetchone()
            n = int(row[0]) if row else 0
            total += n
            if n == 0:
                break
        self.stats.events += total
        return total

    def claim(self) -> list[Delivery]:
        conn = self.conn or self.connect()
        rows = conn.execute(
            "select delivery_id::text, tenant_id::text, subscription_id::text, channel, target, secrets, event_type, "
            "message, attempts from app.notify_claim(%s, %s, %s)",
            (self.batch_size, self.name, self.lease_seconds),
        ).fetchall()
        return [Delivery(r[0], r[1], r[2], r[3], r[4], list(r[5] or []), r[6], r[7], r[8]) for r in rows]

    def send(self, delivery: Delivery) -> Result:
        sender = self.senders.get(delivery.channel)
        if sender is None:
            return Result(delivery.tenant_id, delivery.id, False, None, 0, f"unknown channel {delivery.channel}")
        return sender(delivery)

    def finish(self, results: list[Result]) -> tuple[int, int, int]:
        conn = self.conn or self.connect()
        row = conn.execute(
            "select delivered, retrying, dead from app.notify_finish(%s::jsonb, %s)",
            (orjson.dumps([r.as_json() for r in results]).decode(), self.name),
        ).fetchone()
        delivered, retrying, dead = (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
        s = self.stats
        s.batches += 1
        s.delivered += delivered
        s.retrying += retrying
        s.dead += dead
        if not self.quiet:
            log(f"batch of {len(results)}: {delivered} delivered, {retrying} to retry, {dead} dead")
        return delivered, retrying, dead

    def run_batch(self) -> int:
        """Claim, send and finish one batch; how many deliveries it claimed (0: nothing due)."""
        deliveries = self.claim()
        if deliveries:
            self.finish(list(self._pool.map(self.send, deliveries)))
        return len(deliveries)

    def claim_mail(self) -> list[AccountMail]:
        conn = self.conn or self.connect()
        rows = conn.execute(
            "select id, kind, recipient, payload, attempts from app.auth_mail_claim(%s, %s, %s)",
            (self.batch_size, self.name, self.lease_seconds),
        ).fetchall()
        return [AccountMail(int(r[0]), r[1], r[2], dict(r[3]), int(r[4])) for r in rows]

    def finish_mail(self, results: list[dict[str, object]]) -> tuple[int, int, int]:
        conn = self.conn or self.connect()
        row = conn.execute(
            "select sent, retrying, dead from app.auth_mail_finish(%s::jsonb, %s)",
            (orjson.dumps(results).decode(), self.name),
        ).fetchone()
        sent, retrying, dead = (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
        s = self.stats
        s.mail_sent += sent
        s.mail_retrying += retrying
        s.mail_dead += dead
        if not self.quiet:  # counts only: a mail's payload holds a token
            log(f"account mail batch of {len(results)}: {sent} sent, {retrying} to retry, {dead} dead")
        return sent, retrying, dead

    def run_mail_batch(self) -> int:
        """Claim, send and finish one batch of account mail; how many it claimed."""
        mails = self.claim_mail()
        if mails:
            self.finish_mail(list(self._pool.map(lambda m: send_account_mail(self.smtp, m), mails)))
        return len(mails)

    def drain(self) -> int:
        """Evaluate reminders (when due), dispatch, then send batches until nothing is due; then
        account mail."""
        self.evaluate_reminders()
        self.dispatch()
        total = 0
        while n := self.run_batch():
            total += n
            if n < self.batch_size:
                self.dispatch()  # events committed while this batch was sent
        while (n := self.run_mail_batch()) >= self.batch_size:
            total += n
        return total + n

    def wait(self, timeout: float) -> bool:
        assert self.conn is not None
        woken = False
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        return woken

    def run_forever(self) -> None:
        log(f"{self.name} listening on {CHANNEL} (batch {self.batch_size}, lease {self.lease_seconds}s, "
            f"{self.concurrency} senders)")
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                if self.conn is None or self.conn.closed:
                    self.connect()
                self.drain()
                self.wait(self.poll_seconds)
                backoff = 0.5
            except psycopg.OperationalError as exc:
                log(f"database connection lost ({' '.join(str(exc).split())[:200]}); reconnecting in {backoff:.1f}s")
                self.close()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # a MotovaultError from connect(): the database is still down
                if self.conn is not None and not self.conn.closed:
                    raise
                log(f"{exc}; retrying in {backoff:.1f}s")
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)


__all__ = ["CHANNEL", "NotifyWorker", "WORKER_ROLE"]
