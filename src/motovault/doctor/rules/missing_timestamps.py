from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import is_event_like, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        names = {c.name for c in rel.columns}
        if is_event_like(rel):
            # append-only: one not-null timestamptz saying when it happened is enough
            if any(c.base_type == "timestamptz" and c.not_null for c in rel.columns):
                continue
            missing = ["created_at"]
        else:
            missing = [n for n in ("created_at", "updated_at") if n not in names]
        if missing:
            cols = ", ".join(f"add column {m} timestamptz not null default now()" for m in missing)
            yield RULE.finding(
                rel.qualified, f"{rel.qualified}: missing {'/'.join(missing)} timestamps",
                f"columns: {', '.join(sorted(names)) or '(none)'}",
                f"alter table {qn(rel)} {cols};"
                + ("" if missing == ["created_at"] else "  -- and a BEFORE UPDATE trigger setting updated_at = now()"))


RULE = Rule(
    name="missing_timestamps",
    level=Level.WARNING,
    category="operations",
    summary="a table without created_at/updated_at (an event-like table: without a not-null timestamptz)",
    anti_pattern="A table lacking `created_at` or `updated_at`; an append-only, event-like table (its name says "
                 "event, log, audit, history, ...) lacking any `timestamptz not null` column.",
    why="Without them nobody can answer \"since when?\" or \"what changed last night?\": support, audits, incremental "
        "exports and cache invalidation all need them, and they cannot be recovered afterwards.",
    fix="`created_at timestamptz not null default now()`, `updated_at timestamptz not null default now()` and one "
        "shared BEFORE UPDATE trigger setting `updated_at = now()`.",
    bad=LiveExample("create table vehicles (id int primary key, vin text);"),
    good=LiveExample("create table vehicles (id int primary key, vin text,"
                     " created_at timestamptz not null default now(), updated_at timestamptz not null default now());"),
    key="missing_timestamps:public.vehicles",
    section="Immediate priorities",
    recommendation="Standardize timestamps: add created_at, updated_at (timestamptz not null) maintained by one "
                   "trigger",
    check=check,
)
