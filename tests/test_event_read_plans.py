"""One vehicle's timeline page and the fleet overview read a bounded slice of the event stream.

The event stream is partitioned by month. With many tenants and vehicles the planner must know that
vehicle_id implies tenant_id (the "vehicle implies tenant" statistics of change event_read_plans),
or it estimates ~1 event per vehicle and reads and sorts the vehicle's whole history for a page.
The seed below is a small copy of the benchmark's shape (bench/events.py): 200 tenants with 5
vehicles each, 60 events per vehicle over the last 23 months, and one vehicle with a long history.

Rows "read" are the rows the scans of vehicle_events partitions returned (EXPLAIN ANALYZE: actual
rows x loops), under a generic plan (what PostgREST's prepared statements settle on) and a custom one.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from motovault.core.db import connect, one_row
from motovault.stack.settings import AUTHENTICATOR_ROLE, OWNER_ROLE, Settings
from support.databases import ClonedDatabase
from support.plans import nodes

TENANTS = 200
VEHICLES_PER_TENANT = 5
EVENTS_PER_VEHICLE = 60
HISTORY = 400  # extra events of the one long-history vehicle (460 in all)
PAGE = 20

# superuser, without row triggers (validation, stamps, audit): the rows are built valid
SEED = """
set session_replication_role = replica;
create temporary table plan_tenants as
select n, ('c0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid as tenant_id
from generate_series(1, {tenants}) as n;
insert into app.tenants (id, name) select tenant_id, 'Plan tenant ' || n from plan_tenants;
insert into app.users (id) values ('c1000000-0000-4000-8000-000000000001');
insert into app.memberships (tenant_id, user_id, role)
select tenant_id, 'c1000000-0000-4000-8000-000000000001', 'owner' from plan_tenants;
insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
select t.tenant_id, ('c2000000-0000-4000-8000-' || lpad(to_hex(t.n * 16 + k), 12, '0'))::uuid, 'Vehicle ' || k, 'km'
from plan_tenants as t, generate_series(1, {vehicles}) as k;
-- every vehicle: events spread over the last 23 months, interleaved with everyone else's
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
select v.tenant_id, v.id, 'odometer',
       now() - make_interval(secs => (hashtext(v.id::text || n) & 2147483647) % (700 * 86400) + 86400),
       n * 100, 'km', '{{"source": "obd"}}'
from app.vehicles as v, generate_series(1, {events}) as n;
-- the long-history vehicle (tenant 7, vehicle 1)
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
select tenant_id, id, 'odometer',
       now() - make_interval(secs => (hashtext(id::text || 'long' || n) & 2147483647) % (700 * 86400) + 86400),
       n * 10, 'km', '{{"source": "obd"}}'
from app.vehicles
cross join generate_series(1, {history}) as n
where tenant_id = 'c0000000-0000-4000-8000-000000000007' and display_name = 'Vehicle 1';
reset session_replication_role;
analyze app.tenants, app.memberships, app.vehicles, app.vehicle_event_voids, app.vehicle_images;
analyze app.vehicle_events;
"""

TENANT = "c0000000-0000-4000-8000-000000000007"
LONG_VEHICLE = "c2000000-0000-4000-8000-000000000071"


def event_scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        n for n in nodes(plan)
        if str(n.get("Relation Name", "")).startswith("vehicle_events_")
        and n["Node Type"] in {"Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Seq Scan"}
    ]


#: the seeded clone acting as the tenant's owner, its number of event partitions, and the long-history
#: vehicle's event ids, newest first
Seeded = tuple[psycopg.Connection[Any], int, list[Any]]


def rows_read(scans: list[dict[str, Any]]) -> int:
    return sum(n.get("Actual Rows", 0) * n.get("Actual Loops", 0) for n in scans)


def rows_read_before_the_window(db: psycopg.Connection[Any], plan: dict[str, Any]) -> tuple[int, str]:
    """Rows the plan's scans returned from monthly partitions older than the 30-day window, and that
    window's first month (YYYY-MM)."""
    start = one_row(db, "select date_trunc('month', now() - interval '30 days')::date")[0]
    older = [
        n for n in event_scans(plan)
        if n["Relation Name"].startswith("vehicle_events_p")
        and n["Relation Name"] < f"vehicle_events_p{start:%Y_%m}"
    ]
    return rows_read(older), f"{start:%Y-%m}"


@pytest.fixture
def seeded(db: psycopg.Connection[Any]) -> Seeded:
    db.autocommit = True
    db.execute(SEED.format(tenants=TENANTS, vehicles=VEHICLES_PER_TENANT, events=EVENTS_PER_VEHICLE, history=HISTORY))
    partitions = one_row(db, "select count(*) from pg_inherits where inhparent = 'app.vehicle_events'::regclass")[0]
    expected = [r[0] for r in db.execute(
        "select id from app.vehicle_events where vehicle_id = %s order by occurred_at desc, id desc",
        (LONG_VEHICLE,)).fetchall()]
    assert len(expected) == HISTORY + EVENTS_PER_VEHICLE
    db.execute("set role app_user")
    claims = json.dumps({"role": "app_user", "sub": "c1000000-0000-4000-8000-000000000001", "tenant_id": TENANT})
    db.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
    return db, partitions, expected


def explain(db: psycopg.Connection[Any], statement: str) -> dict[str, Any]:
    (plan_json,) = one_row(db, "explain (analyze, format json) " + statement)
    plan: dict[str, Any] = (plan_json if isinstance(plan_json, list) else json.loads(plan_json))[0]["Plan"]
    return plan


@pytest.mark.parametrize("plan_mode", ["force_generic_plan", "force_custom_plan"])
def test_timeline_page_reads_the_page_not_the_history(seeded: Seeded, plan_mode: str) -> None:
    db, partitions, expected = seeded
    db.execute(f"set plan_cache_mode = {plan_mode}")
    db.execute("prepare page(uuid, int, int) as select id from api.vehicle_timeline($1) limit $2 offset $3")
    for offset in (0, PAGE * 3):
        execute = f"execute page('{LONG_VEHICLE}', {PAGE}, {offset})"  # EXECUTE takes no bind parameters
        got = [r[0] for r in db.execute(execute).fetchall()]
        assert got == expected[offset:offset + PAGE]
        plan = explain(db, execute)
        read = rows_read(event_scans(plan))
        # a merge of the partitions' newest-first index scans reads the page (plus offset) and at most
        # one row ahead in each partition; sorting the history reads all of it
        assert read <= offset + PAGE + partitions, (
            f"{plan_mode}, offset {offset}: read {read} of the vehicle's {len(expected)} events for a page of {PAGE}:\n"
            + json.dumps(plan, indent=1)[:6000]
        )


def test_fleet_overview_reads_only_the_recent_window_when_every_vehicle_has_recent_events(seeded: Seeded) -> None:
    db, _, _ = seeded
    db.execute("reset role")
    # every vehicle of the tenant gets an event yesterday
    db.execute(
        """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
           select tenant_id, id, 'odometer', now() - interval '1 day', 999999, 'km', '{"source": "obd"}'
           from app.vehicles where tenant_id = %s""",
        (TENANT,),
    )
    db.execute("set role app_user")
    db.execute("set plan_cache_mode = force_generic_plan")
    db.execute("prepare overview as select * from api.fleet_overview")
    rows = db.execute("execute overview").fetchall()
    assert len(rows) == VEHICLES_PER_TENANT
    plan = explain(db, "execute overview")
    read, window = rows_read_before_the_window(db, plan)
    assert read == 0, (
        f"the overview read {read} rows from partitions before {window}:\n" + json.dumps(plan, indent=1)[:6000]
    )


def test_analysts_fleet_overview_reads_only_the_recent_window_when_every_tenant_has_recent_events(
    seeded: Seeded
) -> None:
    db, _, _ = seeded
    db.execute("reset role")
    db.execute("select set_config('request.jwt.claims', '', false)")
    # one event yesterday for every tenant with a vehicle
    db.execute(
        """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
           select distinct on (tenant_id) tenant_id, id, 'odometer', now() - interval '1 day', 999999, 'km',
                  '{"source": "obd"}'
           from app.vehicles
           order by tenant_id, id"""
    )
    db.execute("set role analyst")
    plan = explain(db, "select * from analytics.fleet_overview")
    assert plan["Actual Rows"] >= TENANTS
    read, window = rows_read_before_the_window(db, plan)
    assert read == 0, (
        f"the analysts' overview read {read} rows from partitions before {window}:\n"
        + json.dumps(plan, indent=1)[:6000]
    )


def test_fleet_overview_latest_event_and_count(db: psycopg.Connection[Any]) -> None:
    """The latest event comes from the 30-day window when there is one, from further back when not;
    void markers never count; a vehicle (or, for analysts, a tenant) without events has none."""
    db.autocommit = True
    tenant, user = "c3000000-0000-4000-8000-000000000001", "c3000000-0000-4000-8000-0000000000a1"
    names = ["recent", "old", "none", "future", "void"]
    cars = {name: f"c3000000-0000-4000-8000-0000000000c{i}" for i, name in enumerate(names, 1)}
    db.execute("insert into app.tenants (id, name) values (%s, 'Overview')", (tenant,))
    db.execute("insert into app.users (id) values (%s)", (user,))
    db.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'owner')", (tenant, user))
    for name, car in cars.items():
        db.execute("insert into app.vehicles (tenant_id, id, display_name, odometer_unit) values (%s, %s, %s, 'km')",
                   (tenant, car, name))

    def event(car: str, ago: str, kind: str = "note", voids: str | None = None) -> str:
        payload = {
            "note": '{"text": "x"}', "void": '{"reason": "entered twice"}', "inspection": '{"result": "pass"}'
        }[kind]
        return str(one_row(
            db,
            """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload, voids_event_id)
               values (%s, %s, %s, now() - %s::interval, %s, %s)
               returning id""",
            (tenant, car, kind, ago, payload, voids),
        )[0])

    event(cars["recent"], "200 days")
    event(cars["recent"], "3 days")
    event(cars["recent"], "2 days", "inspection")
    event(cars["old"], "400 days")
    event(cars["old"], "90 days", "inspection")
    event(cars["future"], "5 days")
    event(cars["future"], "-10 days", "inspection")  # scheduled: ten days from now
    voided = event(cars["void"], "100 days", "inspection")
    event(cars["void"], "120 days")
    event(cars["void"], "1 day", "void", voids=voided)

    db.execute("set role app_user")
    db.execute("select set_config('request.jwt.claims', %s, false)",
               (json.dumps({"role": "app_user", "sub": user, "tenant_id": tenant}),))
    got = {
        name: (last_type, events, age)
        for name, last_type, events, age in db.execute(
            """select display_name, last_event_type, events_last_30_days,
                      round(extract(epoch from now() - last_event_at) / 86400)::int
               from api.fleet_overview"""
        ).fetchall()
    }
    assert got == {
        "recent": ("inspection", 2, 2),
        "old": ("inspection", 0, 90),
        "none": (None, 0, None),
        "future": ("inspection", 2, -10),
        # the void marker is not an event of the vehicle's history; the voided inspection still shows
        # as the latest (the overview, as before, does not hide voided events)
        "void": ("inspection", 0, 100),
    }

    # the analysts' overview, one row per tenant: this one (recent events, the latest scheduled ahead),
    # one whose events are all older than 30 days, one without events
    db.execute("reset role")
    db.execute("select set_config('request.jwt.claims', '', false)")
    old_tenant, empty_tenant = "c3000000-0000-4000-8000-000000000002", "c3000000-0000-4000-8000-000000000003"
    db.execute("insert into app.tenants (id, name) values (%s, 'Old'), (%s, 'Empty')", (old_tenant, empty_tenant))
    db.execute(
        "insert into app.vehicles (tenant_id, id, display_name) "
        "values (%s, 'c3000000-0000-4000-8000-0000000000d1', 'Old car')",
        (old_tenant,),
    )
    for ago in ("400 days", "45 days"):
        db.execute(
            """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload)
               values (%s, 'c3000000-0000-4000-8000-0000000000d1', 'note', now() - %s::interval, '{"text": "x"}')""",
            (old_tenant, ago))
    db.execute("set role analyst")
    tenants = {
        str(t): (events, age)
        for t, events, age in db.execute(
            """select tenant_id, events_last_30_days, round(extract(epoch from now() - last_event_at) / 86400)::int
               from analytics.fleet_overview where tenant_id = any(%s)""",
            ([tenant, old_tenant, empty_tenant],),
        ).fetchall()
    }
    assert tenants == {tenant: (4, -10), old_tenant: (0, 45), empty_tenant: (0, None)}


