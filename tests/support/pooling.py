"""PostgREST for the API tests, directly or behind PgBouncer in transaction mode (db-prepared-statements
= false, db-channel-enabled = false): the `api` fixture of tests/conftest.py serves what its
`api_kind` fixture names, and a module that overrides `api_kind` with both kinds runs its API tests
both ways."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from motovault.testing.pgbouncer_proc import PgBouncer, PooledPostgrestServer
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import SETTINGS

DIRECT = "direct"
PGBOUNCER = "pgbouncer-transaction"
KINDS = (DIRECT, PGBOUNCER)


@contextmanager
def serve_api(kind: str, dbname: str) -> Iterator[PostgrestServer]:
    """A started PostgREST on free ports for ``dbname``, stopped (with its PgBouncer) afterwards."""
    if kind == DIRECT:
        server = PostgrestServer(SETTINGS, dbname).start()
        try:
            yield server
        finally:
            server.stop()
        return
    if kind != PGBOUNCER:
        raise ValueError(f"unknown api kind {kind!r}: {KINDS}")
    bouncer = PgBouncer(SETTINGS, pool_size=3).start()
    pooled = PooledPostgrestServer(SETTINGS, dbname, bouncer=bouncer).start()
    try:
        yield pooled
    finally:
        pooled.stop()
        bouncer.stop()
