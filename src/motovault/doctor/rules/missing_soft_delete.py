from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import is_event_like, is_user_data, qn, tenant_column
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        if rel.column("deleted_at") or is_event_like(rel):
            continue
        if tenant_column(rel) is not None or is_user_data(rel, run.cat)[0]:
            yield RULE.finding(rel.qualified, f"{rel.qualified}: no soft delete capability (deleted_at)",
                               "user-data table without a deleted_at column",
                               f"alter table {qn(rel)} add column deleted_at timestamptz;  -- views filter deleted_at "
                               "is null")


RULE = Rule(
    name="missing_soft_delete",
    level=Level.INFO,
    category="operations",
    summary="a user-data table without deleted_at",
    anti_pattern="A table with a tenant column (or otherwise user data) and no `deleted_at` column; event-like "
                 "tables are left out (they are append-only).",
    why="A DELETE is final: a user's mistake cannot be undone, and the audit trail loses the row. Whether that is "
        "acceptable is a product decision, hence info.",
    fix="`deleted_at timestamptz`; the API views filter `deleted_at is null`, DELETE on them sets it, a trash view "
        "and a restore function bring rows back, a purge job deletes for good after a retention period.",
    bad=LiveExample("create table garages (tenant_id uuid not null, id uuid, name text, primary key (tenant_id, id));"),
    good=LiveExample("create table garages (tenant_id uuid not null, id uuid, name text, deleted_at timestamptz,"
                     " primary key (tenant_id, id));"),
    key="missing_soft_delete:public.garages",
    section="Immediate priorities",
    recommendation="Add soft delete: deleted_at timestamptz, hidden by the API views",
    check=check,
)
