"""What the migration walker knows and tells: the state of the tables and objects it tracks, and the
events it emits to the migration rules while it replays the files (see :mod:`motovault.doctor.walker`).

A rule subscribes to an event type in its ``Rule.on`` mapping; its handler gets the rule's
:class:`~motovault.doctor.walker.RuleContext` and the event. Events carry what the walker computed
for the statement (the table's state, whether it is new in this file, the pending constraint ...);
the rest of the state is on ``ctx.walker``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pglast import ast

from .locks import LockTarget
from .parsing import Statement


@dataclass
class MigrationFile:
    name: str  # shown in findings: the path relative to the source folder
    path: Path
    change: str | None = None  # sqitch change name (reworks of a change share it)


@dataclass
class PendingConstraint:
    """A constraint added NOT VALID and not validated yet."""

    name: str
    file: str
    line: int
    txn: int  # transaction (see Walker.txn) that added it
    not_null_column: str | None = None  # a CHECK (col IS NOT NULL)


@dataclass
class TableState:
    key: str
    created_in: str | None  # file name; None = not created in the set (so far)
    columns: set[str] = field(default_factory=set)
    has_tenant: bool = False
    not_valid: dict[str, PendingConstraint] = field(default_factory=dict)
    not_null_checked: set[str] = field(default_factory=set)  # columns with a validated CHECK (col is not null)


@dataclass(frozen=True)
class Place:
    """A statement's position in apply order."""

    index: int  # the file's position in the set
    line: int
    file: str


@dataclass
class DefinedObject:
    """A function, procedure or view created by the set, and who created it."""

    kind: str  # function | procedure | view
    key: str  # shown: app.audit_row() / app.f(int4, text) / api.vehicles
    file: str
    change: str | None
    line: int


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementSeen:
    """Every parsed statement, before the walker applies it (the state is the one before it)."""

    node: ast.Node
    line: int


@dataclass(frozen=True)
class FileUnreadable:
    file: str
    error: str


@dataclass(frozen=True)
class StatementUnparseable:
    statement: Statement


@dataclass(frozen=True)
class TableCreated:
    table: TableState  # already recorded: new in this file
    node: ast.CreateStmt
    line: int
    references: list[str]  # tables its foreign keys point at


@dataclass(frozen=True)
class ColumnAdded:
    table: TableState
    column: ast.ColumnDef
    line: int
    new: bool  # the table is new in this file


@dataclass(frozen=True)
class ConstraintAdded:
    """ADD CONSTRAINT, or a constraint of an added column (``column`` names it then)."""

    table: TableState
    constraint: ast.Constraint
    line: int
    new: bool
    column: str | None = None


@dataclass(frozen=True)
class ConstraintValidated:
    table: TableState
    name: str
    pending: PendingConstraint  # where it was added NOT VALID
    line: int
    new: bool


@dataclass(frozen=True)
class NotNullSet:
    """SET NOT NULL on a column no validated CHECK (col is not null) proves."""

    table: TableState
    column: str
    line: int
    new: bool


@dataclass(frozen=True)
class ColumnTypeChanged:
    table: TableState
    column: str
    line: int
    new: bool


@dataclass(frozen=True)
class ColumnDropped:
    table: TableState
    column: str
    line: int
    new: bool


@dataclass(frozen=True)
class TableRenamed:
    table: TableState  # its key is already the new one
    old_key: str
    new_name: str
    line: int


@dataclass(frozen=True)
class ColumnRenamed:
    table: TableState
    old: str
    new_name: str
    line: int


@dataclass(frozen=True)
class TableDropped:
    key: str
    table: TableState | None  # None: not known to the set
    line: int


@dataclass(frozen=True)
class IndexCreated:
    table: TableState
    node: ast.IndexStmt
    obj: str  # schema.index, or the table when the index has no name
    line: int


@dataclass(frozen=True)
class TableLocked:
    """A statement waits for a lock on an existing table (not one new in this file, not a view)."""

    target: LockTarget
    table: str
    where: str  # where the table comes from, for messages
    line: int


@dataclass(frozen=True)
class TableMissing:
    """A statement uses a table that does not exist at that point of the apply order: the set creates
    it later (``created``), or dropped or renamed it earlier (``gone``)."""

    table: str
    what: str  # the statement, as LockTarget.what
    line: int
    created: Place | None = None
    gone: Place | None = None
    gone_how: str = ""


@dataclass(frozen=True)
class ObjectRedefined:
    """A function, procedure or view the set created earlier is defined again (CREATE OR REPLACE,
    DROP then CREATE, ALTER FUNCTION, ALTER VIEW SET ...); ``owner`` says who created it."""

    owner: DefinedObject
    how: str
    line: int


@dataclass(frozen=True)
class FileEnded:
    file: str
    statements: list[tuple[int, ast.Node]]  # (line, statement) of the file, in order


@dataclass(frozen=True)
class SetEnded:
    pass
