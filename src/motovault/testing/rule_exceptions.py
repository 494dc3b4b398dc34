"""tests.rule_exceptions(): the project's rule exceptions, as the catalog walk reads them."""

from __future__ import annotations

from psycopg import sql


def rule_exceptions_function(exceptions: list[tuple[str, str, str]]) -> sql.Composed:
    """tests.rule_exceptions(): the objects excused from checks of the catalog walk
    (tests/pgtap/tenant_tables.sql), as written once in .doctor-ignore.toml (its `checks`)."""
    rows = sql.SQL(", ").join(sql.SQL("({}, {}, {})").format(*map(sql.Literal, row)) for row in exceptions)
    return sql.SQL(
        "create or replace function tests.rule_exceptions() returns table (object text, rule text, reason text) "
        "language sql immutable as $fn$ values {} $fn$; "
        "comment on function tests.rule_exceptions() is 'Objects excused from a check of the catalog walk, with the "
        "reason: made by tests/conftest.py from the checks of .doctor-ignore.toml, "
        "where every exception is written once.'; "
        "revoke execute on function tests.rule_exceptions() from public"
    ).format(rows)
