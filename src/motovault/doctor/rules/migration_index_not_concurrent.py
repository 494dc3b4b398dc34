from __future__ import annotations

from pglast.enums import ConstrType

from ..events import ConstraintAdded, IndexCreated
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
_BUILDS_INDEX = (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_EXCLUSION)


def on_index(ctx: RuleContext, e: IndexCreated) -> None:
    w, t, node = ctx.walker, e.table, e.node
    if w.is_new(t) or node.concurrent:
        return
    name = node.idxname or f"index on {t.key}"
    ctx.report(e.obj, e.line,
               f"Migration {w.file}: CREATE INDEX {name} on existing table {t.key} without CONCURRENTLY",
               f"{t.key} is {w.where(t)}; a plain CREATE INDEX blocks writes for the whole build",
               f"drop index concurrently if exists {e.obj if node.idxname else '...'};\n"
               f"create index concurrently if not exists {node.idxname or '...'} on {t.key} (...);"
               "  -- in a change of its own, outside a transaction (sqitch: no begin/commit)")


def on_constraint(ctx: RuleContext, e: ConstraintAdded) -> None:
    con = e.constraint
    if e.new or con.contype not in _BUILDS_INDEX or con.indexname:
        return
    w, t = ctx.walker, e.table
    kind = {ConstrType.CONSTR_UNIQUE: "UNIQUE", ConstrType.CONSTR_PRIMARY: "PRIMARY KEY"}.get(con.contype, "EXCLUDE")
    cname = con.conname or f"{kind.lower()} ({e.column or 'unnamed'})"
    ctx.report(f"{t.key}.{cname}", e.line,
               f"Migration {w.file}: {kind} constraint {cname} on existing table {t.key} builds its index without "
               "CONCURRENTLY",
               f"{t.key} is {w.where(t)}; the index is built under the ALTER TABLE's ACCESS EXCLUSIVE lock: "
               "no reads or writes for the whole build",
               f"create unique index concurrently if not exists {con.conname or 'x'}_idx on {t.key} (...);  -- its "
               "own change\n"
               f"alter table {t.key} add constraint {con.conname or '...'} {kind.lower()} using index "
               f"{con.conname or 'x'}_idx;  -- next change")


RULE = Rule(
    name="migration_index_not_concurrent",
    level=Level.WARNING,
    category="operations",
    summary="an index on an existing table is built without CONCURRENTLY (also by a UNIQUE/PRIMARY KEY constraint)",
    anti_pattern="`CREATE INDEX` without `CONCURRENTLY` on a table an earlier migration created, or "
                 "`ALTER TABLE ... ADD UNIQUE / PRIMARY KEY / EXCLUDE` that builds its index in place.",
    why=(
        "A plain CREATE INDEX holds a SHARE lock for the whole build: no INSERT, UPDATE or DELETE on the table "
        "until it ends. A constraint that builds its index does it under the ALTER TABLE's ACCESS EXCLUSIVE lock: "
        "not even reads. On a big table that is minutes of downtime."
    ),
    fix=(
        "Build the index with `CREATE INDEX CONCURRENTLY` in a migration of its own, outside a transaction; for a "
        "constraint, then `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...` in the next one."
    ),
    bad=MigrationExample({"001.sql": BASE, "002.sql": "create index if not exists vehicles_vin on vehicles (vin);\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "drop index concurrently if exists vehicles_vin;\n"
                                                       "create index concurrently if not exists vehicles_vin on "
                                                       "vehicles (vin);\n"}),
    key="migration_index_not_concurrent:002.sql:vehicles_vin",
    section="Migrations & operations",
    recommendation="Build indexes on live tables CONCURRENTLY",
    on={IndexCreated: on_index, ConstraintAdded: on_constraint},
)
