"""Catalog snapshot: a dozen bulk queries, whatever the database's size.

Every query is scoped to the analysed schemas and leaves out objects that belong
to an extension (pgTAP's functions, PostGIS' tables, ...): they are not ours to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

#: schemas never analysed: PostgreSQL's own and sqitch's registry
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "sqitch", "pg_toast")


@dataclass
class Column:
    num: int
    name: str
    type: str  # format_type, e.g. "timestamp with time zone"
    base_type: str  # typname after resolving domains
    not_null: bool
    has_default: bool
    domain_checked: bool  # a domain with a CHECK, or an enum type


@dataclass
class Constraint:
    name: str
    type: str  # p, u, f, c, x
    columns: list[int]
    definition: str
    validated: bool
    ref_table: int | None = None
    ref_columns: list[int] = field(default_factory=list)
    on_delete: str = "a"
    match: str = "s"


@dataclass
class Index:
    oid: int
    name: str
    schema: str
    table: int
    keys: list[int]  # 0 = expression
    signature: tuple[object, ...]  # what makes two indexes identical
    unique: bool
    primary: bool
    valid: bool
    method: str
    partial: bool
    scans: int | None
    backs_constraint: bool
    definition: str
    predicate: str | None = None


@dataclass
class Trigger:
    name: str
    before_or_instead: bool
    row: bool
    on_insert: bool
    on_update: bool


@dataclass
class Policy:
    oid: int
    name: str
    table: int
    command: str  # r a w d *
    permissive: bool
    roles: list[str]
    using: str | None
    with_check: str | None
    functions: list[int]


@dataclass
class Function:
    oid: int
    schema: str
    name: str
    signature: str
    language: str
    security_definer: bool
    config: list[str]
    volatility: str  # i s v
    returns_set: bool
    return_type: str
    source: str
    sql_body: bool
    public_execute: bool


@dataclass
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # r p v m f
    is_partition: bool
    rls: bool
    rls_forced: bool
    estimated_rows: int | None
    options: list[str]
    owner: str
    columns: list[Column] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    depends_on: list[int] = field(default_factory=list)  # views: relations they read
    exact_rows: int | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_table(self) -> bool:
        return self.kind in ("r", "p")

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def column_names(self, nums: list[int]) -> list[str]:
        by_num = {c.num: c.name for c in self.columns}
        return [by_num.get(n, f"#{n}") for n in nums]

    @property
    def rows(self) -> int | None:
        return self.exact_rows if self.exact_rows is not None else self.estimated_rows


@dataclass
class Extension:
    name: str
    schema: str
    version: str


@dataclass
class Catalog:
    database: str
    server_version: str
    schemas: list[str]
    relations: dict[int, Relation]
    functions: dict[int, Function]
    extensions: list[Extension]
    stats_age_days: float | None

    def tables(self) -> list[Relation]:
        """Ordinary and partitioned tables, partitions left out (their parent stands for them)."""
        return sorted(
            (r for r in self.relations.values() if r.is_table and not r.is_partition),
            key=lambda r: (r.schema, r.name),
        )

    def views(self) -> list[Relation]:
        return sorted((r for r in self.relations.values() if r.kind in ("v", "m")), key=lambda r: (r.schema, r.name))


_SCHEMAS = """
select n.nspname
from pg_namespace n
where n.nspname <> all(%(system)s)
  and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  and not exists (select from pg_depend d
                  where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
order by 1
"""

_NOT_EXTENSION = """not exists (select from pg_depend d
                  where d.classid = {cls}::regclass and d.objid = {oid} and d.deptype = 'e')"""

_RELATIONS = f"""
select c.oid, n.nspname as schema, c.relname as name, c.relkind as kind, c.relispartition as is_partition,
       c.relrowsecurity as rls, c.relforcerowsecurity as rls_forced,
       case when c.reltuples < 0 then null else c.reltuples::bigint end as estimated_rows,
       coalesce(c.reloptions, '{{}}') as options, pg_get_userbyid(c.relowner) as owner
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and {_NOT_EXTENSION.format(cls="'pg_class'", oid="c.oid")}
"""

_COLUMNS = """
select a.attrelid as rel, a.attnum as num, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
       coalesce(bt.typname, t.typname) as base_type, a.attnotnull as not_null, a.atthasdef as has_default,
       (t.typtype = 'e' or (t.typtype = 'd' and exists (
          select from pg_constraint dc where dc.contypid = t.oid and dc.contype = 'c'))) as domain_checked
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
where a.attrelid = any(%(rels)s) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum
"""

_CONSTRAINTS = """
select c.conrelid as rel, c.conname as name, c.contype as type, coalesce(c.conkey, '{}') as columns,
       pg_get_constraintdef(c.oid) as definition, c.convalidated as validated,
       nullif(c.confrelid, 0) as ref_table, coalesce(c.confkey, '{}') as ref_columns,
       c.confdeltype as on_delete, c.confmatchtype as match
from pg_constraint c
where c.conrelid = any(%(rels)s)
  and c.conparentid = 0  -- a partitioned parent's key is checked once, not per partition
order by c.conrelid, c.conname
"""

_INDEXES = """
select i.indexrelid as oid, ic.relname as name, n.nspname as schema, i.indrelid as table,
       i.indkey::int2[] as keys, i.indclass::oid[] as classes, i.indcollation::oid[] as collations,
       i.indoption::int2[] as options, pg_get_expr(i.indexprs, i.indrelid) as exprs,
       pg_get_expr(i.indpred, i.indrelid) as pred, i.indisunique as unique, i.indisprimary as primary,
       i.indisvalid as valid, am.amname as method, s.idx_scan as scans,
       exists (select from pg_constraint k
               where k.conindid = i.indexrelid and k.conrelid = i.indrelid) as backs_constraint,
       pg_get_indexdef(i.indexrelid) as definition
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_namespace n on n.oid = ic.relnamespace
join pg_am am on am.oid = ic.relam
left join pg_stat_user_indexes s on s.indexrelid = i.indexrelid
where i.indrelid = any(%(rels)s)
"""

_TRIGGERS = """
select t.tgrelid as rel, t.tgname as name, t.tgtype as type
from pg_trigger t
where t.tgrelid = any(%(rels)s) and not t.tgisinternal
"""

_POLICIES = """
select p.oid, p.polname as name, p.polrelid as table, p.polcmd as command, p.polpermissive as permissive,
       array(select case when r = 0 then 'public' else pg_get_userbyid(r) end
             from unnest(p.polroles) r order by 1) as roles,
       pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as with_check,
       array(select d.refobjid from pg_depend d
             where d.classid = 'pg_policy'::regclass and d.objid = p.oid
               and d.refclassid = 'pg_proc'::regclass) as functions
from pg_policy p
where p.polrelid = any(%(rels)s)
order by p.polrelid, p.polname
"""

_PARTITIONS = """
with recursive tree as (
  select inhparent as parent, inhrelid as child from pg_inherits where inhparent = any(%(rels)s)
  union all
  select t.parent, i.inhrelid from tree t join pg_inherits i on i.inhparent = t.child
)
select t.parent, t.child from tree t join pg_class c on c.oid = t.child where c.relkind = 'r'
"""

_VIEW_DEPS = """
select distinct r.ev_class as view, d.refobjid as rel
from pg_rewrite r
join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
where r.ev_class = any(%(rels)s) and d.refobjid <> r.ev_class
"""

_FUNCTIONS = f"""
select p.oid, n.nspname as schema, p.proname as name,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as signature,
       l.lanname as language, p.prosecdef as security_definer, coalesce(p.proconfig, '{{}}') as config,
       p.provolatile as volatility, p.proretset as returns_set, p.prorettype::regtype::text as return_type,
       p.prosrc as source, p.prosqlbody is not null as sql_body,
       (p.proacl is null or exists (select from aclexplode(p.proacl) a
                                    where a.grantee = 0 and a.privilege_type = 'EXECUTE')) as public_execute
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where (n.nspname = any(%(schemas)s) or p.oid = any(%(extra)s)) and p.prokind in ('f', 'p')
  and {_NOT_EXTENSION.format(cls="'pg_proc'", oid="p.oid")}
"""

_EXTENSIONS = """
select e.extname as name, n.nspname as schema, e.extversion as version
from pg_extension e join pg_namespace n on n.oid = e.extnamespace
where e.extname <> 'plpgsql'
order by 1
"""

_STATS_AGE = """
select extract(epoch from now() - coalesce(
         (select stats_reset from pg_stat_database where datname = current_database()),
         pg_postmaster_start_time())) / 86400.0
"""


def _trigger(name: str, tgtype: int) -> Trigger:
    return Trigger(
        name=name,
        row=bool(tgtype & 1),
        before_or_instead=bool(tgtype & 2) or bool(tgtype & 64),
        on_insert=bool(tgtype & 4),
        on_update=bool(tgtype & 16),
    )


def _index_signature(r: dict[str, Any]) -> tuple[object, ...]:
    return (r["table"], tuple(r["keys"]), tuple(r["classes"]), tuple(r["collations"]), tuple(r["options"]),
            r["exprs"], r["pred"], r["method"])


def load_catalog(conn: psycopg.Connection, schemas: list[str] | None = None, exact_counts: bool = False) -> Catalog:
    cur = conn.cursor(row_factory=dict_row)
    facts = conn.execute("select current_database(), current_setting('server_version')").fetchone()
    assert facts is not None
    db, version = str(facts[0]), str(facts[1])
    available = [r["nspname"] for r in cur.execute(_SCHEMAS, {"system": list(SYSTEM_SCHEMAS)})]
    chosen = [s for s in available if s in schemas] if schemas else available
    relations: dict[int, Relation] = {}
    for r in cur.execute(_RELATIONS, {"schemas": chosen}):
        rel = Relation(**r)
        if rel.kind == "p":
            rel.estimated_rows = None
        relations[rel.oid] = rel
    rels = list(relations)
    params = {"rels": rels}
    for r in cur.execute(_COLUMNS, params):
        rel = r.pop("rel")
        relations[rel].columns.append(Column(**r))
    for r in cur.execute(_CONSTRAINTS, params):
        relations[r.pop("rel")].constraints.append(Constraint(**r))
    for r in cur.execute(_INDEXES, params):
        relations[r["table"]].indexes.append(
            Index(
                oid=r["oid"], name=r["name"], schema=r["schema"], table=r["table"], keys=list(r["keys"]),
                signature=_index_signature(r), unique=r["unique"], primary=r["primary"], valid=r["valid"],
                method=r["method"], partial=r["pred"] is not None, scans=r["scans"],
                backs_constraint=r["backs_constraint"], definition=r["definition"], predicate=r["pred"],
            )
        )
    for r in cur.execute(_TRIGGERS, params):
        relations[r["rel"]].triggers.append(_trigger(r["name"], r["type"]))
    policy_functions: set[int] = set()
    for r in cur.execute(_POLICIES, params):
        p = Policy(**r)
        relations[p.table].policies.append(p)
        policy_functions.update(p.functions)
    # a partitioned table's own reltuples says nothing: its partitions hold the rows
    for r in cur.execute(_PARTITIONS, params):
        parent, child = relations.get(r["parent"]), relations.get(r["child"])
        if parent and child and parent.kind == "p" and child.estimated_rows is not None:
            parent.estimated_rows = (parent.estimated_rows or 0) + child.estimated_rows
    for r in cur.execute(_VIEW_DEPS, params):
        relations[r["view"]].depends_on.append(r["rel"])
    params_fn = {"schemas": chosen, "extra": list(policy_functions)}
    functions = {r["oid"]: Function(**r) for r in cur.execute(_FUNCTIONS, params_fn)}
    extensions = [Extension(**r) for r in cur.execute(_EXTENSIONS)]
    age = conn.execute(_STATS_AGE).fetchone()
    if exact_counts:
        from psycopg import sql

        for rel in relations.values():
            if rel.is_table and not rel.is_partition:
                q = sql.SQL("select count(*) from {}.{}").format(sql.Identifier(rel.schema), sql.Identifier(rel.name))
                counted = conn.execute(q).fetchone()
                rel.exact_rows = int(counted[0]) if counted else None
    return Catalog(
        database=db, server_version=version, schemas=chosen, relations=relations, functions=functions,
        extensions=extensions, stats_age_days=float(age[0]) if age and age[0] is not None else None,
    )


def builtin_volatility(conn: psycopg.Connection, name: str, cache: dict[str, str | None]) -> str | None:
    """The worst volatility among functions of that name outside the analysed user functions."""
    if name not in cache:
        row = conn.execute(
            "select max(provolatile::text) from pg_proc where proname = %s and pronamespace = "
            "'pg_catalog'::regnamespace",
            (name,),
        ).fetchone()
        # 'v' > 's' > 'i' alphabetically: max gives the worst
        cache[name] = row[0] if row else None
    return cache[name]
