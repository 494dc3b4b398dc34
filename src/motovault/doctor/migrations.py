"""Lints on migration files, read with pglast in apply order.

Sources:
- a numbered folder (``--migrations DIR``): every ``*.sql`` file, in natural file-name order;
- a sqitch project (``--sqitch DIR``): the deploy scripts of ``sqitch.plan``, in plan order
  (a reworked change's earlier versions are ``deploy/<name>@<tag>.sql``).

psql meta-commands are stripped before parsing: ``\\gexec``/``\\g`` end the statement they
follow (they become ``;``), every other ``\\command`` line is blanked (both branches of an
``\\if`` are read), and psql variables (``:'v'``, ``:"v"``, ``:{?v}``) become literals.

"Existing table" rule: a table is *new* only within the file (sqitch change) that creates it.
A table created by an earlier file or change, or not created in the set at all, is *existing*:
on a deployed database it may hold rows and serve traffic, so index builds, type changes,
NOT NULL columns and validated constraints on it lock or rewrite a live table.

Transactions are the explicit ``BEGIN`` ... ``COMMIT`` blocks of a script (psql and sqitch run a
script statement by statement): a statement outside such a block is a transaction of its own.

Locks: a statement that must wait for a lock that blocks writes (SHARE or stronger) on an existing
table (ALTER TABLE, CREATE INDEX without CONCURRENTLY, CREATE TRIGGER, CREATE/ALTER/DROP POLICY,
DROP TRIGGER/INDEX/TABLE, renames, TRUNCATE, LOCK TABLE, a foreign key or a partition that points
at it, ...) needs a ``lock_timeout`` set earlier in the same file (``set [local] lock_timeout`` or
``set_config('lock_timeout', ...)``); otherwise it waits behind any long transaction on that
table, and every query on the table queues behind it. Statements inside DO blocks and functions
are not seen; views are not tables here.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, Iterator

import pglast
from pglast import ast, parser
from pglast.stream import RawStream
from pglast.enums import (
    AlterTableType, ConstrType, NullTestType, ObjectType, ReindexObjectType, TransactionStmtKind, VariableSetKind,
)

from .live import OWNER_COLUMNS, TENANT_COLUMNS
from .model import Finding, Level
from ..errors import MotovaultError


@dataclass
class MigrationFile:
    name: str  # shown in findings: the path relative to the source folder
    path: Path
    change: str | None = None  # sqitch change name


@dataclass
class PendingConstraint:
    """A constraint added NOT VALID and not validated yet."""

    name: str
    file: str
    line: int
    txn: int  # transaction (see Analyser.txn) that added it
    not_null_column: str | None = None  # a CHECK (col IS NOT NULL)


@dataclass
class TableState:
    key: str
    created_in: str | None  # file name, None = outside the set
    columns: set[str] = field(default_factory=set)
    has_tenant: bool = False
    not_valid: dict[str, PendingConstraint] = field(default_factory=dict)
    not_null_checked: set[str] = field(default_factory=set)  # columns with a validated CHECK (col is not null)


# --- sources ----------------------------------------------------------------------------------


def _natural(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def numbered_folder(folder: Path) -> list[MigrationFile]:
    if not folder.is_dir():
        raise MotovaultError(f"migrations folder not found: {folder}")
    files = sorted((p for p in folder.rglob("*.sql") if p.is_file()), key=lambda p: _natural(str(p.relative_to(folder))))
    return [MigrationFile(name=str(p.relative_to(folder)), path=p) for p in files]


def _sqitch_conf(root: Path) -> dict[str, str]:
    conf: dict[str, str] = {}
    path = root / "sqitch.conf"
    if not path.is_file():
        return conf
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.match(r"\[([^\]]+)\]", line)
        if m:
            section = m.group(1).replace('"', "").replace(" ", ".")
            continue
        if "=" in line:
            k, _, v = line.partition("=")
            conf[f"{section}.{k.strip()}"] = v.strip()
    return conf


def sqitch_project(root: Path) -> list[MigrationFile]:
    conf = _sqitch_conf(root)
    top = root / conf.get("core.top_dir", ".")
    plan = root / conf.get("core.plan_file", str((top / "sqitch.plan").relative_to(root)))
    deploy_dir = root / conf.get("core.deploy_dir", str((top / "deploy").relative_to(root)))
    if not plan.is_file():
        raise MotovaultError(f"no sqitch plan at {plan}")
    entries: list[tuple[str, list[str]]] = []  # change name, tags that follow it
    for raw in plan.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("%", "#")):
            continue
        if line.startswith("@"):
            tag = line.split()[0][1:]
            for _, tags in entries:
                tags.append(tag)
            continue
        name = line.split()[0]
        if name.startswith("-") or name.startswith("+"):
            name = name[1:]
        entries.append((name, []))
    out: list[MigrationFile] = []
    names = [n for n, _ in entries]
    for i, (name, tags) in enumerate(entries):
        reworked_later = name in names[i + 1:]
        path = deploy_dir / f"{name}.sql"
        if reworked_later and tags:
            path = deploy_dir / f"{name}@{tags[0]}.sql"
        rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        out.append(MigrationFile(name=rel, path=path, change=name))
    return out


# --- psql meta-commands -----------------------------------------------------------------------

_GEXEC = re.compile(r"\\(gexec|gset|gx|g)\b[^\n]*")
_META_LINE = re.compile(r"^[ \t]*\\[^\n]*$", re.M)
_VAR_QUOTED = re.compile(r"(?<!:):'([A-Za-z_]\w*)'")
_VAR_IDENT = re.compile(r'(?<!:):"([A-Za-z_]\w*)"')
_VAR_TEST = re.compile(r"(?<!:):\{\?([A-Za-z_]\w*)\}")


def strip_psql(text: str) -> str:
    """Make a psql script plain SQL, keeping every line where it was."""
    text = _GEXEC.sub(";", text)
    text = _META_LINE.sub("", text)
    text = _VAR_QUOTED.sub(r"'\1'", text)
    text = _VAR_IDENT.sub(r'"\1"', text)
    text = _VAR_TEST.sub("true", text)
    return text


# --- parsing ----------------------------------------------------------------------------------


@dataclass
class Statement:
    node: ast.Node | None
    line: int
    text: str
    error: str | None = None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse_statements(text: str) -> list[Statement]:
    """Every statement with its line; a statement the parser rejects is kept with its error."""
    sql = strip_psql(text)
    data = sql.encode()
    try:
        stmts = pglast.parse_sql(sql)
        starts = [t.start for t in parser.scan(sql) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
        out = []
        for r in stmts:
            i = bisect.bisect_left(starts, r.stmt_location)  # skip comments before the statement
            out.append(Statement(r.stmt, _line_at(data, starts[i] if i < len(starts) else r.stmt_location), ""))
        return out
    except parser.ParseError:
        pass
    # split with the scanner at top-level semicolons, then parse each piece alone
    try:
        tokens = parser.scan(sql)
    except parser.ParseError as exc:
        return [Statement(None, 1, sql[:200], f"cannot even tokenize: {exc}")]
    out: list[Statement] = []
    start = 0
    bounds: list[tuple[int, int]] = []
    for t in tokens:
        if t.name == "ASCII_59":
            bounds.append((start, t.start))
            start = t.end + 1
    bounds.append((start, len(data)))
    for a, b in bounds:
        piece = data[a:b].decode(errors="replace")
        if not piece.strip() or not _has_code(piece):
            continue
        line = _line_at(data, a + _leading_ws(data, a))
        try:
            for r in pglast.parse_sql(piece):
                out.append(Statement(r.stmt, line, ""))
        except parser.ParseError as exc:
            out.append(Statement(None, line, " ".join(piece.split())[:200], str(exc)))
    return out


def _leading_ws(data: bytes, offset: int) -> int:
    n = 0
    while offset + n < len(data) and data[offset + n] in b" \t\r\n":
        n += 1
    return n


def _has_code(piece: str) -> bool:
    try:
        return any(t.name not in ("SQL_COMMENT", "C_COMMENT") for t in parser.scan(piece))
    except parser.ParseError:
        return True


# --- locks ------------------------------------------------------------------------------------


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


def _names_rv(names: list[ast.String] | tuple[ast.String, ...]) -> ast.RangeVar:
    parts = [n.sval for n in names]
    return ast.RangeVar(relname=parts[-1], schemaname=parts[-2] if len(parts) > 1 else None)


def _subcommand_mode(cmd: ast.AlterTableCmd) -> LockMode:
    if cmd.subtype == AlterTableType.AT_AddConstraint and cmd.def_.contype == ConstrType.CONSTR_FOREIGN:
        return LockMode.SHARE_ROW_EXCLUSIVE
    return _SUBCOMMAND_MODES.get(cmd.subtype, LockMode.ACCESS_EXCLUSIVE)


def _foreign_keys(elements: object) -> list[ast.Constraint]:
    """Foreign keys among table elements / ALTER TABLE subcommands (table and column constraints)."""
    out: list[ast.Constraint] = []
    for el in elements or ():  # type: ignore[attr-defined]
        if isinstance(el, ast.AlterTableCmd):
            el = el.def_
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
        out.append(LockTarget(fk.pktable, LockMode.SHARE_ROW_EXCLUSIVE, f"{what} (foreign key{name} to it)"))
    return out


def _alter_table_locks(node: ast.AlterTableStmt) -> list[LockTarget]:
    if node.objtype not in (ObjectType.OBJECT_TABLE, None):
        return []
    mode = max((_subcommand_mode(c) for c in node.cmds or ()), default=LockMode.ACCESS_EXCLUSIVE)
    return [LockTarget(node.relation, mode, "ALTER TABLE")] + _referenced(_foreign_keys(node.cmds), "ALTER TABLE")


def _create_table_locks(node: ast.CreateStmt) -> list[LockTarget]:
    key = _rv_key(node.relation)
    what = f"CREATE TABLE {key}"
    fks = [fk for fk in _foreign_keys(node.tableElts) + _foreign_keys(node.constraints) if _rv_key(fk.pktable) != key]
    out = _referenced(fks, what)  # (a reference to itself locks nothing that exists)
    if node.partbound is not None and node.inhRelations:
        out.append(LockTarget(node.inhRelations[0], LockMode.ACCESS_EXCLUSIVE, f"{what} PARTITION OF it"))
    return out


def _drop_locks(node: ast.DropStmt) -> list[LockTarget]:
    kind = node.removeType
    if kind == ObjectType.OBJECT_TABLE:
        return [LockTarget(_names_rv(n), LockMode.ACCESS_EXCLUSIVE, "DROP TABLE") for n in node.objects or ()]
    if kind == ObjectType.OBJECT_INDEX:
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE if node.concurrent else LockMode.ACCESS_EXCLUSIVE
        return [LockTarget(_names_rv(n), mode, f"DROP INDEX {n[-1].sval}", is_index=True) for n in node.objects or ()]
    if kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY, ObjectType.OBJECT_RULE):
        label = {ObjectType.OBJECT_TRIGGER: "TRIGGER", ObjectType.OBJECT_POLICY: "POLICY", ObjectType.OBJECT_RULE: "RULE"}[kind]
        return [LockTarget(_names_rv(n[:-1]), LockMode.ACCESS_EXCLUSIVE, f"DROP {label} {n[-1].sval}")
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
    return [LockTarget(node.relation, LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.SHARE, "REINDEX TABLE")]


_LOCKERS: dict[str, Callable[[Any], list[LockTarget]]] = {
    "AlterTableStmt": _alter_table_locks,
    "CreateStmt": _create_table_locks,
    "DropStmt": _drop_locks,
    "RenameStmt": _rename_locks,
    "ReindexStmt": _reindex_locks,
    "IndexStmt": lambda n: [LockTarget(n.relation, LockMode.SHARE_UPDATE_EXCLUSIVE if n.concurrent else LockMode.SHARE,
                                       f"CREATE INDEX {'CONCURRENTLY ' if n.concurrent else ''}{n.idxname or ''}".strip())],
    "CreateTrigStmt": lambda n: [LockTarget(n.relation, LockMode.SHARE_ROW_EXCLUSIVE, f"CREATE TRIGGER {n.trigname}")],
    "CreatePolicyStmt": lambda n: [LockTarget(n.table, LockMode.ACCESS_EXCLUSIVE, f"CREATE POLICY {n.policy_name}")],
    "AlterPolicyStmt": lambda n: [LockTarget(n.table, LockMode.ACCESS_EXCLUSIVE, f"ALTER POLICY {n.policy_name}")],
    "RuleStmt": lambda n: [LockTarget(n.relation, LockMode.ACCESS_EXCLUSIVE, f"CREATE RULE {n.rulename}")],
    "TruncateStmt": lambda n: [LockTarget(r, LockMode.ACCESS_EXCLUSIVE, "TRUNCATE") for r in n.relations or ()],
    "ClusterStmt": lambda n: [LockTarget(n.relation, LockMode.ACCESS_EXCLUSIVE, "CLUSTER")] if n.relation else [],
    # row locks and ROW EXCLUSIVE: they wait for row locks and schema changes only (named in deploy errors, not linted)
    "InsertStmt": lambda n: [LockTarget(n.relation, LockMode.ROW_EXCLUSIVE, "INSERT")],
    "UpdateStmt": lambda n: [LockTarget(n.relation, LockMode.ROW_EXCLUSIVE, "UPDATE")],
    "DeleteStmt": lambda n: [LockTarget(n.relation, LockMode.ROW_EXCLUSIVE, "DELETE")],
    "LockStmt": lambda n: [] if n.nowait else [
        LockTarget(r, LockMode(n.mode), f"LOCK TABLE IN {LockMode(n.mode).label} MODE") for r in n.relations or ()],
}


def lock_targets(node: ast.Node) -> list[LockTarget]:
    """The relations a top-level statement locks and how (what it waits for on a busy table)."""
    locker = _LOCKERS.get(type(node).__name__)
    return locker(node) if locker else []


@dataclass
class FailurePoint:
    """Where a script stopped on a lock, read back from the script: for a one-line deploy error."""

    line: int  # where the failing statement starts
    relations: list[str]  # the tables it locks, one of which it waited for
    lock_timeout: str | None  # the lock_timeout the script itself set before it, if any
    nothing_applied: bool  # no statement before it was committed (its transaction rolled back, all of it)


def _harmless(node: ast.Node) -> bool:
    """Statements that leave nothing behind when the script stops later."""
    return isinstance(node, (ast.VariableSetStmt, ast.TransactionStmt)) or any(True for _ in _lock_timeout_sets(node))


def failure_point(text: str, line: int) -> FailurePoint | None:
    """The statement of a script that psql reported failing at ``line`` (psql counts the line where it ends)."""
    stmts = [st for st in parse_statements(text) if st.node is not None and st.line <= line]
    if not stmts:
        return None
    state, in_block, block_work, committed = LockTimeoutState(), False, False, False
    for st in stmts[:-1]:
        node = st.node
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
    failing = stmts[-1]
    relations: list[str] = []
    for target in lock_targets(failing.node):
        name = f"the table of index {_rv_key(target.relation)}" if target.is_index else _rv_key(target.relation)
        if name not in relations:
            relations.append(name)
    return FailurePoint(line=failing.line, relations=relations, lock_timeout=state.value, nothing_applied=not committed)


def _walk(node: object) -> Iterator[ast.Node]:
    if isinstance(node, ast.Node):
        yield node
        for slot in node.__slots__:
            yield from _walk(getattr(node, slot, None))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)


def _const(node: object) -> object:
    """The Python value of an A_Const (None otherwise)."""
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    v = node.val
    for attr in ("sval", "ival", "fval", "boolval"):
        if hasattr(v, attr):
            return getattr(v, attr)
    return None


def _lock_timeout_sets(node: ast.Node) -> Iterator[tuple[str | None, bool]]:
    """(value, is_local) of each change of lock_timeout the statement makes; value None = back to the default."""
    if isinstance(node, ast.VariableSetStmt):
        if node.kind == VariableSetKind.VAR_RESET_ALL or (node.name or "").lower() == "lock_timeout":
            value = _const(node.args[0]) if node.kind == VariableSetKind.VAR_SET_VALUE and node.args else None
            yield (None if value is None else str(value)), bool(node.is_local)
        return
    if not isinstance(node, ast.SelectStmt):
        return
    for fc in _walk(node):
        if (isinstance(fc, ast.FuncCall) and fc.funcname[-1].sval == "set_config" and len(fc.args or ()) == 3
                and str(_const(fc.args[0])).lower() == "lock_timeout"):
            value = _const(fc.args[1])
            is_local = _const(fc.args[2])
            yield (None if value is None else str(value)), is_local is not False and str(is_local).lower() not in ("f", "false")


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
        for value, is_local in _lock_timeout_sets(node):
            if is_local:
                if in_transaction:  # outside a transaction block SET LOCAL has no effect
                    self.local = value if value is not None else "0"
            else:
                self.session, self.local = value, None


# --- lints ------------------------------------------------------------------------------------


def _rv_key(rv: ast.RangeVar) -> str:
    return f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname


def _not_null_check_column(con: ast.Constraint) -> str | None:
    """The column of a CHECK (col IS NOT NULL), else None."""
    expr = con.raw_expr if con.contype == ConstrType.CONSTR_CHECK else None
    if (isinstance(expr, ast.NullTest) and expr.nulltesttype == NullTestType.IS_NOT_NULL
            and isinstance(expr.arg, ast.ColumnRef) and len(expr.arg.fields) == 1):
        return expr.arg.fields[0].sval
    return None


def _not_null_columns(node: ast.CreateStmt) -> set[str]:
    """Columns a new table declares NOT NULL (or proves so with a CHECK): a later SET NOT NULL scans nothing."""
    out: set[str] = set()
    for el in list(node.tableElts or ()) + list(node.constraints or ()):
        if isinstance(el, ast.ColumnDef):
            if el.is_not_null or any(c.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY) for c in el.constraints or ()):
                out.add(el.colname)
            out |= {c for c in (_not_null_check_column(x) for x in el.constraints or ()) if c}
        elif isinstance(el, ast.Constraint):
            if el.contype == ConstrType.CONSTR_PRIMARY:
                out |= {k.sval for k in el.keys or ()}
            elif (c := _not_null_check_column(el)):
                out.add(c)
    return out


def _index_key(node: ast.IndexStmt) -> str:
    """schema.index (an index lives in its table's schema), or the table when the index has no name."""
    if not node.idxname:
        return _rv_key(node.relation)
    return f"{node.relation.schemaname}.{node.idxname}" if node.relation.schemaname else node.idxname


def _deparse(node: ast.Node) -> str:
    try:
        text = RawStream()(node)
    except Exception:  # noqa: BLE001 - any deparser gap: fall back to the node type
        return type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class Analyser:
    def __init__(self, sqitch: bool) -> None:
        self.sqitch = sqitch
        self.tables: dict[str, TableState] = {}
        self.findings: list[Finding] = []
        self.file = ""
        self.in_transaction = False
        self.txn = 0  # the transaction of the current statement: one per BEGIN block, or per statement outside one
        self.views: set[str] = set()
        self.indexes: dict[str, str] = {}  # index (schema.name) -> table key
        self.lock_timeout = LockTimeoutState()
        self.lock_reported: set[str] = set()  # tables reported by migration_without_lock_timeout in this file
        self.concurrent: list[tuple[int, str]] = []  # CREATE INDEX CONCURRENTLY of this file: line, index
        self.others: list[tuple[int, str]] = []  # statements of this file that are not concurrent index builds
        self.dropped_indexes: set[str] = set()  # index names dropped (IF EXISTS) earlier in this file

    # table lookup: qualified names match exactly; an unqualified name matches any schema
    def lookup(self, rv: ast.RangeVar) -> TableState | None:
        key = _rv_key(rv)
        if key in self.tables:
            return self.tables[key]
        candidates = [t for k, t in self.tables.items() if k.rsplit(".", 1)[-1] == rv.relname and (not rv.schemaname or "." not in k)]
        return candidates[0] if len(candidates) == 1 else None

    def existing(self, rv: ast.RangeVar) -> TableState:
        """The table's state; a table never created in the set is existing (outside the set)."""
        t = self.lookup(rv)
        if t is None:
            t = TableState(key=_rv_key(rv), created_in=None)
            self.tables[t.key] = t
        return t

    def is_new(self, t: TableState) -> bool:
        return t.created_in == self.file

    def add(self, lint: str, level: Level, category: str, obj: str, line: int, message: str, evidence: str,
            remediation: str, file: str | None = None) -> None:
        self.findings.append(Finding(lint=lint, level=level, category=category, object=obj, message=message,
                                     evidence=evidence, remediation=remediation, file=file or self.file, line=line))

    def where(self, t: TableState) -> str:
        return f"created in {t.created_in}" if t.created_in else "created outside the migration set"

    def run(self, files: list[MigrationFile]) -> list[Finding]:
        for mf in files:
            self.start_file(mf.name)
            try:
                text = mf.path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                self.add("migration_unreadable", Level.ERROR, "operations", mf.name, 1,
                         f"Migration {mf.name}: cannot be read", str(exc), "restore the file or fix the plan")
                continue
            for st in parse_statements(text):
                if st.node is None:
                    self.add("migration_unparseable", Level.ERROR, "operations", f"line {st.line}", st.line,
                             f"Migration {mf.name}: statement the parser cannot read (line {st.line})",
                             f"{st.error}: {st.text}", "fix the syntax; the doctor reads PostgreSQL's own grammar (pglast)")
                    continue
                self.statement(st.node, st.line)
            self.end_file()
        self.end_set()
        return self.findings

    def start_file(self, name: str) -> None:
        self.file = name
        self.in_transaction = False
        self.lock_timeout = LockTimeoutState()  # every script runs in a session of its own
        self.lock_reported = set()
        self.concurrent, self.others, self.dropped_indexes = [], [], set()

    def statement(self, node: ast.Node, line: int) -> None:
        if not self.in_transaction:
            self.txn += 1
        self.check_locks(node, line)
        self.note_concurrency(node, line)
        handler = getattr(self, "on_" + type(node).__name__, None)
        if handler:
            handler(node, line)
        self.lock_timeout.observe(node, self.in_transaction)

    # --- locks and lock_timeout ---

    def is_view(self, rv: ast.RangeVar) -> bool:
        key = _rv_key(rv)
        return key in self.views or (not rv.schemaname and any(v.rsplit(".", 1)[-1] == rv.relname for v in self.views))

    def lock_subject(self, target: LockTarget) -> tuple[str, str] | None:
        """(table, where it comes from) for an existing table the target locks; None for new tables and views."""
        rv = target.relation
        if target.is_index:
            ikey = _rv_key(rv)
            table = self.indexes.get(ikey) or next((t for i, t in self.indexes.items() if i.rsplit(".", 1)[-1] == rv.relname), None)
            if table is None:
                return f"table of index {ikey}", "created outside the migration set"
            rv = ast.RangeVar(relname=table.rsplit(".", 1)[-1], schemaname=table.rsplit(".", 1)[0] if "." in table else None)
        if self.is_view(rv):
            return None
        t = self.lookup(rv)
        if t is not None and self.is_new(t):
            return None
        return (t.key, self.where(t)) if t else (_rv_key(rv), "created outside the migration set")

    def check_locks(self, node: ast.Node, line: int) -> None:
        if self.lock_timeout.value is not None:
            return
        for target in lock_targets(node):
            if target.mode < LockMode.SHARE:
                continue  # waiting for it stops no reads or writes
            subject = self.lock_subject(target)
            if subject is None or subject[0] in self.lock_reported:
                continue
            key, where = subject
            self.lock_reported.add(key)
            set_it = "set local lock_timeout = '5s';" if self.in_transaction else "set lock_timeout = '5s';"
            self.add("migration_without_lock_timeout", Level.WARNING, "operations", key, line,
                     f"Migration {self.file}: {target.what} locks existing table {key} ({target.mode.label}) without a lock_timeout",
                     f"{key} is {where}; line {line} waits for its {target.mode.label} lock behind every transaction "
                     f"that uses {key} (a long analyst query, an idle-in-transaction session) for as long as they run, "
                     f"and meanwhile every new query that needs {key} for {target.mode.stops} queues behind it",
                     f"{set_it}  -- before line {line} ({'first statement after begin' if self.in_transaction else 'first statement of the script'}); "
                     "the deploy then fails fast when the lock is busy, nothing is applied, and it can be retried "
                     "(motovault db deploy retries by itself)")

    # --- concurrent index builds: their own non-transactional change ---

    def note_concurrency(self, node: ast.Node, line: int) -> None:
        if isinstance(node, ast.IndexStmt) and node.concurrent:
            self.concurrent.append((line, _index_key(node)))
        elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
            self.dropped_indexes |= {n[-1].sval for n in node.objects or () if node.missing_ok}
            if not node.concurrent:
                self.others.append((line, _deparse(node)))
            elif self.in_transaction:
                self.concurrent_in_transaction("DROP INDEX CONCURRENTLY", _rv_key(_names_rv(node.objects[0])), line)
        elif isinstance(node, ast.ReindexStmt) and any(p.defname == "concurrently" for p in node.params or ()):
            if self.in_transaction:
                self.concurrent_in_transaction("REINDEX CONCURRENTLY", node.name or _rv_key(node.relation), line)
        elif not isinstance(node, (ast.VariableSetStmt, ast.TransactionStmt, ast.SelectStmt, ast.CommentStmt, ast.VacuumStmt)):
            self.others.append((line, _deparse(node)))

    def concurrent_in_transaction(self, what: str, obj: str, line: int) -> None:
        self.add("migration_concurrent_in_transaction", Level.ERROR, "operations", obj, line,
                 f"Migration {self.file}: {what} inside a transaction block",
                 f"{what} cannot run inside a transaction block: the deploy fails",
                 "move it to its own change/file without begin/commit")

    def end_file(self) -> None:
        if self.concurrent and self.others:
            line, index = self.concurrent[0]
            listed = "; ".join(f"line {ln}: {text}" for ln, text in self.others[:3]) + (" ..." if len(self.others) > 3 else "")
            self.add("migration_concurrent_not_alone", Level.WARNING, "operations", index, line,
                     f"Migration {self.file}: CREATE INDEX CONCURRENTLY shares its change with other statements",
                     "a script without a transaction is not atomic: if the index build fails (lock timeout, "
                     "duplicate key, cancel), what ran before it stays applied while the change is recorded as "
                     f"failed, and the next deploy runs it again. Other statements: {listed}",
                     "put the concurrent index build(s) in a change of their own, without begin/commit, containing only "
                     "set lock_timeout, drop index concurrently if exists and create index concurrently")

    # --- NOT VALID constraints ---

    def end_set(self) -> None:
        for t in self.tables.values():
            for pc in t.not_valid.values():
                self.add("migration_constraint_never_validated", Level.WARNING, "integrity", f"{t.key}.{pc.name}", pc.line,
                         f"Migration {pc.file}: constraint {pc.name} on {t.key} added NOT VALID and never validated",
                         "rows that existed before it were never checked, and PostgreSQL knows it: the constraint "
                         "cannot prove anything about them (no SET NOT NULL without a scan, no planner use), so the "
                         "rule the schema states is not guaranteed for the old data",
                         f"alter table {t.key} validate constraint {pc.name};  -- in a later change: it takes only "
                         "SHARE UPDATE EXCLUSIVE, so reads and writes go on during the scan",
                         file=pc.file)

    # --- statements ---

    def on_TransactionStmt(self, node: ast.TransactionStmt, line: int) -> None:
        if node.kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
            self.in_transaction = True
        elif node.kind in (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK):
            self.in_transaction = False

    def on_CreateStmt(self, node: ast.CreateStmt, line: int) -> None:
        key = _rv_key(node.relation)
        if node.if_not_exists and self.lookup(node.relation):
            return
        cols: set[str] = set()
        refs: list[str] = []
        for el in node.tableElts or ():
            if isinstance(el, ast.ColumnDef):
                cols.add(el.colname)
                for c in el.constraints or ():
                    if c.contype == ConstrType.CONSTR_FOREIGN:
                        refs.append(_rv_key(c.pktable))
            elif isinstance(el, ast.Constraint) and el.contype == ConstrType.CONSTR_FOREIGN:
                refs.append(_rv_key(el.pktable))
        has_tenant = bool(cols & set(TENANT_COLUMNS))
        self.tables[key] = TableState(key=key, created_in=self.file, columns=cols, has_tenant=has_tenant,
                                      not_null_checked=_not_null_columns(node))
        if node.partbound is not None or node.relation.relpersistence == "t":
            return  # a partition inherits its parent's columns; temp tables are not schema
        if not has_tenant:
            tenant_refs = [r for r in refs if (t := self.lookup(ast.RangeVar(relname=r.rsplit(".", 1)[-1], schemaname=r.rsplit(".", 1)[0] if "." in r else None))) and t.has_tenant]
            owners = sorted(cols & set(OWNER_COLUMNS))
            if tenant_refs or owners:
                why = f"references tenant table(s) {', '.join(tenant_refs)}" if tenant_refs else f"owner-like column(s) {', '.join(owners)}"
                level = Level.WARNING
            else:
                why, level = "no tenant_id column (fine for a shared/reference table)", Level.INFO
            self.add("migration_table_without_tenant_id", level, "multi-tenancy", key, line,
                     f"Migration {self.file}: Table created without tenant_id for multi-tenancy ({key})", why,
                     f"create table {key} (tenant_id uuid not null, ...);  -- lead its primary and foreign keys with tenant_id")

    def on_ViewStmt(self, node: ast.ViewStmt, line: int) -> None:
        self.views.add(_rv_key(node.view))

    def on_CreateTableAsStmt(self, node: ast.CreateTableAsStmt, line: int) -> None:
        key = _rv_key(node.into.rel)
        if not (node.if_not_exists and self.lookup(node.into.rel)):
            self.tables[key] = TableState(key=key, created_in=self.file)

    def on_IndexStmt(self, node: ast.IndexStmt, line: int) -> None:
        t = self.existing(node.relation)
        name = node.idxname or f"index on {t.key}"
        obj = _index_key(node) if node.idxname else t.key
        if node.idxname:
            self.indexes[obj] = t.key
        if node.concurrent and node.if_not_exists and node.idxname and node.idxname not in self.dropped_indexes:
            self.add("migration_concurrent_index_if_not_exists", Level.WARNING, "operations", obj, line,
                     f"Migration {self.file}: CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} would keep an invalid index",
                     "a concurrent build that fails half-way (lock timeout, duplicate key, cancel) leaves an INVALID "
                     "index behind; when the change is deployed again, IF NOT EXISTS skips it and the change "
                     "succeeds with an index PostgreSQL never uses (and a unique index that enforces nothing)",
                     f"drop index concurrently if exists {obj};\n"
                     f"create index concurrently if not exists {node.idxname} on {t.key} (...);"
                     "  -- and verify pg_index.indisvalid in the verify script")
        if not node.if_not_exists and node.idxname:
            level = Level.INFO if self.sqitch else Level.WARNING
            self.add("migration_index_without_if_not_exists", level, "operations", obj, line,
                     f"Migration {self.file}: CREATE INDEX {name} without IF NOT EXISTS",
                     "re-running the migration fails with 'relation already exists'"
                     + (" (sqitch records each change and its revert drops the index: info only)" if self.sqitch else ""),
                     f"create index {'concurrently ' if node.concurrent else ''}if not exists {node.idxname} on ...;")
        if not self.is_new(t) and not node.concurrent:
            self.add("migration_index_not_concurrent", Level.WARNING, "operations", obj, line,
                     f"Migration {self.file}: CREATE INDEX {name} on existing table {t.key} without CONCURRENTLY",
                     f"{t.key} is {self.where(t)}; a plain CREATE INDEX blocks writes for the whole build",
                     f"drop index concurrently if exists {obj if node.idxname else '...'};\n"
                     f"create index concurrently if not exists {node.idxname or '...'} on {t.key} (...);"
                     "  -- in a change of its own, outside a transaction (sqitch: no begin/commit)")
        if node.concurrent and self.in_transaction:
            self.concurrent_in_transaction("CREATE INDEX CONCURRENTLY", obj, line)

    def on_AlterTableStmt(self, node: ast.AlterTableStmt, line: int) -> None:
        if node.objtype not in (ObjectType.OBJECT_TABLE, None):
            return
        t = self.existing(node.relation)
        new = self.is_new(t)
        for cmd in node.cmds or ():
            st = cmd.subtype
            if st == AlterTableType.AT_AddColumn:
                self.add_column(t, cmd.def_, line)
            elif st == AlterTableType.AT_AlterColumnType and not new:
                self.add("migration_alter_column_type", Level.WARNING, "operations", f"{t.key}.{cmd.name}", line,
                         f"Migration {self.file}: column type of {t.key}.{cmd.name} changed",
                         "ALTER COLUMN TYPE takes an ACCESS EXCLUSIVE lock and usually rewrites the table and its indexes",
                         "add a new column, backfill in batches, switch readers, then drop the old one")
            elif st == AlterTableType.AT_DropColumn:
                t.columns.discard(cmd.name)
                t.not_null_checked.discard(cmd.name)
                if not new:
                    self.add("migration_drop_column", Level.WARNING, "operations", f"{t.key}.{cmd.name}", line,
                             f"Migration {self.file}: column {t.key}.{cmd.name} dropped",
                             "clients and views still using the column break at once; the data is gone",
                             "stop reading/writing it first (expand/contract), keep a backup, then drop in a later release")
            elif st == AlterTableType.AT_AddConstraint:
                self.add_constraint(t, cmd.def_, line)
            elif st == AlterTableType.AT_ValidateConstraint:
                self.validate_constraint(t, cmd.name, line)
            elif st == AlterTableType.AT_DropConstraint:
                t.not_valid.pop(cmd.name, None)
            elif st == AlterTableType.AT_DropNotNull:
                t.not_null_checked.discard(cmd.name)
            elif st == AlterTableType.AT_SetNotNull:
                self.set_not_null(t, cmd.name, line)

    def add_column(self, t: TableState, col: ast.ColumnDef, line: int) -> None:
        new = self.is_new(t)
        t.columns.add(col.colname)
        if col.colname in TENANT_COLUMNS:
            t.has_tenant = True
        obj = f"{t.key}.{col.colname}"
        cons = [c.contype for c in col.constraints or ()]
        if ConstrType.CONSTR_NOTNULL in cons or ConstrType.CONSTR_PRIMARY in cons:
            t.not_null_checked.add(col.colname)
        if new:
            return
        self.add("migration_column_added_later", Level.INFO, "operations", obj, line,
                 f"Migration {self.file}: Schema evolution - column {col.colname} added to {t.key} after initial creation",
                 f"{t.key} is {self.where(t)}", "fold the column into the table's definition when squashing migrations")
        typ = col.typeName.names[-1].sval if col.typeName else ""
        has_default = (ConstrType.CONSTR_DEFAULT in cons or ConstrType.CONSTR_IDENTITY in cons
                       or ConstrType.CONSTR_GENERATED in cons or typ in ("serial", "bigserial", "smallserial"))
        if (ConstrType.CONSTR_NOTNULL in cons or ConstrType.CONSTR_PRIMARY in cons) and not has_default:
            self.add("migration_not_null_without_default", Level.WARNING, "operations", obj, line,
                     f"Migration {self.file}: ADD COLUMN {col.colname} NOT NULL without a default on existing table {t.key}",
                     "fails as soon as the table has a row",
                     f"alter table {t.key} add column {col.colname} ... ;  -- nullable, backfill, then SET NOT NULL "
                     "(after a validated CHECK (col is not null) to skip the scan)")
        for c in col.constraints or ():
            if c.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK):
                self.constraint_without_not_valid(t, c, line, column=col.colname)
            elif c.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
                self.constraint_index_not_concurrent(t, c, line, column=col.colname)

    def add_constraint(self, t: TableState, con: ast.Constraint, line: int) -> None:
        name = con.conname or f"(unnamed, line {line})"
        column = _not_null_check_column(con)
        if con.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK) and con.skip_validation:
            t.not_valid[name] = PendingConstraint(name, self.file, line, self.txn, column)
        elif column:
            t.not_null_checked.add(column)
        if self.is_new(t):
            return
        if con.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK) and not con.skip_validation:
            self.constraint_without_not_valid(t, con, line)
        elif con.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_EXCLUSION) and not con.indexname:
            self.constraint_index_not_concurrent(t, con, line)

    def constraint_without_not_valid(self, t: TableState, con: ast.Constraint, line: int, column: str | None = None) -> None:
        kind = "FOREIGN KEY" if con.contype == ConstrType.CONSTR_FOREIGN else "CHECK"
        cname = con.conname or kind.lower()
        how = f" with column {column}" if column else ""
        self.add("migration_constraint_without_not_valid", Level.WARNING, "operations", f"{t.key}.{cname}", line,
                 f"Migration {self.file}: {kind} {cname} added{how} to existing table {t.key} without NOT VALID",
                 f"{t.key} is {self.where(t)}; validating scans the whole table under a lock that blocks writes",
                 (f"alter table {t.key} add column {column} ...;  -- without the constraint\n" if column else "")
                 + f"alter table {t.key} add constraint {cname} ... not valid;\n"
                 f"alter table {t.key} validate constraint {cname};  -- in a later transaction (the next change), "
                 "only a SHARE UPDATE EXCLUSIVE lock")

    def constraint_index_not_concurrent(self, t: TableState, con: ast.Constraint, line: int, column: str | None = None) -> None:
        kind = {ConstrType.CONSTR_UNIQUE: "UNIQUE", ConstrType.CONSTR_PRIMARY: "PRIMARY KEY"}.get(con.contype, "EXCLUDE")
        cname = con.conname or f"{kind.lower()} ({column or 'unnamed'})"
        self.add("migration_index_not_concurrent", Level.WARNING, "operations", f"{t.key}.{cname}", line,
                 f"Migration {self.file}: {kind} constraint {cname} on existing table {t.key} builds its index without CONCURRENTLY",
                 f"{t.key} is {self.where(t)}; the index is built under the ALTER TABLE's ACCESS EXCLUSIVE lock: "
                 "no reads or writes for the whole build",
                 f"create unique index concurrently if not exists {con.conname or 'x'}_idx on {t.key} (...);  -- its own change\n"
                 f"alter table {t.key} add constraint {con.conname or '...'} {kind.lower()} using index {con.conname or 'x'}_idx;  -- next change")

    def validate_constraint(self, t: TableState, name: str, line: int) -> None:
        pending = t.not_valid.pop(name, None)
        if pending is None:
            return
        if pending.not_null_column:
            t.not_null_checked.add(pending.not_null_column)
        if pending.file == self.file and pending.txn == self.txn and not self.is_new(t):
            self.add("migration_validate_in_same_transaction", Level.WARNING, "operations", f"{t.key}.{name}", line,
                     f"Migration {self.file}: constraint {name} validated in the transaction that added it NOT VALID",
                     f"ADD CONSTRAINT (line {pending.line}) took a lock on {t.key} that blocks writes "
                     "(ACCESS EXCLUSIVE for a CHECK) and keeps it until COMMIT: VALIDATE then scans the whole "
                     "table under that lock, so NOT VALID saved nothing",
                     f"commit the ADD ... NOT VALID first; alter table {t.key} validate constraint {name}; in the next "
                     "change (or after COMMIT in a script without a transaction): it takes only SHARE UPDATE EXCLUSIVE")

    def set_not_null(self, t: TableState, column: str, line: int) -> None:
        if column in t.not_null_checked:
            return
        t.not_null_checked.add(column)
        if self.is_new(t):
            return
        self.add("migration_set_not_null_scan", Level.WARNING, "operations", f"{t.key}.{column}", line,
                 f"Migration {self.file}: SET NOT NULL on {t.key}.{column} scans the table under ACCESS EXCLUSIVE",
                 f"{t.key} is {self.where(t)}; NOT NULL cannot be added NOT VALID: PostgreSQL checks every row while "
                 "no one can read or write the table, unless a validated CHECK ({column} is not null) proves it",
                 f"alter table {t.key} add constraint {t.key.rsplit('.', 1)[-1]}_{column}_not_null check ({column} is not null) not valid;\n"
                 f"-- next change: alter table {t.key} validate constraint ...; alter table {t.key} alter column {column} set not null;"
                 " (no scan; the CHECK may then be dropped)")

    def on_RenameStmt(self, node: ast.RenameStmt, line: int) -> None:
        if node.renameType == ObjectType.OBJECT_TABLE and node.relation is not None:
            t = self.existing(node.relation)
            old = t.key
            del self.tables[old]
            t.key = f"{node.relation.schemaname}.{node.newname}" if node.relation.schemaname else node.newname
            self.tables[t.key] = t
            if t.created_in != self.file:
                self.add("migration_rename_table", Level.WARNING, "operations", old, line,
                         f"Migration {self.file}: table {old} renamed to {node.newname}",
                         "every query, view and client naming the old table breaks at once",
                         f"rename, then create a view named {old} over the new table until clients move")
        elif node.renameType == ObjectType.OBJECT_COLUMN and node.relation is not None and node.relationType == ObjectType.OBJECT_TABLE:
            t = self.existing(node.relation)
            t.columns.discard(node.subname)
            t.columns.add(node.newname)
            if t.created_in != self.file:
                self.add("migration_rename_column", Level.WARNING, "operations", f"{t.key}.{node.subname}", line,
                         f"Migration {self.file}: column {t.key}.{node.subname} renamed to {node.newname}",
                         "clients and views naming the old column break at once",
                         "add the new column, write both, move readers, then drop the old one")

    def on_DropStmt(self, node: ast.DropStmt, line: int) -> None:
        if node.removeType == ObjectType.OBJECT_INDEX:
            for names in node.objects or ():
                key = _rv_key(_names_rv(names))
                self.indexes.pop(key, None)
            return
        if node.removeType != ObjectType.OBJECT_TABLE:
            return
        for names in node.objects or ():
            parts = [n.sval for n in names]
            rv = ast.RangeVar(relname=parts[-1], schemaname=parts[-2] if len(parts) > 1 else None)
            t = self.lookup(rv)
            key = t.key if t else _rv_key(rv)
            if t:
                del self.tables[t.key]
            if t is None or t.created_in != self.file:
                self.add("migration_drop_table", Level.WARNING, "operations", key, line,
                         f"Migration {self.file}: table {key} dropped",
                         "the data is gone and every client naming it breaks",
                         "rename it aside (or revoke access) first, keep a backup, drop in a later release")


def analyse_migrations(files: list[MigrationFile], sqitch: bool = False) -> list[Finding]:
    return Analyser(sqitch=sqitch).run(files)
