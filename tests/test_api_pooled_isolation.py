"""tests/test_api_isolation.py again, unchanged, with PostgREST behind PgBouncer in transaction mode,
plus pooling checks: requests of different tenants interleaved over three server connections never
see each other's rows."""

from __future__ import annotations

import concurrent.futures

import pytest

from pooling import api, settings_module  # noqa: F401  (overrides conftest's api)
from test_api_isolation import *  # noqa: F401,F403

pytestmark = pytest.mark.api


def test_postgrest_really_goes_through_pgbouncer(api, api_db):
    assert api.bouncer is not None and api.bouncer.proc is not None and api.bouncer.proc.poll() is None
    with api_db.connect() as conn:
        via_bouncer = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and usename = 'authenticator'"
        ).fetchone()[0]
    assert 0 < via_bouncer <= 3, "PostgREST's connections are PgBouncer's (pool size 3)"


def test_interleaved_tenants_never_share_claims_over_pooled_connections(api, world):
    tokens = {t.id: api.token(t.users["member"], t.id) for t in world.tenants()}

    def fetch(tenant_id: str) -> set[str]:
        with api.client(tokens[tenant_id]) as client:
            rows = client.get("/vehicles").json()
        return {r["tenant_id"] for r in rows}

    jobs = [t.id for t in world.tenants()] * 40
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for tenant_id, seen in zip(jobs, pool.map(fetch, jobs)):
            assert seen == {tenant_id}
