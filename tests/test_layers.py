"""The package is in layers (CONVENTIONS.md, Python): every motovault import, read with ast, goes
down or sideways within a layer, never up.

    core     imports nothing of motovault outside core
    vin      core
    documents core (the thumbnail worker)
    doctor   core
    imports  core (the parsers of other apps' export files: pure Python)
    importing core, imports (import batches: the worker's parse job, the API client of `motovault import`)
    stack    core, and doctor (a deploy that failed on a lock is explained with the doctor's lock
             analysis of the script: motovault.stack.database.lock_failure)
    exports  core (an API client: the tenant document and the LubeLogger CSV layout)
    notify   core (the delivery worker and its channels)
    reports  core (vehicle and fleet reports: api views, matplotlib, WeasyPrint)
    testing  anything but commands and the CLI
    commands, cli, __main__: anything
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "motovault"

#: layer -> the layers it may import (besides itself and the package root, which holds __version__)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "vin": {"core"},
    "documents": {"core"},
    "doctor": {"core"},
    "imports": {"core"},
    "importing": {"core", "imports"},
    "stack": {"core", "doctor"},
    "exports": {"core"},
    "notify": {"core"},
    "reports": {"core"},
    "__main__": {"cli"},
}
#: the layers under testing, commands and the CLI, which may import all of them
_LOWER = {name for name in ALLOWED if name not in ("__main__",)}
ALLOWED["testing"] = _LOWER
ALLOWED["commands"] = _LOWER | {"testing", "cli"}
ALLOWED["cli"] = _LOWER | {"testing", "commands"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """motovault.stack.cluster -> stack; motovault -> None (the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "motovault" else None


def imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute module) of every motovault import in the file, also inside functions."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "motovault"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "motovault":
                continue
            if target == "motovault":  # from motovault import stack, vin: each name is a module
                found += [(node.lineno, f"motovault.{a.name}") for a in node.names if a.name != "__version__"]
            else:
                found.append((node.lineno, target))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        own = layer_of(module_name(path, root))
        if own is None:
            continue
        if own not in ALLOWED:
            out.append(f"{path.relative_to(root.parent)}: module {own} is in no layer (add it to ALLOWED)")
            continue
        for line, target in imports(path, root):
            other = layer_of(target)
            if other is not None and other != own and other not in ALLOWED[own]:
                out.append(f"{path.relative_to(root.parent)}:{line}: {own} imports {target} ({other})")
    return out


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("core", "from ..stack.settings import Settings\n", "core imports motovault.stack.settings (stack)"),
        ("vin", "def f():\n    from ..stack import cluster\n", "vin imports motovault.stack (stack)"),
        ("doctor", "from motovault.vin import rules\n", "doctor imports motovault.vin (vin)"),
        ("vin", "from motovault import stack\n", "vin imports motovault.stack (stack)"),
        ("imports", "from motovault.vin import rules\n", "imports imports motovault.vin (vin)"),
        ("stack", "import motovault.commands.db\n", "stack imports motovault.commands.db (commands)"),
    ],
)
def test_a_violation_is_caught(tmp_path: Path, layer: str, source: str, expected: str) -> None:
    package = tmp_path / "motovault"
    (package / layer).mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / layer / "__init__.py").write_text("")
    (package / layer / "bad.py").write_text(source)
    (package / layer / "good.py").write_text("from ..core import errors\nfrom . import bad\n")
    found = violations(package)
    assert [f.split(": ", 1)[1] for f in found] == [expected]
    assert found[0].startswith(f"motovault/{layer}/bad.py:")
