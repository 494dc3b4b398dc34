"""Which tables a statement locks, and how; the lock_timeout a script has set so far.

Locks: a statement that must wait for a lock that blocks writes (SHARE or stronger) on an existing
table (ALTER TABLE, CREATE INDEX without CONCURRENTLY, CREATE TRIGGER, CREATE/ALTER/DROP POLICY,
DROP TRIGGER/INDEX/TABLE, renames, TRUNCATE, LOCK TABLE, a foreign key or a partition that points
at it, ...) waits behind any long transaction on that table, and every query on the table queues
behind it. Used by the migration lints and by the deploy error messages (:func:`failure_point`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType, ReindexObjectType, TransactionStmtKind, VariableSetKind

from .parsing import parse_statements


class LockMode(IntEnum):
    """PostgreSQL's table lock modes, weakest first (the numbers are LockStmt's)."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def stops(self) -> str:
        """What ordinary traffic it stops while it waits and while it is held."""
        if self == LockMode.ACCESS_EXCLUSIVE:
            return "reads and writes"
        if self >= LockMode.SHARE:
            return "writes"
        return "other schema changes only"


@dataclass
class LockTarget:
    relation: ast.RangeVar  # a table, or an index when is_index
    mode: LockMode
    what: str  # the statement, for messages: "ALTER TABLE", "CREATE TRIGGER vehicles_audit"
    is_index: bool = False


def rv_key(rv: ast.RangeVar | None) -> str:
    """schema.name, or name when unqualified."""
    if rv is None:
        return "?"
    return f"{rv.schemaname}.{rv.relname}" if rv.schemaname else str(rv.relname)


def names_rv(names: tuple[Any, ...] | list[Any] | None) -> ast.RangeVar:
    """A RangeVar of a qualified name given as String nodes (DROP ... objects)."""
    parts = [n.sval for n in names or ()]
    return ast.RangeVar(relname=parts[-1] if parts else "?", schemaname=parts[-2] if len(parts) > 1 else None)


def _rv(value: object) -> ast.RangeVar:
    return value if isinstance(value, ast.RangeVar) else ast.RangeVar(relname="?")


_SUBCOMMAND_MODES = {
    **{t: LockMode.SHARE_UPDATE_EXCLUSIVE for t in (
        AlterTableType.AT_SetStatistics, AlterTableType.AT_SetOptions, AlterTableType.AT_ResetOptions,
        AlterTableType.AT_ValidateConstraint, AlterTableType.AT_ClusterOn, AlterTableType.AT_DropCluster,
        AlterTableType.AT_AttachPartition)},
    **{t: LockMode.SHARE_ROW_EXCLUSIVE for t in (
        AlterTableType.AT_EnableTrig, AlterTableType.AT_EnableAlwaysTrig, AlterTableType.AT_EnableReplicaTrig,
        AlterTableType.AT_DisableTrig, AlterTableType.AT_EnableTrigAll, AlterTableType.AT_DisableTrigAll,
        AlterTableType.AT_EnableTrigUser, AlterTableType.AT_DisableTrigUser)},
}


def _subcommand_mode(cmd: ast.AlterTableCmd) -> LockMode:
    con = cmd.def_
    if (cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(con, ast.Constraint)
            and con.contype == ConstrType.CONSTR_FOREIGN):
        return LockMode.SHARE_ROW_EXCLUSIVE
    return _SUBCOMMAND_MODES.get(cmd.subtype, LockMode.ACCESS_EXCLUSIVE) if cmd.subtype else LockMode.ACCESS_EXCLUSIVE


def foreign_keys(elements: tuple[Any, ...] | None) -> list[ast.Constraint]:
    """Foreign keys among table elements / ALTER TABLE subcommands (table and column constraints)."""
    out: list[ast.Constraint] = []
    for item in elements or ():
        el = item.def_ if isinstance(item, ast.AlterTableCmd) else item
        if isinstance(el, ast.ColumnDef):
            out += [c for c in el.constraints or () if c.contype == ConstrType.CONSTR_FOREIGN]
        elif isinstance(el, ast.Constraint) and el.contype == ConstrType.CONSTR_FOREIGN:
            out.append(el)
    return out


def _referenced(fks: list[ast.Constraint], what: str) -> list[LockTarget]:
    """A foreign key takes SHARE ROW EXCLUSIVE on the table it references (to add its triggers)."""
    out = []
    for fk in fks:
        name = f" {fk.conname}" if fk.conname else ""
        out.append(LockTarget(_rv(fk.pktable), LockMode.SHARE_ROW_EXCLUSIVE, f"{what} (foreign key{name} to it)"))
    return out


def _alter_table_locks(node: ast.AlterTableStmt) -> list[LockTarget]:
    if node.objtype not in (ObjectType.OBJECT_TABLE, None):
        return []
    mode = max((_subcommand_mode(c) for c in node.cmds or ()), default=LockMode.ACCESS_EXCLUSIVE)
    return [LockTarget(_rv(node.relation), mode, "ALTER TABLE"), *_referenced(foreign_keys(node.cmds), "ALTER TABLE")]


