"""The VIN decode worker: drains ``app.vin_decode_queue`` into ``app.vin_cache`` and the vehicles.

One loop, all rules in SQL (deploy/vin_decode_queue.sql):

1. ``app.vin_decode_claim(n, worker, lease)`` leases up to ``n`` due jobs
   (``FOR UPDATE SKIP LOCKED``; expired leases of dead workers are reclaimed)
   and commits, so the lease outlives a crash of this process;
2. the VINs are decoded in one batch (offline with ultravin by default, or
   through the vPIC API), outside any transaction;
3. in ONE transaction: the decodes are COPYed into ``pg_temp.vin_decoded`` and
   ``app.vin_decode_finish(ids, worker)`` upserts the cache, fills the vehicles
   (only empty make/model/year; display_name only while it is the default) and
   marks the jobs done. Killed before the commit, nothing is written and the
   lease expires; killed after, the jobs are done. Either way once.
4. a failing batch goes to ``app.vin_decode_fail`` (retry with backoff, park
   after the last attempt).

When nothing is due it waits on ``LISTEN vin_decode`` (woken by every VIN
write) or ``--poll`` seconds (backoffs and expired leases come due silently).

The connection logs in as the owner role of the local stack (or
``$MOTOVAULT_WORKER_DSN``) and runs ``set role vin_worker``: whatever it does
is bounded by vin_worker's grants.
"""

from __future__ import annotations

import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from ..core.db import connect
from ..core.errors import MotovaultError

CHANNEL = "vin_decode"
WORKER_ROLE = "vin_worker"

#: decode_batch(vins) -> one result per VIN, in order. The results are
#: motovault.vin.decode.DecodeResult (or anything with the same attributes).
DecodeBatch = Callable[[list[str]], Sequence[Any]]

_COLUMNS = (
    "vin", "decoded", "make", "model", "year", "trim", "body_class", "vehicle_type", "fuel_types",
    "engine_cylinders", "engine_displacement_l", "engine_power_kw", "engine_power_hp", "drive_type",
    "manufacturer", "plant_country", "error_codes", "error_texts", "raw_data", "source", "data_version",
)
_COPY = f"copy pg_temp.vin_decoded ({', '.join(_COLUMNS)}) from stdin"


def log(message: str) -> None:
    print(f"worker: {message}", file=sys.stderr, flush=True)


def offline_decoder() -> DecodeBatch:
    from .decode import decode_many

    return lambda vins: decode_many(vins, offline=True)


def online_decoder(client: Any = None) -> DecodeBatch:
    from .decode import decode_many
    from .vpic import VpicClient

    client = client or VpicClient()
    return lambda vins: decode_many(vins, offline=False, client=client)


#: COPY column types: the Python values of result_row() are dumped as these (no per-value
#: type lookup); arrays arrive as PostgreSQL array literals, raw_data as JSON text
_COPY_TYPES = (
    "text", "bool", "text", "text", "int4", "text", "text", "text", "text", "int4", "float8", "float8",
    "float8", "text", "text", "text", "text", "text", "text", "text", "text",
)
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value).replace("\x00", "")


def _without_nul(value: Any) -> Any:
    """The value with NUL characters removed from every string (PostgreSQL text and jsonb refuse them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_without_nul(v) for v in value]
    return value


def raw_json(raw: Any) -> str:
    """The decoder's raw attributes as JSON text for a jsonb column (NUL characters dropped)."""
    out = orjson.dumps(raw, default=_json_default, option=_JSON_OPTIONS)
    if b"\\u0000" in out:
        out = orjson.dumps(_without_nul(raw), default=_json_default, option=_JSON_OPTIONS)
    return out.decode()


def text_array(values: Any) -> str:
    """A PostgreSQL array literal of text values (every element quoted; None is NULL)."""
    return "{" + ",".join(
        "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
    ) + "}"


