from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Relation
from ..heuristics import ENUM_LIKE, TEXT_TYPES, q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def _checked_columns(rel: Relation) -> set[int]:
    out: set[int] = set()
    for con in rel.constraints:
        if con.type in ("c", "f"):
            out.update(con.columns)
    return out


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        checked = _checked_columns(rel)
        for c in rel.columns:
            if c.base_type in TEXT_TYPES and not c.domain_checked and ENUM_LIKE.search(c.name) and c.num not in checked:
                yield RULE.finding(
                    f"{rel.qualified}.{c.name}", f"{rel.qualified}.{c.name}: enum-like {c.type} column without CHECK "
                                                 "or foreign key",
                    f"{c.name} {c.type}; no CHECK or FOREIGN KEY constraint covers it",
                    f"alter table {qn(rel)} add constraint {q(rel.name + '_' + c.name + '_valid')} "
                    f"check ({q(c.name)} in (...)) not valid;  -- then VALIDATE CONSTRAINT")


RULE = Rule(
    name="enum_without_check",
    level=Level.WARNING,
    category="integrity",
    summary="an enum-like text column (status, type, kind, *_unit, ...) with no CHECK, foreign key or checked domain",
    anti_pattern="A text column named like an enumeration (`status`, `state`, `type`, `kind`, `category`, `role`, "
                 "`*_type`, `*_unit`, `currency`, ...) that no CHECK constraint, foreign key, checked domain or enum "
                 "type covers.",
    why="Any string goes in: 'Active', 'active ', 'actve'. Every reader must then guess the spelling, and reports "
        "split one value into several.",
    fix="`check (status in ('active', 'sold'))` (added NOT VALID and validated on a live table), a foreign key to a "
        "table of codes, or a domain with a CHECK.",
    bad=LiveExample("create table vehicles (id int primary key, status text);"),
    good=LiveExample("create table vehicles (id int primary key, status text not null check (status in ('active', "
                     "'sold')));"),
    key="enum_without_check:public.vehicles.status",
    section="Data integrity",
    recommendation="Add CHECK constraints (or foreign keys) for enum-like columns",
    check=check,
)