def _create_table_locks(node: ast.CreateStmt) -> list[LockTarget]:
    key = rv_key(node.relation)
    what = f"CREATE TABLE {key}"
    fks = [fk for fk in foreign_keys(node.tableElts) + foreign_keys(node.constraints) if rv_key(fk.pktable) != key]
    out = _referenced(fks, what)  # (a reference to itself locks nothing that exists)
    if node.partbound is not None and node.inhRelations:
        out.append(LockTarget(_rv(node.inhRelations[0]), LockMode.ACCESS_EXCLUSIVE, f"{what} PARTITION OF it"))
    return out


def _drop_locks(node: ast.DropStmt) -> list[LockTarget]:
    kind = node.removeType
    if kind == ObjectType.OBJECT_TABLE:
        return [LockTarget(names_rv(n), LockMode.ACCESS_EXCLUSIVE, "DROP TABLE") for n in node.objects or ()]
    if kind == ObjectType.OBJECT_INDEX:
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE if node.concurrent else LockMode.ACCESS_EXCLUSIVE
        return [LockTarget(names_rv(n), mode, f"DROP INDEX {n[-1].sval}", is_index=True) for n in node.objects or ()]
    labels = {ObjectType.OBJECT_TRIGGER: "TRIGGER", ObjectType.OBJECT_POLICY: "POLICY", ObjectType.OBJECT_RULE: "RULE"}
    if kind in labels:
        return [LockTarget(names_rv(n[:-1]), LockMode.ACCESS_EXCLUSIVE, f"DROP {labels[kind]} {n[-1].sval}")
                for n in node.objects or () if len(n) > 1]
    return []


_RENAMES_LOCKING_TABLE = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_TABCONSTRAINT,
                          ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY, ObjectType.OBJECT_RULE)


def _rename_locks(node: ast.RenameStmt) -> list[LockTarget]:
    if node.relation is None or node.renameType not in _RENAMES_LOCKING_TABLE:
        return []
    if node.renameType == ObjectType.OBJECT_COLUMN and node.relationType != ObjectType.OBJECT_TABLE:
        return []
    return [LockTarget(node.relation, LockMode.ACCESS_EXCLUSIVE, "ALTER TABLE ... RENAME")]


def _reindex_locks(node: ast.ReindexStmt) -> list[LockTarget]:
    if node.relation is None:
        return []
    concurrent = any(p.defname == "concurrently" for p in node.params or ())
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.ACCESS_EXCLUSIVE
        return [LockTarget(node.relation, mode, "REINDEX INDEX", is_index=True)]
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.SHARE
    return [LockTarget(node.relation, mode, "REINDEX TABLE")]


def _index_locks(n: ast.IndexStmt) -> list[LockTarget]:
    what = f"CREATE INDEX {'CONCURRENTLY ' if n.concurrent else ''}{n.idxname or ''}".strip()
    return [LockTarget(_rv(n.relation), LockMode.SHARE_UPDATE_EXCLUSIVE if n.concurrent else LockMode.SHARE, what)]


def _lock_locks(n: ast.LockStmt) -> list[LockTarget]:
    if n.nowait:
        return []
    mode = LockMode(n.mode or LockMode.ACCESS_EXCLUSIVE)
    return [LockTarget(r, mode, f"LOCK TABLE IN {mode.label} MODE") for r in n.relations or ()]


_LOCKERS: dict[type[Any], Callable[[Any], list[LockTarget]]] = {
    ast.AlterTableStmt: _alter_table_locks,
    ast.CreateStmt: _create_table_locks,
    ast.DropStmt: _drop_locks,
    ast.RenameStmt: _rename_locks,
    ast.ReindexStmt: _reindex_locks,
    ast.IndexStmt: _index_locks,
    ast.CreateTrigStmt: lambda n: [LockTarget(_rv(n.relation), LockMode.SHARE_ROW_EXCLUSIVE, "CREATE TRIGGER "
                                                                                             f"{n.trigname}")],
    ast.CreatePolicyStmt: lambda n: [LockTarget(_rv(n.table), LockMode.ACCESS_EXCLUSIVE, "CREATE POLICY "
                                                                                         f"{n.policy_name}")],
    ast.AlterPolicyStmt: lambda n: [LockTarget(_rv(n.table), LockMode.ACCESS_EXCLUSIVE, "ALTER POLICY "
                                                                                        f"{n.policy_name}")],
    ast.RuleStmt: lambda n: [LockTarget(_rv(n.relation), LockMode.ACCESS_EXCLUSIVE, f"CREATE RULE {n.rulename}")],
    ast.TruncateStmt: lambda n: [LockTarget(r, LockMode.ACCESS_EXCLUSIVE, "TRUNCATE") for r in n.relations or ()],
    ast.ClusterStmt: lambda n: [LockTarget(n.relation, LockMode.ACCESS_EXCLUSIVE, "CLUSTER")] if n.relation else [],
    # row locks and ROW EXCLUSIVE: they wait for row locks and schema changes only (named in deploy errors, not linted)
    ast.InsertStmt: lambda n: [LockTarget(_rv(n.relation), LockMode.ROW_EXCLUSIVE, "INSERT")],
    ast.UpdateStmt: lambda n: [LockTarget(_rv(n.relation), LockMode.ROW_EXCLUSIVE, "UPDATE")],
    ast.DeleteStmt: lambda n: [LockTarget(_rv(n.relation), LockMode.ROW_EXCLUSIVE, "DELETE")],
    ast.LockStmt: _lock_locks,
}


