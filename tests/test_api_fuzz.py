"""Property-based fuzzing of the whole API with schemathesis, driven by PostgREST's own OpenAPI
(Swagger 2.0) document, authenticated as a member of the demo tenant (which can write):

* no 5xx (schemathesis' not_a_server_error), except the PostgREST 12.0.2 UTF-8 decoder crash that
  tests/test_api_hostile.py documents (it never touches the database);
* no response carries any id of another tenant's rows, tenants or members (two more tenants are seeded).

PostgREST's Swagger 2.0 document cannot say a column is nullable and documents no error statuses, so
schemathesis' response-schema and status-code conformance checks would flag every NULL and every 400:
they are off. Requests per run: MOTOVAULT_FUZZ_EXAMPLES examples per operation (default 10: a few
hundred requests in `make test`); `make soak` sets 60 and adds schemathesis' coverage phase (about
9,000 requests)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, Protocol

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema

from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.hardening import DEMO_TENANT, load_demo
from support.tenancy_world import seed

pytestmark = pytest.mark.api

DEMO_MEMBER = "d0000000-0000-4000-8000-0000000000a2"
EXAMPLES = int(os.environ.get("MOTOVAULT_FUZZ_EXAMPLES", "10"))
MIN_REQUESTS = int(os.environ.get("MOTOVAULT_FUZZ_MIN_REQUESTS", "200"))
#: schemathesis' coverage phase (boundary values and negative cases for every parameter, about 7,000
#: requests for the current API) rides on hypothesis' `explicit` phase: on in `make soak` only
COVERAGE = os.environ.get("MOTOVAULT_FUZZ_COVERAGE") == "1"
PHASES = [Phase.explicit, Phase.generate, Phase.shrink] if COVERAGE else [Phase.generate, Phase.shrink]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

STATS: dict[str, Any] = {"requests": 0, "by_status": {}}


class ResponseLike(Protocol):
    """What the tenant oracle reads of a response (schemathesis' Response, or a fake)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class CaseLike(Protocol):
    @property
    def path(self) -> str: ...


@pytest.fixture(scope="module")
def foreign_ids(api_db: ClonedDatabase) -> set[str]:
    """Every id that belongs to another tenant: its rows in every tenant table, the tenant, its users.
    The database gets its role timeouts first, as deployed (app_user: 5 s)."""

    with api_db.connect() as conn:
        load_demo(conn)
        seed(conn)
        ids: set[str] = set()
        tables = conn.execute(
            """
            select c.oid::regclass::text
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'app' and c.relkind in ('r', 'p') and not c.relispartition
              and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
              and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'id')
            """
        ).fetchall()
        for (table,) in tables:
            ids |= {str(r[0]) for r in conn.execute(f"select id from {table} where tenant_id <> %s", (DEMO_TENANT,))}
        ids |= {str(r[0]) for r in conn.execute("select id from app.tenants where id <> %s", (DEMO_TENANT,))}
        ids |= {
            str(r[0])
            for r in conn.execute(
                "select user_id from app.memberships where user_id not in "
                "(select user_id from app.memberships where tenant_id = %s)",
                (DEMO_TENANT,),
            )
        }
    assert len(ids) > 10
    return ids


@pytest.fixture(scope="module")
def token(api: PostgrestServer, foreign_ids: set[str]) -> str:
    return api.token(DEMO_MEMBER, DEMO_TENANT)


@pytest.fixture(scope="module")
def openapi(api: PostgrestServer, token: str) -> BaseSchema:
    with api.client(token) as client:
        document = client.get("/").json()
    assert document["swagger"] == "2.0"
    return schemathesis.openapi.from_dict(document)


schema = schemathesis.pytest.from_fixture("openapi")


def no_other_tenant(foreign_ids: set[str]) -> Callable[[object, ResponseLike, CaseLike], None]:
    def check(ctx: object, response: ResponseLike, case: CaseLike) -> None:
        leaked = set(UUID.findall(response.text or "")) & foreign_ids
        if leaked:
            raise AssertionError(f"response carries {len(leaked)} id(s) of another tenant, e.g. {sorted(leaked)[0]}")
        if case.path != "/" and response.status_code < 300 and response.text and response.text.startswith("["):
            for row in response.json():
                if isinstance(row, dict) and row.get("tenant_id") not in (None, DEMO_TENANT):
                    raise AssertionError(f"a row of tenant {row['tenant_id']}")

    check.__name__ = "no_other_tenant"
    return check


def is_postgrest_utf8_crash(response: ResponseLike) -> bool:
    # see test_api_hostile.UTF8_OUTSIDE_JSON: PostgREST answers before any SQL runs
    return response.status_code == 500 and response.text == "Something went wrong"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("MOTOVAULT_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=PHASES,
)
def test_api_fuzz(case: Case[Any], api: PostgrestServer, token: str, foreign_ids: set[str]) -> None:
    response = case.call(base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    STATS["requests"] += 1
    STATS["by_status"][response.status_code] = STATS["by_status"].get(response.status_code, 0) + 1
    if is_postgrest_utf8_crash(response):
        STATS["postgrest_utf8_crashes"] = STATS.get("postgrest_utf8_crashes", 0) + 1
        return
    case.validate_response(response, checks=[not_a_server_error, no_other_tenant(foreign_ids)])


def test_fuzzing_sent_enough_requests_and_the_server_survived(api: PostgrestServer, token: str) -> None:
    print(f"\nschemathesis: {STATS['requests']} requests, statuses {dict(sorted(STATS['by_status'].items()))}")
    assert STATS["requests"] >= MIN_REQUESTS, STATS
    with api.client(token) as client:
        assert client.get("/vehicles", params={"limit": "1"}).status_code == 200


def test_the_tenant_oracle_catches_a_leak(foreign_ids: set[str]) -> None:
    """The check above is not vacuous: a response with another tenant's id fails it."""

    class FakeResponse:
        status_code = 200

        def __init__(self, text: str) -> None:
            self.text = text

        def json(self) -> Any:
            import json

            return json.loads(self.text)

    class FakeCase:
        path = "/vehicles"

    check = no_other_tenant(foreign_ids)
    check(None, FakeResponse(f'[{{"tenant_id": "{DEMO_TENANT}"}}]'), FakeCase())
    with pytest.raises(AssertionError, match="another tenant"):
        check(None, FakeResponse(f'[{{"garage_id": "{sorted(foreign_ids)[0]}"}}]'), FakeCase())