def test_new_partitions_get_the_vehicle_implies_tenant_statistics(db: psycopg.Connection[Any]) -> None:
    db.autocommit = True
    tenant, car = "c4000000-0000-4000-8000-000000000001", "c4000000-0000-4000-8000-0000000000c1"
    db.execute("insert into app.tenants (id, name) values (%s, 'Partitions')", (tenant,))
    db.execute("insert into app.vehicles (tenant_id, id, display_name) values (%s, %s, 'Car')", (tenant, car))
    # events of a month without a partition wait in the default partition
    db.execute(
        """insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload)
           select %s, %s, 'note', timestamptz '2032-05-10' + make_interval(hours => n), '{"text": "far ahead"}'
           from generate_series(1, 20) as n""",
        (tenant, car),
    )

    def statistics(partition: str) -> list[tuple[Any, ...]]:
        return db.execute(
            """select s.stxname, s.stxkind::text, d.stxddependencies is not null
               from pg_statistic_ext as s
               left join pg_statistic_ext_data as d on d.stxoid = s.oid
               where s.stxrelid = %s::regclass""",
            (partition,),
        ).fetchall()

    created = [r[0] for r in db.execute("select app.ensure_vehicle_event_partitions('2031-03-01', 0)").fetchall()]
    assert created == ["app.vehicle_events_p2031_03"]
    # (an empty partition: its statistics get data when autovacuum first analyzes it, as rows arrive)
    assert statistics("app.vehicle_events_p2031_03") == [
        ("vehicle_events_p2031_03_vehicle_implies_tenant", "{f}", False)
    ]
    # the partition made from rows moved out of the default partition: statistics, analyzed
    created = [r[0] for r in db.execute("select app.ensure_vehicle_event_partitions('2032-05-01', 0)").fetchall()]
    assert created == ["app.vehicle_events_p2032_05"]
    assert one_row(db, "select count(*) from app.vehicle_events_p2032_05")[0] == 20
    assert statistics("app.vehicle_events_p2032_05") == [
        ("vehicle_events_p2032_05_vehicle_implies_tenant", "{f}", True)
    ]
    # every partition has them, and asking again creates nothing
    missing = one_row(db, """select count(*) from pg_inherits as i
           where i.inhparent = 'app.vehicle_events'::regclass
             and not exists (select from pg_statistic_ext as s
                             where s.stxrelid = i.inhrelid and s.stxname like '%%\\_vehicle\\_implies\\_tenant')""")[0]
    assert missing == 0
    assert one_row(db, "select count(*) from app.ensure_vehicle_event_statistics()")[0] == 0


def test_postgrest_sessions_plan_without_constraint_exclusion(settings: Settings, clone_db: ClonedDatabase) -> None:
    """authenticator (PostgREST's login) gets constraint_exclusion = off in this database only."""

    def setting(user: str) -> str:
        with connect(settings.dsn(clone_db.name, user)) as conn:
            return str(one_row(conn, "show constraint_exclusion")[0])

    assert setting(AUTHENTICATOR_ROLE) == "off"
    assert setting(OWNER_ROLE) == "partition"
    with connect(settings.dsn("postgres", AUTHENTICATOR_ROLE)) as conn:
        assert one_row(conn, "show constraint_exclusion")[0] == "partition", "another database is untouched"
    with clone_db.connect() as conn:
        conn.execute(f'alter role {AUTHENTICATOR_ROLE} in database "{clone_db.name}" reset constraint_exclusion')
    assert setting(AUTHENTICATOR_ROLE) == "partition", "without the role setting the default applies again"
