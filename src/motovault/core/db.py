"""The one way the package opens a PostgreSQL connection.

Every command, the worker, the stack and the doctor connect through :func:`connect`: autocommit by
default, a connect timeout, the program's name in ``pg_stat_activity``, and a failure turned into a
one-line :class:`MotovaultError` that names what could not be reached (never a traceback).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from .errors import MotovaultError

if TYPE_CHECKING:  # psycopg >= 3.3 names the query types so
    from psycopg.abc import Params, QueryNoTemplate

DEFAULT_CONNECT_TIMEOUT = 10


def describe(dsn: str) -> str:
    """host:port/dbname of a DSN, without its password (for messages)."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the database (the DSN could not be read)"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    name = parts.get("dbname") or parts.get("user") or ""
    return f"{host}:{port}/{name}"


def one_row(conn: psycopg.Connection[TupleRow], query: QueryNoTemplate, params: Params | None = None) -> TupleRow:
    """The row a query that always returns one (``select count(*) ...``) returns."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise AssertionError(f"no row from {query!r}")
    return row


def connect(
    dsn: str,
    *,
    autocommit: bool = True,
    application_name: str = "motovault",
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    what: str | None = None,
) -> psycopg.Connection[TupleRow]:
    """A psycopg connection, or a one-line MotovaultError naming ``what`` (default: host:port/db)."""
    try:
        return psycopg.connect(
            dsn, autocommit=autocommit, connect_timeout=connect_timeout, application_name=application_name
        )
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise MotovaultError(f"cannot connect to {what or describe(dsn)}: {reason}") from None
