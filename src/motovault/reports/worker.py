"""The report thread of `motovault worker`: renders the reports asked for through the API
(POST /report_requests, docs/costs.md).

Same job model as the thumbnails and imports: ``app.report_claim`` leases due requests (``FOR UPDATE SKIP
LOCKED``), woken by ``LISTEN report_render``. Each report is read in a transaction of its own as the
member who asked (``set local role app_user`` with their claims, so row-level security is theirs), by
the same code as ``motovault report``, rendered (matplotlib, WeasyPrint) and stored with
``app.report_finish`` as the worker role; an error is stored too and retried by the database's rule.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from typing import Any

import psycopg

from ..core.db import connect
from .data import fleet_report, vehicle_report
from .render import fleet_html, pdf_bytes, vehicle_html

CHANNEL = "report_render"
WORKER_ROLE = "vin_worker"
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def log(message: str) -> None:
    print(f"reports: {message}", file=sys.stderr, flush=True)


def render(conn: psycopg.Connection[Any], kind: str, tenant_id: str, vehicle_id: str | None,
           fmt: str) -> tuple[bytes, str]:
    """The report's bytes and file name, read through ``conn`` (already acting as the member)."""
    if kind == "vehicle":
        assert vehicle_id is not None  # report_requests_vehicle_id_with_kind
        html, stem = vehicle_html(vehicle_report(conn, vehicle_id)), f"vehicle-{vehicle_id}"
    else:
        html, stem = fleet_html(fleet_report(conn, tenant_id)), f"fleet-{tenant_id}"
    data = pdf_bytes(html) if fmt == "pdf" else html.encode("utf-8")
    return data, f"{stem}.{fmt}"


class ReportWorker:
    """Claims report requests, renders each as the member who asked, stores the result; one connection."""

    def __init__(self, dsn: str, *, lease_seconds: int = 300, poll_seconds: float = 5.0,
                 role: str | None = WORKER_ROLE, name: str | None = None, quiet: bool = False) -> None:
        self.dsn = dsn
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.role = role
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:reports"
        self.quiet = quiet
        self.conn: psycopg.Connection[Any] | None = None
        self.done = 0
        self.failed = 0

    def connect(self) -> psycopg.Connection[Any]:
        conn = connect(self.dsn, application_name="motovault worker (reports)", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        conn.execute(f"listen {CHANNEL}")
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> ReportWorker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _render_as_member(self, conn: psycopg.Connection[Any], tenant_id: str, vehicle_id: str | None,
                          kind: str, fmt: str, requested_by: str | None) -> tuple[bytes, str]:
        claims = json.dumps({"role": "app_user", "sub": requested_by, "tenant_id": tenant_id})
        try:
            with conn.transaction():
                conn.execute("set local role app_user")
                conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
                return render(conn, kind, tenant_id, vehicle_id, fmt)
        finally:
            # the report code sets the claims for the session: clear them, back to the worker role
            conn.execute("select set_config('request.jwt.claims', '', false)")

    def run_batch(self) -> int:
        """Claim one request and finish it; 0 when none is due."""
        conn = self.conn or self.connect()
        rows = conn.execute(
            "select tenant_id::text, id::text, kind, vehicle_id::text, format, requested_by::text "
            "from app.report_claim(1, %s, %s)", (self.name, self.lease_seconds)).fetchall()
        for tenant_id, request_id, kind, vehicle_id, fmt, requested_by in rows:
            try:
                data, file_name = self._render_as_member(conn, tenant_id, vehicle_id, kind, fmt, requested_by)
            except Exception as exc:  # noqa: BLE001 - stored on the request, retried by the database's rule
                error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:1000]
                conn.execute("select app.report_finish(%s, %s, null, null, null, %s)", (tenant_id, request_id, error))
                self.failed += 1
                if not self.quiet:
                    log(f"{kind} report {request_id}: {error}")
                continue
            conn.execute("select app.report_finish(%s, %s, %s, %s, %s, null)",
                         (tenant_id, request_id, data, CONTENT_TYPES[fmt], file_name))
            self.done += 1
            if not self.quiet:
                log(f"{kind} report {request_id}: {fmt}, {len(data):,} bytes")
        return len(rows)

    def drain(self) -> int:
        total = 0
        while n := self.run_batch():
            total += n
        return total

    def wait(self, timeout: float) -> bool:
        assert self.conn is not None
        woken = False
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        return woken

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Drain, then wait for a NOTIFY (or poll seconds); until ``stop`` is set."""
        self.conn or self.connect()
        if not self.quiet:
            log(f"{self.name} listening on {CHANNEL}")
        while stop is None or not stop.is_set():
            self.drain()
            self.wait(self.poll_seconds)


__all__ = ["CHANNEL", "CONTENT_TYPES", "ReportWorker", "render"]
