"""Rendering: markdown in the spirit of the legacy analysis report, and JSON."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from .model import CATEGORIES, Finding, Level, Report

#: lint -> (section, recommendation). Only recommendations with findings are printed.
RECOMMENDATIONS: dict[str, tuple[str, str]] = {
    "missing_timestamps": ("Immediate priorities", "Standardize timestamps: add created_at, updated_at (timestamptz not null) maintained by one trigger"),
    "missing_tenant_id": ("Immediate priorities", "Implement multi-tenancy: add tenant_id to every user-data table and lead keys with it"),
    "migration_table_without_tenant_id": ("Immediate priorities", "Implement multi-tenancy: add tenant_id to every user-data table and lead keys with it"),
    "missing_soft_delete": ("Immediate priorities", "Add soft delete: deleted_at timestamptz, hidden by the API views"),
    "twin_columns": ("Immediate priorities", "Resolve naming conflicts: keep one column per meaning and drop its synonyms"),
    "rls_disabled": ("Security", "Enable and force row level security on every tenant table"),
    "rls_not_forced": ("Security", "Enable and force row level security on every tenant table"),
    "rls_no_policy": ("Security", "Give every RLS table a tenant policy"),
    "rls_policy_without_tenant_predicate": ("Security", "Filter every tenant policy on tenant_id"),
    "rls_predicate_not_indexable": ("Security", "Compare tenant_id directly with an inlinable STABLE SQL helper in policies"),
    "view_bypasses_rls": ("Security", "Make views over RLS tables security_invoker"),
    "security_definer_search_path": ("Security", "Pin search_path on SECURITY DEFINER functions"),
    "function_public_execute": ("Security", "Revoke EXECUTE from PUBLIC and grant functions to the roles that need them"),
    "extension_in_public": ("Security", "Move extensions out of schema public"),
    "fk_without_index": ("Performance & scalability", "Index foreign keys (leading columns of an index)"),
    "rls_predicate_no_index": ("Performance & scalability", "Index the column tenant policies compare (lead the primary key with tenant_id)"),
    "multiple_permissive_policies": ("Performance & scalability", "Merge permissive policies: one per role and command"),
    "duplicate_index": ("Performance & scalability", "Drop duplicate indexes"),
    "unused_index": ("Performance & scalability", "Review indexes never scanned"),
    "large_event_table": ("Performance & scalability", "Partition large event tables by time or index them on time (BRIN)"),
    "no_primary_key": ("Data integrity", "Give every table a primary key"),
    "enum_without_check": ("Data integrity", "Add CHECK constraints (or foreign keys) for enum-like columns"),
    "jsonb_without_validation": ("Data integrity", "Validate JSONB payloads in the database (CHECK or trigger)"),
    "fk_default_on_delete": ("Data integrity", "Choose CASCADE / RESTRICT / SET NULL explicitly on foreign keys"),
    "nullable_fk": ("Data integrity", "Make mandatory relations NOT NULL"),
    "timestamp_without_time_zone": ("Data integrity", "Store instants as timestamptz"),
    "money_in_float": ("Data integrity", "Store money as numeric with a currency"),
    "migration_column_added_later": ("Migrations & operations", "Squash schema evolution into table definitions when the history is rebased"),
    "migration_index_without_if_not_exists": ("Migrations & operations", "Make index creation idempotent (IF NOT EXISTS)"),
    "migration_index_not_concurrent": ("Migrations & operations", "Build indexes on live tables CONCURRENTLY"),
    "migration_concurrent_in_transaction": ("Migrations & operations", "Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an invalid leftover"),
    "migration_not_null_without_default": ("Migrations & operations", "Add NOT NULL columns in steps: nullable, backfill, then SET NOT NULL"),
    "migration_alter_column_type": ("Migrations & operations", "Change column types with expand/contract, not in place"),
    "migration_drop_column": ("Migrations & operations", "Drop and rename with expand/contract releases"),
    "migration_drop_table": ("Migrations & operations", "Drop and rename with expand/contract releases"),
    "migration_rename_column": ("Migrations & operations", "Drop and rename with expand/contract releases"),
    "migration_rename_table": ("Migrations & operations", "Drop and rename with expand/contract releases"),
    "migration_constraint_without_not_valid": ("Migrations & operations", "Add constraints NOT VALID, then VALIDATE in a later step"),
    "migration_validate_in_same_transaction": ("Migrations & operations", "Add constraints NOT VALID, then VALIDATE in a later step"),
    "migration_constraint_never_validated": ("Data integrity", "Validate every NOT VALID constraint in a later change"),
    "migration_set_not_null_scan": ("Migrations & operations", "Add constraints NOT VALID, then VALIDATE in a later step"),
    "migration_without_lock_timeout": ("Migrations & operations", "Set lock_timeout in every migration that locks a live table"),
    "migration_concurrent_not_alone": ("Migrations & operations", "Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an invalid leftover"),
    "migration_concurrent_index_if_not_exists": ("Migrations & operations", "Run CREATE INDEX CONCURRENTLY outside transaction blocks, alone in its change, after dropping an invalid leftover"),
    "migration_unparseable": ("Migrations & operations", "Fix migration statements PostgreSQL cannot parse"),
    "migration_unreadable": ("Migrations & operations", "Fix migration statements PostgreSQL cannot parse"),
}
SECTION_ORDER = ("Immediate priorities", "Security", "Performance & scalability", "Data integrity", "Migrations & operations")
CATEGORY_TITLES = {
    "multi-tenancy": "Multi-tenancy", "integrity": "Integrity", "security": "Security",
    "performance": "Performance", "naming": "Naming (data quality)", "operations": "Operations (technical debt)",
}


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, default=str) + "\n"


def _yn(v: bool) -> str:
    return "✅" if v else "❌"


def _rows(n: int | None, exact: bool) -> str:
    if n is None:
        return "unknown (never analyzed)"
    return f"{n:,}" if exact else f"~{n:,} (estimate)"


def _finding_line(f: Finding) -> str:
    where = f" ({f.file}:{f.line})" if f.file else ""
    return f"- **{f.level.label}** `{f.key}`{where}: {f.message}"


_SQL_START = re.compile(r"^\s*(create|alter|drop|update|revoke|grant|insert|delete|comment)\b", re.I)


def _fix(remediation: str) -> str:
    if not _SQL_START.match(remediation):
        return f"  - fix: {remediation}"
    if "\n" in remediation or "`" in remediation:
        body = remediation.replace("\n", "\n    ")
        return f"  - fix:\n    ```sql\n    {body}\n    ```"
    return f"  - fix: `{remediation}`"


def recommendations(findings: list[Finding]) -> list[tuple[str, list[tuple[str, list[Finding]]]]]:
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        section, text = RECOMMENDATIONS.get(f.lint, ("Migrations & operations", f"Address {f.lint}"))
        grouped[section][text].append(f)
    out = []
    for section in SECTION_ORDER:
        if section in grouped:
            recs = sorted(grouped[section].items(), key=lambda kv: (-max(f.level for f in kv[1]), kv[0]))
            out.append((section, recs))
    return out


def render_markdown(report: Report) -> str:
    s = report.summary()
    active = report.active
    lines: list[str] = []
    title = f"Database Architecture Analysis: {s['database']}" if s["database"] else "Database Architecture Analysis"
    lines += [f"# {title}", "", f"**Analysis Date:** {report.generated_at}", ""]
    lines += ["## Executive Summary", ""]
    lv = s["by_level"]
    lines.append(
        f"**{s['findings']} findings**: {lv['error']} errors, {lv['warning']} warnings, {lv['info']} info"
        + (f" ({s['suppressed']} suppressed with a reason)" if s["suppressed"] else "") + "."
    )
    lines.append("")
    lines += ["| category | error | warning | info |", "|---|---|---|---|"]
    for c in CATEGORIES:
        counts = [sum(1 for f in active if f.category == c and f.level == lvl) for lvl in (Level.ERROR, Level.WARNING, Level.INFO)]
        if any(counts):
            lines.append(f"| {c} | " + " | ".join(str(n) for n in counts) + " |")
    lines.append("")

    lines += ["## Database Overview", ""]
    if report.database:
        lines.append(f"- **Database:** {report.database.name} (PostgreSQL {report.database.server_version})")
        lines.append(f"- **Schemas analysed:** {', '.join(report.database.schemas) or '(none)'}")
    if report.database:
        lines.append(f"- **Tables:** {s['tables']}")
        lines.append(f"- **Total Records:** {s['total_rows']:,}" + ("" if s["rows_exact"] else " (catalog estimates; --exact-counts to count)"))
    else:
        lines.append("- **Live catalog:** not read (--no-live)")
    if report.migration_source:
        lines.append(f"- **Migration Files:** {s['migration_files']} ({report.migration_source})")
    lines.append("")

    if report.tables:
        lines += ["## Table Analysis", ""]
        for t in report.tables:
            fks = ", ".join(f"{', '.join(fk.columns)} → {fk.target}" for fk in t.foreign_keys) or "None"
            lines += [
                f"### {t.qualified}",
                f"- **Rows:** {_rows(t.rows, t.rows_exact)}",
                f"- **Columns:** {t.columns}",
                f"- **Has Timestamps:** {_yn(t.has_timestamps)}",
                f"- **Has Tenant ID:** {_yn(t.has_tenant_id)}",
                f"- **Has Soft Delete:** {_yn(t.has_soft_delete)}",
                f"- **Row Level Security:** {'forced' if t.rls_forced and t.rls_enabled else ('enabled' if t.rls_enabled else 'off')}"
                f" ({t.policies} {'policy' if t.policies == 1 else 'policies'})",
                f"- **Foreign Keys:** {fks}",
                "",
            ]

    lines += ["## Critical Issues", ""]
    if not active:
        lines += ["No findings.", ""]
    for c in CATEGORIES:
        fs = sorted((f for f in active if f.category == c), key=lambda f: (-f.level, f.file or "", f.line or 0, f.key))
        if not fs:
            continue
        lines += [f"### {CATEGORY_TITLES[c]} ({len(fs)} items)", ""]
        for f in fs:
            lines.append(_finding_line(f))
            lines.append(f"  - evidence: {f.evidence}")
            lines.append(_fix(f.remediation))
        lines.append("")

    lines += ["## Recommendations", ""]
    if not active:
        lines += ["Nothing to recommend: no findings.", ""]
    n = 0
    for section, recs in recommendations(active):
        lines += [f"=== {section.upper()} ===", ""]
        for text, fs in recs:
            n += 1
            lines.append(f"{n}. {text} ({len(fs)} finding{'s' if len(fs) != 1 else ''})")
            for f in fs[:20]:
                lines.append(f"   - `{f.key}`")
            if len(fs) > 20:
                lines.append(f"   - … and {len(fs) - 20} more")
        lines.append("")

    if report.suppressed:
        lines += ["## Suppressed", ""]
        for f in report.suppressed:
            lines.append(f"- `{f.key}` ({f.level.label}): {f.suppressed_by}")
        lines.append("")
    if report.unused_suppressions:
        lines += ["## Unused suppressions", "", "These entries of the ignore file match no finding any more: remove them.", ""]
        lines += [f"- `{label}`" for label in report.unused_suppressions] + [""]
    lines += ["---", "", "*Generated by `motovault doctor`*", ""]
    return "\n".join(lines)
