"""``python -m benchmarks.fresh_clone``: a fresh clone's ``make test``, timed, as a newcomer and CI run it.

Clones this checkout's HEAD into a temporary folder and runs ``make setup`` (virtualenvs, ``npm
ci``), then ``make test`` (host tools, the whole suite on every core), timing each; with
``--serial`` it also runs the suite once more in one process (``TEST_WORKERS=0``) in the same
clone, for the ratio. What outlives a clone is said in the section: pip's and npm's download
caches, and the user's cache (``~/.cache/sagemaker-platform``: local mode's podman images and
wheelhouse, mypy's incremental cache), which a machine that ran the suite before already has.
Writes the "Fresh clone make test" section of BENCHMARKS.md; the target (issue 14): under 8
minutes on 2 cores, with nothing skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT, Machine, log, table, verdict, write_section

HEADING = "Fresh clone make test"
TARGET_S = 8 * 60


@dataclass(frozen=True)
class Step:
    """One timed command in the clone."""

    label: str
    command: str
    seconds: float
    summary: str


#: The clone runs as a new shell would: not in this checkout's virtualenv, nothing extra on the path.
_ENV = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


def _run(label: str, command: str, cwd: Path, log_path: Path) -> Step:
    log(f"{label}: {command}")
    began = time.monotonic()
    with log_path.open("w") as out:
        result = subprocess.run(
            command, shell=True, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=_ENV, check=False
        )
    seconds = time.monotonic() - began
    text = log_path.read_text(errors="replace")
    summaries = re.findall(r"^=+ (.*(?:passed|failed|error).*) =+$", text, re.MULTILINE)
    summary = summaries[-1] if summaries else f"exit {result.returncode}"
    if result.returncode != 0:
        summary += f" (exit {result.returncode}; log kept at {log_path})"
    return Step(label, command, seconds, summary)


def slowest_phases(log_path: Path) -> list[str]:
    """pytest's ``--durations`` lines of a run's log (``@group`` is the xdist group the test ran in)."""
    text = log_path.read_text(errors="replace") if log_path.is_file() else ""
    block = text.split("slowest", 1)[1].split("\n=", 1)[0] if "slowest" in text else ""
    rows = [line.split(None, 2) for line in block.splitlines()[1:] if re.match(r"\d+\.\d+s ", line)]
    return [f"- {seconds} {phase} `{test}`" for seconds, phase, test in rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serial", action="store_true", help="also run the suite in one process, for the ratio")
    args = parser.parse_args(argv)
    machine = Machine.now()
    scratch = Path(tempfile.mkdtemp(prefix="fresh-clone-"))
    logs = ROOT / "benchmarks" / "out" / "fresh-clone"
    logs.mkdir(parents=True, exist_ok=True)
    clone = scratch / "sagemaker-platform"
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    steps = [
        _run("set-up", "make setup", clone, logs / "setup.log"),
        _run("tests, every core", "make test", clone, logs / "test.log"),
    ]
    if args.serial:
        steps.append(_run("tests, one process", "make test TEST_WORKERS=0", clone, logs / "test-serial.log"))
    machine.finish()
    shutil.rmtree(scratch, ignore_errors=True)
    total = steps[0].seconds + steps[1].seconds
    rows = [(s.label, f"`{s.command}`", f"{s.seconds:.0f}", s.summary) for s in steps]
    rows.append(("fresh clone to green", "`make setup && make test`", f"{total:.0f}", ""))
    skipped = [s for s in steps[1:] if "skipped" in s.summary]
    body = "\n\n".join(
        [
            machine.markdown()
            + f" Commit {head.strip()}. Command: `.venv/bin/python -m benchmarks.fresh_clone"
            + (" --serial`." if args.serial else "`."),
            table(("step", "command", "wall s", "pytest's summary"), rows),
            f"A fresh clone's `make setup && make test`: {total / 60:.1f} min; target under 8 minutes on "
            f"{machine.cores} cores with nothing skipped: {verdict(total <= TARGET_S and not skipped)}."
            + (
                f" One process: {steps[2].seconds:.0f} s, so the parallel run takes "
                f"{steps[1].seconds / steps[2].seconds:.2f}x its time."
                if args.serial
                else ""
            ),
            "Slowest phases of the parallel run (pytest's `--durations`; after `@`, the xdist group, whose "
            "tests share a worker):\n" + "\n".join(slowest_phases(logs / "test.log")),
            "Outlives the clone, as on any machine that ran the suite before: pip's and npm's download caches "
            "and the user's cache (`~/.cache/sagemaker-platform`: local mode's podman base image, wheelhouse "
            "and images, rebuilt only when their inputs change; mypy's incremental cache, keyed by file "
            "content). A machine that never ran it also builds the base image (debootstrap) and type-checks "
            "from scratch, which CI's timing includes.",
        ]
    )
    write_section(HEADING, body)
    log(body)


if __name__ == "__main__":
    main()
