"""Shared helpers for the hardening tests: a catalogue of the API read from the database (so tables
added by later changes are covered without touching these tests), table snapshots (row counts and
checksums), and the seed every hardening test starts from (sql/demo.sql plus two more tenants)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from motovault.core.db import one_row

ROOT = Path(__file__).resolve().parents[2]

DEMO_TENANT = "d0000000-0000-4000-8000-000000000001"
DEMO_OWNER = "d0000000-0000-4000-8000-0000000000a1"

#: columns the server sets itself (stamp_row, defaults, soft delete): a client value is ignored or refused
MANAGED = {"tenant_id", "id", "created_at", "updated_at", "created_by", "updated_by", "deleted_at"}

TEXT_TYPES = {"text", "character varying", "character", "citext"}
INT_TYPES = {"integer", "bigint", "smallint"}
NUMERIC_TYPES = {"numeric", "double precision", "real"}
DATE_TYPES = {"date", "timestamp with time zone", "timestamp without time zone"}
JSON_TYPES = {"json", "jsonb"}


@dataclass
class Column:
    name: str
    type: str
    enum_like: bool = False
    #: False for columns the database computes: generated columns of the base table (fuel_logs.energy_kind)
    #: and view columns that are not a base column (vehicle_events.voided_by_event_id); a client value
    #: is refused (400) like that of a managed column
    writable: bool = True


@dataclass
class Endpoint:
    """An api view (or table) as app_user sees it."""

    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    can_insert: bool = False
    can_update: bool = False
    can_delete: bool = False
    #: the base table allows one live row per tenant (a unique index on tenant_id alone, e.g.
    #: tenant_settings): a bulk of copies clashes with itself, so bulk cases send one valid row
    one_per_tenant: bool = False

    @property
    def path(self) -> str:
        return f"/{self.name}"

    def of(self, types: set[str], *, managed: bool = False) -> list[Column]:
        """Columns of these types a client writes; managed=True adds the managed and computed ones."""
        return [
            c for c in self.columns.values()
            if c.type in types and (managed or (c.name not in MANAGED and c.writable))
        ]

    def body_column(self) -> str:
        """The column hostile bodies aim at: the first client-writable text column or, for a table
        without text (tenant_settings holds integers only), its first client-writable column, where
        a string is invalid input (22P02 -> 400)."""
        text = self.of(TEXT_TYPES)
        if text:
            return text[0].name
        writable_columns = [c.name for c in self.columns.values() if c.name not in MANAGED and c.writable]
        assert writable_columns, f"{self.name} has no client-writable column"
        return writable_columns[0]


def api_endpoints(conn: psycopg.Connection, role: str = "app_user") -> dict[str, Endpoint]:
    """Every relation of the api schema that `role` can read, with its columns and write privileges."""
    rows = conn.execute(
        """
        select c.relname,
               has_table_privilege(%(role)s, c.oid, 'INSERT'),
               has_table_privilege(%(role)s, c.oid, 'UPDATE'),
               has_table_privilege(%(role)s, c.oid, 'DELETE'),
               a.attname,
               format_type(a.atttypid, null),
               c.relkind <> 'v' or (
                   pg_column_is_updatable(c.oid, a.attnum, false)
                   and not exists (
                       select
                       from pg_rewrite as r
                       join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                           and d.refclassid = 'pg_class'::regclass and d.refobjid <> c.oid
                       join pg_attribute as b on b.attrelid = d.refobjid and b.attnum = d.refobjsubid
                       where r.ev_class = c.oid and b.attname = a.attname and b.attgenerated <> ''
                   )
               )
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'api'
          and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and has_table_privilege(%(role)s, c.oid, 'SELECT')
        order by c.relname, a.attnum
        """,
        {"role": role},
    ).fetchall()
    out: dict[str, Endpoint] = {}
    for name, ins, upd, dele, col, typ, col_writable in rows:
        ep = out.setdefault(name, Endpoint(name, can_insert=ins, can_update=upd, can_delete=dele))
        ep.columns[col] = Column(col, typ, writable=col_writable)
    # views whose base table has a unique index on tenant_id alone, for all live rows
    singletons = conn.execute(
        """
        select distinct v.relname
        from pg_class as v
        join pg_rewrite as r on r.ev_class = v.oid
        join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
            and d.refclassid = 'pg_class'::regclass and d.refobjid <> v.oid
        join pg_index as i on i.indrelid = d.refobjid and i.indisunique
        join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
        where v.relnamespace = 'api'::regnamespace
          and i.indnkeyatts = 1 and a.attname = 'tenant_id'
          and coalesce(pg_get_expr(i.indpred, i.indrelid), '(deleted_at IS NULL)') = '(deleted_at IS NULL)'
        """
    ).fetchall()
    for (name,) in singletons:
        if name in out:
            out[name].one_per_tenant = True
    return out


def writable(conn: psycopg.Connection) -> list[Endpoint]:
    """Endpoints app_user can POST to (PATCH cases also need can_update: append-only ones lack it)."""
    return [ep for ep in api_endpoints(conn).values() if ep.can_insert]


# --- snapshots ---------------------------------------------------------------------------------------


def data_tables(conn: psycopg.Connection, schemas: tuple[str, ...] = ("app", "audit")) -> list[str]:
    """Ordinary and partitioned tables (not partitions) of the given schemas, qualified."""
    return [
        r[0]
        for r in conn.execute(
            """
            select format('%%I.%%I', n.nspname, c.relname)
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition
            order by 1
            """,
            (list(schemas),),
        ).fetchall()
    ]


def row_counts(conn: psycopg.Connection, schemas: tuple[str, ...] = ("app", "audit")) -> dict[str, int]:
    return {
        t: one_row(conn, sql.SQL("select count(*) from {}").format(sql.SQL(t)))[0]
        for t in data_tables(conn, schemas)
    }


def table_checksums(
    conn: psycopg.Connection, schemas: tuple[str, ...] = ("app", "audit")
) -> dict[str, tuple[int, str]]:
    """(row count, md5 of the rows as text in a total order) per table: equal means same data."""
    out: dict[str, tuple[int, str]] = {}
    for t in data_tables(conn, schemas):
        count, digest = one_row(
            conn,
            sql.SQL(
                "select count(*), coalesce(md5(string_agg(r::text, E'\\n' order by r::text)), '') from {} as r"
            ).format(
                sql.SQL(t)
            )
        )
        out[t] = (count, digest)
    return out


# --- seed ----------------------------------------------------------------------------------------------


def load_demo(conn: psycopg.Connection) -> None:
    """sql/demo.sql: the demo household with rows in every table the plan has."""
    conn.execute((ROOT / "sql" / "demo.sql").read_text())
