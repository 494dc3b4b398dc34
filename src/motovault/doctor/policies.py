"""Reading RLS policy expressions with PostgreSQL's own parser.

A policy predicate becomes an index condition, evaluated once per scan, when one
of its top-level AND terms is ``<tenant column> = <expression>`` where the
expression is STABLE (or IMMUTABLE), has no sub-select, and every user-defined
function in it is an inlinable SQL function. That is what this module checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pglast
from pglast import ast
from pglast.enums import BoolExprType
from pglast.visitors import Visitor

from .catalog import Catalog, Function, Policy, Relation, builtin_volatility

if TYPE_CHECKING:
    import psycopg

    from .rule import LiveRun


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

    def visit_FuncCall(self, ancestors: Any, node: ast.FuncCall) -> None:
        names = [str(n.sval) for n in node.funcname or ()]
        if names:
            self.functions.append((names[-2] if len(names) > 1 else None, names[-1]))

    def visit_SubLink(self, ancestors: Any, node: ast.SubLink) -> None:
        self.sublinks.append(node)

    def visit_ColumnRef(self, ancestors: Any, node: ast.ColumnRef) -> None:
        last = node.fields[-1] if node.fields else None
        if isinstance(last, ast.String) and last.sval is not None:
            self.columns.add(last.sval)


def _conjuncts(node: object) -> list[object]:
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        out: list[object] = []
        for arg in node.args or ():
            out.extend(_conjuncts(arg))
        return out
    return [node]


def _column_of(node: object) -> tuple[str | None, bool]:
    """The column a side of a comparison names, and whether it is wrapped (cast, function)."""
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval, False
    if isinstance(node, ast.TypeCast):
        inner, _ = _column_of(node.arg)
        return inner, inner is not None
    return None, False


def _collect(node: object) -> _Collect:
    c = _Collect()
    if isinstance(node, ast.Node):
        c(node)
    return c


def analyse_predicate(expr: str | None, tenant_columns: tuple[str, ...]) -> PredicateShape:
    if expr is None:
        return PredicateShape(parsed=True, comparisons=[], mentions_column=False)
    try:
        stmt = pglast.parse_sql(f"select 1 where {expr}")[0].stmt
    except pglast.parser.ParseError as exc:
        return PredicateShape(parsed=False, comparisons=[], mentions_column=False, error=str(exc))
    where = stmt.whereClause if isinstance(stmt, ast.SelectStmt) else None
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


# --- verdicts on the tenant policies of a catalog (shared by three rules) ------------------------


@dataclass
class PolicyVerdict:
    """One clause (using / with check) of a permissive policy on a table with a tenant column."""

    rel: Relation
    policy: Policy
    clause: str  # "using" | "with check"
    expr: str
    tenant_column: str
    kind: str  # "no_tenant_predicate" | "not_indexable" | "no_index" | "ok"
    problems: list[str] = field(default_factory=list)

    @property
    def obj(self) -> str:
        return f"{self.rel.qualified}/{self.policy.name}/{self.clause}"


def _helper_problems(cmp: TenantComparison, local: dict[str, Function], conn: psycopg.Connection[Any] | None,
                     builtin_cache: dict[str, str | None], inline_cache: dict[int, tuple[bool, str]]) -> list[str]:
    problems: list[str] = []
    if cmp.column_wrapped:
        problems.append(f"{cmp.column} is cast, so no index on it applies")
    if cmp.subquery_kind == "set":
        problems.append("compares with a set sub-select (IN/ANY/EXISTS): a join per scan, and Citus refuses "
                        "sub-selects in policies")
    elif cmp.subquery_kind == "scalar":
        problems.append("uses a scalar sub-select: an InitPlan in PostgreSQL, but Citus refuses sub-selects in "
                        "policies")
    for _schema, fname in cmp.functions:
        fn = local.get(fname)
        if fn is None:
            vol = builtin_volatility(conn, fname, builtin_cache) if conn is not None else None
            if vol == "v":
                problems.append(f"{fname}() is VOLATILE: evaluated per row, never an index condition")
            continue
        if fn.volatility == "v":
            problems.append(f"{fn.schema}.{fn.signature} is VOLATILE: evaluated per row, never an index condition")
            continue
        if fn.language != "sql":
            problems.append(f"{fn.schema}.{fn.signature} is LANGUAGE {fn.language}, not an inlinable SQL function")
            continue
        if fn.security_definer or fn.config or fn.returns_set:
            why = "SECURITY DEFINER" if fn.security_definer else ("has SET options" if fn.config else "returns a set")
            problems.append(f"{fn.schema}.{fn.signature} {why}: PostgreSQL does not inline it")
            continue
        if not fn.sql_body:
            if fn.oid not in inline_cache:
                inline_cache[fn.oid] = sql_function_inlinable(fn.source)
            ok, why = inline_cache[fn.oid]
            if not ok:
                problems.append(f"{fn.schema}.{fn.signature} is not inlinable: {why}")
    return problems


def policy_verdicts(cat: Catalog, conn: psycopg.Connection[Any] | None) -> list[PolicyVerdict]:
    """Every clause of every permissive policy on a table with a tenant column, judged once."""
    from .heuristics import tenant_column

    out: list[PolicyVerdict] = []
    builtin_cache: dict[str, str | None] = {}
    inline_cache: dict[int, tuple[bool, str]] = {}
    for rel in cat.tables():
        tc = tenant_column(rel)
        if not tc or not rel.policies:
            continue
        for pol in rel.policies:
            if not pol.permissive:
                continue
            local = {cat.functions[o].name: cat.functions[o] for o in pol.functions if o in cat.functions}
            for clause, expr in (("using", pol.using), ("with check", pol.with_check)):
                if expr is None:
                    continue
                shape = analyse_predicate(expr, (tc.name,))
                if not shape.parsed:
                    continue
                verdict = PolicyVerdict(rel=rel, policy=pol, clause=clause, expr=expr, tenant_column=tc.name, kind="ok")
                if not shape.comparisons:
                    verdict.kind = "no_tenant_predicate"
                else:
                    verdict.problems = _helper_problems(shape.comparisons[0], local, conn, builtin_cache, inline_cache)
                    if verdict.problems:
                        verdict.kind = "not_indexable"
                    elif not any(ix.valid and not ix.partial and ix.keys and ix.keys[0] == tc.num
                                 for ix in rel.indexes):
                        verdict.kind = "no_index"
                out.append(verdict)
    return out


def verdicts_of(run: LiveRun) -> list[PolicyVerdict]:
    """The tenant policies of a live run, judged once (three rules read them)."""
    if "policy_verdicts" not in run.memo:
        run.memo["policy_verdicts"] = policy_verdicts(run.cat, run.conn)
    return cast(list[PolicyVerdict], run.memo["policy_verdicts"])
