from __future__ import annotations

from ..events import IndexCreated
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_index(ctx: RuleContext, e: IndexCreated) -> None:
    node, w, t = e.node, ctx.walker, e.table
    if not (node.concurrent and node.if_not_exists and node.idxname) or node.idxname in w.dropped_indexes:
        return
    ctx.report(e.obj, e.line,
               f"Migration {w.file}: CREATE INDEX CONCURRENTLY IF NOT EXISTS {node.idxname} would keep an invalid "
               "index",
               "a concurrent build that fails half-way (lock timeout, duplicate key, cancel) leaves an INVALID "
               "index behind; when the change is deployed again, IF NOT EXISTS skips it and the change "
               "succeeds with an index PostgreSQL never uses (and a unique index that enforces nothing)",
               f"drop index concurrently if exists {e.obj};\n"
               f"create index concurrently if not exists {node.idxname} on {t.key} (...);"
               "  -- and verify pg_index.indisvalid in the verify script")


RULE = Rule(
    name="migration_concurrent_index_if_not_exists",
    level=Level.WARNING,
    category="operations",
    summary="CREATE INDEX CONCURRENTLY IF NOT EXISTS without dropping an invalid leftover first",
    anti_pattern="`CREATE INDEX CONCURRENTLY IF NOT EXISTS name` with no `DROP INDEX CONCURRENTLY IF EXISTS name` "
                 "before it in the same file.",
    why=(
        "A concurrent build that fails half-way — lock timeout, a duplicate key for a unique index, a cancel — "
        "leaves an INVALID index behind. Deployed again, `IF NOT EXISTS` sees the name and skips the build: the "
        "migration succeeds, and the index is never used (a unique one enforces nothing)."
    ),
    fix="`DROP INDEX CONCURRENTLY IF EXISTS name;` right before the build, and check `pg_index.indisvalid` "
        "in the verify script.",
    bad=MigrationExample({"001.sql": BASE,
                          "002.sql": "create index concurrently if not exists vehicles_vin on vehicles (vin);\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "drop index concurrently if exists vehicles_vin;\n"
                                                       "create index concurrently if not exists vehicles_vin on "
                                                       "vehicles (vin);\n"}),
    key="migration_concurrent_index_if_not_exists:002.sql:vehicles_vin",
    section="Migrations & operations",
    recommendation="Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an "
                   "invalid leftover",
    on={IndexCreated: on_index},
)
