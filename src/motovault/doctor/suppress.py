"""Suppressions: a committed TOML file, every entry with a reason.

    [[suppress]]
    key = "extension_in_public:pgtap"          # exact key, or a glob on the key
    reason = "installed by the test harness only"

    [[suppress]]
    key = ["migration_without_lock_timeout:deploy/a.sql:app.t", "..."]   # several keys, one reason
    reason = "..."                              # (each of them must match a finding)

    [[suppress]]
    lint = "missing_tenant_id"                 # lint name (or a list of them) + object glob
    object = "app.stations"
    checks = ["tenant_id", "tenant_policy"]    # optional: the project's own checks it excuses too
    reason = "shared reference data, the same for every tenant"

``checks`` names checks of the project that are not doctor lints (motovault's catalog walk,
tests/pgtap/tenant_tables.sql, reads them with :func:`load_check_exceptions`), so that one entry, with
one reason, excuses an object from every rule it breaks on purpose. An entry may name checks only
(no key, no lint): the doctor then ignores it.

The file is found by itself (:func:`find_ignore_file`), as ruff and squawk find their configuration:
``.doctor-ignore.toml`` in the migrations folder (``--sqitch``/``--migrations``), or else the current
directory, then in each parent folder up to the filesystem root or the first folder holding ``.git``
(that folder included); the first one found wins. ``--ignore-file`` names one instead,
``--no-ignore-file`` uses none.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import MotovaultError
from .model import Finding

_FIELDS = {"key", "lint", "object", "checks", "reason"}
IGNORE_FILE_NAME = ".doctor-ignore.toml"


def find_ignore_file(start: Path) -> Path | None:
    """``.doctor-ignore.toml`` in ``start`` or the nearest parent that has one, stopping at the folder that
    holds ``.git`` (a repository's root: a file or a folder) or at the filesystem root."""
    folder = Path(os.path.normpath(start.absolute()))
    while True:
        candidate = folder / IGNORE_FILE_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


@dataclass
class Suppression:
    reason: str
    key: str | list[str] | None = None
    lint: str | list[str] | None = None
    object: str | None = None
    checks: list[str] = field(default_factory=list)
    used: int = 0
    keys_used: set[str] = field(default_factory=set)  # the globs of a key list that matched

    def matches(self, f: Finding) -> bool:
        if isinstance(self.key, list):
            hits = {k for k in self.key if fnmatch.fnmatchcase(f.key, k)}
            self.keys_used |= hits
            return bool(hits)
        if self.key is not None:
            return fnmatch.fnmatchcase(f.key, self.key)
        lints = [self.lint] if isinstance(self.lint, str) else self.lint
        if lints is not None and not any(fnmatch.fnmatchcase(f.lint, lint) for lint in lints):
            return False
        return fnmatch.fnmatchcase(f.object, self.object or "*")

    @property
    def label(self) -> str:
        if isinstance(self.key, list):
            return f"{self.key[0]} (+{len(self.key) - 1} more)" if len(self.key) > 1 else self.key[0]
        lint = self.lint if isinstance(self.lint, str) or self.lint is None else "|".join(self.lint)
        return self.key or f"{lint}:{self.object or '*'}"

    def unused(self) -> list[str]:
        """What matched nothing: the whole entry, or the keys of a list that matched nothing."""
        if isinstance(self.key, list):
            return [k for k in self.key if k not in self.keys_used]
        return [] if self.used else [self.label]


def load_suppressions(path: Path) -> list[Suppression]:
    """The doctor's suppressions (entries that name only project checks are not among them)."""
    return [s for s in load_entries(path) if s.key is not None or s.lint is not None]


def load_check_exceptions(path: Path) -> list[tuple[str, str, str]]:
    """(object, check, reason) for every project check an entry excuses an object from."""
    return [(s.object or "*", check, s.reason) for s in load_entries(path) for check in s.checks]


def load_entries(path: Path) -> list[Suppression]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise MotovaultError(f"ignore file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MotovaultError(f"ignore file {path} is not valid TOML: {exc}") from None
    unknown_top = set(data) - {"suppress"}
    if unknown_top:
        tables = ", ".join(sorted(unknown_top))
        raise MotovaultError(f"ignore file {path}: unknown table(s) {tables} (use [[suppress]])")
    out: list[Suppression] = []
    for i, entry in enumerate(data.get("suppress", []), 1):
        where = f"ignore file {path}, suppression #{i}"
        if not isinstance(entry, dict):
            raise MotovaultError(f"{where}: must be a table")
        extra = set(entry) - _FIELDS
        if extra:
            raise MotovaultError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise MotovaultError(f"{where}: a reason is mandatory (why is this finding acceptable?)")
        checks = entry.get("checks", [])
        if not isinstance(checks, list) or not all(isinstance(c, str) and c for c in checks):
            raise MotovaultError(f"{where}: checks must be a list of check names")
        if checks and not entry.get("object"):
            raise MotovaultError(f"{where}: checks need the object they excuse")
        lint = entry.get("lint")
        lint_ok = isinstance(lint, str) or (isinstance(lint, list) and lint and all(isinstance(x, str) for x in lint))
        if lint is not None and not lint_ok:
            raise MotovaultError(f"{where}: lint must be a string or a list of strings")
        if not entry.get("key") and not lint and not checks:
            raise MotovaultError(f"{where}: give a key, or a lint (and an object glob), or checks and an object")
        if entry.get("key") and (entry.get("lint") or entry.get("object")):
            raise MotovaultError(f"{where}: give either key or lint+object, not both")
        key = entry.get("key")
        key_list = isinstance(key, list) and key and all(isinstance(k, str) for k in key)
        if key is not None and not (isinstance(key, str) or key_list):
            raise MotovaultError(f"{where}: key must be a string or a list of strings")
        out.append(Suppression(reason=reason.strip(), key=key, lint=lint, object=entry.get("object"), checks=checks))
    return out


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> None:
    for f in findings:
        for s in suppressions:
            if s.matches(f):
                f.suppressed_by = s.reason
                s.used += 1
                break
