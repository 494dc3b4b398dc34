"""Moving a tenant on Citus: its shard group to another worker (`citus_move_shard_placement`), or the
tenant to shards of its own (`isolate_tenant_to_new_shard`), with logical replication so that the API
keeps reading and writing during the copy.

Why not the bare Citus functions: Citus 13.2.2 replicates the changes made during the copy through a
subscription owned by a role it creates on the target (``citus_shard_move_subscription_role_*`` or
``..._split_...``), a member of the tables' owner without SUPERUSER. Every tenant table of the plan
has FORCE ROW LEVEL SECURITY, so PostgreSQL 15 refuses that role's writes ("user ... cannot replicate
into relation with row-level security enabled"): the subscription never catches up and the move
waits until Citus gives up (citus.logical_replication_timeout). While the move runs, each temporary
subscription role is given BYPASSRLS — the one right a replication apply needs, on a role that only
Citus's apply worker uses and that Citus drops after the move. The apply worker, which retries every
``wal_retrieve_retry_interval`` (5 s), then replays every change from its slot: nothing is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from ..core.errors import MotovaultError

#: the roles Citus creates for the subscriptions of a move or a split
APPLY_ROLES = r"^citus_shard_(move|split)_subscription_role_"

Say = Callable[[str, str], None]
#: a superuser's connection to the node (host, port)
NodeConnect = Callable[[str, int], psycopg.Connection]


@dataclass
class Moved:
    tenant: str
    shard_before: int
    shard_after: int
    node_before: str
    node_after: str
    seconds: float
    apply_roles: list[str] = field(default_factory=list)


def _placement(conn: psycopg.Connection, tenant: str) -> tuple[int, str, int]:
    row = conn.execute(
        "select s.shardid, s.nodename, s.nodeport from citus_shards as s "
        "where s.shardid = get_shard_id_for_distribution_column('app.tenants', %s::uuid)", (tenant,)
    ).fetchone()
    if row is None:
        raise MotovaultError("app.tenants is not distributed here (run motovault citus deploy first)")
    if conn.execute("select from app.tenants where id = %s", (tenant,)).fetchone() is None:
        raise MotovaultError(f"no tenant {tenant}")
    return int(row[0]), str(row[1]), int(row[2])


def let_apply_roles_bypass_rls(conn: psycopg.Connection) -> list[str]:
    """BYPASSRLS for the temporary subscription roles of a running move or split on this node; returns
    the roles it changed. The ALTER ROLE stays on the node (the roles exist only there)."""
    changed = []
    with conn.transaction():
        conn.execute("set local citus.enable_ddl_propagation = off")
        for (role,) in conn.execute(
            "select rolname from pg_roles where rolname ~ %s and not rolbypassrls", (APPLY_ROLES,)
        ).fetchall():
            conn.execute(sql.SQL("alter role {} bypassrls").format(sql.Identifier(role)))
            changed.append(str(role))
    return changed


def _run_with_apply_roles(coordinator: psycopg.Connection, node_connect: NodeConnect, statement: str,
                          params: tuple[object, ...], say: Say) -> tuple[float, list[str]]:
    """``statement`` (a move or a split) on the coordinator, while every worker's temporary
    subscription roles are given BYPASSRLS as they appear (polled twice a second)."""
    workers = [(str(h), int(p)) for h, p in coordinator.execute(
        "select nodename, nodeport from pg_dist_node where isactive and noderole = 'primary' and groupid <> 0"
    ).fetchall()]
    done = threading.Event()
    roles: list[str] = []
    failures: list[BaseException] = []

    def watch() -> None:
        try:
            conns = [node_connect(host, port) for host, port in workers]
            try:
                while not done.wait(0.5):
                    for conn in conns:
                        for role in let_apply_roles_bypass_rls(conn):
                            roles.append(role)
                            say("citus", f"{role} may now write past row security (the apply of the move)")
            finally:
                for conn in conns:
                    conn.close()
        except BaseException as exc:  # reported after the move: the move itself decides the outcome
            failures.append(exc)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    try:
        coordinator.execute(statement, params)
    finally:
        done.set()
        watcher.join(10)
    if failures:
        raise MotovaultError(f"the move finished, but watching its subscription roles failed: {failures[0]}")
    return time.perf_counter() - started, roles


def move_tenant(coordinator: psycopg.Connection, node_connect: NodeConnect, tenant: str,
                to: tuple[str, int] | None, say: Say) -> Moved:
    """The shard group holding ``tenant`` (every co-located table) moved to the worker ``to`` (default:
    the other active worker with the fewest shards), with logical replication."""
    shard, host, port = _placement(coordinator, tenant)
    if to is None:
        row = coordinator.execute(
            "select n.nodename, n.nodeport from pg_dist_node as n "
            "left join pg_dist_placement as p on p.groupid = n.groupid "
            "where n.isactive and n.noderole = 'primary' and n.groupid <> 0 "
            "and (n.nodename, n.nodeport) <> (%s, %s) group by 1, 2 order by count(p.*), 2 limit 1",
            (host, port)).fetchone()
        if row is None:
            raise MotovaultError("there is no other active worker to move to")
        to = (str(row[0]), int(row[1]))
    if to == (host, port):
        raise MotovaultError(f"tenant {tenant} is already on {host}:{port}")
    say("citus", f"moving the shards of tenant {tenant} (shard group {shard}) from {host}:{port} to {to[0]}:{to[1]}")
    seconds, roles = _run_with_apply_roles(
        coordinator, node_connect,
        "select citus_move_shard_placement(%s, %s, %s, %s, %s, shard_transfer_mode => 'force_logical')",
        (shard, host, port, to[0], to[1]), say)
    after, new_host, new_port = _placement(coordinator, tenant)
    return Moved(tenant, shard, after, f"{host}:{port}", f"{new_host}:{new_port}", seconds, roles)


def isolate_tenant(coordinator: psycopg.Connection, node_connect: NodeConnect, tenant: str, say: Say) -> Moved:
    """``tenant`` split off into shards of its own (every co-located table), with logical replication."""
    shard, host, port = _placement(coordinator, tenant)
    say("citus", f"isolating tenant {tenant} from shard group {shard} on {host}:{port}")
    seconds, roles = _run_with_apply_roles(
        coordinator, node_connect,
        "select isolate_tenant_to_new_shard('app.tenants', %s::uuid, 'CASCADE', "
        "shard_transfer_mode => 'force_logical')", (tenant,), say)
    after, new_host, new_port = _placement(coordinator, tenant)
    return Moved(tenant, shard, after, f"{host}:{port}", f"{new_host}:{new_port}", seconds, roles)
