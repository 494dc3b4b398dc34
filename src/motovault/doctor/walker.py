"""The migration walker: replays migration files in apply order and tells the rules what happens.

The walker is the engine of the migration lints, and only that: it parses every file once, keeps the
state a reader of the history needs — which tables exist at each point (their columns, tenant column,
NOT VALID constraints, NOT NULL proofs), views, indexes, the functions and views each file or sqitch
change created, explicit transactions, the lock_timeout a script has set — and emits *events*.
Rules (``motovault.doctor.rules``) subscribe to events in their ``Rule.on`` mapping and report
findings through their :class:`RuleContext`; no rule text lives here.

"Existing table" rule: a table is *new* only within the file (sqitch change) that creates it. A
table created by an earlier file or change, or not created in the set at all, is *existing*: on a
deployed database it may hold rows and serve traffic. A table that the set creates *later* was not
there yet: statements on it before its CREATE fail on an empty database (:class:`TableMissing`).

Transactions are the explicit ``BEGIN`` ... ``COMMIT`` blocks of a script (psql and sqitch run a
script statement by statement): a statement outside such a block is a transaction of its own.
Statements inside DO blocks and function bodies are not read; views are not tables here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    FunctionParameterMode,
    NullTestType,
    ObjectType,
    TransactionStmtKind,
)

from .events import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    ConstraintAdded,
    ConstraintValidated,
    DefinedObject,
    FileEnded,
    FileUnreadable,
    IndexCreated,
    MigrationFile,
    NotNullSet,
    ObjectRedefined,
    PendingConstraint,
    Place,
    SetEnded,
    StatementSeen,
    StatementUnparseable,
    TableCreated,
    TableDropped,
    TableLocked,
    TableMissing,
    TableRenamed,
    TableState,
)
from .heuristics import TENANT_COLUMNS
from .locks import LockTarget, LockTimeoutState, lock_targets, names_rv, rv_key
from .model import Finding, Level
from .parsing import Statement, parse_statements
from .rule import Rule

# --- helpers ----------------------------------------------------------------------------------


def not_null_check_column(con: ast.Constraint) -> str | None:
    """The column of a CHECK (col IS NOT NULL), else None."""
    expr = con.raw_expr if con.contype == ConstrType.CONSTR_CHECK else None
    if (isinstance(expr, ast.NullTest) and expr.nulltesttype == NullTestType.IS_NOT_NULL
            and isinstance(expr.arg, ast.ColumnRef) and expr.arg.fields and len(expr.arg.fields) == 1):
        return str(expr.arg.fields[0].sval)
    return None


def _not_null_columns(node: ast.CreateStmt) -> set[str]:
    """Columns a new table declares NOT NULL (or proves so with a CHECK): a later SET NOT NULL scans nothing."""
    out: set[str] = set()
    for el in list(node.tableElts or ()) + list(node.constraints or ()):
        if isinstance(el, ast.ColumnDef) and el.colname:
            constraints = el.constraints or ()
            if el.is_not_null or any(c.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY)
                                     for c in constraints):
                out.add(el.colname)
            out |= {c for c in (not_null_check_column(x) for x in constraints) if c}
        elif isinstance(el, ast.Constraint):
            if el.contype == ConstrType.CONSTR_PRIMARY:
                out |= {k.sval for k in el.keys or ()}
            elif c := not_null_check_column(el):
                out.add(c)
    return out


def index_key(node: ast.IndexStmt) -> str:
    """schema.index (an index lives in its table's schema), or the table when the index has no name."""
    rel = node.relation
    if not node.idxname:
        return rv_key(rel)
    return f"{rel.schemaname}.{node.idxname}" if rel is not None and rel.schemaname else node.idxname


def _type_name(tn: object) -> str:
    if not isinstance(tn, ast.TypeName):
        return "?"
    names = [str(n.sval) for n in tn.names or () if isinstance(n, ast.String)]
    return (names[-1] if names else "?") + "[]" * len(tn.arrayBounds or ())


_OUTPUT_MODES = (FunctionParameterMode.FUNC_PARAM_OUT, FunctionParameterMode.FUNC_PARAM_TABLE)


def routine_name(names: tuple[Any, ...] | None) -> tuple[str | None, str]:
    parts = [str(n.sval) for n in names or () if isinstance(n, ast.String)]
    return (parts[-2] if len(parts) > 1 else None), (parts[-1] if parts else "?")


def routine_args(parameters: tuple[Any, ...] | None) -> tuple[str, ...]:
    """The input argument types of CREATE FUNCTION's parameters (what identifies an overload)."""
    return tuple(_type_name(p.argType) for p in parameters or ()
                 if isinstance(p, ast.FunctionParameter) and p.mode not in _OUTPUT_MODES)


def _routine_display(schema: str | None, name: str, args: tuple[str, ...] | None) -> str:
    qualified = f"{schema}.{name}" if schema else name
    return qualified if args is None else f"{qualified}({', '.join(args)})"


ObjectId = tuple[str, str | None, str, tuple[str, ...] | None]  # namespace (routine | view), schema, name, args


def _matches(known: ObjectId, wanted: ObjectId) -> bool:
    """Same namespace and name; schemas equal or one unqualified; arguments equal or unspecified."""
    return (known[0] == wanted[0] and known[2] == wanted[2]
            and (known[1] == wanted[1] or known[1] is None or wanted[1] is None)
            and (wanted[3] is None or known[3] == wanted[3]))


# --- the walker -------------------------------------------------------------------------------


class RuleContext:
    """What a rule's handler gets with each event: the walker's state, and a way to report."""

    def __init__(self, walker: Walker, rule: Rule) -> None:
        self.walker = walker
        self.rule = rule

    def report(self, obj: str, line: int, message: str, evidence: str, remediation: str, *,
               level: Level | None = None, file: str | None = None) -> None:
        self.walker.findings.append(self.rule.finding(
            obj, message, evidence, remediation, level=level, file=file or self.walker.file, line=line))

    def first_in_file(self, key: str) -> bool:
        """True the first time this rule asks about ``key`` in the current file (one finding per file)."""
        token = (self.rule.name, key)
        if token in self.walker.seen_in_file:
            return False
        self.walker.seen_in_file.add(token)
        return True


class Walker:
    def __init__(self, rules: Sequence[Rule], sqitch: bool) -> None:
        self.sqitch = sqitch
        self.subscribers: dict[type[Any], list[tuple[RuleContext, Callable[[Any, Any], None]]]] = {}
        for rule in rules:
            ctx = RuleContext(self, rule)
            for event_type, handler in rule.on.items():
                self.subscribers.setdefault(event_type, []).append((ctx, handler))
        self.findings: list[Finding] = []
        self.tables: dict[str, TableState] = {}
        self.views: set[str] = set()
        self.indexes: dict[str, str] = {}  # index (schema.name) -> table key
        self.objects: dict[ObjectId, DefinedObject] = {}  # functions, procedures, views and who created them
        self.creations: dict[str, list[Place]] = {}  # table key -> every CREATE TABLE of it in the set
        self.gone: dict[str, tuple[Place, str]] = {}  # tables dropped or renamed away: where, how
        self.file = ""
        self.file_index = -1
        self.change: str | None = None
        self.in_transaction = False
        self.txn = 0  # the transaction of the current statement: one per BEGIN block, or per statement outside one
        self.lock_timeout = LockTimeoutState()
        self.seen_in_file: set[tuple[str, str]] = set()
        self.dropped_indexes: set[str] = set()  # index names dropped (IF EXISTS) earlier in this file
        self.dropped_objects: dict[ObjectId, DefinedObject] = {}  # functions/views dropped earlier in this file
        self.statements: list[tuple[int, ast.Node]] = []  # of the current file

    def emit(self, event: object) -> None:
        for ctx, handler in self.subscribers.get(type(event), ()):
            handler(ctx, event)

    # --- tables ---

    def lookup(self, rv: ast.RangeVar) -> TableState | None:
        """Qualified names match exactly; an unqualified name matches any schema (when only one)."""
        key = rv_key(rv)
        if key in self.tables:
            return self.tables[key]
        candidates = [t for k, t in self.tables.items()
                      if k.rsplit(".", 1)[-1] == rv.relname and (not rv.schemaname or "." not in k)]
        return candidates[0] if len(candidates) == 1 else None

    def existing(self, rv: ast.RangeVar) -> TableState:
        """The table's state; a table not created in the set (so far) is existing (outside the set)."""
        t = self.lookup(rv)
        if t is None:
            t = TableState(key=rv_key(rv), created_in=None)
            self.tables[t.key] = t
        return t

    def is_new(self, t: TableState) -> bool:
        return t.created_in == self.file

    def is_view(self, rv: ast.RangeVar) -> bool:
        key = rv_key(rv)
        return key in self.views or (not rv.schemaname and any(v.rsplit(".", 1)[-1] == rv.relname for v in self.views))

    def _matching_keys(self, keys: dict[str, Any], rv: ast.RangeVar) -> list[str]:
        key = rv_key(rv)
        if key in keys:
            return [key]
        return [k for k in keys if k.rsplit(".", 1)[-1] == rv.relname and (not rv.schemaname or "." not in k)]

    def created_later(self, rv: ast.RangeVar, line: int) -> Place | None:
        """The first CREATE TABLE of this table after the current statement, if the set has one."""
        keys = self._matching_keys(self.creations, rv)
        if len(keys) != 1:
            return None
        here = (self.file_index, line)
        return next((p for p in self.creations[keys[0]] if (p.index, p.line) > here), None)

    def where(self, t: TableState) -> str:
        if t.created_in:
            return f"created in {t.created_in}"
        schema, _, name = t.key.rpartition(".")
        return self.where_key(ast.RangeVar(relname=name, schemaname=schema or None))

    # --- running ---

    def run(self, files: list[MigrationFile]) -> list[Finding]:
        parsed: list[tuple[MigrationFile, list[Statement] | str]] = []
        for index, mf in enumerate(files):
            try:
                text = mf.path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                parsed.append((mf, str(exc)))
                continue
            statements = parse_statements(text)
            parsed.append((mf, statements))
            for st in statements:
                rel: ast.RangeVar | None = None
                if isinstance(st.node, ast.CreateStmt):
                    rel = st.node.relation
                elif (isinstance(st.node, ast.CreateTableAsStmt) and st.node.into is not None
                      and st.node.objtype == ObjectType.OBJECT_TABLE):
                    rel = st.node.into.rel
                if rel is not None and rel.relpersistence != "t":
                    self.creations.setdefault(rv_key(rel), []).append(Place(index, st.line, mf.name))
        for index, (mf, content) in enumerate(parsed):
            self.start_file(mf, index)
            if isinstance(content, str):
                self.emit(FileUnreadable(mf.name, content))
                continue
            for st in content:
                if st.node is None:
                    self.emit(StatementUnparseable(st))
                else:
                    self.statement(st.node, st.line)
            self.emit(FileEnded(mf.name, self.statements))
        self.emit(SetEnded())
        return self.findings

    def start_file(self, mf: MigrationFile, index: int) -> None:
        self.file, self.file_index, self.change = mf.name, index, mf.change
        self.in_transaction = False
        self.lock_timeout = LockTimeoutState()  # every script runs in a session of its own
        self.seen_in_file = set()
        self.dropped_indexes = set()
        self.dropped_objects = {}
        self.statements = []

    def statement(self, node: ast.Node, line: int) -> None:
        if not self.in_transaction:
            self.txn += 1
        self.emit(StatementSeen(node, line))
        targets = lock_targets(node)
        if targets:
            self.check_targets(node, targets, line)
        self.statements.append((line, node))
        apply = getattr(self, "on_" + type(node).__name__, None)
        if apply is not None:
            apply(node, line)
        self.lock_timeout.observe(node, self.in_transaction)

    # --- tables a statement locks: missing ones, existing ones ---

    def check_targets(self, node: ast.Node, targets: list[LockTarget], line: int) -> None:
        may_be_missing = not getattr(node, "missing_ok", False)
        for target in targets:
            rv = target.relation
            if target.is_index:
                ikey = rv_key(rv)
                table = self.indexes.get(ikey) or next(
                    (t for i, t in self.indexes.items() if i.rsplit(".", 1)[-1] == rv.relname), None)
                if table is None:
                    self.emit(TableLocked(target, f"table of index {ikey}", "created outside the migration set", line))
                    continue
                schema, _, name = table.rpartition(".")
                rv = ast.RangeVar(relname=name, schemaname=schema or None)
            if self.is_view(rv):
                continue
            t = self.lookup(rv)
            if not target.is_index and may_be_missing and (t is None or t.created_in is None):
                self.check_missing(rv, target, line)
            if t is not None and self.is_new(t):
                continue
            self.emit(TableLocked(target, t.key if t else rv_key(rv), self.where(t) if t else self.where_key(rv), line))

    def where_key(self, rv: ast.RangeVar) -> str:
        later = self.created_later(rv, 0)
        return f"not created yet (created later, in {later.file})" if later else "created outside the migration set"

    def check_missing(self, rv: ast.RangeVar, target: LockTarget, line: int) -> None:
        later = self.created_later(rv, line)
        gone_keys = self._matching_keys(self.gone, rv)
        gone = self.gone[gone_keys[0]] if len(gone_keys) == 1 else None
        if later is not None or gone is not None:
            self.emit(TableMissing(rv_key(rv), target.what, line, created=later,
                                   gone=gone[0] if gone else None, gone_how=gone[1] if gone else ""))

    # --- statements that change the state ---

    def on_TransactionStmt(self, node: ast.TransactionStmt, line: int) -> None:
        if node.kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
            self.in_transaction = True
        elif node.kind in (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK):
            self.in_transaction = False

    def _create(self, rv: ast.RangeVar, if_not_exists: bool) -> TableState | None:
        """Record a CREATE TABLE; None when it is a no-op (IF NOT EXISTS, and the set created it earlier).
        A table the set only used so far (an ALTER before its CREATE) is created here for real."""
        known = self.lookup(rv)
        if if_not_exists and known is not None and known.created_in is not None:
            return None
        if known is not None and known.created_in is None:
            del self.tables[known.key]
        key = rv_key(rv)
        for gone in self._matching_keys(self.gone, rv):
            del self.gone[gone]
        t = self.tables[key] = TableState(key=key, created_in=self.file)
        return t

    def on_CreateStmt(self, node: ast.CreateStmt, line: int) -> None:
        if node.relation is None:
            return
        t = self._create(node.relation, bool(node.if_not_exists))
        if t is None:
            return
        refs: list[str] = []
        for el in node.tableElts or ():
            if isinstance(el, ast.ColumnDef) and el.colname:
                t.columns.add(el.colname)
                refs += [rv_key(c.pktable) for c in el.constraints or () if c.contype == ConstrType.CONSTR_FOREIGN]
            elif isinstance(el, ast.Constraint) and el.contype == ConstrType.CONSTR_FOREIGN:
                refs.append(rv_key(el.pktable))
        t.has_tenant = bool(t.columns & set(TENANT_COLUMNS))
        t.not_null_checked = _not_null_columns(node)
        self.emit(TableCreated(t, node, line, refs))

    def on_CreateTableAsStmt(self, node: ast.CreateTableAsStmt, line: int) -> None:
        if node.into is not None and node.into.rel is not None and node.objtype == ObjectType.OBJECT_TABLE:
            self._create(node.into.rel, bool(node.if_not_exists))

    def on_IndexStmt(self, node: ast.IndexStmt, line: int) -> None:
        if node.relation is None:
            return
        t = self.existing(node.relation)
        obj = index_key(node) if node.idxname else t.key
        if node.idxname:
            self.indexes[obj] = t.key
        self.emit(IndexCreated(t, node, obj, line))

    def on_AlterTableStmt(self, node: ast.AlterTableStmt, line: int) -> None:
        if node.objtype == ObjectType.OBJECT_VIEW and node.relation is not None:
            options = [c for c in node.cmds or ()
                       if c.subtype in (AlterTableType.AT_SetRelOptions, AlterTableType.AT_ResetRelOptions)]
            if options:
                self.redefine(("view", node.relation.schemaname, str(node.relation.relname), None),
                              "ALTER VIEW ... SET/RESET (options)", line)
            return
        if node.objtype not in (ObjectType.OBJECT_TABLE, None) or node.relation is None:
            return
        t = self.existing(node.relation)
        new = self.is_new(t)
        for cmd in node.cmds or ():
            self.alter_table_cmd(t, cmd, new, line)

    def alter_table_cmd(self, t: TableState, cmd: ast.AlterTableCmd, new: bool, line: int) -> None:
        st, name = cmd.subtype, cmd.name or ""
        if st == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            self.add_column(t, cmd.def_, new, line)
        elif st == AlterTableType.AT_AlterColumnType:
            self.emit(ColumnTypeChanged(t, name, line, new))
        elif st == AlterTableType.AT_DropColumn:
            t.columns.discard(name)
            t.not_null_checked.discard(name)
            self.emit(ColumnDropped(t, name, line, new))
        elif st == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            con = cmd.def_
            cname = con.conname or f"(unnamed, line {line})"
            column = not_null_check_column(con)
            if con.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK) and con.skip_validation:
                t.not_valid[cname] = PendingConstraint(cname, self.file, line, self.txn, column)
            elif column:
                t.not_null_checked.add(column)
            self.emit(ConstraintAdded(t, con, line, new))
        elif st == AlterTableType.AT_ValidateConstraint:
            pending = t.not_valid.pop(name, None)
            if pending is not None:
                if pending.not_null_column:
                    t.not_null_checked.add(pending.not_null_column)
                self.emit(ConstraintValidated(t, name, pending, line, new))
        elif st == AlterTableType.AT_DropConstraint:
            t.not_valid.pop(name, None)
        elif st == AlterTableType.AT_DropNotNull:
            t.not_null_checked.discard(name)
        elif st == AlterTableType.AT_SetNotNull:
            if name not in t.not_null_checked:
                t.not_null_checked.add(name)
                self.emit(NotNullSet(t, name, line, new))

    def add_column(self, t: TableState, col: ast.ColumnDef, new: bool, line: int) -> None:
        colname = col.colname or "?"
        t.columns.add(colname)
        if colname in TENANT_COLUMNS:
            t.has_tenant = True
        cons = [c.contype for c in col.constraints or ()]
        if ConstrType.CONSTR_NOTNULL in cons or ConstrType.CONSTR_PRIMARY in cons:
            t.not_null_checked.add(colname)
        self.emit(ColumnAdded(t, col, line, new))
        for c in col.constraints or ():
            if c.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK, ConstrType.CONSTR_UNIQUE,
                             ConstrType.CONSTR_PRIMARY):
                self.emit(ConstraintAdded(t, c, line, new, column=colname))

    def on_RenameStmt(self, node: ast.RenameStmt, line: int) -> None:
        if node.relation is None:
            return
        if node.renameType == ObjectType.OBJECT_TABLE:
            t = self.existing(node.relation)
            old = t.key
            del self.tables[old]
            schema = node.relation.schemaname
            t.key = f"{schema}.{node.newname}" if schema else str(node.newname)
            self.tables[t.key] = t
            self.gone[old] = (Place(self.file_index, line, self.file), f"renamed to {node.newname}")
            self.gone.pop(t.key, None)
            self.emit(TableRenamed(t, old, str(node.newname), line))
        elif node.renameType == ObjectType.OBJECT_COLUMN and node.relationType == ObjectType.OBJECT_TABLE:
            t = self.existing(node.relation)
            t.columns.discard(node.subname or "")
            t.columns.add(node.newname or "")
            self.emit(ColumnRenamed(t, node.subname or "", node.newname or "", line))

    def on_DropStmt(self, node: ast.DropStmt, line: int) -> None:
        kind = node.removeType
        if kind == ObjectType.OBJECT_INDEX:
            for names in node.objects or ():
                self.indexes.pop(rv_key(names_rv(names)), None)
                if node.missing_ok:
                    self.dropped_indexes.add(names[-1].sval)
        elif kind == ObjectType.OBJECT_TABLE:
            for names in node.objects or ():
                rv = names_rv(names)
                t = self.lookup(rv)
                key = t.key if t else rv_key(rv)
                if t:
                    del self.tables[t.key]
                    self.gone[key] = (Place(self.file_index, line, self.file), "dropped")
                self.emit(TableDropped(key, t, line))
        elif kind in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE):
            for owa in node.objects or ():
                if isinstance(owa, ast.ObjectWithArgs):
                    self.drop_object(self._routine_id(owa))
        elif kind == ObjectType.OBJECT_VIEW:
            for names in node.objects or ():
                rv = names_rv(names)
                self.drop_object(("view", rv.schemaname, str(rv.relname), None))

    # --- functions, procedures, views: who created them ---

    @staticmethod
    def _routine_id(owa: ast.ObjectWithArgs) -> ObjectId:
        schema, name = routine_name(owa.objname)
        args = None if owa.args_unspecified else tuple(_type_name(a) for a in owa.objargs or ())
        return ("routine", schema, name, args)

    @staticmethod
    def _find(objects: dict[ObjectId, DefinedObject], wanted: ObjectId) -> ObjectId | None:
        if wanted in objects:
            return wanted
        found = [k for k in objects if _matches(k, wanted)]
        return found[0] if len(found) == 1 else None

    def find_object(self, wanted: ObjectId) -> DefinedObject | None:
        key = self._find(self.objects, wanted)
        return self.objects[key] if key is not None else None

    def define(self, kind: str, oid: ObjectId, line: int, how: str) -> None:
        owner = self.find_object(oid)
        dropped = self._find(self.dropped_objects, oid) if owner is None else None
        if dropped is not None:  # dropped earlier in this file: DROP, then CREATE again
            owner = self.objects[dropped] = self.dropped_objects.pop(dropped)
            how = f"DROP, then {how}"
        if owner is not None:
            self.emit(ObjectRedefined(owner, how, line))
            return
        display = _routine_display(oid[1], oid[2], oid[3] if oid[0] == "routine" else None)
        self.objects[oid] = DefinedObject(kind, display, self.file, self.change, line)

    def redefine(self, oid: ObjectId, how: str, line: int) -> None:
        owner = self.find_object(oid)
        if owner is not None:
            self.emit(ObjectRedefined(owner, how, line))

    def drop_object(self, oid: ObjectId) -> None:
        key = self._find(self.objects, oid)
        if key is not None:
            self.dropped_objects[key] = self.objects.pop(key)

    def on_CreateFunctionStmt(self, node: ast.CreateFunctionStmt, line: int) -> None:
        schema, name = routine_name(node.funcname)
        kind = "procedure" if node.is_procedure else "function"
        how = f"CREATE OR REPLACE {kind.upper()}" if node.replace else f"CREATE {kind.upper()}"
        self.define(kind, ("routine", schema, name, routine_args(node.parameters)), line, how)

    def on_AlterFunctionStmt(self, node: ast.AlterFunctionStmt, line: int) -> None:
        if node.func is not None:
            kind = "PROCEDURE" if node.objtype == ObjectType.OBJECT_PROCEDURE else "FUNCTION"
            self.redefine(self._routine_id(node.func), f"ALTER {kind} (volatility, security, settings ...)", line)

    def on_ViewStmt(self, node: ast.ViewStmt, line: int) -> None:
        if node.view is None:
            return
        self.views.add(rv_key(node.view))
        how = "CREATE OR REPLACE VIEW" if node.replace else "CREATE VIEW"
        self.define("view", ("view", node.view.schemaname, str(node.view.relname), None), line, how)


def analyse(files: list[MigrationFile], rules: Sequence[Rule], sqitch: bool) -> list[Finding]:
    return Walker(rules, sqitch).run(files)
