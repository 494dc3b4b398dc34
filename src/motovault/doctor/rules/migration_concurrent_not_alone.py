from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType
from pglast.stream import RawStream

from ..events import FileEnded
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext, index_key

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"
#: statements that may share a file with a concurrent build: they leave nothing half-done behind
_HARMLESS = (ast.VariableSetStmt, ast.TransactionStmt, ast.SelectStmt, ast.CommentStmt, ast.VacuumStmt)


def _deparse(node: ast.Node) -> str:
    try:
        text = str(RawStream()(node))
    except Exception:  # noqa: BLE001 - any deparser gap: fall back to the node type
        return type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _concurrent(node: ast.Node) -> bool:
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(p.defname == "concurrently" for p in node.params or ())
    return False


def on_file_ended(ctx: RuleContext, e: FileEnded) -> None:
    builds = [(line, index_key(node)) for line, node in e.statements
              if isinstance(node, ast.IndexStmt) and node.concurrent]
    if not builds:
        return
    others = [(line, _deparse(node)) for line, node in e.statements
              if not (isinstance(node, ast.IndexStmt) and node.concurrent) and not _concurrent(node)
              and not isinstance(node, _HARMLESS)]
    if not others:
        return
    line, index = builds[0]
    listed = "; ".join(f"line {ln}: {text}" for ln, text in others[:3]) + (" ..." if len(others) > 3 else "")
    ctx.report(index, line, f"Migration {e.file}: CREATE INDEX CONCURRENTLY shares its change with other statements",
               "a script without a transaction is not atomic: if the index build fails (lock timeout, "
               "duplicate key, cancel), what ran before it stays applied while the change is recorded as "
               f"failed, and the next deploy runs it again. Other statements: {listed}",
               "put the concurrent index build(s) in a change of their own, without begin/commit, containing only "
               "set lock_timeout, drop index concurrently if exists and create index concurrently")


RULE = Rule(
    name="migration_concurrent_not_alone",
    level=Level.WARNING,
    category="operations",
    summary="a concurrent index build shares its migration with other statements",
    anti_pattern="A file with `CREATE INDEX CONCURRENTLY` and other statements that change something "
                 "(`SET`, `SELECT`, `COMMENT`, `VACUUM` and concurrent drops are fine).",
    why=(
        "A concurrent build cannot run in a transaction, so the file is not atomic: when the build fails "
        "(lock timeout, duplicate key, cancel), what ran before it stays applied while the migration is recorded "
        "as failed — and the next deploy runs it again, on a half-changed schema."
    ),
    fix="Give the concurrent build(s) a migration of their own: `set lock_timeout`, "
        "`drop index concurrently if exists`, `create index concurrently`, nothing else.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\n"
                                                      "alter table vehicles add column label text;\n"
                                                      "drop index concurrently if exists vehicles_label;\n"
                                                      "create index concurrently if not exists vehicles_label on "
                                                      "vehicles (label);\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "set lock_timeout = '5s';\nalter table vehicles add column "
                                                       "label text;\n",
                           "003.sql": "set lock_timeout = '5s';\ndrop index concurrently if exists vehicles_label;\n"
                                      "create index concurrently if not exists vehicles_label on vehicles (label);\n"}),
    key="migration_concurrent_not_alone:002.sql:vehicles_label",
    section="Migrations & operations",
    recommendation="Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an "
                   "invalid leftover",
    on={FileEnded: on_file_ended},
)
