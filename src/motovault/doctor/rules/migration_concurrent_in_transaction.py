from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from ..events import StatementSeen
from ..locks import names_rv, rv_key
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext, index_key

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_statement(ctx: RuleContext, e: StatementSeen) -> None:
    w, node = ctx.walker, e.node
    if not w.in_transaction:
        return
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.relation is not None:
        t = w.lookup(node.relation)
        obj = index_key(node) if node.idxname else (t.key if t else rv_key(node.relation))
        what = "CREATE INDEX CONCURRENTLY"
    elif (isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX and node.concurrent
          and node.objects):
        obj, what = rv_key(names_rv(node.objects[0])), "DROP INDEX CONCURRENTLY"
    elif isinstance(node, ast.ReindexStmt) and any(p.defname == "concurrently" for p in node.params or ()):
        obj, what = node.name or rv_key(node.relation), "REINDEX CONCURRENTLY"
    else:
        return
    ctx.report(obj, e.line, f"Migration {w.file}: {what} inside a transaction block",
               f"{what} cannot run inside a transaction block: the deploy fails",
               "move it to its own change/file without begin/commit")


RULE = Rule(
    name="migration_concurrent_in_transaction",
    level=Level.ERROR,
    category="operations",
    summary="CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside BEGIN ... COMMIT",
    anti_pattern="A concurrent index operation between `BEGIN` and `COMMIT` of the script.",
    why="PostgreSQL refuses it: `cannot run inside a transaction block`. The deploy fails every time.",
    fix="Move the concurrent build to a migration (sqitch change) of its own, without `begin;`/`commit;`.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "begin;\n"
                                                      "create index concurrently if not exists vehicles_vin on "
                                                      "vehicles (vin);\n"
                                                      "commit;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "drop index concurrently if exists vehicles_vin;\n"
                                                       "create index concurrently if not exists vehicles_vin on "
                                                       "vehicles (vin);\n"}),
    key="migration_concurrent_in_transaction:002.sql:vehicles_vin",
    section="Migrations & operations",
    recommendation="Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an "
                   "invalid leftover",
    on={StatementSeen: on_statement},
)
