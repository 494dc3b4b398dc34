"""Rendering: markdown in the spirit of the legacy analysis report, and JSON."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from .model import CATEGORIES, Finding, Level, Report
from .rule import SECTIONS
from .rules import find_rule

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


def _ignore_file(report: Report) -> str:
    if report.ignore_file:
        how = "--ignore-file" if report.ignore_file_origin == "given" else "found by itself"
        return f"`{report.ignore_file}` ({how})"
    return "none found (.doctor-ignore.toml)" if report.ignore_file_origin == "none" else "not used"


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
        rule = find_rule(f.lint)
        fallback = ("Migrations & operations", f"Address {f.lint}")
        section, text = (rule.section, rule.recommendation) if rule else fallback
        grouped[section][text].append(f)
    out = []
    for section in SECTIONS:
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
        counts = [sum(1 for f in active if f.category == c and f.level == lvl)
                  for lvl in (Level.ERROR, Level.WARNING, Level.INFO)]
        if any(counts):
            lines.append(f"| {c} | " + " | ".join(str(n) for n in counts) + " |")
    lines.append("")

    lines += ["## Database Overview", ""]
    if report.database:
        lines.append(f"- **Database:** {report.database.name} (PostgreSQL {report.database.server_version})")
        lines.append(f"- **Schemas analysed:** {', '.join(report.database.schemas) or '(none)'}")
    if report.database:
        lines.append(f"- **Tables:** {s['tables']}")
        estimate = "" if s["rows_exact"] else " (catalog estimates; --exact-counts to count)"
        lines.append(f"- **Total Records:** {s['total_rows']:,}{estimate}")
    else:
        lines.append("- **Live catalog:** not read (--no-live)")
    if report.migration_source:
        lines.append(f"- **Migration Files:** {s['migration_files']} ({report.migration_source})")
    lines.append(f"- **Ignore file:** {_ignore_file(report)}")
    lines.append("")

    if report.tables:
        lines += ["## Table Analysis", ""]
        for t in report.tables:
            rls = "forced" if t.rls_forced and t.rls_enabled else ("enabled" if t.rls_enabled else "off")
            fks = ", ".join(f"{', '.join(fk.columns)} → {fk.target}" for fk in t.foreign_keys) or "None"
            lines += [
                f"### {t.qualified}",
                f"- **Rows:** {_rows(t.rows, t.rows_exact)}",
                f"- **Columns:** {t.columns}",
                f"- **Has Timestamps:** {_yn(t.has_timestamps)}",
                f"- **Has Tenant ID:** {_yn(t.has_tenant_id)}",
                f"- **Has Soft Delete:** {_yn(t.has_soft_delete)}",
                f"- **Row Level Security:** {rls} ({t.policies} {'policy' if t.policies == 1 else 'policies'})",
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
        lines += ["## Unused suppressions", "",
                  "These entries of the ignore file match no finding any more: remove them.", ""]
        lines += [f"- `{label}`" for label in report.unused_suppressions] + [""]
    lines += ["---", "", "*Generated by `motovault doctor`*", ""]
    return "\n".join(lines)
