"""Shared helpers of the benchmarks: machine facts, tool installs, a venv of their own, tables, BENCHMARKS.md.

Benchmarks run on demand (never from the test suite). What they install goes into ``.venv-bench/``
(pip) and the machine's Debian packages (apt-get); what they write goes under ``benchmarks/out/``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
BENCH_VENV = ROOT / ".venv-bench"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
PIP_FLAGS = ("--quiet", "--disable-pip-version-check")


def log(message: str) -> None:
    """A progress line on stderr (results go to BENCHMARKS.md and stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# machine --------------------------------------------------------------------------------------
def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo ('unknown' elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


@dataclass
class Machine:
    """What a reader needs to judge the numbers: the machine, the date, the load around the run."""

    cores: int
    cpu: str
    system: str
    python: str
    started: str
    load_start: str
    load_end: str = ""

    @classmethod
    def now(cls) -> Machine:
        """Facts at the start of a run."""
        return cls(
            cores=len(os.sched_getaffinity(0)),
            cpu=cpu_model(),
            system=f"{platform.system()} {platform.release()}",
            python=platform.python_version(),
            started=time.strftime("%Y-%m-%d %H:%M %Z"),
            load_start=load_average(),
        )

    def finish(self) -> None:
        """Record the load average at the end of the run."""
        self.load_end = load_average()

    def markdown(self) -> str:
        """One line for BENCHMARKS.md."""
        return (
            f"Run {self.started} on {self.cores} cores ({self.cpu}), {self.system}, Python {self.python}; "
            f"load average (1/5/15 min) {self.load_start} at the start, {self.load_end} at the end."
        )


# numbers and tables -----------------------------------------------------------------------------
def median(values: Iterable[float]) -> float:
    """The median (NaN for no values)."""
    items = list(values)
    return statistics.median(items) if items else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator (NaN when the denominator is 0 or NaN)."""
    return numerator / denominator if denominator and denominator == denominator else float("nan")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    """How a target reads in a table."""
    return "met" if met else "**missed**"


# BENCHMARKS.md ----------------------------------------------------------------------------------
HEADER = """# Benchmarks

Measured on demand with `make bench`, never in the test suite. The machine is shared (2 cores, other
jobs running), so every section records the load average around its run, quotes medians over
interleaved passes, and judges the targets by ratios measured side by side in the same run. How to
run each benchmark and what it installs: [benchmarks/README.md](benchmarks/README.md).
"""


def write_section(heading: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the ``## heading`` section of BENCHMARKS.md with ``body``, in place.

    A section not there yet is appended at the end; every other section (e.g. "Synthesis and
    scale", written by another benchmark) is left as it is.
    """
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    marker = f"\n## {heading}\n"
    start = text.find(marker)
    section = f"## {heading}\n\n{body.strip()}\n\n"
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(marker))
        text = text[: start + 1] + section + (text[end + 1 :] if end >= 0 else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


# tools -----------------------------------------------------------------------------------------
def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True, timeout=1200, check=False)


def _which(command: str) -> str | None:
    """``command`` on PATH or in the sbin folders (nginx lives in /usr/sbin)."""
    return shutil.which(command) or shutil.which(command, path="/usr/local/sbin:/usr/sbin:/sbin")


def require_command(command: str, package: str) -> str:
    """The path of ``command``; apt-get installs ``package`` first when it is missing (root only)."""
    found = _which(command)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"{command} is missing: apt-get install --no-install-recommends {package} (needs root)")
    log(f"installing {package} with apt-get")
    result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    if result.returncode != 0:  # no package lists yet, or stale ones
        _apt_get("update", "-qq")
        result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    found = _which(command)
    if result.returncode != 0 or not found:
        raise SystemExit(f"apt-get install {package} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return found


def _requirement_files(path: Path) -> list[Path]:
    """``path`` and every file it includes with ``-r``."""
    files = [path]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-r "):
            files += _requirement_files((path.parent / line[3:].strip()).resolve())
    return files


def bench_python(requirements: Path, venv: Path = BENCH_VENV) -> Path:
    """The interpreter of ``.venv-bench``, created and brought up to ``requirements`` when needed."""
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in _requirement_files(requirements))).hexdigest()
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if python.exists() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
        return python
    if not python.exists():
        log(f"creating {venv.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"installing {requirements.relative_to(ROOT)} into {venv.relative_to(ROOT)}")
    subprocess.run([str(python), "-m", "pip", "install", *PIP_FLAGS, "-r", str(requirements)], check=True)
    stamp.write_text(digest + "\n", encoding="utf-8")
    return python


def free_port(low: int = 0, high: int = 0) -> int:
    """A loopback port nobody listens on right now: any, or the first free one in [low, high)."""
    for port in range(low, high) if high else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free loopback port in [{low}, {high})")
