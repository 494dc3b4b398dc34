"""The registry of the doctor's rules: one module per rule in this package, each declaring
``RULE = Rule(...)`` (see :mod:`motovault.doctor.rule`). Adding a rule is adding a module here;
nothing else lists them.

Order (``--list-rules``, docs, the report's recommendations): live rules, then migration rules,
each by name.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

from ..rule import Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            raise TypeError(f"{module.__name__} declares no RULE = Rule(...)")
        if rule.name != info.name:
            raise ValueError(f"{module.__name__} declares rule {rule.name!r}: a rule's module is named after it")
        rules.append(rule)
    return tuple(sorted(rules, key=lambda r: (r.scope != "live", r.name)))


@cache
def _by_name() -> dict[str, Rule]:
    return {r.name: r for r in all_rules()}


def live_rules() -> tuple[Rule, ...]:
    return tuple(r for r in all_rules() if r.scope == "live")


def migration_rules() -> tuple[Rule, ...]:
    return tuple(r for r in all_rules() if r.scope == "migrations")


def find_rule(name: str) -> Rule | None:
    return _by_name().get(name)


def get_rule(name: str) -> Rule:
    """The rule of that name; KeyError (with the closest name in its message) otherwise."""
    rule = find_rule(name)
    if rule is None:
        raise KeyError(name)
    return rule


def closest(name: str) -> str | None:
    """The registered name closest to ``name`` (a typo, a missing prefix), or None when nothing is close."""
    names = list(_by_name())
    lowered = name.strip().lower().replace("-", "_")
    if lowered in names:
        return lowered
    for prefixed in (f"migration_{lowered}",):
        if prefixed in names:
            return prefixed
    contains = [n for n in names if lowered and lowered in n]
    if len(contains) == 1:
        return contains[0]
    match = difflib.get_close_matches(lowered, names, n=1, cutoff=0.5)
    if match:
        return match[0]
    return contains[0] if contains else None
