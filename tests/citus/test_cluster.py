"""The local Citus cluster of `make test-citus` (a coordinator and two workers, `motovault citus up`):
what the scale-out rests on, on a probe table distributed by tenant_id like the plan's tenant tables.

* both workers are active and every node runs the Citus build motovault is tested with;
* rows of many tenants spread over both workers, and a tenant's rows stay on one shard;
* a filter on tenant_id with a literal or a bind parameter (what PostgREST sends for tenant_id=eq.<id>)
  is a router query (one task, one shard); the same filter through a function of the session is not;
* a shard moves to the other worker while writers keep inserting: nothing is lost, nothing fails;
* `motovault citus status` warns of a co-location group whose tables have two owners (such a group
  loses the rows written during a move: docs/citus.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from motovault.core.db import connect
from motovault.stack import citus
from motovault.stack.citus_build import CITUS_VERSION
from motovault.stack.settings import OWNER_ROLE, SUPERUSER, load_settings

pytestmark = pytest.mark.citus


@pytest.fixture(scope="module")
def cluster() -> citus.CitusCluster:
    made = citus.local_citus(load_settings())
    citus.up(made, lambda step, message: None)
    return made


@pytest.fixture
def probe(cluster: citus.CitusCluster) -> Iterator[psycopg.Connection]:
    """A probe table distributed by tenant_id, with 20 tenants of 5 rows each, dropped after the test.
    Like every table of the plan it belongs to the owner role: it joins the co-location group of the
    plan's tables when the plan is deployed in this database, and a group of two owners loses rows in
    a move (test_status_warns_of_a_co_location_group_with_two_owners)."""
    with connect(cluster.dsn(cluster.coordinator, cluster.settings.db_name)) as conn:
        conn.autocommit = True
        conn.execute("drop schema if exists citus_probe cascade")
        conn.execute(sql.SQL("create schema citus_probe authorization {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute("create table citus_probe.readings (tenant_id uuid not null, id bigserial, value int not null,"
                     " primary key (tenant_id, id))")
        conn.execute(sql.SQL("alter table citus_probe.readings owner to {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute("select create_distributed_table('citus_probe.readings', 'tenant_id')")
        conn.execute("insert into citus_probe.readings (tenant_id, value) "
                     "select t.id, g from (select gen_random_uuid() as id from generate_series(1, 20)) as t, "
                     "generate_series(1, 5) as g")
        try:
            yield conn
        finally:
            conn.execute("drop schema citus_probe cascade")


def test_both_workers_are_active_and_every_node_runs_the_tested_citus(cluster: citus.CitusCluster) -> None:
    assert [port for _, port in citus.active_workers(cluster)] == [cluster.port + 1, cluster.port + 2]
    for node in cluster.nodes:
        with connect(cluster.dsn(node, cluster.settings.db_name)) as conn:
            version = conn.execute("select citus_version()").fetchone()
            assert version is not None and str(version[0]).startswith(f"Citus {CITUS_VERSION} ")


def test_tenants_spread_over_both_workers_and_each_stays_on_one_shard(probe: psycopg.Connection) -> None:
    per_worker = probe.execute(
        "select p.nodeport, count(distinct r.tenant_id) from citus_probe.readings as r "
        "join citus_shards as p "
        "on p.shardid = get_shard_id_for_distribution_column('citus_probe.readings', r.tenant_id) "
        "group by 1").fetchall()
    assert len(per_worker) == 2 and sum(n for _, n in per_worker) == 20
    shards_per_tenant = probe.execute(
        "select count(distinct get_shard_id_for_distribution_column('citus_probe.readings', tenant_id)) "
        "from citus_probe.readings group by tenant_id").fetchall()
    assert {n for (n,) in shards_per_tenant} == {1}


def _tasks(conn: psycopg.Connection, sql: str, params: tuple[object, ...] = ()) -> int:
    plan = "\n".join(row[0] for row in conn.execute("explain " + sql, params).fetchall())
    counts = [int(line.split(":")[1]) for line in plan.splitlines() if "Task Count:" in line]
    assert counts, plan
    return counts[0]


def test_a_literal_or_a_bind_parameter_routes_to_one_shard_a_session_function_does_not(
    probe: psycopg.Connection,
) -> None:
    tenant = probe.execute("select tenant_id from citus_probe.readings limit 1").fetchone()
    assert tenant is not None
    assert _tasks(probe, f"select sum(value) from citus_probe.readings where tenant_id = '{tenant[0]}'") == 1
    with probe.cursor() as cur:  # a server-side prepared statement, as PostgREST sends it
        cur.execute("prepare by_tenant(uuid) as select sum(value) from citus_probe.readings where tenant_id = $1")
        for _ in range(7):  # past the custom plans: the generic plan must still route
            assert _tasks(probe, f"execute by_tenant('{tenant[0]}')") == 1
        cur.execute("deallocate by_tenant")
    probe.execute("select set_config('probe.tenant', %s, false)", (str(tenant[0]),))
    fanned = _tasks(probe, "select sum(value) from citus_probe.readings "
                           "where tenant_id = current_setting('probe.tenant')::uuid")
    shards = probe.execute("select count(*) from citus_shards where table_name = 'citus_probe.readings'::regclass"
                           ).fetchone()
    assert shards is not None and fanned == shards[0] > 1


def test_a_shard_moves_to_the_other_worker_while_writers_insert_and_nothing_is_lost(
    cluster: citus.CitusCluster, probe: psycopg.Connection
) -> None:
    tenant = uuid.uuid4()
    placed = probe.execute(
        "select s.shardid, s.nodeport from citus_shards as s where s.table_name = 'citus_probe.readings'::regclass "
        "and s.shardid = get_shard_id_for_distribution_column('citus_probe.readings', %s)", (tenant,)).fetchone()
    assert placed is not None
    shard, port = placed
    target = cluster.port + 1 if port == cluster.port + 2 else cluster.port + 2
    stop = threading.Event()
    written: list[int] = []
    errors: list[str] = []

    def writer() -> None:
        with connect(cluster.dsn(cluster.coordinator, cluster.settings.db_name)) as conn:
            conn.autocommit = True
            while not stop.is_set():
                try:
                    conn.execute("insert into citus_probe.readings (tenant_id, value) values (%s, %s)",
                                 (tenant, len(written)))
                    written.append(1)
                except psycopg.Error as exc:
                    errors.append(str(exc).splitlines()[0])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        probe.execute("select citus_move_shard_placement(%s, '127.0.0.1', %s, '127.0.0.1', %s, "
                      "shard_transfer_mode => 'force_logical')", (shard, port, target))
    finally:
        stop.set()
        thread.join(30)
    moved = probe.execute("select nodeport from citus_shards where shardid = %s", (shard,)).fetchone()
    count = probe.execute("select count(*) from citus_probe.readings where tenant_id = %s", (tenant,)).fetchone()
    assert errors == []
    assert moved == (target,)
    assert count is not None and count[0] == len(written) > 0


def test_status_says_every_node_runs_and_names_the_workers(cluster: citus.CitusCluster) -> None:
    r = subprocess.run([sys.executable, "-m", "motovault", "citus", "status", "--json"], text=True,
                       capture_output=True, check=False)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["citus"] == CITUS_VERSION
    assert [n["running"] for n in st["nodes"]] == [True, True, True]
    assert st["active_workers"] == [f"127.0.0.1:{cluster.port + 1}", f"127.0.0.1:{cluster.port + 2}"]


def test_status_warns_of_a_co_location_group_with_two_owners(probe: psycopg.Connection) -> None:
    """Found by the move above: with the probe table owned by the superuser and the plan's tables (same
    group) by the owner role, moves from worker 2 to worker 1 kept only the rows copied before the move
    (2 of 2 runs), moves the other way every row (2 of 2); with one owner, 7 of 7 moves kept every row."""
    def status() -> tuple[dict[str, object], str]:
        as_json = subprocess.run([sys.executable, "-m", "motovault", "citus", "status", "--json"], text=True,
                                 capture_output=True, check=False)
        as_text = subprocess.run([sys.executable, "-m", "motovault", "citus", "status"], text=True,
                                 capture_output=True, check=False)
        assert as_json.returncode == 0 and as_text.returncode == 0, as_json.stderr + as_text.stderr
        return json.loads(as_json.stdout), as_text.stdout

    before, _ = status()
    probe.execute("create table citus_probe.others (tenant_id uuid not null, id bigserial, "
                  "primary key (tenant_id, id))")
    probe.execute("select create_distributed_table('citus_probe.others', 'tenant_id', "
                  "colocate_with => 'citus_probe.readings')")
    after, text = status()
    group = probe.execute("select colocationid from pg_dist_partition "
                          "where logicalrelid = 'citus_probe.readings'::regclass").fetchone()
    assert group is not None
    assert all(g["colocation_id"] != group[0] for g in before["mixed_owners"])  # type: ignore[attr-defined]
    mixed = [g for g in after["mixed_owners"] if g["colocation_id"] == group[0]]  # type: ignore[attr-defined]
    assert len(mixed) == 1 and mixed[0]["owners"] == sorted([OWNER_ROLE, SUPERUSER])
    assert f"co-location group {group[0]} has tables of 2 owners" in text
