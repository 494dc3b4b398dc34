"""A Citus build for development: Citus from its source, installed next to a copy of Debian's
PostgreSQL 15 server in .tools/citus (``MOTOVAULT_CITUS_HOME``).

Citus is in neither the Debian nor the PyPI registries, so it is built from a checkout of its source
at the release tag :data:`CITUS_VERSION`. The system PostgreSQL is left alone: its server binaries,
libraries and share folder are copied into the tree first (PostgreSQL finds its share and library
folders relative to the binary it runs, so the copy runs as is), and Citus is installed into the copy
with ``make install DESTDIR=...``. As root the tree lives in /var/lib/motovault (linked from
.tools/citus), where the unprivileged user the servers run as can read it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from ..core.errors import MotovaultError
from ..core.paths import tools_dir
from .cluster import service_home

CITUS_VERSION = "13.2.2"
CITUS_REPO = "https://github.com/citusdata/citus"
#: what to run when there is no build: one line
HOW_TO_GET = (
    f"no Citus build in .tools/citus: run `git clone --depth 1 --branch v{CITUS_VERSION} {CITUS_REPO} "
    "/tmp/citus && make citus CITUS_SRC=/tmp/citus`"
)
PG_LIB = Path("/usr/lib/postgresql/15")
PG_SHARE = Path("/usr/share/postgresql/15")
PG_CONFIG = PG_LIB / "bin" / "pg_config"
#: Citus 13.2's PostgreSQL 15 shim defines a static have_createdb_privilege(), which Debian's 15.18
#: headers now declare as extern (a back-patch); the build renames the shim's unused copy
COMPAT_HEADER = Path("src/include/pg_version_compat.h")

Say = Callable[[str, str], None]


def citus_link() -> Path:
    """.tools/citus (a link into /var/lib/motovault when root)."""
    env = os.environ.get("MOTOVAULT_CITUS_HOME")
    return Path(env) if env else tools_dir() / "citus"


def citus_home() -> Path:
    link = citus_link()
    return link.resolve() if link.is_symlink() else link


def citus_bindir() -> Path:
    return citus_home() / "usr" / "lib" / "postgresql" / "15" / "bin"


def installed_version() -> str | None:
    """The Citus version of the build in .tools/citus, or None when there is none (or it is incomplete)."""
    home = citus_home()
    lib = home / "usr" / "lib" / "postgresql" / "15" / "lib" / "citus.so"
    stamp = home / "CITUS_VERSION"
    if not (lib.is_file() and (citus_bindir() / "postgres").is_file() and stamp.is_file()):
        return None
    return stamp.read_text().strip() or None


def require_build() -> Path:
    """The bin folder of the Citus build; a one-line MotovaultError saying how to get one otherwise."""
    if installed_version() is None:
        raise MotovaultError(HOW_TO_GET)
    return citus_bindir()


def source_version(source: Path) -> str:
    """The version in a Citus checkout's configure.ac (AC_INIT([Citus], [13.2.2]))."""
    configure = source / "configure.ac"
    if not configure.is_file() or not (source / "configure").is_file():
        raise MotovaultError(f"CITUS_SRC={source}: not a Citus source checkout (no configure.ac); {HOW_TO_GET[3:]}")
    found = re.search(r"AC_INIT\(\[Citus\],\s*\[([^\]]+)\]", configure.read_text())
    if not found:
        raise MotovaultError(f"CITUS_SRC={source}: configure.ac names no Citus version")
    return found.group(1)


SERVER_DBCOMMANDS = Path("/usr/include/postgresql/15/server/commands/dbcommands.h")


def patch_compat_header(build: Path, server: Path = SERVER_DBCOMMANDS) -> bool:
    """Rename Citus's static copy of have_createdb_privilege() when the server headers (``server``)
    declare the function themselves; returns True when it renamed it."""
    header = build / COMPAT_HEADER
    if not header.is_file() or not server.is_file() or "have_createdb_privilege" not in server.read_text():
        return False
    text = header.read_text()
    patched = text.replace("\nhave_createdb_privilege(void)\n", "\ncitus_unused_have_createdb_privilege(void)\n", 1)
    if patched == text:
        return False
    header.write_text(patched)
    return True


def _run(cmd: list[str], cwd: Path, log: Path, what: str) -> None:
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        result = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise MotovaultError(f"{what} failed (exit {result.returncode}); see {log}")


def build(source: Path, say: Say, jobs: int | None = None) -> Path:
    """Build Citus from ``source`` into .tools/citus; returns the tree. Rebuilds from scratch."""
    source = source.resolve()
    version = source_version(source)
    if version != CITUS_VERSION:
        raise MotovaultError(
            f"CITUS_SRC={source} is Citus {version}; motovault is tested with {CITUS_VERSION} "
            f"(git -C {source} checkout v{CITUS_VERSION})"
        )
    if not PG_CONFIG.is_file() or not Path("/usr/include/postgresql/15/server/postgres.h").is_file():
        raise MotovaultError(
            "the PostgreSQL 15 server headers are missing (make citus installs postgresql-server-dev-15)"
        )
    tools_dir().mkdir(parents=True, exist_ok=True)
    work = tools_dir() / "citus-build"
    log = tools_dir() / "citus-build.log"
    shutil.rmtree(work, ignore_errors=True)
    log.write_text("")
    say("citus", f"copying the source of Citus {version} to {work}")
    shutil.copytree(source, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    if patch_compat_header(work):
        say("citus", f"renamed the shim's have_createdb_privilege in {COMPAT_HEADER} (Debian's headers declare it)")
    say("citus", f"configure (log: {log})")
    _run(["./configure", "--without-libcurl", f"PG_CONFIG={PG_CONFIG}"], work, log, "configure")
    jobs = jobs or os.cpu_count() or 1
    say("citus", f"make -j{jobs} (a few minutes)")
    _run(["make", f"-j{jobs}", "with_llvm=no"], work, log, "make")
    link = citus_link()
    if link.is_symlink():
        shutil.rmtree(link.resolve(), ignore_errors=True)
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    home = service_home(link)
    say("citus", f"copying PostgreSQL 15 from {PG_LIB} and {PG_SHARE} into {home}")
    shutil.copytree(PG_LIB, home / "usr" / "lib" / "postgresql" / "15", symlinks=True)
    shutil.copytree(PG_SHARE, home / "usr" / "share" / "postgresql" / "15", symlinks=True)
    say("citus", "make install into the copy")
    _run(["make", "install", f"DESTDIR={home}", "with_llvm=no"], work, log, "make install")
    (home / "CITUS_VERSION").write_text(version + "\n")
    for path in (home, *home.rglob("*")):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    shutil.rmtree(work, ignore_errors=True)
    say("citus", f"Citus {version} is in {citus_link()} ({installed_version()})")
    return home
