"""What a doctor rule is: its identity, its documentation, its two examples and its check.

Every lint the doctor reports is one :class:`Rule`, declared in a module of its own under
``motovault.doctor.rules`` (``RULE = Rule(...)``). The registry (:mod:`motovault.doctor.rules`)
finds them; ``--list-rules``, ``--explain``, the docs under ``docs/doctor`` and the per-rule tests
all read the same declaration.

A rule checks one of two things:

- the live catalog (``check``: a function of a :class:`LiveRun` yielding findings), or
- migration files (``on``: handlers of the events the migration walker emits while it replays the
  files in apply order, see :mod:`motovault.doctor.walker`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .model import CATEGORIES, Finding, Level

if TYPE_CHECKING:
    import psycopg

    from .catalog import Catalog
    from .heuristics import LiveOptions

Scope = Literal["live", "migrations"]

#: sections of the report's recommendations, in print order
SECTIONS = ("Immediate priorities", "Security", "Performance & "
                                                "scalability", "Data integrity", "Migrations & operations")


@dataclass(frozen=True)
class MigrationExample:
    """Migration files by name, in apply order. A numbered folder (``001.sql``...), or, with ``plan``,
    a sqitch project: ``plan`` is its ``sqitch.plan`` and the files are paths in it (``deploy/x.sql``)."""

    files: Mapping[str, str]
    plan: str | None = None


@dataclass(frozen=True)
class LiveExample:
    """SQL run in an empty database (schema ``public``), then analysed with these LiveOptions fields."""

    sql: str
    options: Mapping[str, float] = field(default_factory=dict)


@dataclass
class LiveRun:
    """What a live check reads: the catalog snapshot, the options, the connection (for a few lookups
    in pg_catalog) and a memo shared by the checks of one run (analyses several rules reuse)."""

    cat: Catalog
    opts: LiveOptions
    conn: psycopg.Connection[Any] | None = None
    memo: dict[str, Any] = field(default_factory=dict)


LiveCheck = Callable[[LiveRun], Iterable[Finding]]
#: a migration rule's handler: (its RuleContext, the event) -> None; see motovault.doctor.walker
Handler = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Rule:
    name: str
    level: Level  # the level of the defect as documented; level_note says when it reports another one
    category: str
    summary: str  # one line
    anti_pattern: str  # markdown: what the rule looks for
    why: str  # markdown: why it hurts
    fix: str  # markdown: what to do instead
    bad: MigrationExample | LiveExample  # triggers the rule ...
    good: MigrationExample | LiveExample  # ... and the same thing done right: silent
    key: str  # the key of the finding the bad example yields
    section: str  # where the report's recommendations list it
    recommendation: str  # the report's recommendation line
    also_levels: tuple[Level, ...] = ()  # other levels it may report
    level_note: str = ""  # when it reports one of also_levels
    check: LiveCheck | None = None
    on: Mapping[type[Any], Handler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"rule {self.name}: unknown category {self.category!r}")
        if self.section not in SECTIONS:
            raise ValueError(f"rule {self.name}: unknown section {self.section!r}")
        if (self.check is None) == (not self.on):
            raise ValueError(f"rule {self.name}: give a live check or migration handlers (one of them)")

    @property
    def scope(self) -> Scope:
        return "live" if self.check is not None else "migrations"

    @property
    def levels(self) -> tuple[Level, ...]:
        return (self.level, *self.also_levels)

    def finding(
        self, obj: str, message: str, evidence: str, remediation: str, *,
        level: Level | None = None, file: str | None = None, line: int | None = None,
    ) -> Finding:
        level = self.level if level is None else level
        if level not in self.levels:
            raise ValueError(f"rule {self.name} does not report at level {level.label}")
        return Finding(lint=self.name, level=level, category=self.category, object=obj, message=message,
                       evidence=evidence, remediation=remediation, file=file, line=line)
