"""motovault.core.plan: the one reader of sqitch.plan (changes, reworks, tags, script paths)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from motovault.core.errors import MotovaultError
from motovault.core.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]


def write_project(folder: Path, plan: str, conf: str = "[core]\n\tengine = pg\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sqitch.conf").write_text(conf)
    (folder / "sqitch.plan").write_text("%syntax-version=1.0.0\n%project=p\n\n" + plan)
    return folder


def test_our_plan_reads_as_its_changes_with_the_v1_tag() -> None:
    plan = load_plan(ROOT)
    assert plan.project == "motovault"
    assert plan.changes[:3] == ["roles", "schemas", "distribution"]
    assert [t.name for t in plan.tags][0] == "v1.0"
    assert all(plan.script(kind, c).is_file() for c in plan.entries for kind in ("deploy", "revert", "verify"))


def test_a_rework_names_the_earlier_scripts_after_the_tag_between(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", (
        "a 2026-01-01T00:00:00Z x <x@y> # first\n"
        "b [a] 2026-01-01T00:00:00Z x <x@y> # second\n"
        "@v1 2026-01-01T00:00:00Z x <x@y> # release\n"
        "@v1.1 2026-01-01T00:00:00Z x <x@y> # another\n"
        "a [a@v1 !c] 2026-01-02T00:00:00Z x <x@y> # reworked\n"))
    (project / "deploy").mkdir()
    (project / "deploy" / "a@v1.1.sql").write_text("-- the copy sqitch made\n")
    plan = load_plan(project)
    first, second, rework = plan.entries
    assert plan.changes == ["a", "b"]
    assert (first.instance, first.reworked_later, first.script_tag) == (0, True, "v1.1")  # the one that exists
    assert plan.script("deploy", first) == project / "deploy" / "a@v1.1.sql"
    assert (rework.instance, rework.script_tag, rework.requires, rework.conflicts) == (1, None, ("a@v1",), ("c",))
    assert plan.script("revert", rework) == project / "revert" / "a.sql"
    assert second.requires == ("a",) and second.note == "second"
    assert plan.owner_of("a") is first


def test_a_relative_root_and_a_top_dir_are_joined_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path / "x" / "db", "a 2026-01-01T00:00:00Z x <x@y> # one\n")
    (tmp_path / "x" / "sqitch.conf").write_text("[core]\n\tengine = pg\n\ttop_dir = db\n")
    monkeypatch.chdir(tmp_path)
    plan = load_plan(Path("x"))
    assert plan.deploy_dir == Path("x") / "db" / "deploy"
    assert os.fspath(plan.script("verify", plan.entries[0])) == os.path.join("x", "db", "verify", "a.sql")


@pytest.mark.parametrize("plan_text, message", [
    ("@v1 2026-01-01T00:00:00Z x <x@y> # too early\n", "tag @v1 before any change"),
    ("a 2026-01-01T00:00:00Z x <x@y>\na 2026-01-01T00:00:00Z x <x@y>\n", "reworked without a tag"),
    ("[broken\n", "cannot read this plan line"),
])
def test_a_broken_plan_is_a_one_line_error(tmp_path: Path, plan_text: str, message: str) -> None:
    with pytest.raises(MotovaultError, match=message):
        load_plan(write_project(tmp_path / "p", plan_text))
    with pytest.raises(MotovaultError, match="no sqitch plan"):
        load_plan(tmp_path / "nowhere")
