"""Run a pgTAP file with psql and judge its TAP output.

A file passes only when psql exits 0, a plan line is present, every planned
test ran, and none is ``not ok``. A file that dies half-way (an SQL error)
therefore fails, whatever it printed before.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_PLAN = re.compile(r"^1\.\.(\d+)")
_RESULT = re.compile(r"^(not ok|ok)\s+(\d+)(.*)$")


@dataclass
class TapResult:
    path: Path
    planned: int | None = None
    passed: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exit_code: int = 0

    @property
    def ran(self) -> int:
        return len(self.passed) + len(self.failed)

    @property
    def problems(self) -> list[str]:
        out: list[str] = []
        if self.exit_code != 0 or self.errors:
            out.append(f"psql exited {self.exit_code}: " + " | ".join(self.errors or ["(no message)"]))
        if self.planned is None:
            out.append("no plan line (1..N): the file never called plan() or died before it")
        elif self.ran != self.planned:
            out.append(f"planned {self.planned} tests but ran {self.ran}")
        out.extend(f"failed: {line}" for line in self.failed)
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"{self.path.name}: " + "; ".join(self.problems)]
        lines.extend(self.diagnostics)
        return "\n".join(lines)


def parse_tap(path: Path, stdout: str, stderr: str, exit_code: int) -> TapResult:
    result = TapResult(path=path, exit_code=exit_code)
    for raw in stdout.splitlines():
        line = raw.strip()
        if not line:
            continue
        if (m := _PLAN.match(line)) and result.planned is None:
            result.planned = int(m.group(1))
        elif m := _RESULT.match(line):
            if m.group(1) == "ok" or "# TODO" in m.group(3):
                result.passed.append(int(m.group(2)))
            else:
                result.failed.append(line)
        elif line.startswith("#"):
            result.diagnostics.append(line)
    result.errors = [
        line.strip() for line in stderr.splitlines() if re.search(r"\b(ERROR|FATAL|PANIC)\b|psql:.*error", line)
    ]
    return result


def run_pgtap(dsn: str, path: Path, timeout: float = 300) -> TapResult:
    proc = subprocess.run(
        ["psql", dsn, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-P", "pager=off", "-f", str(path)],
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return parse_tap(path, proc.stdout, proc.stderr, proc.returncode)
