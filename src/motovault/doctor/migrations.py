"""Lints on migration files, read with pglast in apply order.

Sources:
- a numbered folder (``--migrations DIR``): every ``*.sql`` file, in natural file-name order;
- a sqitch project (``--sqitch DIR``): the deploy scripts of ``sqitch.plan``, in plan order, read by
  :func:`motovault.core.plan.load_plan` (a reworked change's earlier versions are
  ``deploy/<name>@<tag>.sql``).

The files are replayed by :mod:`motovault.doctor.walker`, which dispatches to the migration rules of
the registry (:mod:`motovault.doctor.rules`). Parsing lives in :mod:`motovault.doctor.parsing`, lock
analysis in :mod:`motovault.doctor.locks`; their public names are re-exported here.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core.errors import MotovaultError
from ..core.plan import load_plan
from .events import MigrationFile
from .locks import FailurePoint, LockMode, LockTarget, LockTimeoutState, failure_point, lock_targets
from .model import Finding
from .parsing import Statement, parse_statements, strip_psql
from .walker import analyse

__all__ = [
    "FailurePoint", "LockMode", "LockTarget", "LockTimeoutState", "MigrationFile", "Statement", "analyse_migrations",
    "failure_point", "lock_targets", "numbered_folder", "parse_statements", "sqitch_project", "strip_psql",
]


def _natural(name: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    # (kind, value) pairs so that numbers and words never compare with each other
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in _natural(name))


def numbered_folder(folder: Path) -> list[MigrationFile]:
    if not folder.is_dir():
        raise MotovaultError(f"migrations folder not found: {folder}")
    files = sorted((p for p in folder.rglob("*.sql") if p.is_file()),
                   key=lambda p: _natural_key(str(p.relative_to(folder))))
    return [MigrationFile(name=str(p.relative_to(folder)), path=p) for p in files]


def sqitch_project(root: Path) -> list[MigrationFile]:
    """The deploy scripts of a sqitch project in plan order, reworks included (each instance its own script)."""
    base = root.absolute()
    plan = load_plan(base)
    out: list[MigrationFile] = []
    for change in plan.entries:
        path = plan.script("deploy", change)
        name = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
        out.append(MigrationFile(name=name, path=path, change=change.name))
    return out


def analyse_migrations(files: list[MigrationFile], sqitch: bool = False) -> list[Finding]:
    from .rules import migration_rules

    return analyse(files, migration_rules(), sqitch)