def int_array(values: Any) -> str:
    """A PostgreSQL array literal of integers."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def result_row(vin: str, r: Any) -> tuple[Any, ...]:
    """The app.vin_decode_result row of one decode (a negative entry when the make is unknown)."""
    engine = r.engine
    decoded = r.make is not None
    return (
        vin,
        decoded,
        r.make,
        r.model if decoded else None,
        r.model_year if decoded else None,
        r.trim,
        r.body_class,
        r.vehicle_type,
        text_array(r.fuel_types),
        engine.cylinders,
        engine.displacement_l,
        engine.power_kw,
        engine.power_hp,
        r.drive_type,
        r.manufacturer,
        r.plant_country,
        int_array(r.error_codes),
        text_array(r.error_texts),
        raw_json(r.raw),
        r.source,
        r.data_version,
    )


@dataclass
class Stats:
    batches: int = 0
    jobs: int = 0
    done: int = 0
    failed: int = 0
    undecodable: int = 0
    filled: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-9)


class Worker:
    def __init__(
        self,
        dsn: str,
        decode_batch: DecodeBatch | None = None,
        *,
        batch_size: int = 1000,
        lease_seconds: int = 60,
        poll_seconds: float = 5.0,
        name: str | None = None,
        role: str | None = WORKER_ROLE,
        quiet: bool = False,
        pipeline: bool = True,
        writers: int = 1,
    ) -> None:
        if writers < 1:
            raise MotovaultError(f"writers: must be 1 or more, got {writers}")
        self.dsn = dsn
        self.decode_batch = decode_batch or offline_decoder()
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.role = role
        self.quiet = quiet
        self.pipeline = pipeline
        self.writers = writers
        self.stats = Stats()
        self.conn: psycopg.Connection | None = None
        self._stats_lock = threading.Lock()
        self._claimer: psycopg.Connection | None = None
        self._writers: list[psycopg.Connection] = []

    # -- connection
    def _open(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault worker", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        return conn

    def _open_writer(self) -> psycopg.Connection:
        """A connection with the staging table app.vin_decode_finish reads."""
        conn = self._open()
        conn.execute(
            "create temp table if not exists vin_decoded of app.vin_decode_result on commit delete rows"
        )
        # staged rows live for one transaction: compressing their raw vPIC data is wasted work
        conn.execute("alter table pg_temp.vin_decoded alter column raw_data set storage external")
        return conn

    def connect(self) -> psycopg.Connection:
        conn = self._open_writer()
        conn.execute(f"listen {CHANNEL}")
        self.conn = conn
        return conn

    def close(self) -> None:
        self._close_helpers()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Worker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one batch
    def _claim(self, conn: psycopg.Connection) -> list[tuple[int, str, int]]:
        return conn.execute(
            "select job_id, vin, attempts from app.vin_decode_claim(%s, %s, %s)",
            (self.batch_size, self.name, self.lease_seconds),
        ).fetchall()

    def _decode(
        self, jobs: list[tuple[int, str, int]]
    ) -> tuple[list[int], list[tuple[Any, ...]] | None, str | None, float]:
        """(ids, rows, None, seconds) or (ids, None, error, seconds) when the decoder failed."""
        ids = [j[0] for j in jobs]
        vins = [j[1] for j in jobs]
        t0 = time.monotonic()
        try:
            results = list(self.decode_batch(vins))
            if len(results) != len(vins):
                raise MotovaultError(f"decoder returned {len(results)} results for {len(vins)} VINs")
            return ids, [result_row(v, r) for v, r in zip(vins, results, strict=False)], None, time.monotonic() - t0
        except Exception as exc:  # the decoder failed: retry later, park after the last attempt
            return ids, None, f"decode failed: {type(exc).__name__}: {exc}", time.monotonic() - t0

    def run_batch(self) -> int:
        """Claim, decode and finish one batch; returns how many jobs it claimed (0: nothing due)."""
        conn = self.conn or self.connect()
        jobs = self._claim(conn)
        if jobs:
            self._finish_batch(conn, *self._decode(jobs))
        return len(jobs)

    def _finish_batch(
        self,
        conn: psycopg.Connection,
        ids: list[int],
        rows: list[tuple[Any, ...]] | None,
        error: str | None,
        decode_s: float,
    ) -> None:
        if rows is None:
            self._fail(conn, ids, error or "decode failed")
            return
        t1 = time.monotonic()
        cached, filled, done = self._write(conn, ids, rows)
        t2 = time.monotonic()
        undecodable = sum(1 for r in rows if not r[1])
        with self._stats_lock:
            s = self.stats
            s.batches += 1
            s.jobs += len(ids)
            s.done += done
            s.undecodable += undecodable
            s.filled += filled
            if not self.quiet:
                log(
                    f"batch of {len(ids)}: {done} done ({undecodable} undecodable), {filled} vehicles filled; "
                    f"decode {decode_s:.2f}s, write {t2 - t1:.2f}s; total {s.done} done, {s.rate():,.0f} VINs/s"
                )

    def _write(self, conn: psycopg.Connection, ids: list[int], rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        """COPY + app.vin_decode_finish in one transaction; (cached, filled, done).

        When the transaction fails (a decode a vehicle's CHECK refuses, a deadlock with a
        user's write), the batch is split in halves and retried, so one bad job fails alone.
        """
        try:
            with conn.transaction():
                with conn.cursor() as cur:
                    with cur.copy(_COPY) as copy:
                        copy.set_types(_COPY_TYPES)
                        for row in rows:
                            copy.write_row(row)
                    cached, filled, done = cur.execute(
                        "select cached, filled, done from app.vin_decode_finish(%s, %s)", (ids, self.name)
                    ).fetchone()  # type: ignore[misc]
            return cached, filled, done
        except psycopg.Error as exc:
            if conn.closed:
                raise
            if len(ids) == 1:
                self._fail(conn, ids, f"write failed: {type(exc).__name__}: {exc}".strip())
                return 0, 0, 0
            half = len(ids) // 2
            a = self._write(conn, ids[:half], rows[:half])
            b = self._write(conn, ids[half:], rows[half:])
            return a[0] + b[0], a[1] + b[1], a[2] + b[2]

    def _fail(self, conn: psycopg.Connection, ids: list[int], error: str) -> None:
        changed = conn.execute(
            "select app.vin_decode_fail(%s, %s, %s)", (ids, self.name, error)
        ).fetchone()[0]  # type: ignore[index]
        with self._stats_lock:
            self.stats.failed += len(ids)
        log(f"batch of {len(ids)} failed ({changed} rescheduled or parked): {error.splitlines()[0][:300]}")

    # -- loops
    def drain(self) -> int:
        """Run batches until nothing is due; returns how many jobs were claimed.

        The first batch is claimed on this connection. A short one (fewer jobs than
        ``batch_size``: the usual wake-up for a few new VINs) is decoded and written
        right here. A full one starts the pipeline (unless ``pipeline`` is off): a
        second connection claims and decodes the next batches in a thread while
        ``writers`` connections (this one and ``writers - 1`` more, each in its own
        thread) write the earlier ones, so the wall time per batch is about
        max(decode, write / writers) instead of their sum. Each batch is still claimed,
        then written in its own transaction; batches never share a job, so writers
        never wait for each other. The extra connections stay open for the next drain.
        """
        conn = self.conn or self.connect()
        jobs = self._claim(conn)
        if not jobs:
            return 0
        if not self.pipeline or len(jobs) < self.batch_size:
            self._finish_batch(conn, *self._decode(jobs))
            total = len(jobs)
            while n := self.run_batch():
                total += n
            return total
        return self._drain_pipelined(conn, jobs)

    def _helpers(self) -> tuple[psycopg.Connection, list[psycopg.Connection]]:
        """The claiming connection and the extra writer connections (opened once, kept open)."""
        if self._claimer is None or self._claimer.closed:
            self._claimer = self._open()
        self._writers = [c for c in self._writers if not c.closed]
        while len(self._writers) < self.writers - 1:
            self._writers.append(self._open_writer())
        return self._claimer, self._writers

    def _drain_pipelined(self, conn: psycopg.Connection, first: list[tuple[int, str, int]]) -> int:
        claimer, extra = self._helpers()
        handoff: queue.Queue[Any] = queue.Queue(maxsize=self.writers)
        stop = threading.Event()
        claimed = len(first)
        errors: list[BaseException] = []

        def produce() -> None:
            nonlocal claimed
            try:
                handoff.put(self._decode(first))
                while not stop.is_set():
                    jobs = self._claim(claimer)
                    if not jobs:
                        break
                    claimed += len(jobs)
                    handoff.put(self._decode(jobs))
            except BaseException as exc:  # noqa: BLE001 - re-raised by drain()
                errors.append(exc)
            finally:
                for _ in range(self.writers):
                    handoff.put(None)

        def write(wconn: psycopg.Connection) -> None:
            try:
                while (item := handoff.get()) is not None:
                    if not stop.is_set():
                        self._finish_batch(wconn, *item)
            except BaseException as exc:  # noqa: BLE001 - re-raised by drain()
                errors.append(exc)
                stop.set()
                while handoff.get() is not None:  # let the producer finish; leases of the rest expire
                    pass

        threads = [threading.Thread(target=produce, name="vin-decode", daemon=True)]
        threads += [threading.Thread(target=write, args=(c,), name=f"vin-write-{i + 1}", daemon=True)
                    for i, c in enumerate(extra)]
        try:
            for t in threads:
                t.start()
            write(conn)
        finally:
            stop.set()
            for t in threads:
                if t.is_alive():
                    t.join()
        if errors:
            self._close_helpers()  # a broken one would fail the next drain too
            raise errors[0]
        total = claimed
        # jobs that came due while the last batches were written (a failure with no backoff)
        while n := self.run_batch():
            total += n
        return total

    def _close_helpers(self) -> None:
        for c in (self._claimer, *self._writers):
            if c is not None:
                c.close()
        self._claimer, self._writers = None, []

    def wait(self, timeout: float) -> bool:
        """Wait for a NOTIFY on the channel (or the timeout); True when woken by one."""
        assert self.conn is not None
        woken = False
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        return woken

    def run_forever(self) -> None:
        conn = self.conn or self.connect()
        log(f"{self.name} listening on {CHANNEL} (batch {self.batch_size}, lease {self.lease_seconds}s)")
        del conn
        while True:
            self.drain()
            self.wait(self.poll_seconds)


__all__ = ["CHANNEL", "Worker", "offline_decoder", "online_decoder", "result_row"]
