"""``python -m benchmarks.startup``: start-up of ``import sagemaker_platform`` and local mode vs ``import aws_cdk``.

Each round runs, as fresh interpreters and in rotated order: ``python -c pass`` (the interpreter's
own start-up), ``import aws_cdk``, ``import sagemaker_platform``, ``from sagemaker_platform import
Endpoint`` (what an app's first line does) and ``python -m sagemaker_platform.local --help``; the
last three once per source root, this checkout's and, with ``--baseline``, another one (a checkout
directory, or a git revision whose ``constructs/`` is exported under ``benchmarks/out/startup/``).
Every process caches bytecode under ``benchmarks/out/startup/pycache`` after one unrecorded
warm-up round, and one more unrecorded run per command counts the modules it has loaded at exit
and whether jsii is among them. Writes the "Import and CLI start-up" section of
BENCHMARKS.md; the target (issue 14): ``import sagemaker_platform`` at most 1.3x ``import aws_cdk``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import BENCHMARKS_MD, OUT, ROOT, Machine, log, median, ratio, table, verdict, write_section

SCRATCH = OUT / "startup"
HEADING = "Import and CLI start-up"
MAX_RATIO = 1.3
#: Modules that start the jsii kernel (aws_cdk, cdk_nag load their assemblies at import) or need it.
JSII_MODULES = ("aws_cdk", "jsii", "constructs", "cdk_nag")


@dataclass(frozen=True)
class Command:
    """One thing to start: its name in the tables, the interpreter's arguments, and whether a source root matters."""

    name: str
    label: str
    args: tuple[str, ...]
    uses_library: bool = True


COMMANDS = (
    Command("pass", '`python -c "pass"` (interpreter start-up)', ("-c", "pass"), uses_library=False),
    Command("aws_cdk", '`python -c "import aws_cdk"`', ("-c", "import aws_cdk"), uses_library=False),
    Command("import", '`python -c "import sagemaker_platform"`', ("-c", "import sagemaker_platform")),
    Command(
        "endpoint",
        '`python -c "from sagemaker_platform import Endpoint"`',
        ("-c", "from sagemaker_platform import Endpoint"),
    ),
    Command("help", "`python -m sagemaker_platform.local --help`", ("-m", "sagemaker_platform.local", "--help")),
)


@dataclass(frozen=True)
class Root:
    """A source root of the library: a name for the tables and the directory that holds ``sagemaker_platform``."""

    name: str
    label: str
    path: Path


@dataclass(frozen=True)
class Job:
    """One command run against one source root (``root`` is None for commands that do not import the library)."""

    command: Command
    root: Root | None

    @property
    def key(self) -> str:
        return self.command.name if self.root is None else f"{self.command.name}@{self.root.name}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="interleaved rounds, at least 5 (default: 15)")
    parser.add_argument(
        "--baseline",
        help="also measure this library: a checkout directory (its constructs/ is used) or a git revision",
    )
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    return args


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def this_checkout() -> Root:
    """This checkout's library, named by its commit (and whether the working tree differs from it)."""
    dirty = " with uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no", "constructs") else ""
    return Root("this", f"this checkout ({_git('rev-parse', '--short', 'HEAD')}{dirty})", ROOT / "constructs")


def baseline(spec: str) -> Root:
    """The ``--baseline`` library: a checkout's ``constructs/``, or a revision's exported with ``git archive``."""
    folder = Path(spec)
    if (folder / "constructs" / "sagemaker_platform" / "__init__.py").is_file():
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True, text=True, check=False
        ).stdout.strip()
        return Root(
            "baseline", f"baseline: checkout {folder} ({commit or 'not a git checkout'})", folder / "constructs"
        )
    commit = _git("rev-parse", "--short", f"{spec}^{{commit}}")
    target = SCRATCH / f"baseline-{commit}"
    if not (target / "constructs" / "sagemaker_platform" / "__init__.py").is_file():
        log(f"exporting constructs/ at {commit} into {target.relative_to(ROOT)}")
        tar_bytes = subprocess.run(["git", "archive", commit, "constructs"], cwd=ROOT, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(tar_bytes.stdout)) as tar:
            tar.extractall(target, filter="data")
    return Root("baseline", f"baseline: revision {commit} (`git archive`)", target / "constructs")


def environment(root: Root | None) -> dict[str, str]:
    """This machine's environment with a bytecode cache, the Node 20 banner silenced and ``root`` first on the path."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(SCRATCH / "pycache")
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    # Only the root under test: the dev venv's editable install comes after PYTHONPATH either way.
    env.pop("PYTHONPATH", None)
    if root is not None:
        env["PYTHONPATH"] = str(root.path)
    return env


def run_once(job: Job) -> float:
    """Wall seconds of one fresh process running ``job`` (output discarded; a failure stops the benchmark)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *job.command.args], env=environment(job.root), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{job.key} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return seconds


@dataclass(frozen=True)
class Probe:
    """What one unrecorded run of a job had loaded at exit."""

    modules: int
    jsii: bool


#: Runs a command's ``-c`` code or ``-m`` module, then prints the modules loaded at exit as JSON (on the
#: original stdout, after the command's own output). ``-X importtime`` cannot count them: once jsii
#: starts it wraps the standard streams and the later import lines are lost.
_PROBE = """
import atexit, json, runpy, sys
out = sys.__stdout__
atexit.register(lambda: print("\\n" + json.dumps(sorted(sys.modules)), file=out, flush=True))
args = sys.argv[1:]
if args[0] == "-c":
    exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = [args[1], *args[2:]]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
"""


