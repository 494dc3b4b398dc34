"""Reading RLS policy expressions with PostgreSQL's own parser.

A policy predicate becomes an index condition, evaluated once per scan, when one
of its top-level AND terms is ``<tenant column> = <expression>`` where the
expression is STABLE (or IMMUTABLE), has no sub-select, and every user-defined
function in it is an inlinable SQL function. That is what this module checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pglast
from pglast import ast
from pglast.enums import BoolExprType
from pglast.visitors import Visitor


@dataclass
class TenantComparison:
    """``column = expression`` found among the top-level AND terms of a predicate."""

    column: str
    functions: list[tuple[str | None, str]] = field(default_factory=list)  # (schema, name)
    has_subquery: bool = False
    subquery_kind: str | None = None  # "scalar" (initplan) or "set" (IN / ANY / EXISTS)
    column_wrapped: bool = False  # tenant_id::text = ... : the cast hides the column from indexes


@dataclass
class PredicateShape:
    parsed: bool
    comparisons: list[TenantComparison]
    mentions_column: bool
    error: str | None = None


class _Collect(Visitor):
    def __init__(self) -> None:
        self.functions: list[tuple[str | None, str]] = []
        self.sublinks: list[ast.SubLink] = []
        self.columns: set[str] = set()

    def visit_FuncCall(self, ancestors, node):  # type: ignore[no-untyped-def]
        names = [n.sval for n in node.funcname]
        self.functions.append((names[-2] if len(names) > 1 else None, names[-1]))

    def visit_SubLink(self, ancestors, node):  # type: ignore[no-untyped-def]
        self.sublinks.append(node)

    def visit_ColumnRef(self, ancestors, node):  # type: ignore[no-untyped-def]
        last = node.fields[-1]
        if isinstance(last, ast.String):
            self.columns.add(last.sval)


def _conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        out: list[ast.Node] = []
        for arg in node.args:
            out.extend(_conjuncts(arg))
        return out
    return [node]


def _column_of(node: ast.Node) -> tuple[str | None, bool]:
    """The column a side of a comparison names, and whether it is wrapped (cast, function)."""
    if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval, False
    if isinstance(node, ast.TypeCast):
        inner, _ = _column_of(node.arg)
        return inner, inner is not None
    return None, False


def _collect(node: ast.Node) -> _Collect:
    c = _Collect()
    c(node)
    return c


def analyse_predicate(expr: str | None, tenant_columns: tuple[str, ...]) -> PredicateShape:
    if expr is None:
        return PredicateShape(parsed=True, comparisons=[], mentions_column=False)
    try:
        stmt = pglast.parse_sql(f"select 1 where {expr}")[0].stmt
    except pglast.parser.ParseError as exc:
        return PredicateShape(parsed=False, comparisons=[], mentions_column=False, error=str(exc))
    where = stmt.whereClause  # type: ignore[union-attr]
    mentions = bool(_collect(where).columns & set(tenant_columns))
    comparisons: list[TenantComparison] = []
    for term in _conjuncts(where):
        if isinstance(term, ast.A_Expr) and term.name and term.name[-1].sval == "=":
            sides = [term.lexpr, term.rexpr]
            for i, side in enumerate(sides):
                col, wrapped = _column_of(side)
                if col in tenant_columns:
                    other = _collect(sides[1 - i])
                    if col in other.columns and not other.functions and not other.sublinks:
                        continue  # tenant_id = tenant_id: not a predicate
                    comparisons.append(
                        TenantComparison(
                            column=col, functions=other.functions, has_subquery=bool(other.sublinks),
                            subquery_kind="scalar" if other.sublinks else None, column_wrapped=wrapped,
                        )
                    )
                    break
        elif isinstance(term, ast.SubLink) and isinstance(term.testexpr, ast.ColumnRef):
            col, wrapped = _column_of(term.testexpr)
            if col in tenant_columns:
                comparisons.append(TenantComparison(column=col, has_subquery=True, subquery_kind="set"))
    return PredicateShape(parsed=True, comparisons=comparisons, mentions_column=mentions)


def sql_function_inlinable(source: str) -> tuple[bool, str]:
    """Would PostgreSQL inline this LANGUAGE sql body (inline_function() in clauses.c)?"""
    try:
        stmts = pglast.parse_sql(source)
    except pglast.parser.ParseError as exc:
        return False, f"body does not parse: {exc}"
    if len(stmts) != 1:
        return False, "body has several statements"
    s = stmts[0].stmt
    if not isinstance(s, ast.SelectStmt):
        return False, "body is not a SELECT"
    blockers = [
        name for name in ("fromClause", "whereClause", "groupClause", "havingClause", "sortClause", "limitCount",
                          "limitOffset", "distinctClause", "withClause", "valuesLists", "windowClause", "lockingClause")
        if getattr(s, name, None)
    ]
    if s.op and int(s.op) != 0:
        blockers.append("set operation")
    if blockers:
        return False, "body is a SELECT with " + ", ".join(blockers) + " (only `select <expression>` is inlined)"
    if not s.targetList or len(s.targetList) != 1:
        return False, "body must select exactly one expression"
    if _collect(s).sublinks:
        return False, "body has a sub-select"
    return True, "select <expression>"
