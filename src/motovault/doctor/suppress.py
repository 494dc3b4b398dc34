"""Suppressions: a committed TOML file, every entry with a reason.

    [[suppress]]
    key = "extension_in_public:pgtap"          # exact key, or a glob on the key
    reason = "installed by the test harness only"

    [[suppress]]
    key = ["migration_without_lock_timeout:deploy/a.sql:app.t", "..."]   # several keys, one reason
    reason = "..."                              # (each of them must match a finding)

    [[suppress]]
    lint = "missing_tenant_id"                 # lint name + object glob
    object = "app.stations"
    reason = "shared reference data, the same for every tenant"

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

from ..errors import MotovaultError
from .model import Finding

_FIELDS = {"key", "lint", "object", "reason"}
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
    lint: str | None = None
    object: str | None = None
    used: int = 0
    keys_used: set[str] = field(default_factory=set)  # the globs of a key list that matched

    def matches(self, f: Finding) -> bool:
        if isinstance(self.key, list):
            hits = {k for k in self.key if fnmatch.fnmatchcase(f.key, k)}
            self.keys_used |= hits
            return bool(hits)
        if self.key is not None:
            return fnmatch.fnmatchcase(f.key, self.key)
        if self.lint is not None and not fnmatch.fnmatchcase(f.lint, self.lint):
            return False
        return fnmatch.fnmatchcase(f.object, self.object or "*")

    @property
    def label(self) -> str:
        if isinstance(self.key, list):
            return f"{self.key[0]} (+{len(self.key) - 1} more)" if len(self.key) > 1 else self.key[0]
        return self.key or f"{self.lint}:{self.object or '*'}"

    def unused(self) -> list[str]:
        """What matched nothing: the whole entry, or the keys of a list that matched nothing."""
        if isinstance(self.key, list):
            return [k for k in self.key if k not in self.keys_used]
        return [] if self.used else [self.label]


def load_suppressions(path: Path) -> list[Suppression]:
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
        if not entry.get("key") and not entry.get("lint"):
            raise MotovaultError(f"{where}: give a key, or a lint (and an object glob)")
        if entry.get("key") and (entry.get("lint") or entry.get("object")):
            raise MotovaultError(f"{where}: give either key or lint+object, not both")
        key = entry.get("key")
        key_list = isinstance(key, list) and key and all(isinstance(k, str) for k in key)
        if key is not None and not (isinstance(key, str) or key_list):
            raise MotovaultError(f"{where}: key must be a string or a list of strings")
        out.append(Suppression(reason=reason.strip(), key=key, lint=entry.get("lint"), object=entry.get("object")))
    return out


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> None:
    for f in findings:
        for s in suppressions:
            if s.matches(f):
                f.suppressed_by = s.reason
                s.used += 1
                break
