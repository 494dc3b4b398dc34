"""Online client for NHTSA's recalls API (https://api.nhtsa.gov/recalls/), and the worker's polite check.

One call: ``GET recallsByVehicle?make=..&model=..&modelYear=..``. The answer is
``{"Count": n, "Message": "...", "results": [...]}``; each result carries NHTSACampaignNumber,
Component, Summary, Consequence (older answers spell it "Conequence"), Remedy, Notes,
ReportReceivedDate (DD/MM/YYYY), parkIt, parkOutSide, overTheAirUpdate. The results are returned as
NHTSA sent them; app.recall_rows (deploy/recalls.sql) reads them in the database.

NHTSA answers a make/model/year it does not know with HTTP 400 and an empty result list: that is "no
recalls", not an error. 429 and 5xx answers and transport errors are retried with exponential backoff
(``Retry-After`` wins, capped), like the vPIC client; other 4xx answers, non-JSON bodies and bodies
without a results list raise :class:`~motovault.core.errors.MotovaultError` with one line.

:class:`RecallChecker` is the worker's side: it claims due checks (app.recall_check_claim, a lease,
``FOR UPDATE SKIP LOCKED``), asks NHTSA one check at a time with at least ``interval`` seconds between
requests (politeness: NHTSA publishes no rate limit), and hands each answer to
app.recall_check_finish in its own transaction (the recalls of every matching vehicle are added and
announced there) or the error to app.recall_check_fail (backoff in the database, per check).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from .. import __version__
from ..core.db import connect
from ..core.errors import MotovaultError
from .vpic import RETRY_STATUSES, parse_retry_after

DEFAULT_BASE_URL = "https://api.nhtsa.gov/recalls/"
USER_AGENT = f"motovault/{__version__} (+https://github.com/motovault/motovault)"
CHANNEL = "recall_check"


class RecallsClient:
    """A small synchronous client; ``transport``, ``sleep`` and ``clock`` are injectable for tests."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = USER_AGENT,
    ) -> None:
        if retries < 0:
            raise MotovaultError("NHTSA recalls retries cannot be negative")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RecallsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recalls(self, make: str, model: str, model_year: int) -> list[dict[str, Any]]:
        """NHTSA's recalls of one make, model and model year (an empty list when there are none)."""
        what = f"{model_year} {make} {model}"
        params = {"make": make, "model": model, "modelYear": str(int(model_year))}
        attempts = self.retries + 1
        last = ""
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                response = self._http.get("recallsByVehicle", params=params)
                content = response.content
            except httpx.TimeoutException:
                last = f"no answer within {self.timeout:g}s"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})".replace("\n", " ")
            else:
                status = response.status_code
                if status < 300 or status == 400:
                    body = self._json(content, what, status)
                    results = body.get("results", body.get("Results")) if isinstance(body, dict) else None
                    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
                        raise MotovaultError(f"NHTSA recalls answer for {what} has no results list (HTTP {status})")
                    if status == 400 and results:
                        raise MotovaultError(f"NHTSA recalls refused {what}: HTTP 400 with results")
                    return results
                last = f"HTTP {status} {response.reason_phrase}".rstrip()
                if status not in RETRY_STATUSES:
                    raise MotovaultError(f"NHTSA recalls refused {what}: {last}")
            if attempt + 1 < attempts:
                self._sleep(self._delay(attempt, response))
        raise MotovaultError(f"NHTSA recalls failed for {what} after {attempts} attempt(s): {last}")

    @staticmethod
    def _json(content: bytes, what: str, status: int) -> Any:
        try:
            return json.loads(content)
        except ValueError:
            snippet = content[:60].decode("utf-8", "replace").replace("\n", " ").strip()
            raise MotovaultError(
                f"NHTSA recalls answered {what} (HTTP {status}) with something that is not JSON: {snippet!r}"
            ) from None

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        return float(min(self.backoff * (2**attempt), self.max_backoff))


def log(message: str) -> None:
    print(f"recalls: {message}", file=sys.stderr, flush=True)


class RecallChecker:
    """Runs due recall checks against NHTSA, one request at a time, ``interval`` seconds apart."""

    def __init__(
        self,
        dsn: str,
        client: RecallsClient | None = None,
        *,
        interval: float = 2.0,
        batch_size: int = 20,
        lease_seconds: int = 600,
        role: str | None = "vin_worker",
        name: str | None = None,
        quiet: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dsn = dsn
        self.client = client or RecallsClient()
        self.interval = interval
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.role = role
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.quiet = quiet
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self.conn: psycopg.Connection | None = None
        self.checked = 0
        self.failed = 0
        self.added = 0

    def connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault recalls", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> RecallChecker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            pause = self.interval - (self._clock() - self._last_request)
            if pause > 0:
                self._sleep(pause)
        self._last_request = self._clock()

    def run_batch(self) -> int:
        """Claim a batch of due checks and run them; returns how many were claimed."""
        conn = self.conn or self.connect()
        jobs = conn.execute(
            "select id, make, model, model_year from app.recall_check_claim(%s, %s, %s)",
            (self.batch_size, self.name, self.lease_seconds),
        ).fetchall()
        for check_id, make, model, model_year in jobs:
            self._wait_turn()
            try:
                results = self.client.recalls(make, model, model_year)
            except MotovaultError as exc:
                status = conn.execute(
                    "select app.recall_check_fail(%s, %s, %s)", (check_id, self.name, str(exc))
                ).fetchone()
                self.failed += 1
                if not self.quiet:
                    log(f"{model_year} {make} {model}: {exc} ({status[0] if status else '?'})")
                continue
            row = conn.execute(
                "select app.recall_check_finish(%s, %s, %s)", (check_id, self.name, Jsonb(results))
            ).fetchone()
            added = int(row[0]) if row else 0
            self.checked += 1
            self.added += added
            if not self.quiet:
                log(f"{model_year} {make} {model}: {len(results)} recall(s), {added} new on vehicles")
        return len(jobs)

    def drain(self) -> int:
        total = 0
        while n := self.run_batch():
            total += n
        return total


__all__ = ["CHANNEL", "DEFAULT_BASE_URL", "RecallChecker", "RecallsClient"]
