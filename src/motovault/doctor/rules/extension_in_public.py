from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for ext in run.cat.extensions:
        if ext.schema == "public" and "public" in run.cat.schemas:
            yield RULE.finding(ext.name, f"extension {ext.name} is installed in schema public",
                               f"{ext.name} {ext.version} in public: its objects mix with user objects and PUBLIC's "
                               "search path",
                               f"create schema if not exists extensions; alter extension {q(ext.name)} set schema "
                               "extensions;")


RULE = Rule(
    name="extension_in_public",
    level=Level.WARNING,
    category="security",
    summary="an extension installed in schema public",
    anti_pattern="An extension whose objects live in schema `public`.",
    why="Its functions, types and operators mix with the application's objects in the schema every role searches "
        "first; a role that may create objects in public can shadow them, and dumps, grants and API exposure of "
        "public carry the extension along.",
    fix="`create schema extensions; alter extension e set schema extensions;` (or `create extension e schema "
        "extensions`), and put `extensions` on the search_path of the roles that need it.",
    bad=LiveExample("create extension if not exists citext;"),
    good=LiveExample("create schema extensions;\ncreate extension if not exists citext schema extensions;"),
    key="extension_in_public:citext",
    section="Security",
    recommendation="Move extensions out of schema public",
    check=check,
)
