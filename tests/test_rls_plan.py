"""Tenant-scoped reads through the api views use an index on tenant_id, not a scan of every tenant.

DESIGN.md: policies compare tenant_id directly with the inlinable STABLE helper
(`tenant_id = app.current_tenant_id()`), so the policy becomes an index condition evaluated once
per scan. With a few thousand rows across 50 tenants, analyzed, `select * from api.<view> limit 50`
as app_user must plan an Index Scan / Bitmap Index Scan on a tenant_id-led index whose Index Cond
(or the heap's Recheck Cond) is the policy's comparison, and no Seq Scan of the table.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from motovault.core.db import one_row
from support.plans import nodes

TENANTS = 50
VEHICLES = 4000  # 80 per tenant, interleaved the way many tenants write over time
GARAGES = 2000  # 40 per tenant

# Loaded as superuser without row triggers (stamps, audit, FK checks): the rows are built
# consistent, and the test is about plans, not about writing.
SEED = """
set session_replication_role = replica;
create temporary table plan_tenants as
select n, gen_random_uuid() as tenant_id, gen_random_uuid() as user_id
from generate_series(1, {tenants}) as n;

insert into app.tenants (id, name) select tenant_id, 'Plan tenant ' || n from plan_tenants;
insert into app.users (id, display_name) select user_id, 'Plan owner ' || n from plan_tenants;
insert into app.memberships (tenant_id, user_id, role) select tenant_id, user_id, 'owner' from plan_tenants;

insert into app.garages (tenant_id, name)
select t.tenant_id, 'Garage ' || g
from generate_series(1, {garages}) as g
join plan_tenants as t on t.n = 1 + g % {tenants};

insert into app.vehicles (tenant_id, display_name, make, model, year, notes)
select t.tenant_id, 'Vehicle ' || g, 'Make ' || g % 7, 'Model ' || g % 11, 1990 + g % 30,
       case when g % 3 = 0 then repeat('note ', 20) end
from generate_series(1, {vehicles}) as g
join plan_tenants as t on t.n = 1 + g % {tenants};

-- a few soft-deleted rows, as in real life
update app.vehicles set deleted_at = now() where year = 1991;
reset session_replication_role;
analyze app.tenants, app.users, app.memberships, app.garages, app.vehicles;
"""

SCAN_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


@pytest.fixture
def tenant(db: psycopg.Connection[Any]) -> tuple[str, str]:
    """Seed the clone; returns (tenant_id, owner user id) of one tenant, acting as its owner."""
    db.autocommit = True
    db.execute(SEED.format(tenants=TENANTS, vehicles=VEHICLES, garages=GARAGES))
    row = one_row(db, "select tenant_id, user_id from plan_tenants where n = 7")
    tenant_id, user_id = (str(v) for v in row)
    db.execute("set role app_user")
    claims = json.dumps({"role": "app_user", "sub": user_id, "tenant_id": tenant_id})
    db.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
    return tenant_id, user_id


def tenant_led_indexes(db: psycopg.Connection[Any], table: str) -> set[str]:
    rows = db.execute(
        """
        select i.relname
        from pg_index as x
        join pg_class as i on i.oid = x.indexrelid
        join pg_attribute as a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
        where x.indrelid = %s::regclass
          and a.attname = 'tenant_id'
        """,
        (table,),
    ).fetchall()
    return {name for (name,) in rows}


def is_policy_condition(cond: str, tenant_id: str) -> bool:
    """`tenant_id = app.current_tenant_id()`, inlined (current_setting of the claims) or folded."""
    return "tenant_id = " in cond and (
        "current_tenant_id()" in cond
        or "current_setting('request.jwt.claims'" in cond
        or f"'{tenant_id}'::uuid" in cond
    )


@pytest.mark.parametrize(("view", "table"), [("api.vehicles", "app.vehicles"), ("api.garages", "app.garages")])
def test_tenant_scoped_page_uses_a_tenant_id_index(
    db: psycopg.Connection[Any], tenant: tuple[str, str], view: str, table: str
) -> None:
    tenant_id, _ = tenant
    # the rows are the tenant's own, and a page is full: the plan below is for real work
    rows = db.execute(f"select tenant_id from {view} limit 50").fetchall()
    assert rows and {str(r[0]) for r in rows} == {tenant_id}

    (plan_json,) = one_row(db, f"explain (format json) select * from {view} limit 50")
    plan = (plan_json if isinstance(plan_json, list) else json.loads(plan_json))[0]["Plan"]
    all_nodes = list(nodes(plan))
    short = table.split(".")[1]
    described = json.dumps(plan, indent=1)

    seq = [n for n in all_nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == short]
    assert not seq, f"{view}: Seq Scan on {table} (tenant filter applied row by row):\n{described}"

    tenant_indexes = tenant_led_indexes(db, table)
    scans = [n for n in all_nodes if n["Node Type"] in SCAN_NODES and n.get("Index Name") in tenant_indexes]
    assert scans, f"{view}: no index scan on a tenant_id-led index of {table} {sorted(tenant_indexes)}:\n{described}"

    # the policy itself is the index condition (or the bitmap heap scan's recheck of it)
    conds = [n.get("Index Cond", "") for n in scans] + [
        n.get("Recheck Cond", "") for n in all_nodes if n["Node Type"] == "Bitmap Heap Scan"
    ]
    assert any(is_policy_condition(c, tenant_id) for c in conds), (
        f"{view}: the index condition is not tenant_id = app.current_tenant_id():\n{described}"
    )
    # and it is not left as a row-by-row filter on the table
    filters = [n.get("Filter", "") for n in all_nodes if n.get("Relation Name") == short]
    assert not any(is_policy_condition(f, tenant_id) for f in filters), (
        f"{view}: tenant check is a Filter:\n{described}"
    )
