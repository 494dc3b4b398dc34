"""Suppressions: a committed TOML file, every entry with a reason.

    [[suppress]]
    key = "extension_in_public:pgtap"          # exact key, or a glob on the key
    reason = "installed by the test harness only"

    [[suppress]]
    lint = "missing_tenant_id"                 # lint name + object glob
    object = "app.stations"
    reason = "shared reference data, the same for every tenant"
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import MotovaultError
from .model import Finding

_FIELDS = {"key", "lint", "object", "reason"}


@dataclass
class Suppression:
    reason: str
    key: str | None = None
    lint: str | None = None
    object: str | None = None
    used: int = 0

    def matches(self, f: Finding) -> bool:
        if self.key is not None:
            return fnmatch.fnmatchcase(f.key, self.key)
        if self.lint is not None and not fnmatch.fnmatchcase(f.lint, self.lint):
            return False
        return fnmatch.fnmatchcase(f.object, self.object or "*")

    @property
    def label(self) -> str:
        return self.key or f"{self.lint}:{self.object or '*'}"


def load_suppressions(path: Path) -> list[Suppression]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise MotovaultError(f"ignore file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MotovaultError(f"ignore file {path} is not valid TOML: {exc}") from None
    unknown_top = set(data) - {"suppress"}
    if unknown_top:
        raise MotovaultError(f"ignore file {path}: unknown table(s) {', '.join(sorted(unknown_top))} (use [[suppress]])")
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
        out.append(Suppression(reason=reason.strip(), key=entry.get("key"), lint=entry.get("lint"), object=entry.get("object")))
    return out


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> None:
    for f in findings:
        for s in suppressions:
            if s.matches(f):
                f.suppressed_by = s.reason
                s.used += 1
                break
