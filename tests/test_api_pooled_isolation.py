"""Pooling checks with PostgREST behind PgBouncer in transaction mode: it really goes through
PgBouncer, and requests of different tenants interleaved over three server connections never see each
other's rows. (tests/test_api_isolation.py and tests/test_api_rules.py run all their tests this way
too, through their api_kind fixture.)"""

from __future__ import annotations

import concurrent.futures

import pytest

from motovault.core.db import one_row
from motovault.testing.pgbouncer_proc import PooledPostgrestServer
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.pooling import PGBOUNCER
from support.tenancy_world import World, seed

pytestmark = pytest.mark.api


@pytest.fixture(scope="module", params=[PGBOUNCER])
def api_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def world(api_db: ClonedDatabase) -> World:
    with api_db.connect() as conn:
        return seed(conn)


def test_postgrest_really_goes_through_pgbouncer(api: PooledPostgrestServer, api_db: ClonedDatabase) -> None:
    assert api.bouncer is not None and api.bouncer.proc is not None and api.bouncer.proc.poll() is None
    with api_db.connect() as conn:
        via_bouncer = one_row(
            conn,
            "select count(*) from pg_stat_activity "
            "where datname = current_database() "
            "and usename = 'authenticator'",
        )[0]
    assert 0 < via_bouncer <= 3, "PostgREST's connections are PgBouncer's (pool size 3)"


def test_interleaved_tenants_never_share_claims_over_pooled_connections(api: PostgrestServer, world: World) -> None:
    tokens = {t.id: api.token(t.users["member"], t.id) for t in world.tenants()}

    def fetch(tenant_id: str) -> set[str]:
        with api.client(tokens[tenant_id]) as client:
            rows = client.get("/vehicles").json()
        return {r["tenant_id"] for r in rows}

    jobs = [t.id for t in world.tenants()] * 40
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for tenant_id, seen in zip(jobs, pool.map(fetch, jobs), strict=False):
            assert seen == {tenant_id}
