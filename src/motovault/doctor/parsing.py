"""Migration scripts to statements: psql meta-commands stripped, PostgreSQL's own parser (pglast),
each statement with the line it starts on; a statement the parser rejects is kept with its error.

psql meta-commands: ``\\gexec``/``\\g`` end the statement they follow (they become ``;``), every
other ``\\command`` line is blanked (both branches of an ``\\if`` are read), and psql variables
(``:'v'``, ``:"v"``, ``:{?v}``) become literals.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import pglast
from pglast import ast, parser

_GEXEC = re.compile(r"\\(gexec|gset|gx|g)\b[^\n]*")
_META_LINE = re.compile(r"^[ \t]*\\[^\n]*$", re.M)
_VAR_QUOTED = re.compile(r"(?<!:):'([A-Za-z_]\w*)'")
_VAR_IDENT = re.compile(r'(?<!:):"([A-Za-z_]\w*)"')
_VAR_TEST = re.compile(r"(?<!:):\{\?([A-Za-z_]\w*)\}")
_COMMENTS = ("SQL_COMMENT", "C_COMMENT")


def strip_psql(text: str) -> str:
    """Make a psql script plain SQL, keeping every line where it was."""
    text = _GEXEC.sub(";", text)
    text = _META_LINE.sub("", text)
    text = _VAR_QUOTED.sub(r"'\1'", text)
    text = _VAR_IDENT.sub(r'"\1"', text)
    text = _VAR_TEST.sub("true", text)
    return text


@dataclass
class Statement:
    node: ast.Node | None
    line: int
    text: str
    error: str | None = None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse_statements(text: str) -> list[Statement]:
    """Every statement with its line; a statement the parser rejects is kept with its error."""
    sql = strip_psql(text)
    data = sql.encode()
    try:
        stmts = pglast.parse_sql(sql)
        starts = [t.start for t in parser.scan(sql) if t.name not in _COMMENTS]
        parsed: list[Statement] = []
        for r in stmts:
            location = r.stmt_location or 0
            i = bisect.bisect_left(starts, location)  # skip comments before the statement
            parsed.append(Statement(r.stmt, _line_at(data, starts[i] if i < len(starts) else location), ""))
        return parsed
    except parser.ParseError:
        pass
    # split with the scanner at top-level semicolons, then parse each piece alone
    try:
        tokens = parser.scan(sql)
    except parser.ParseError as exc:
        return [Statement(None, 1, sql[:200], f"cannot even tokenize: {exc}")]
    out: list[Statement] = []
    start = 0
    bounds: list[tuple[int, int]] = []
    for t in tokens:
        if t.name == "ASCII_59":
            bounds.append((start, t.start))
            start = t.end + 1
    bounds.append((start, len(data)))
    for a, b in bounds:
        piece = data[a:b].decode(errors="replace")
        if not piece.strip() or not _has_code(piece):
            continue
        line = _line_at(data, a + _leading_ws(data, a))
        try:
            for r in pglast.parse_sql(piece):
                out.append(Statement(r.stmt, line, ""))
        except parser.ParseError as exc:
            out.append(Statement(None, line, " ".join(piece.split())[:200], str(exc)))
    return out


def _leading_ws(data: bytes, offset: int) -> int:
    n = 0
    while offset + n < len(data) and data[offset + n] in b" \t\r\n":
        n += 1
    return n


def _has_code(piece: str) -> bool:
    try:
        return any(t.name not in _COMMENTS for t in parser.scan(piece))
    except parser.ParseError:
        return True
