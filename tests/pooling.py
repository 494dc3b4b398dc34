"""The `api` fixture behind PgBouncer (transaction mode): a module that imports it re-runs its API tests
with PostgREST configured for PgBouncer (db-prepared-statements=false, db-channel-enabled=false)."""

from __future__ import annotations

from typing import Iterator

import pytest

from motovault.testing.pgbouncer_proc import PgBouncer, PooledPostgrestServer


@pytest.fixture(scope="module", params=["pgbouncer-transaction"])
def api(request, api_db, settings_module) -> Iterator[PooledPostgrestServer]:
    bouncer = PgBouncer(settings_module, pool_size=3).start()
    server = PooledPostgrestServer(settings_module, api_db.name, bouncer=bouncer).start()
    try:
        yield server
    finally:
        server.stop()
        bouncer.stop()


@pytest.fixture(scope="module")
def settings_module():  # type: ignore[no-untyped-def]
    from conftest import SETTINGS

    return SETTINGS
