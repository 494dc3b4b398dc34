"""The tenant import job of `motovault worker` (api.import_tenant, docs/exports.md): a tenant document
written into an empty tenant, in the worker rather than in an API request (which has 5 s).

All state is in SQL (deploy/tenant_imports.sql). ``app.tenant_import_claim`` leases one import (on the
worker's own connection, role vin_worker, autocommit); then, on a second connection acting as the
owner who asked (``set local role app_user`` with their claims, a statement timeout per step instead of
the API's 5 s), in ONE transaction: ``app.tenant_import_begin`` (the tenant still empty, new ids, the
chunks), ``app.tenant_import_rows`` per chunk (one multi-row INSERT each: the rules run per statement),
reporting rows_done and renewing the lease after each (``app.tenant_import_progress``), and
``app.tenant_import_finish`` (members, result). A refused row rolls everything back and
``app.tenant_import_fail`` records the table, row, field and rule. A worker that dies leaves nothing: the
lease expires and the next one starts again (after MAX_ATTEMPTS, the import fails).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import psycopg

#: rows written per statement (the progress moves once per chunk)
CHUNK_ROWS = 500
#: a worker took the import this many times (and died each time): it fails
MAX_ATTEMPTS = 3
MEMBER_ROLE = "app_user"


class TenantImportRefused(Exception):
    """A row (or the tenant) was refused: the import's transaction is rolled back."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("message") or "refused")
        self.problem = problem


class LeaseLost(Exception):
    """Another worker holds the import now."""


def problem_of(exc: psycopg.Error) -> dict[str, Any]:
    """What the worker records of a database error raised while importing (not a refused row)."""
    diag = exc.diag
    message = diag.message_primary or " ".join(str(exc).split()) or type(exc).__name__
    return {"message": message[:2000], "table": diag.table_name, "field": diag.column_name,
            "rule": diag.constraint_name or (f"sqlstate {exc.sqlstate}" if exc.sqlstate else None)}


class TenantImporter:
    """Runs the tenant imports for an ImportWorker: ``conn`` is its vin_worker connection (autocommit),
    ``member_conn()`` opens the connection that acts as the owner."""

    def __init__(self, conn: psycopg.Connection, member_conn: Callable[[], psycopg.Connection], name: str, *,
                 lease_seconds: int, chunk_rows: int = CHUNK_ROWS, timeout: float = 300.0,
                 log: Callable[[str], None] | None = None) -> None:
        self.conn = conn
        self.member_conn = member_conn
        self.name = name
        self.lease_seconds = lease_seconds
        self.chunk_rows = chunk_rows
        self.timeout = timeout
        self.log = log

    def next(self) -> int:
        """Claim one tenant import and run it; 0 when none waits."""
        jobs = self.conn.execute(
            "select import_id, tenant_id, requested_by, rows_total, attempts from app.tenant_import_claim(%s, %s)",
            (self.name, self.lease_seconds),
        ).fetchall()
        for import_id, tenant_id, requested_by, total, attempts in jobs:
            if attempts > MAX_ATTEMPTS:
                self._fail(import_id, {"message": f"import: a worker stopped {attempts - 1} times while importing it; "
                                                  "nothing was written"})
                continue
            self.run(import_id, tenant_id, requested_by, int(total or 0))
        return len(jobs)

    def run(self, import_id: Any, tenant_id: Any, requested_by: Any, total: int) -> None:
        t0 = time.monotonic()
        conn = self.member_conn()
        try:
            result = self._import(conn, import_id, tenant_id, requested_by)
        except LeaseLost:
            self._say(f"tenant import {import_id}: another worker holds it now; left to it")
            return
        except TenantImportRefused as refused:
            self._fail(import_id, refused.problem)
            return
        except psycopg.Error as exc:
            if exc.sqlstate == "MVI02":  # app.tenant_import_held: the lease went to another worker
                self._say(f"tenant import {import_id}: another worker holds it now; left to it")
                return
            self._fail(import_id, problem_of(exc))
            return
        seconds = time.monotonic() - t0
        self._say(f"tenant import {import_id}: imported {total} row(s) in {seconds:.2f}s "
                  f"({total / seconds if seconds else 0:.0f} rows/s), members added {result.get('members_added')}")

    def _act_as(self, conn: psycopg.Connection, tenant_id: Any, user_id: Any) -> None:
        claims = {"role": MEMBER_ROLE, "tenant_id": str(tenant_id), "sub": str(user_id) if user_id else None}
        conn.execute(
            "select set_config('request.jwt.claims', %s, true), set_config('motovault.user_id', %s, true), "
            "set_config('motovault.tenant_id', %s, true), set_config('statement_timeout', %s, true)",
            (orjson.dumps(claims).decode(), str(user_id) if user_id else "none", str(tenant_id),
             f"{int(self.timeout * 1000)}"),
        )
        conn.execute(f'set local role "{MEMBER_ROLE}"')

    def _progress(self, import_id: Any, done: int) -> None:
        held = self.conn.execute("select app.tenant_import_progress(%s, %s, %s, %s)",
                                 (import_id, self.name, done, self.lease_seconds)).fetchone()
        if not (held and held[0]):
            raise LeaseLost(str(import_id))

    def _import(self, conn: psycopg.Connection, import_id: Any, tenant_id: Any, requested_by: Any) -> dict[str, Any]:
        """The whole import in one transaction; a refused row raises TenantImportRefused (rolled back)."""
        with conn.transaction():
            self._act_as(conn, tenant_id, requested_by)
            chunks = conn.execute(
                "select table_name, first_row, row_count from app.tenant_import_begin(%s, %s, %s) order by step",
                (import_id, self.name, self.chunk_rows),
            ).fetchall()
            done = 0
            for table, first, count in chunks:
                row = conn.execute("select app.tenant_import_rows(%s, %s, %s, %s, %s)",
                                   (import_id, self.name, table, first, count)).fetchone()
                assert row is not None
                outcome: dict[str, Any] = row[0]
                if "inserted" not in outcome:
                    raise TenantImportRefused(outcome)  # leaves the transaction: everything is rolled back
                done += int(outcome["inserted"])
                self._progress(import_id, done)
            finished = conn.execute("select app.tenant_import_finish(%s, %s)", (import_id, self.name)).fetchone()
            assert finished is not None
            result: dict[str, Any] = finished[0]
        return result

    def _fail(self, import_id: Any, problem: dict[str, Any]) -> None:
        self._say(f"tenant import {import_id} failed: {str(problem.get('message'))[:300]}")
        try:
            self.conn.execute("select app.tenant_import_fail(%s, %s, %s::jsonb)",
                              (import_id, self.name, orjson.dumps(problem).decode()))
        except psycopg.Error as exc:  # the lease then expires and the next claim tries again
            self._say(f"tenant import {import_id}: could not record the failure: {exc}")

    def _say(self, message: str) -> None:
        if self.log is not None:
            self.log(message)


__all__ = ["CHUNK_ROWS", "TenantImporter", "TenantImportRefused"]
