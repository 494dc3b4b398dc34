"""The sqitch plan, read once: changes in order (reworks included), their dependencies, tags and
script paths. The one parser of ``sqitch.plan`` in the package: the stack, the tests and the doctor
all read the plan through :func:`load_plan`.

Script names follow sqitch: the newest instance of a change uses ``deploy/<name>.sql``; an earlier
instance of a reworked change uses ``deploy/<name>@<tag>.sql``, where ``<tag>`` is the first tag
between it and the next instance whose script exists (sqitch looks for them the same way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MotovaultError

SCRIPT_KINDS = ("deploy", "revert", "verify")

# name [requires] timestamp planner <email> # note ; requires may hold !conflicts and project:deps
_CHANGE = re.compile(
    r"^(?P<op>[+-]?)(?P<name>[^\s\[@#:]+)\s*(?:\[(?P<deps>[^\]]*)\])?\s*(?P<rest>.*)$"
)
_TAG = re.compile(r"^@(?P<name>\S+)\s*(?P<rest>.*)$")


def _note(rest: str) -> str:
    return rest.partition("#")[2].strip()


@dataclass(frozen=True)
class Tag:
    name: str
    note: str
    after: int  # index into Plan.entries of the change it tags


@dataclass(frozen=True)
class Change:
    name: str
    index: int  # position among Plan.entries
    requires: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    note: str = ""
    instance: int = 0  # 0 for the first instance of a name, 1 for its first rework, ...
    reworked_later: bool = False
    script_tag: str | None = None  # the tag in this instance's script names (earlier instances of a rework)

    def script_name(self) -> str:
        return f"{self.name}@{self.script_tag}" if self.script_tag else self.name


@dataclass
class Plan:
    root: Path
    project: str
    deploy_dir: Path
    revert_dir: Path
    verify_dir: Path
    entries: list[Change] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    @property
    def changes(self) -> list[str]:
        """Change names in order; a reworked change counts once, at its first place."""
        seen: dict[str, None] = {}
        for entry in self.entries:
            seen.setdefault(entry.name, None)
        return list(seen)

    def script(self, kind: str, change: Change) -> Path:
        if kind not in SCRIPT_KINDS:
            raise ValueError(f"unknown script kind {kind!r}")
        folder = {"deploy": self.deploy_dir, "revert": self.revert_dir, "verify": self.verify_dir}[kind]
        return folder / f"{change.script_name()}.sql"

    def tags_after(self, index: int) -> list[Tag]:
        return [t for t in self.tags if t.after >= index]

    def owner_of(self, name: str) -> Change:
        """The first instance of a change (the one that created its objects)."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)


def sqitch_conf(root: Path) -> dict[str, str]:
    """``sqitch.conf`` as flat ``section.key`` pairs (``core.plan_file``, ``core.top_dir``, ...)."""
    conf: dict[str, str] = {}
    path = root / "sqitch.conf"
    if not path.is_file():
        return conf
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.match(r"\[([^\]]+)\]", line)
        if header:
            section = header.group(1).replace('"', "").replace(" ", ".")
            continue
        if "=" in line:
            key, _, value = line.partition("=")
            conf[f"{section}.{key.strip()}"] = value.strip()
    return conf


def load_plan(root: Path) -> Plan:
    """Reads ``sqitch.plan`` of the sqitch project in ``root`` (honouring ``core.top_dir``,
    ``core.plan_file`` and the script folders of ``sqitch.conf``)."""
    conf = sqitch_conf(root)
    top = Path(conf.get("core.top_dir", "."))  # relative to root, as sqitch reads it

    def where(key: str, default: str) -> Path:
        return root / conf.get(key, str(top / default))

    plan_file = where("core.plan_file", "sqitch.plan")
    if not plan_file.is_file():
        raise MotovaultError(f"no sqitch plan at {plan_file}")
    plan = Plan(
        root=root,
        project="",
        deploy_dir=where("core.deploy_dir", "deploy"),
        revert_dir=where("core.revert_dir", "revert"),
        verify_dir=where("core.verify_dir", "verify"),
    )
    raw_changes: list[tuple[str, tuple[str, ...], tuple[str, ...], str]] = []  # name, requires, conflicts, note
    for number, raw in enumerate(plan_file.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("%"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "project":
                plan.project = value.strip()
            continue
        tag = _TAG.match(line)
        if tag:
            if not raw_changes:
                raise MotovaultError(f"{plan_file}:{number}: tag @{tag.group('name')} before any change")
            plan.tags.append(Tag(name=tag.group("name"), note=_note(tag.group("rest")), after=len(raw_changes) - 1))
            continue
        change = _CHANGE.match(line)
        if not change:
            raise MotovaultError(f"{plan_file}:{number}: cannot read this plan line: {line}")
        deps = (change.group("deps") or "").split()
        raw_changes.append((
            change.group("name"),
            tuple(d for d in deps if not d.startswith("!")),
            tuple(d[1:] for d in deps if d.startswith("!")),
            _note(change.group("rest")),
        ))
    names = [c[0] for c in raw_changes]
    for index, (name, requires, conflicts, note) in enumerate(raw_changes):
        later = [j for j in range(index + 1, len(names)) if names[j] == name]
        script_tag = None
        if later:
            between = [t for t in plan.tags if index <= t.after < later[0]]
            if not between:
                raise MotovaultError(f"{plan_file}: change {name} is reworked without a tag between its instances")
            existing = [t.name for t in between if (plan.deploy_dir / f"{name}@{t.name}.sql").is_file()]
            script_tag = existing[0] if existing else between[0].name
        plan.entries.append(Change(
            name=name,
            index=index,
            requires=requires,
            conflicts=conflicts,
            note=note,
            instance=names[:index].count(name),
            reworked_later=bool(later),
            script_tag=script_tag,
        ))
    return plan
