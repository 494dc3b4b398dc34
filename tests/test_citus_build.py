"""The Citus build and the local Citus cluster, without Citus (make test runs where Citus cannot be
installed): what `motovault citus` says when there is no build, how a build is recognised, and what
`make citus` refuses. The cluster itself is tested by `make test-citus` (tests/citus/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from motovault.core.errors import MotovaultError
from motovault.stack import citus_build

ROOT = Path(__file__).resolve().parents[1]
SHIM = """static inline bool
have_createdb_privilege(void)
{
\treturn true;
}
"""


def fake_source(tmp_path: Path, version: str) -> Path:
    src = tmp_path / "citus"
    src.mkdir()
    (src / "configure").write_text("#!/bin/sh\n")
    (src / "configure.ac").write_text(f"AC_INIT([Citus], [{version}])\nAC_CONFIG_SRCDIR([src])\n")
    return src


def cli(*argv: str, home: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MOTOVAULT_CITUS_HOME": str(home), "MOTOVAULT_STATE": str(state)}
    return subprocess.run([sys.executable, "-m", "motovault", "citus", *argv], env=env, text=True,
                          capture_output=True, check=False)


@pytest.mark.parametrize("command", ["up", "status", "url"])
def test_without_a_build_the_cluster_commands_say_how_to_get_one(tmp_path: Path, command: str) -> None:
    r = cli(command, home=tmp_path / "none", state=tmp_path / "state")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "no Citus build in .tools/citus" in lines[0]
    assert f"--branch v{citus_build.CITUS_VERSION} https://github.com/citusdata/citus" in lines[0]
    assert "make citus CITUS_SRC=" in lines[0]
    assert not (tmp_path / "state" / "citus").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (("move", "household-7"), "tenant: 'household-7' is not a uuid"),
    (("isolate", "42"), "tenant: '42' is not a uuid"),
    (("move", "11111111-1111-4111-8111-111111111111", "--to", "worker2"), "--to: 'worker2' is not HOST:PORT"),
])
def test_move_and_isolate_refuse_bad_arguments_in_one_line(tmp_path: Path, argv: tuple[str, ...],
                                                           message: str) -> None:
    r = cli(*argv, home=tmp_path / "none", state=tmp_path / "state")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"motovault citus: error: {message}"]


def test_a_build_is_its_binaries_its_library_and_its_version_stamp(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "citus"
    monkeypatch.setenv("MOTOVAULT_CITUS_HOME", str(home))
    assert citus_build.installed_version() is None
    bindir = home / "usr/lib/postgresql/15/bin"
    bindir.mkdir(parents=True)
    (bindir / "postgres").write_text("")
    (home / "usr/lib/postgresql/15/lib").mkdir()
    (home / "usr/lib/postgresql/15/lib/citus.so").write_text("")
    assert citus_build.installed_version() is None  # an interrupted build has no stamp
    (home / "CITUS_VERSION").write_text("13.2.2\n")
    assert citus_build.installed_version() == "13.2.2"
    assert citus_build.require_build() == bindir


def test_build_refuses_a_folder_that_is_not_a_citus_checkout(tmp_path: Path) -> None:
    with pytest.raises(MotovaultError, match="not a Citus source checkout"):
        citus_build.build(tmp_path, lambda step, message: None)


def test_build_refuses_another_citus_version_and_says_which_tag(tmp_path: Path) -> None:
    src = fake_source(tmp_path, "12.1.5")
    with pytest.raises(MotovaultError) as failed:
        citus_build.build(src, lambda step, message: None)
    assert "is Citus 12.1.5" in str(failed.value) and f"checkout v{citus_build.CITUS_VERSION}" in str(failed.value)


def test_the_shim_copy_of_have_createdb_privilege_is_renamed_when_the_server_declares_it(tmp_path: Path) -> None:
    header = tmp_path / citus_build.COMPAT_HEADER
    header.parent.mkdir(parents=True)
    original = "#include <x.h>\n" + SHIM + "#define have_createdb_privilege() have_createdb_privilege()\n"
    header.write_text(original)
    older = tmp_path / "older.h"
    older.write_text("extern Oid get_database_oid(const char *dbname, bool missing_ok);\n")
    assert citus_build.patch_compat_header(tmp_path, older) is False
    assert header.read_text() == original
    backpatched = tmp_path / "dbcommands.h"
    backpatched.write_text("extern bool have_createdb_privilege(void);\n")
    assert citus_build.patch_compat_header(tmp_path, backpatched) is True
    text = header.read_text()
    assert "\ncitus_unused_have_createdb_privilege(void)\n" in text
    assert "#define have_createdb_privilege() have_createdb_privilege()" in text  # the PG 16+ branch is kept
    assert citus_build.patch_compat_header(tmp_path, backpatched) is False  # nothing left to rename


def test_make_citus_without_a_source_says_how_to_get_one() -> None:
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "citus", "CITUS_SRC=", "-o", "deps", "-o", "citus-deps"],
                       text=True, capture_output=True, check=False)
    assert r.returncode != 0
    assert "git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus DIR" in r.stderr


def test_make_test_never_runs_the_citus_tests() -> None:
    text = (ROOT / "Makefile").read_text()
    assert "-m 'not serial and not citus'" in text and "-m serial " in text
    assert "@$(PY) -m pytest -m citus" in text
