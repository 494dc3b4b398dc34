from __future__ import annotations

from ..events import IndexCreated
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_index(ctx: RuleContext, e: IndexCreated) -> None:
    node, w = e.node, ctx.walker
    if node.if_not_exists or not node.idxname:
        return
    name = node.idxname
    ctx.report(e.obj, e.line, f"Migration {w.file}: CREATE INDEX {name} without IF NOT EXISTS",
               "re-running the migration fails with 'relation already exists'"
               + (" (sqitch records each change and its revert drops the index: info only)" if w.sqitch else ""),
               f"create index {'concurrently ' if node.concurrent else ''}if not exists {name} on ...;",
               level=Level.INFO if w.sqitch else Level.WARNING)


RULE = Rule(
    name="migration_index_without_if_not_exists",
    level=Level.WARNING,
    also_levels=(Level.INFO,),
    level_note="info in a sqitch project: sqitch records each change, and its revert script drops the index",
    category="operations",
    summary="a named CREATE INDEX without IF NOT EXISTS",
    anti_pattern="`CREATE INDEX name ON ...` without `IF NOT EXISTS`.",
    why=(
        "A migration tool that re-runs a file (after a partial failure, or on a database where the index was "
        "created by hand to fix an incident) fails with `relation already exists`."
    ),
    fix="Write `CREATE INDEX IF NOT EXISTS name ON ...` (for a concurrent build, after "
        "`DROP INDEX CONCURRENTLY IF EXISTS name`, see `migration_concurrent_index_if_not_exists`).",
    bad=MigrationExample({"001.sql": BASE + "create index vehicles_vin on vehicles (vin);\n"}),
    good=MigrationExample({"001.sql": BASE + "create index if not exists vehicles_vin on vehicles (vin);\n"}),
    key="migration_index_without_if_not_exists:001.sql:vehicles_vin",
    section="Migrations & operations",
    recommendation="Make index creation idempotent (IF NOT EXISTS)",
    on={IndexCreated: on_index},
)
