"""Part 3: wall time of the unit tests (``-m "not slow"``, the project's own marker) and of the full suite.

Each command runs as CI runs it (``CI=true``: a missing referee fails instead of skipping), from the
repository root, with the load average recorded around it. Nothing here asserts a time.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import ROOT, load_average, log

UNIT = ("-m", "not slow")
COMMON = ("-q", "-p", "no:cacheprovider")
#: Every test's phases, not only pytest.ini's slowest 8 (the last --durations wins).
ALL_DURATIONS = ("--durations=0", "--durations-min=0")
#: Tests that call an external referee or tool by what their names say.
REFEREE = re.compile(r"checkov|cfn_lint|cfnlint|ruff|mypy|hadolint|referee|cli_synth", re.IGNORECASE)
TIMEOUT_S = 3600
_SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|errors?|skipped|deselected)\b.*?) in ([\d.]+)s", re.MULTILINE)
_DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)", re.MULTILINE)


def command(unit: bool, workers: int = 0) -> list[str]:
    """The pytest command line (relative interpreter path, as the report prints it); ``workers``: pytest-xdist."""
    xdist = ("-n", str(workers)) if workers else ()
    return [".venv/bin/python", "-m", "pytest", *(UNIT if unit else ()), *COMMON, *xdist]


def run_pytest(unit: bool, workers: int = 0) -> dict[str, Any]:
    """One pytest run: wall time, pytest's own summary line and its slowest phases."""
    argv = [sys.executable, *command(unit, workers)[1:], *ALL_DURATIONS]
    load_start = load_average()
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=ROOT, env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    wall = time.perf_counter() - started
    summary = _SUMMARY.findall(done.stdout)
    durations = [(float(s), phase, test) for s, phase, test in _DURATION.findall(done.stdout)]
    per_file: dict[str, float] = {}
    for seconds, _phase, test in durations:
        per_file[test.split("::")[0]] = per_file.get(test.split("::")[0], 0.0) + seconds
    result = {
        "command": "CI=true " + shlex.join(command(unit, workers)),
        "wall_s": wall,
        "returncode": done.returncode,
        "summary": summary[-1][0] if summary else done.stdout.strip().splitlines()[-1:],
        "pytest_s": float(summary[-1][1]) if summary else None,
        "started": time.strftime("%Y-%m-%d %H:%M %Z"),
        "slowest": sorted(durations, reverse=True)[:8],
        "per_file": sorted(per_file.items(), key=lambda kv: -kv[1])[:12],
        "referee_s": sum(d for d, _phase, test in durations if REFEREE.search(test.split("::")[-1])),
        "referee_tests": len({test for _d, _phase, test in durations if REFEREE.search(test.split("::")[-1])}),
        "durations_s": sum(d for d, _phase, _test in durations),
        "load_start": load_start,
        "load_end": load_average(),
    }
    failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    result["failures"] = failures[:20]
    log(f"pytest {'unit' if unit else 'full'}: {wall:.1f} s, {result['summary']}")
    return result


def measure(unit_runs: int, full: bool, xdist: int, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """``unit_runs`` runs of the unit selection (then one with ``xdist`` workers, if any), then the full suite once.

    Without ``full``, the previous saved full-suite run is kept.
    """
    unit = [run_pytest(unit=True) for _ in range(unit_runs)]
    parallel = run_pytest(unit=True, workers=xdist) if xdist else None
    return {
        "unit": unit,
        "unit_xdist": parallel,
        "full": run_pytest(unit=False) if full else (previous or {}).get("full"),
    }
