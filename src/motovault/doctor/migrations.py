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
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pglast
from pglast import ast, parser
from pglast.enums import AlterTableType, ConstrType, ObjectType, TransactionStmtKind

from .live import OWNER_COLUMNS, TENANT_COLUMNS
from .model import Finding, Level
from ..errors import MotovaultError


@dataclass
class MigrationFile:
    name: str  # shown in findings: the path relative to the source folder
    path: Path
    change: str | None = None  # sqitch change name


@dataclass
class TableState:
    key: str
    created_in: str | None  # file name, None = outside the set
    columns: set[str] = field(default_factory=set)
    has_tenant: bool = False


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


# --- lints ------------------------------------------------------------------------------------


def _rv_key(rv: ast.RangeVar) -> str:
    return f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname


class Analyser:
    def __init__(self, sqitch: bool) -> None:
        self.sqitch = sqitch
        self.tables: dict[str, TableState] = {}
        self.findings: list[Finding] = []
        self.file = ""
        self.in_transaction = False

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
            remediation: str) -> None:
        self.findings.append(Finding(lint=lint, level=level, category=category, object=obj, message=message,
                                     evidence=evidence, remediation=remediation, file=self.file, line=line))

    def where(self, t: TableState) -> str:
        return f"created in {t.created_in}" if t.created_in else "created outside the migration set"

    def run(self, files: list[MigrationFile]) -> list[Finding]:
        for mf in files:
            self.file = mf.name
            self.in_transaction = False
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
                handler = getattr(self, "on_" + type(st.node).__name__, None)
                if handler:
                    handler(st.node, st.line)
        return self.findings

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
        self.tables[key] = TableState(key=key, created_in=self.file, columns=cols, has_tenant=has_tenant)
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

    def on_IndexStmt(self, node: ast.IndexStmt, line: int) -> None:
        t = self.existing(node.relation)
        name = node.idxname or f"index on {t.key}"
        obj = f"{node.relation.schemaname + '.' if node.relation.schemaname else ''}{node.idxname}" if node.idxname else t.key
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
                     f"create index concurrently if not exists {node.idxname or '...'} on {t.key} (...);"
                     "  -- outside a transaction (sqitch: a change without begin/commit)")
        if node.concurrent and self.in_transaction:
            self.add("migration_concurrent_in_transaction", Level.ERROR, "operations", obj, line,
                     f"Migration {self.file}: CREATE INDEX CONCURRENTLY inside a transaction block",
                     "CREATE INDEX CONCURRENTLY cannot run inside a transaction block: the deploy fails",
                     "move it to its own change/file without begin/commit")

    def on_AlterTableStmt(self, node: ast.AlterTableStmt, line: int) -> None:
        if node.objtype not in (ObjectType.OBJECT_TABLE, None):
            return
        t = self.existing(node.relation)
        new = self.is_new(t)
        for cmd in node.cmds or ():
            st = cmd.subtype
            if st == AlterTableType.AT_AddColumn:
                col: ast.ColumnDef = cmd.def_
                t.columns.add(col.colname)
                if col.colname in TENANT_COLUMNS:
                    t.has_tenant = True
                obj = f"{t.key}.{col.colname}"
                if not new:
                    self.add("migration_column_added_later", Level.INFO, "operations", obj, line,
                             f"Migration {self.file}: Schema evolution - column {col.colname} added to {t.key} after initial creation",
                             f"{t.key} is {self.where(t)}", "fold the column into the table's definition when squashing migrations")
                cons = [c.contype for c in col.constraints or ()]
                typ = col.typeName.names[-1].sval if col.typeName else ""
                has_default = (ConstrType.CONSTR_DEFAULT in cons or ConstrType.CONSTR_IDENTITY in cons
                               or ConstrType.CONSTR_GENERATED in cons or typ in ("serial", "bigserial", "smallserial"))
                if (ConstrType.CONSTR_NOTNULL in cons or ConstrType.CONSTR_PRIMARY in cons) and not has_default and not new:
                    self.add("migration_not_null_without_default", Level.WARNING, "operations", obj, line,
                             f"Migration {self.file}: ADD COLUMN {col.colname} NOT NULL without a default on existing table {t.key}",
                             "fails as soon as the table has a row",
                             f"alter table {t.key} add column {col.colname} ... ;  -- nullable, backfill, then SET NOT NULL "
                             "(after a validated CHECK (col is not null) to skip the scan)")
            elif st == AlterTableType.AT_AlterColumnType and not new:
                self.add("migration_alter_column_type", Level.WARNING, "operations", f"{t.key}.{cmd.name}", line,
                         f"Migration {self.file}: column type of {t.key}.{cmd.name} changed",
                         "ALTER COLUMN TYPE takes an ACCESS EXCLUSIVE lock and usually rewrites the table and its indexes",
                         "add a new column, backfill in batches, switch readers, then drop the old one")
            elif st == AlterTableType.AT_DropColumn:
                t.columns.discard(cmd.name)
                if not new:
                    self.add("migration_drop_column", Level.WARNING, "operations", f"{t.key}.{cmd.name}", line,
                             f"Migration {self.file}: column {t.key}.{cmd.name} dropped",
                             "clients and views still using the column break at once; the data is gone",
                             "stop reading/writing it first (expand/contract), keep a backup, then drop in a later release")
            elif st == AlterTableType.AT_AddConstraint and not new:
                con: ast.Constraint = cmd.def_
                if con.contype in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK) and not con.skip_validation:
                    kind = "FOREIGN KEY" if con.contype == ConstrType.CONSTR_FOREIGN else "CHECK"
                    cname = con.conname or kind.lower()
                    self.add("migration_constraint_without_not_valid", Level.WARNING, "operations", f"{t.key}.{cname}", line,
                             f"Migration {self.file}: {kind} {cname} added to existing table {t.key} without NOT VALID",
                             f"{t.key} is {self.where(t)}; validating scans the whole table under a lock that blocks writes",
                             f"alter table {t.key} add constraint {cname} ... not valid;\n"
                             f"alter table {t.key} validate constraint {cname};  -- in a later step, only a SHARE UPDATE EXCLUSIVE lock")

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
