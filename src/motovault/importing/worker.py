"""The import job of `motovault worker`: parse queued import batches into staged rows, then run their
dry run (preview) and, when a member asks, their commit.

The same process model as the VIN decode worker (motovault.vin.worker), all state in SQL
(deploy/import_batches.sql):

1. ``app.import_claim(n, worker, lease)`` leases queued batches (``FOR UPDATE SKIP LOCKED``; a batch
   whose worker died is reclaimed when its lease expires) and commits, with the files' bytes;
2. each file is parsed in Python (``motovault.imports.detect.parse_file``), outside any transaction;
3. ``app.import_stage`` writes the vehicles and rows in one transaction and marks the batch parsed, or
   ``app.import_fail`` marks it failed with the parser's one-line error. Both check the lease: a
   batch another worker took over is left to it. Killed before that, the lease expires and the
   batch is parsed again (parsing is a pure function of the file): once either way.

4. ``app.import_claim_apply`` leases a batch to preview (after staging, or after a confirm that changed
   its vehicles) or to commit (``api.commit_import`` asked): its rows are applied through the api views
   **as the member** (a second connection, ``set local role app_user`` with the member's claims, a
   statement timeout per chunk instead of the API's 5 s) in ONE transaction, a chunk of rows per call
   (``app.import_apply_rows``), reporting ``rows_done`` and renewing the lease on the first connection
   after each chunk (``app.import_progress``). A preview rolls the writes back to a savepoint and keeps
   the verdicts; a commit keeps everything, or, when a line is refused and errors are not skipped, rolls
   it all back and records why (``app.import_apply_finish``). A worker that dies mid-way leaves nothing:
   its lease expires and the next one starts the batch again.

5. ``app.tenant_import_claim`` leases a tenant import (api.import_tenant, docs/exports.md) and writes it
   the same way: motovault.importing.tenant.

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
from .tenant import CHUNK_ROWS as TENANT_CHUNK_ROWS
from .tenant import TenantImporter

CHANNEL = "import_parse"
WORKER_ROLE = "vin_worker"
#: parse attempts before a batch whose parse keeps crashing the worker is failed
MAX_ATTEMPTS = 3
#: staged rows applied per call of app.import_apply_rows (the progress moves once per chunk)
CHUNK_ROWS = 500
#: the role the apply acts as (the member's claims decide what it may do, as in an API request)
MEMBER_ROLE = "app_user"
REFUSED_VERDICTS = ("error", "skipped")


class LeaseLost(Exception):
    """Another worker holds the batch now (this one was too slow, or it was deleted)."""

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
    previewed: int = 0
    committed: int = 0
    refused: int = 0
    applied_rows: int = 0
    tenant_imports: int = 0
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
        chunk_rows: int = CHUNK_ROWS,
        apply_timeout: float = 300.0,
        tenant_chunk_rows: int = TENANT_CHUNK_ROWS,
    ) -> None:
        self.dsn = dsn
        self.parse = parse or default_parse()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:imports"
        self.role = role
        self.quiet = quiet
        self.stats = ImportStats()
        self.chunk_rows = chunk_rows
        self.apply_timeout = apply_timeout
        self.tenant_chunk_rows = tenant_chunk_rows
        self.conn: psycopg.Connection | None = None
        self.apply_conn: psycopg.Connection | None = None

    def connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault worker (imports)", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        conn.execute(f"listen {CHANNEL}")
        self.conn = conn
        return conn

    def close(self) -> None:
        for conn in (self.conn, self.apply_conn):
            if conn is not None:
                conn.close()
        self.conn = self.apply_conn = None

    def __enter__(self) -> ImportWorker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_batch(self) -> int:
        """Claim one batch to parse, one to preview or commit and one tenant import, and do them; 0 when
        nothing is waiting."""
        return self.parse_next() + self.apply_next() + self.tenant_import_next()

    def tenant_import_next(self) -> int:
        """Claim one tenant import and write it; 0 when none waits."""
        conn = self.conn or self.connect()
        importer = TenantImporter(conn, self._member_connection, self.name, lease_seconds=self.lease_seconds,
                                  chunk_rows=self.tenant_chunk_rows, timeout=self.apply_timeout,
                                  log=None if self.quiet else log)
        n = importer.next()
        self.stats.tenant_imports += n
        return n

    def parse_next(self) -> int:
        """Claim one queued batch and parse it; 0 when none is queued."""
        conn = self.conn or self.connect()
        claimed = conn.execute(
            "select batch_id, filename, format, date_order, currency, mapping, content, attempts "
            "from app.import_claim(1, %s, %s)",
            (self.name, self.lease_seconds),
        ).fetchall()
        for batch_id, filename, fmt, date_order, currency, mapping, content, attempts in claimed:
            self._parse_one(conn, batch_id, filename, fmt, date_order, currency, mapping, bytes(content), attempts)
        return len(claimed)

    def apply_next(self) -> int:
        """Claim one batch to preview or commit and do it; 0 when none waits."""
        conn = self.conn or self.connect()
        jobs = conn.execute(
            "select batch_id, tenant_id, job, skip_errors, requested_by, rows_total "
            "from app.import_claim_apply(%s, %s)",
            (self.name, self.lease_seconds),
        ).fetchall()
        for batch_id, tenant_id, job, skip_errors, requested_by, total in jobs:
            self._apply_one(batch_id, tenant_id, job, bool(skip_errors), requested_by, int(total or 0))
        return len(jobs)

    # -- preview and commit, as the member
    def _member_connection(self) -> psycopg.Connection:
        if self.apply_conn is None or self.apply_conn.closed:
            self.apply_conn = connect(self.dsn, application_name="motovault worker (import apply)",
                                      what="the database")
        return self.apply_conn

    def _progress(self, batch_id: Any, done: int) -> None:
        assert self.conn is not None
        held = self.conn.execute("select app.import_progress(%s, %s, %s, %s)",
                                 (batch_id, self.name, done, self.lease_seconds)).fetchone()
        if not (held and held[0]):
            raise LeaseLost(str(batch_id))

    def _apply_one(self, batch_id: Any, tenant_id: Any, job: str, skip_errors: bool, requested_by: Any,
                   total: int) -> None:
        t0 = time.monotonic()
        conn = self._member_connection()
        try:
            outcome, count, message = self._apply(conn, batch_id, tenant_id, job, skip_errors, requested_by)
        except LeaseLost:
            log(f"batch {batch_id}: another worker holds it now; left to it")
            return
        except psycopg.Error as exc:
            if exc.sqlstate == "MVI02":  # app.import_held_batch: the lease went to another worker
                log(f"batch {batch_id}: another worker holds it now; left to it")
                return
            # not a refused row (those are verdicts): the database failed under the apply; the batch goes
            # back to parsed with the reason, nothing written
            reason = " ".join(str(exc).split())[:500] or type(exc).__name__
            log(f"batch {batch_id}: {job} failed: {reason}")
            self._give_up(conn, batch_id, tenant_id, requested_by, f"the worker could not {job} it: {reason}")
            return
        self.stats.applied_rows += total
        if outcome == "committed":
            self.stats.committed += 1
        elif outcome == "refused":
            self.stats.refused += 1
        else:
            self.stats.previewed += 1
        if not self.quiet:
            seconds = time.monotonic() - t0
            log(f"batch {batch_id}: {job} {outcome}: {total} row(s), {count} refused, in {seconds:.2f}s "
                f"({total / seconds if seconds else 0:.0f} rows/s){': ' + message if message else ''}")

    def _act_as(self, conn: psycopg.Connection, tenant_id: Any, user_id: Any) -> None:
        claims = {"role": MEMBER_ROLE, "tenant_id": str(tenant_id), "sub": str(user_id) if user_id else None}
        conn.execute(
            "select set_config('request.jwt.claims', %s, true), set_config('motovault.user_id', %s, true), "
            "set_config('motovault.tenant_id', %s, true), set_config('statement_timeout', %s, true)",
            (orjson.dumps(claims).decode(), str(user_id) if user_id else "none", str(tenant_id),
             f"{int(self.apply_timeout * 1000)}"),
        )
        conn.execute(f'set local role "{MEMBER_ROLE}"')

    def _apply(self, conn: psycopg.Connection, batch_id: Any, tenant_id: Any, job: str, skip_errors: bool,
               requested_by: Any) -> tuple[str, int, str]:
        """(outcome, refused lines, message) of one preview or commit, all in one transaction."""
        for_real = job == "commit"
        verdicts: list[dict[str, Any]] = []
        created: dict[str, Any] = {}
        with conn.transaction():
            self._act_as(conn, tenant_id, requested_by)
            ids = [r[0] for r in conn.execute(
                "select id from app.import_rows where tenant_id = %s and batch_id = %s order by line, id",
                (tenant_id, batch_id)).fetchall()]
            keep = False
            with conn.transaction():  # a savepoint: what a preview (or a refused commit) rolls back
                vehicles = conn.execute("select app.import_apply_vehicles(%s, %s)", (batch_id, self.name)).fetchone()
                assert vehicles is not None
                created = vehicles[0]["created"]
                for start in range(0, len(ids), self.chunk_rows):
                    rows = conn.execute(
                        "select row_id, row_line, verdict, e_field, e_rule, e_value, e_message, dup_of, fp, "
                        "rec_table, rec_id from app.import_apply_rows(%s, %s, %s, %s::jsonb, %s)",
                        (batch_id, self.name, for_real, orjson.dumps(vehicles[0]).decode(),
                         ids[start:start + self.chunk_rows]),
                    ).fetchall()
                    for row_id, line, verdict, field, rule, value, message, dup, fp, table, rec in rows:
                        verdicts.append({"row_id": str(row_id), "line": line, "verdict": verdict, "e_field": field,
                                         "e_rule": rule, "e_value": value, "e_message": message,
                                         "dup_of": str(dup) if dup else None, "fp": fp, "rec_table": table,
                                         "rec_id": str(rec) if rec else None})
                    self._progress(batch_id, start + len(rows))
                refused = [v for v in verdicts if v["verdict"] in REFUSED_VERDICTS]
                keep = for_real and (not refused or skip_errors)
                if not keep:
                    raise psycopg.Rollback()
            message = ""
            if refused:
                first = refused[0]
                message = (f"line {first['line']}: {first['e_field']}: {first['e_rule']} ({first['e_value']}); "
                           f"{len(refused)} line(s) refused, nothing imported")
            if keep:
                outcome, message = "committed", ""
            elif for_real:
                outcome = "refused"
                # nothing was written: the verdicts say what the commit would have done
                for v in verdicts:
                    v["verdict"] = {"created": "create", "skipped": "error"}.get(v["verdict"], v["verdict"])
                    v["rec_table"] = v["rec_id"] = None
                created = {}
            else:
                outcome = "previewed"
            conn.execute(
                "select app.import_apply_finish(%s, %s, %s, %s::jsonb, %s::jsonb, %s, %s)",
                (batch_id, self.name, outcome, orjson.dumps(verdicts).decode(), orjson.dumps(created).decode(),
                 len(refused), message or None),
            )
        return outcome, len(refused), message

    def _give_up(self, conn: psycopg.Connection, batch_id: Any, tenant_id: Any, requested_by: Any,
                 reason: str) -> None:
        try:
            with conn.transaction():
                self._act_as(conn, tenant_id, requested_by)
                conn.execute("select app.import_apply_finish(%s, %s, 'refused', '[]', '{}', 0, %s)",
                             (batch_id, self.name, reason))
        except psycopg.Error as exc:  # the lease then expires and the next claim tries again
            log(f"batch {batch_id}: could not record the failure: {exc}")

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
