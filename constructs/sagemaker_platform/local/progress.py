"""Progress reporting: steps of local mode and the container's own output, line by line."""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Protocol


class Progress(Protocol):
    """Receives local mode's steps and the container's log lines."""

    def step(self, message: str) -> None:
        """A step of local mode (building, starting, waiting, packaging)."""

    def log(self, source: str, line: str) -> None:
        """One line the container printed; ``source`` names the job."""


class Silent:
    """Reports nothing (the log files still hold everything)."""

    def step(self, message: str) -> None:
        """Ignore the step."""

    def log(self, source: str, line: str) -> None:
        """Ignore the line."""


class Console:
    """Readable progress on a stream: ``[local 3.2s] step`` and ``  train | line``."""

    def __init__(self, stream: IO[str] | None = None, *, show_logs: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.show_logs = show_logs
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def step(self, message: str) -> None:
        """Print the step with the time since start."""
        self._write(f"[local {time.monotonic() - self.started:6.1f}s] {message}")

    def log(self, source: str, line: str) -> None:
        """Print the container's line, indented under its job."""
        if self.show_logs:
            self._write(f"  {source} | {line}")
