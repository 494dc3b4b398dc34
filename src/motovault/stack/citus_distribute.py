"""Distributing a deployed motovault database on Citus: the step that takes a database that grew on
one node (the whole plan deployed, every table local) to a Citus cluster.

Why after the deploy and not as each table is created: early changes of the plan, which are immutable,
do what Citus refuses once its extension is in the database (docs/citus.md). The placement of each
table is the one its deploy script gives ``app.distribute_table`` (tenant, reference or local), except
``app.tenants``, which is distributed by its ``id`` co-located with the tenant tables (a tenant's own
row, and what its triggers write, stay on its shard; a trigger on a reference table would run on every
node).

Steps, each idempotent (a second run only reports what is already done):
1. the foreign keys between the plan's tables are dropped (saved first);
2. reference tables, then the tenant tables by tenant_id, co-located with each other;
3. the foreign keys are added back (one at a time: Citus then picks the right mode for each);
4. the plan's functions are distributed, so that triggers running on the workers find the helpers
   they call (those that refer to coordinator-only tables stay on the coordinator, where they run).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from ..core.errors import MotovaultError
from ..core.paths import project_root

SCHEMAS = ("app", "audit", "auth_private")
FUNCTION_SCHEMAS = ("app", "audit", "auth_private", "api", "analytics")
#: tables distributed by another column than tenant_id (the column holds the tenant's id)
DISTRIBUTE_BY = {"app.tenants": "id"}
#: the first tenant table: the others are co-located with it
ANCHOR = "app.tenants"

CALL = re.compile(r"app\.distribute_table\(\s*'([a-z_]+\.[a-z_0-9]+)'\s*,\s*'(tenant|reference|local)'\s*\)")

Say = Callable[[str, str], None]


def placements(root: Path | None = None) -> dict[str, str]:
    """Table -> tenant | reference | local, from the deploy scripts' app.distribute_table calls (a
    rework's copy, name@tag.sql, holds the same call as the script it copies)."""
    found: dict[str, str] = {}
    for script in sorted((root or project_root()).joinpath("deploy").glob("*.sql")):
        for table, placement in CALL.findall(script.read_text()):
            found[table] = placement
    for table in DISTRIBUTE_BY:
        found[table] = "tenant"
    return found


@dataclass
class Report:
    distributed: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    foreign_keys: int = 0
    functions: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _ident(conn: psycopg.Connection, name: str) -> str:
    return sql.Identifier(name).as_string(conn)


