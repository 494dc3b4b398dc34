from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

FUNCTION = "create function vin_year(vin text) returns int language sql immutable return 1980;\n"


def check(run: LiveRun) -> Iterator[Finding]:
    for fn in sorted(run.cat.functions.values(), key=lambda f: (f.schema, f.signature)):
        if fn.schema not in run.cat.schemas or not fn.public_execute or fn.return_type in ("trigger", "event_trigger"):
            continue
        obj = f"{fn.schema}.{fn.signature}"
        yield RULE.finding(
            obj, f"function {obj} is executable by PUBLIC",
            "EXECUTE granted to PUBLIC (the default for new functions)"
            + (" on a SECURITY DEFINER function" if fn.security_definer else ""),
            f"revoke execute on function {q(fn.schema)}.{fn.signature} from public;  -- then grant to the roles that "
            "need it;\nalter default privileges revoke execute on functions from public;",
            level=Level.ERROR if fn.security_definer else Level.WARNING)


RULE = Rule(
    name="function_public_execute",
    level=Level.WARNING,
    also_levels=(Level.ERROR,),
    level_note="error when the function is SECURITY DEFINER (anyone can run it with its owner's rights)",
    category="security",
    summary="a function executable by PUBLIC (the default for new functions)",
    anti_pattern="A function (not a trigger function) whose EXECUTE privilege is granted to PUBLIC — PostgreSQL's "
                 "default for every new function.",
    why="Every role that can connect can call it, including `anon` behind an API. Through PostgREST every function "
        "of an exposed schema becomes an RPC endpoint. For a SECURITY DEFINER function that is anyone running code "
        "with the owner's rights.",
    fix="`revoke execute on function f(...) from public;` then grant it to the roles that need it; "
        "`alter default privileges revoke execute on functions from public;` for the next ones.",
    bad=LiveExample(FUNCTION),
    good=LiveExample(FUNCTION + "revoke execute on function vin_year(text) from public;"),
    key="function_public_execute:public.vin_year(vin text)",
    section="Security",
    recommendation="Revoke EXECUTE from PUBLIC and grant functions to the roles that need them",
    check=check,
)
