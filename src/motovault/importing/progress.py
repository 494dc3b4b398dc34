"""A progress bar on stderr for `motovault import`: drawn only on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.stage = ""
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._spin = 0

    def start(self, stage: str, total: int = 0) -> None:
        self.stage, self.total, self.done, self.started = stage, total, 0, time.monotonic()
        self._draw()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def update(self, stage: str, done: int, total: int) -> None:
        """The worker's own count (rows_done of rows_total), or a spinner while it has none."""
        if stage != self.stage:
            self.start(stage, total)
        self.total, self.done = total, done
        if total:
            self._draw()
        else:
            self.tick()

    def tick(self) -> None:
        self._spin += 1
        self._draw()

    def finish(self) -> None:
        if self.enabled and self.stage:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self.stage = ""

    def _draw(self) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        if self.total:
            filled = min(WIDTH, int(WIDTH * self.done / self.total))
            bar = "#" * filled + "." * (WIDTH - filled)
            line = f"{self.stage:<10} [{bar}] {min(self.done, self.total) * 100 // self.total:3d}%"
        else:
            pos = self._spin % WIDTH
            bar = "." * pos + "#" + "." * (WIDTH - pos - 1)
            line = f"{self.stage:<10} [{bar}] {elapsed:5.1f}s"
        self.stream.write("\r" + line)
        self.stream.flush()
