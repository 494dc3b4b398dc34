from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for fn in sorted(run.cat.functions.values(), key=lambda f: (f.schema, f.signature)):
        if fn.schema not in run.cat.schemas or not fn.security_definer:
            continue
        if not any(c.startswith("search_path=") for c in fn.config):
            obj = f"{fn.schema}.{fn.signature}"
            yield RULE.finding(obj, f"SECURITY DEFINER function {obj} has no fixed search_path",
                               "prosecdef = true, proconfig has no search_path: a caller can shadow any object it "
                               "names",
                               f"alter function {q(fn.schema)}.{fn.signature} set search_path = pg_catalog, pg_temp;")


RULE = Rule(
    name="security_definer_search_path",
    level=Level.ERROR,
    category="security",
    summary="a SECURITY DEFINER function without a fixed search_path",
    anti_pattern="A `SECURITY DEFINER` function with no `SET search_path` clause.",
    why="It runs with its owner's rights but resolves unqualified names through the caller's search_path: a "
        "caller who can create objects in a schema earlier on that path (or in pg_temp) makes it call their "
        "function or read their table — as the owner.",
    fix="`alter function f(...) set search_path = pg_catalog, pg_temp;` (or `= ''` and schema-qualify everything).",
    bad=LiveExample("create function purge_notes() returns void language sql security definer as $$ select $$;\n"
                    "revoke execute on function purge_notes() from public;"),
    good=LiveExample("create function purge_notes() returns void language sql security definer"
                     " set search_path = pg_catalog, pg_temp as $$ select $$;\n"
                     "revoke execute on function purge_notes() from public;"),
    key="security_definer_search_path:public.purge_notes()",
    section="Security",
    recommendation="Pin search_path on SECURITY DEFINER functions",
    check=check,
)
