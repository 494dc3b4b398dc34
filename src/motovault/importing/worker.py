"""The import job of `motovault worker`: parse queued import batches into staged rows.

The same process model as the VIN decode worker (motovault.vin.worker), all state in SQL
(deploy/import_batches.sql):

1. ``app.import_claim(n, worker, lease)`` leases queued batches (``FOR UPDATE SKIP LOCKED``; a batch
   whose worker died is reclaimed when its lease expires) and commits, with the files' bytes;
2. each file is parsed in Python (``motovault.imports.detect.parse_file``), outside any transaction;
3. ``app.import_stage`` writes the vehicles and rows in one transaction and marks the batch parsed, or
   ``app.import_fail`` marks it failed with the parser's one-line error. Both check the lease: a
   batch another worker took over is left to it. Killed before that, the lease expires and the
   batch is parsed again (parsing is a pure function of the file): once either way.

When nothing is queued it waits on ``LISTEN import_parse`` (api.start_import notifies) or ``poll``
seconds. Connects like the VIN worker (the owner role, then ``set role vin_worker``; the SECURITY
DEFINER functions above are all it may call).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from ..core.db import connect
from ..core.errors import MotovaultError
from .staging import staged

CHANNEL = "import_parse"
WORKER_ROLE = "vin_worker"
#: parse attempts before a batch whose parse keeps crashing the worker is failed
MAX_ATTEMPTS = 3

#: parse(data, filename=..., format=..., date_order=..., currency=..., mapping=...) -> ParsedFile
Parse = Callable[..., Any]


def log(message: str) -> None:
    print(f"worker: imports: {message}", file=sys.stderr, flush=True)


def default_parse() -> Parse:
    from ..imports.detect import parse_file

    return parse_file


@dataclass
class ImportStats:
    batches: int = 0
    parsed: int = 0
    failed: int = 0
    rows: int = 0
    started: float = field(default_factory=time.monotonic)


class ImportWorker:
    def __init__(
        self,
        dsn: str,
        parse: Parse | None = None,
        *,
        lease_seconds: int = 300,
        poll_seconds: float = 5.0,
        name: str | None = None,
        role: str | None = WORKER_ROLE,
        quiet: bool = False,
    ) -> None:
        self.dsn = dsn
        self.parse = parse or default_parse()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:imports"
        self.role = role
        self.quiet = quiet
        self.stats = ImportStats()
        self.conn: psycopg.Connection | None = None

    def connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault worker (imports)", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        conn.execute(f"listen {CHANNEL}")
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> ImportWorker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_batch(self) -> int:
        """Claim one batch and parse it; 0 when none is queued."""
        conn = self.conn or self.connect()
        claimed = conn.execute(
            "select batch_id, filename, format, date_order, currency, mapping, content, attempts "
            "from app.import_claim(1, %s, %s)",
            (self.name, self.lease_seconds),
        ).fetchall()
        for batch_id, filename, fmt, date_order, currency, mapping, content, attempts in claimed:
            self._parse_one(conn, batch_id, filename, fmt, date_order, currency, mapping, bytes(content), attempts)
        return len(claimed)

    def _parse_one(
        self, conn: psycopg.Connection, batch_id: Any, filename: str, fmt: str, date_order: str,
        currency: str | None, mapping: dict[str, str] | None, content: bytes, attempts: int,
    ) -> None:
        t0 = time.monotonic()
        self.stats.batches += 1
        try:
            parsed = self.parse(content, filename=filename, format=fmt, date_order=date_order,
                                currency=currency, mapping=mapping)
            vehicles, rows = staged(parsed, filename)
        except MotovaultError as exc:  # FormatError: the whole file is refused, with its reason
            self._fail(conn, batch_id, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return
        except Exception as exc:  # a parser bug: retried on the next claim, failed after the last attempt
            if attempts >= MAX_ATTEMPTS:
                self._fail(conn, batch_id, f"the parser failed: {type(exc).__name__}: {exc}")
            else:
                log(f"batch {batch_id}: parse failed (attempt {attempts}), retried when its lease expires: {exc}")
            return
        done = conn.execute(
            "select app.import_stage(%s, %s, %s, %s::jsonb, %s::jsonb)",
            (batch_id, self.name, parsed.format, orjson.dumps(vehicles).decode(), orjson.dumps(rows).decode()),
        ).fetchone()
        if done and done[0]:
            self.stats.parsed += 1
            self.stats.rows += len(rows)
            if not self.quiet:
                log(f"batch {batch_id} ({filename}): {parsed.format}, {len(vehicles)} vehicle(s), {len(rows)} row(s) "
                    f"staged in {time.monotonic() - t0:.2f}s")

    def _fail(self, conn: psycopg.Connection, batch_id: Any, error: str) -> None:
        conn.execute("select app.import_fail(%s, %s, %s)", (batch_id, self.name, error))
        self.stats.failed += 1
        if not self.quiet:
            log(f"batch {batch_id} failed: {error[:300]}")

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


__all__ = ["CHANNEL", "ImportWorker", "default_parse"]
