"""Lints on the live catalog: every rule of the registry with a live check, in registry order.

Each check is a function of a :class:`~motovault.doctor.rule.LiveRun` (catalog snapshot, options,
connection) declared by its rule module under ``motovault.doctor.rules``.
"""

from __future__ import annotations

from typing import Any

import psycopg

from .catalog import Catalog
from .heuristics import (
    ENUM_LIKE,
    EVENT_LIKE,
    MONEY_LIKE,
    OWNER_COLUMNS,
    TENANT_COLUMNS,
    TEXT_TYPES,
    TIME_TYPES,
    TWIN_GROUPS,
    LiveOptions,
    is_event_like,
    is_user_data,
    q,
    qn,
    tenant_column,
)
from .model import Finding
from .rule import LiveRun

__all__ = [
    "ENUM_LIKE", "EVENT_LIKE", "MONEY_LIKE", "OWNER_COLUMNS", "TENANT_COLUMNS", "TEXT_TYPES", "TIME_TYPES",
    "TWIN_GROUPS", "LiveOptions", "is_event_like", "is_user_data", "q", "qn", "run_live_lints", "tenant_column",
]


def run_live_lints(
    cat: Catalog, opts: LiveOptions | None = None, conn: psycopg.Connection[Any] | None = None,
) -> list[Finding]:
    from .rules import live_rules

    run = LiveRun(cat=cat, opts=opts or LiveOptions(), conn=conn)
    out: list[Finding] = []
    for rule in live_rules():
        assert rule.check is not None
        out.extend(rule.check(run))
    return out
