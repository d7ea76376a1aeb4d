"""``python -m benchmarks.synth``: synth time of the reference app against a bare app, fleet growth, test-suite
wall time, and a profile of one synth with recommendations. Writes the "Synthesis and scale" section of BENCHMARKS.md.

Parts (``--parts``, default all, in this order): ``reference`` (interleaved fresh-process synths of the
reference app, a bare one-bucket app and what-if variants), ``growth`` (a ModelFleet of 1 to 200
endpoints), ``suite`` (pytest: unit selection, then the full suite once), ``profile`` (cProfile, the
Node kernel under --cpu-prof, jsii request counts, unit costs). Each part saves its results under
``benchmarks/out/synth/``, and the BENCHMARKS.md section is rendered from every part saved so far, so
parts can be re-run alone. Nothing asserts a time; the report states the targets and whether they were met.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from benchmarks.common import BENCHMARKS_MD, Machine, log, write_section
from benchmarks.synth import growth, profiling, reference, report, suite
from benchmarks.synth.runner import SCRATCH

PARTS = ("reference", "growth", "suite", "profile")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synth", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--stage", default="prod", help="reference and profile: the cdk.json stage (default: prod)")
    parser.add_argument("--runs", type=int, default=5, help="reference: interleaved rounds, at least 5 (default: 5)")
    parser.add_argument("--growth-runs", type=int, default=3, help="growth: interleaved rounds (default: 3)")
    parser.add_argument("--sizes", default=",".join(map(str, growth.SIZES)), help="growth: endpoint counts")
    parser.add_argument("--members-per-stack", type=int, help="growth: ModelFleet members per nested stack")
    parser.add_argument("--unit-runs", type=int, default=2, help="suite: runs of the unit selection (default: 2)")
    parser.add_argument("--xdist", type=int, default=2, help="suite: also run the unit tests with -n N (0: no)")
    parser.add_argument("--no-full-suite", action="store_true", help="suite: keep the last saved full-suite run")
    parser.add_argument(
        "--no-write", action="store_true", help="print the section instead of writing it into BENCHMARKS.md"
    )
    parser.add_argument("--render-only", action="store_true", help="measure nothing; render the saved results")
    args = parser.parse_args(argv)
    args.parts = [p for p in args.parts.split(",") if p]
    args.sizes = sorted({int(n) for n in args.sizes.split(",") if n})
    if not args.parts or set(args.parts) - set(PARTS):
        parser.error(f"--parts: got {args.parts}; allowed: a comma-separated subset of {','.join(PARTS)}")
    if args.runs < 5 or args.growth_runs < 1 or args.unit_runs < 1:
        parser.error("--runs must be at least 5, --growth-runs and --unit-runs at least 1")
    if len(args.sizes) < 3 or args.sizes[0] < 1:
        parser.error(f"--sizes: got {args.sizes}; need at least three endpoint counts >= 1")
    return args


def command(args: argparse.Namespace, part: str) -> str:
    """The command line that re-runs ``part`` with the same options."""
    options = {
        "reference": f"--stage {args.stage} --runs {args.runs}",
        "growth": f"--growth-runs {args.growth_runs} --sizes {','.join(map(str, args.sizes))}"
        + (f" --members-per-stack {args.members_per_stack}" if args.members_per_stack else ""),
        "suite": f"--unit-runs {args.unit_runs} --xdist {args.xdist}"
        + (" --no-full-suite" if args.no_full_suite else ""),
        "profile": f"--stage {args.stage}",
    }[part]
    return f"{report.COMMAND} --parts {part} {options}"


def load_saved() -> dict[str, dict[str, Any]]:
    """Every part's last saved results."""
    return {
        p: json.loads((SCRATCH / f"{p}.json").read_text(encoding="utf-8"))
        for p in PARTS
        if (SCRATCH / f"{p}.json").is_file()
    }


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    measures: dict[str, Callable[[], dict[str, Any]]] = {
        "reference": lambda: reference.measure(args.stage, args.runs),
        "growth": lambda: growth.measure(args.sizes, args.growth_runs, args.members_per_stack),
        "suite": lambda: suite.measure(args.unit_runs, not args.no_full_suite, args.xdist, load_saved().get("suite")),
        "profile": lambda: profiling.measure(args.stage),
    }
    for part in PARTS:
        if part not in args.parts or args.render_only:
            continue
        machine = Machine.now()
        log(f"{part}: starting (load average {machine.load_start})")
        results = measures[part]()
        machine.finish()
        saved = {"machine": asdict(machine), "command": command(args, part), **results}
        (SCRATCH / f"{part}.json").write_text(json.dumps(saved, indent=1), encoding="utf-8")
        log(f"{part}: done (load average {machine.load_end})")
    text = report.render(load_saved())
    if args.no_write:
        sys.stdout.write(text)
    else:
        heading = "## Synthesis and scale"
        write_section(heading.removeprefix("## "), text.removeprefix(heading))
        log(f"wrote the '{heading}' section of {BENCHMARKS_MD}")


if __name__ == "__main__":
    main()
