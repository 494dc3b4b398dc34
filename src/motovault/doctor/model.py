"""The doctor's data: findings, table facts and the report that holds them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any


class Level(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Level:
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown level {value!r} (info, warning, error)") from None


CATEGORIES = ("multi-tenancy", "integrity", "security", "performance", "naming", "operations")


@dataclass
class Finding:
    lint: str
    level: Level
    category: str
    object: str
    message: str
    evidence: str
    remediation: str
    file: str | None = None
    line: int | None = None
    suppressed_by: str | None = None

    def __post_init__(self) -> None:
        assert self.category in CATEGORIES, self.category

    @property
    def key(self) -> str:
        """Stable identity: lint name + object (+ file for migration findings)."""
        if self.file:
            return f"{self.lint}:{self.file}:{self.object}"
        return f"{self.lint}:{self.object}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lint": self.lint,
            "level": self.level.label,
            "category": self.category,
            "object": self.object,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.remediation,
            **({"suppressed": self.suppressed_by} if self.suppressed_by else {}),
        }


@dataclass
class ForeignKeyFact:
    name: str
    columns: list[str]
    target: str
    target_columns: list[str]
    on_delete: str


@dataclass
class TableFacts:
    schema: str
    name: str
    kind: str  # table | partitioned table
    rows: int | None
    rows_exact: bool
    columns: int
    has_timestamps: bool
    has_tenant_id: bool
    has_soft_delete: bool
    rls_enabled: bool
    rls_forced: bool
    policies: int
    foreign_keys: list[ForeignKeyFact] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["qualified_name"] = self.qualified
        return d


@dataclass
class DatabaseFacts:
    name: str
    server_version: str
    schemas: list[str]
    stats_age_days: float | None


@dataclass
class Report:
    database: DatabaseFacts | None
    tables: list[TableFacts]
    findings: list[Finding]
    migration_source: str | None = None
    migration_files: list[str] = field(default_factory=list)
    generated_at: str = ""
    unused_suppressions: list[str] = field(default_factory=list)
    ignore_file: str | None = None  # the suppressions file used, if any
    ignore_file_origin: str = "none"  # given (--ignore-file) | found (next to the migrations / cwd) | none | disabled

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed_by]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by]

    def worst(self) -> Level | None:
        levels = [f.level for f in self.active]
        return max(levels) if levels else None

    def summary(self) -> dict[str, Any]:
        active = self.active
        by_level = {lvl.label: sum(1 for f in active if f.level == lvl) for lvl in reversed(Level)}
        by_category = {c: sum(1 for f in active if f.category == c) for c in CATEGORIES}
        rows = [t.rows for t in self.tables if t.rows is not None]
        return {
            "generated_at": self.generated_at,
            "database": self.database.name if self.database else None,
            "server_version": self.database.server_version if self.database else None,
            "schemas": self.database.schemas if self.database else [],
            "tables": len(self.tables),
            "total_rows": sum(rows),
            "rows_exact": all(t.rows_exact for t in self.tables) if self.tables else True,
            "migration_source": self.migration_source,
            "migration_files": len(self.migration_files),
            "ignore_file": self.ignore_file,
            "ignore_file_origin": self.ignore_file_origin,
            "findings": len(active),
            "suppressed": len(self.suppressed),
            "by_level": by_level,
            "by_category": by_category,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "tables": [t.to_json() for t in self.tables],
            "findings": [f.to_json() for f in self.active],
            "suppressed": [f.to_json() for f in self.suppressed],
            "unused_suppressions": self.unused_suppressions,
        }