def probe(job: Job) -> Probe:
    """Count the modules ``job`` has loaded at exit and whether jsii is among them (checking which library it used)."""
    if job.root is not None:
        where = "import sagemaker_platform; print(sagemaker_platform.__file__)"
        location = subprocess.run(
            [sys.executable, "-c", where], env=environment(job.root), capture_output=True, text=True, check=True
        ).stdout.strip()
        if not Path(location).is_relative_to(job.root.path):
            raise SystemExit(f"{job.key}: sagemaker_platform came from {location}, not from {job.root.path}")
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *job.command.args],
        env=environment(job.root),
        capture_output=True,
        text=True,
        check=True,
    )
    names: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return Probe(len(names), any(name.split(".")[0] in JSII_MODULES for name in names))


def measure(jobs: Sequence[Job], runs: int) -> tuple[dict[str, list[float]], list[float]]:
    """Seconds per job over ``runs`` interleaved rounds (order rotated), and the 1-minute load as each began."""
    log("warm-up round (bytecode cache, page cache; not recorded)")
    for job in jobs:
        run_once(job)
    seconds: dict[str, list[float]] = {job.key: [] for job in jobs}
    loads = []
    for number in range(runs):
        loads.append(os.getloadavg()[0])
        shift = number % len(jobs)
        for job in [*jobs[shift:], *jobs[:shift]]:
            seconds[job.key].append(run_once(job))
        log(f"round {number + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in seconds.items()))
    return seconds, loads


def result_table(jobs: Sequence[Job], seconds: dict[str, list[float]], probes: dict[str, Probe]) -> str:
    """Medians, per-run times, the per-round ratio to ``import aws_cdk`` and what each command imported."""
    rows = []
    for job in jobs:
        values = seconds[job.key]
        per_round = [ratio(a, b) for a, b in zip(values, seconds["aws_cdk"], strict=True)]
        rows.append(
            [
                job.command.label,
                job.root.label if job.root else "-",
                f"{median(values):.3f}",
                " / ".join(f"{v:.2f}" for v in values),
                "1 (reference)" if job.key == "aws_cdk" else f"{median(per_round):.2f}x",
                f"{probes[job.key].modules:,}",
                "yes" if probes[job.key].jsii else "no",
            ]
        )
    headers = ["command", "library", "median s", "s per run", "/ `import aws_cdk` (per-round median)",
               "modules loaded", "loads jsii"]  # fmt: skip
    return table(headers, rows)


def target_rows(roots: Sequence[Root], seconds: dict[str, list[float]]) -> list[list[str]]:
    """The issue's target per source root, with the realistic import and the CLI for context."""
    rows = []
    for root in roots:
        for name, what, judged in (
            ("import", "`import sagemaker_platform` / `import aws_cdk` <= 1.3", True),
            ("endpoint", "`from sagemaker_platform import Endpoint` / `import aws_cdk` (no target)", False),
            ("help", "local `--help` / `import aws_cdk` (no target; must not load jsii)", False),
        ):
            key = f"{name}@{root.name}"
            value = median(ratio(a, b) for a, b in zip(seconds[key], seconds["aws_cdk"], strict=True))
            rows.append([root.label, what, f"{value:.2f}x", verdict(value <= MAX_RATIO) if judged else "-"])
    return rows


def section(args: argparse.Namespace, machine: Machine, roots: Sequence[Root], jobs: Sequence[Job],
            seconds: dict[str, list[float]], loads: list[float], probes: dict[str, Probe]) -> str:  # fmt: skip
    """The Markdown of the section."""
    command = f".venv/bin/python -m benchmarks.startup --runs {args.runs}"
    if args.baseline:
        command += f" --baseline {args.baseline}"
    return "\n\n".join(
        [
            machine.markdown(),
            f"Command: `{command}` (`make bench`). Every command is a fresh interpreter (the dev venv's "
            f"CPython {machine.python}), timed from spawn to exit by the parent; {args.runs} interleaved rounds "
            f"run every command once in rotated order, after one unrecorded warm-up round. Bytecode is cached "
            "(`PYTHONPYCACHEPREFIX=benchmarks/out/startup/pycache`; this machine sets "
            "`PYTHONDONTWRITEBYTECODE=1`, which would recompile the library in every process), "
            "`PYTHONPATH` holds only the library under test. Ratios are taken within each round, then their "
            'median. "modules loaded" and "loads jsii" come from one more run per command that lists '
            "`sys.modules` at exit (the listing's own `runpy` and `json` included; jsii: any of `aws_cdk`, "
            "`jsii`, `constructs`, `cdk_nag`, and importing `aws_cdk` starts the Node kernel). "
            "Load average (1 min) as each round began: " + ", ".join(f"{v:.2f}" for v in loads) + ".",
            *(
                [
                    f"The baseline rows run the library of {root.label.removeprefix('baseline: ')}, the state "
                    "before the change being measured, in the same rounds and environment (`PYTHONPATH` pointing "
                    "at its `constructs/`)."
                    for root in roots
                    if root.name == "baseline"
                ]
            ),
            result_table(jobs, seconds, probes),
            table(["library", "target", "measured (median)", "result"], target_rows(roots, seconds)),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the start-up benchmark; returns the exit code."""
    args = parse_args(argv)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    roots = [this_checkout(), *([baseline(args.baseline)] if args.baseline else [])]
    jobs = [Job(c, None) for c in COMMANDS if not c.uses_library]
    jobs += [Job(c, root) for root in roots for c in COMMANDS if c.uses_library]
    machine = Machine.now()
    seconds, loads = measure(jobs, args.runs)
    probes = {job.key: probe(job) for job in jobs}
    machine.finish()
    text = section(args, machine, roots, jobs, seconds, loads, probes)
    if args.no_write:
        print(text)
    else:
        write_section(HEADING, text)
        log(f"wrote the {HEADING} section of {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
