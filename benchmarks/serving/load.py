"""Load generation with wrk: time-bounded runs against a loopback port, parsed into a ``Run``."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "report.lua"
MAX_SECONDS = 15


@dataclass(frozen=True)
class Scenario:
    """One load shape: which body, how many connections, how many wrk threads."""

    key: str
    label: str
    body: Path
    connections: int
    threads: int = 1


@dataclass(frozen=True)
class Run:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    status_errors: int  # HTTP status >= 400
    socket_errors: int  # connect, read, write errors and timeouts

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Every failed request: error statuses and socket errors."""
        return self.status_errors + self.socket_errors


def command(wrk: str, port: int, scenario: Scenario, seconds: int) -> list[str]:
    """The wrk command line of one run (loopback only, bounded in time)."""
    if not 1 <= seconds <= MAX_SECONDS:
        raise ValueError(f"a wrk run lasts 1 to {MAX_SECONDS} seconds, not {seconds}")
    return [
        wrk,
        *(f"-t{scenario.threads}", f"-c{scenario.connections}", f"-d{seconds}s", "--timeout", "5s"),
        *("-s", str(SCRIPT), f"http://127.0.0.1:{port}/invocations", "--", str(scenario.body)),
    ]


def parse(output: str) -> Run:
    """The ``BENCH {...}`` line of the Lua script's ``done``."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[len("BENCH ") :])
            return Run(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1e3,
                p99_ms=data["p99_us"] / 1e3,
                status_errors=data["status_errors"],
                socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
            )
    raise RuntimeError(f"wrk printed no BENCH line:\n{output[-2000:]}")


def run(wrk: str, port: int, scenario: Scenario, seconds: int) -> Run:
    """One wrk run; raises when wrk fails."""
    result = subprocess.run(
        command(wrk, port, scenario, seconds), capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk exited with {result.returncode}:\n{result.stdout[-1000:]}{result.stderr[-1000:]}")
    return parse(result.stdout)