def _check_cluster(conn: psycopg.Connection) -> None:
    if conn.execute("select from pg_extension where extname = 'citus'").fetchone() is None:
        raise MotovaultError("this database has no citus extension (create extension citus, then add the workers)")
    row = conn.execute("select count(*) from citus_get_active_worker_nodes()").fetchone()
    if row is None or row[0] == 0:
        raise MotovaultError("the coordinator has no active worker (select citus_add_node(host, port) first)")


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition order by 1",
        (list(SCHEMAS),),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _citus_tables(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute("select table_name::text, citus_table_type from citus_tables").fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _foreign_keys(conn: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    """(table, name, definition, referenced table) of the foreign keys between the plan's tables."""
    rows = conn.execute(
        "select c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text "
        "from pg_constraint as c join pg_namespace as n on n.oid = c.connamespace "
        "where c.contype = 'f' and c.conparentid = 0 and n.nspname = any(%s) order by 1, 2",
        (list(SCHEMAS),),
    ).fetchall()
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def distribute(conn: psycopg.Connection, say: Say, root: Path | None = None) -> Report:
    """Distribute the plan's tables and functions in the database of ``conn`` (a superuser's
    connection in autocommit: Citus creates the schemas and views the tables need on the workers as
    the connected role). The tables, their foreign keys included, in one transaction."""
    started = time.monotonic()
    report = Report()
    _check_cluster(conn)
    placed = placements(root)
    tables = _tables(conn)
    unknown = [t for t in tables if t not in placed]
    if unknown:
        raise MotovaultError(f"no placement for {', '.join(unknown)} (its deploy script calls no app.distribute_table)")
    done = _citus_tables(conn)
    todo_reference = [t for t in tables if placed[t] == "reference" and t not in done]
    todo_tenant = [t for t in tables if placed[t] == "tenant" and t not in done]
    keys = _foreign_keys(conn) if todo_reference or todo_tenant else []
    # one transaction: a failure anywhere leaves the database as it was (foreign keys included)
    try:
        _distribute_tables(conn, say, report, placed, keys, todo_reference, todo_tenant)
    except psycopg.Error as exc:
        raise MotovaultError(f"distributing failed, nothing was changed: {str(exc).splitlines()[0]}") from None
    report.functions = _distribute_functions(conn, report)
    say("citus", f"distributed {report.functions} functions")
    report.seconds = time.monotonic() - started
    return report


def _distribute_tables(
    conn: psycopg.Connection,
    say: Say,
    report: Report,
    placed: dict[str, str],
    keys: list[tuple[str, str, str, str]],
    todo_reference: list[str],
    todo_tenant: list[str],
) -> None:
    with conn.transaction():
        conn.execute("set local citus.enable_unsafe_triggers = on")
        # foreign keys to reference tables after shards were written need one connection per node
        conn.execute("set local citus.multi_shard_modify_mode = 'sequential'")
        for table, name, _, _ in keys:
            conn.execute(f"alter table {table} drop constraint {_ident(conn, name)}")
        if keys:
            say("citus", f"dropped {len(keys)} foreign keys (added back below, in the same transaction)")
        for table in todo_reference:
            conn.execute("select create_reference_table(%s)", (table,))
            report.reference.append(table)
        if todo_reference:
            say("citus", f"{len(todo_reference)} reference tables: {', '.join(todo_reference)}")
        ordered = sorted(todo_tenant, key=lambda t: (t != ANCHOR, t))
        for i, table in enumerate(ordered, 1):
            column = DISTRIBUTE_BY.get(table, "tenant_id")
            if table == ANCHOR:
                conn.execute("select create_distributed_table(%s, %s)", (table, column))
            else:
                conn.execute("select create_distributed_table(%s, %s, colocate_with => %s)", (table, column, ANCHOR))
            report.distributed.append(table)
            if i % 10 == 0 or i == len(ordered):
                say("citus", f"distributed {i}/{len(ordered)} tenant tables ({table})")
        for table, name, definition, referenced in keys:
            if placed.get(table) == "local" and placed.get(referenced) == "tenant":
                report.skipped.append(f"{table}.{name}: a coordinator-only table cannot reference a distributed one")
                continue
            conn.execute(f"alter table {table} add constraint {_ident(conn, name)} {definition}")
            report.foreign_keys += 1
        if keys:
            say("citus", f"added back {report.foreign_keys} foreign keys ({len(report.skipped)} left out)")


def _distribute_functions(conn: psycopg.Connection, report: Report) -> int:
    rows = conn.execute(
        "select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace "
        "where n.nspname = any(%s) and p.prokind in ('f', 'p') "
        "and not exists (select from pg_dist_object as o where o.classid = 'pg_proc'::regclass and o.objid = p.oid) "
        "order by p.oid",
        (list(FUNCTION_SCHEMAS),),
    ).fetchall()
    count = 0
    for (function,) in rows:
        try:
            with conn.transaction():
                conn.execute("select create_distributed_function(%s::regprocedure)", (function,))
            count += 1
        except psycopg.Error as exc:
            why = str(exc).splitlines()[0]
            if "current transaction is aborted" in why:  # the worker could not create it: see its warning
                why = "its body refers to a table only the coordinator has"
            report.skipped.append(f"{function}: stays on the coordinator ({why})")
    return count