def lock_targets(node: ast.Node) -> list[LockTarget]:
    """The relations a top-level statement locks and how (what it waits for on a busy table)."""
    locker = _LOCKERS.get(type(node))
    return locker(node) if locker else []


# --- lock_timeout -----------------------------------------------------------------------------


def walk(node: object) -> Iterator[ast.Node]:
    """Every node under ``node`` (itself included)."""
    if isinstance(node, ast.Node):
        yield node
        for slot in node:
            yield from walk(getattr(node, slot, None))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)


def const(node: object) -> object:
    """The Python value of an A_Const (None otherwise)."""
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    v = node.val
    for attr in ("sval", "ival", "fval", "boolval"):
        if hasattr(v, attr):
            return getattr(v, attr)
    return None


def lock_timeout_sets(node: ast.Node) -> Iterator[tuple[str | None, bool]]:
    """(value, is_local) of each change of lock_timeout the statement makes; value None = back to the default."""
    if isinstance(node, ast.VariableSetStmt):
        if node.kind == VariableSetKind.VAR_RESET_ALL or (node.name or "").lower() == "lock_timeout":
            value = const(node.args[0]) if node.kind == VariableSetKind.VAR_SET_VALUE and node.args else None
            yield (None if value is None else str(value)), bool(node.is_local)
        return
    if not isinstance(node, ast.SelectStmt):
        return
    for fc in walk(node):
        if (isinstance(fc, ast.FuncCall) and fc.funcname and fc.funcname[-1].sval == "set_config"
                and fc.args and len(fc.args) == 3 and str(const(fc.args[0])).lower() == "lock_timeout"):
            value = const(fc.args[1])
            is_local = const(fc.args[2])
            local = is_local is not False and str(is_local).lower() not in ("f", "false")
            yield (None if value is None else str(value)), local


def _disabled(value: str) -> bool:
    return re.fullmatch(r"\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*", value) is not None


@dataclass
class LockTimeoutState:
    """The lock_timeout a script has set so far (None: not set by the script, or set to 0)."""

    session: str | None = None
    local: str | None = None

    @property
    def value(self) -> str | None:
        v = self.local if self.local is not None else self.session
        return None if v is None or _disabled(v) else (f"{v}ms" if v.isdigit() else v)

    def observe(self, node: ast.Node, in_transaction: bool) -> None:
        """Update after ``node`` ran (in_transaction: inside a BEGIN block once it ran)."""
        if isinstance(node, ast.TransactionStmt):
            if not in_transaction:
                self.local = None  # SET LOCAL ends with its transaction
            return
        for value, is_local in lock_timeout_sets(node):
            if is_local:
                if in_transaction:  # outside a transaction block SET LOCAL has no effect
                    self.local = value if value is not None else "0"
            else:
                self.session, self.local = value, None


# --- where a deploy stopped -------------------------------------------------------------------


@dataclass
class FailurePoint:
    """Where a script stopped on a lock, read back from the script: for a one-line deploy error."""

    line: int  # where the failing statement starts
    relations: list[str]  # the tables it locks, one of which it waited for
    lock_timeout: str | None  # the lock_timeout the script itself set before it, if any
    nothing_applied: bool  # no statement before it was committed (its transaction rolled back, all of it)


def _harmless(node: ast.Node) -> bool:
    """Statements that leave nothing behind when the script stops later."""
    return isinstance(node, (ast.VariableSetStmt, ast.TransactionStmt)) or any(True for _ in lock_timeout_sets(node))


def failure_point(text: str, line: int) -> FailurePoint | None:
    """The statement of a script that psql reported failing at ``line`` (psql counts the line where it ends)."""
    stmts = [(st.node, st.line) for st in parse_statements(text) if st.node is not None and st.line <= line]
    if not stmts:
        return None
    state, in_block, block_work, committed = LockTimeoutState(), False, False, False
    for node, _ in stmts[:-1]:
        if isinstance(node, ast.TransactionStmt):
            if node.kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
                in_block, block_work = True, False
            elif node.kind == TransactionStmtKind.TRANS_STMT_COMMIT:
                in_block, committed = False, committed or block_work
            elif node.kind == TransactionStmtKind.TRANS_STMT_ROLLBACK:
                in_block, block_work = False, False
        elif not _harmless(node):
            block_work = block_work or in_block
            committed = committed or not in_block
        state.observe(node, in_block)
    failing, failing_line = stmts[-1]
    relations: list[str] = []
    for target in lock_targets(failing):
        name = f"the table of index {rv_key(target.relation)}" if target.is_index else rv_key(target.relation)
        if name not in relations:
            relations.append(name)
    return FailurePoint(line=failing_line, relations=relations, lock_timeout=state.value, nothing_applied=not committed)
