"""``python -m benchmarks.serving``: our inference server against three serving stacks, same model, same run.

Installs what it needs (``.venv-bench`` with pip; wrk, nginx and a Java runtime with apt-get), starts
every server on its own loopback port with the same number of model workers, then runs interleaved
passes: in each pass, every scenario hits every server in turn (rotating the order) with wrk, and
the in-process floor is measured right before the batch runs. Writes the "Serving" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import BENCHMARKS_MD, OUT, ROOT, Machine, bench_python, log, require_command, write_section
from benchmarks.serving import fixtures, load, report, servers

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
SCRATCH = OUT / "serving"
OURS = ("ours", "ours-podman")
WARMUP_SECONDS = 3


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    names = list(servers.catalogue())
    # Local mode's podman runs rootful podman only.
    default = [name for name in names if name != "ours-podman" or os.geteuid() == 0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving", description=__doc__)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run, at most 15 (default: 6)")
    parser.add_argument("--passes", type=int, default=5, help="interleaved passes, at least 2 (default: 5)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="model workers per server")
    parser.add_argument("--servers", default=",".join(default), help=f"comma-separated subset of {','.join(names)}")
    parser.add_argument(
        "--no-write", action="store_true", help=f"print the section instead of writing {BENCHMARKS_MD.name}"
    )
    args = parser.parse_args(argv)
    chosen = [name for name in args.servers.split(",") if name]
    unknown = sorted(set(chosen) - set(names))
    if unknown or not chosen or "ours" not in chosen:
        parser.error(f"--servers must include 'ours' and may name only {', '.join(names)}; got {args.servers}")
    if not 1 <= args.duration <= load.MAX_SECONDS or args.passes < 2:
        parser.error(f"--duration must be 1..{load.MAX_SECONDS} seconds and --passes at least 2")
    args.servers = chosen
    return args


def scenarios(fx: fixtures.Fixtures) -> list[load.Scenario]:
    """Single row at concurrency 1 and 16, the 1,000-row batch at concurrency 1."""
    return [
        load.Scenario("row-c1", "Single row, concurrency 1", fx.row, connections=1),
        load.Scenario("row-c16", "Single row, concurrency 16", fx.row, connections=16),
        load.Scenario("batch", "1,000-row batch, concurrency 1", fx.batch, connections=1),
    ]


def measure_floor(setup: servers.Setup, fx: fixtures.Fixtures) -> dict[str, float]:
    """The in-process floor, measured by the benchmark venv's interpreter."""
    env = {**os.environ, "PYTHONPATH": f"{servers.INFERENCE_SRC}:{ROOT}", "OMP_NUM_THREADS": "1"}
    argv = [str(setup.python), "-m", "benchmarks.serving.floor", str(fx.model_dir), str(fx.row), str(fx.batch)]
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    return dict(json.loads(result.stdout))


def python_build(python: Path) -> str:
    """Which CPython build the process-mode servers run on (PGO/LTO builds run Python code faster)."""
    code = (
        "import platform, sysconfig; args = sysconfig.get_config_var('CONFIG_ARGS') or ''; "
        "print(platform.python_version(), '--enable-optimizations' in args, '--with-lto' in args)"
    )
    version, pgo, lto = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    flags = [name for name, on in (("PGO", pgo), ("LTO", lto)) if on == "True"]
    return f"CPython {version} ({' + '.join(flags) if flags else 'built without PGO or LTO'})"


def verify(server: servers.Server, fx: fixtures.Fixtures) -> None:
    """Refuse to benchmark a server that does not return the model's predictions."""
    for body, expected in ((fx.row, fx.expected_row), (fx.batch, fx.expected_batch)):
        status, answer = servers.post(server.port, body.read_bytes())
        problem = f"status {status}" if status != 200 else fixtures.check_answer(answer, expected)
        if problem:
            raise SystemExit(f"{server.label} answered {body.name} wrongly: {problem}")


def run_passes(args: argparse.Namespace, wrk: str, running: list[servers.Server], setup: servers.Setup,
               fx: fixtures.Fixtures) -> report.Results:  # fmt: skip
    """Warm every server up, then the interleaved passes."""
    results = report.Results(labels={s.name: s.label for s in running})
    for server in running:
        for scenario in scenarios(fx):
            load.run(wrk, server.port, scenario, WARMUP_SECONDS)
    for number in range(args.passes):
        results.loads.append(os.getloadavg()[0])
        for scenario in scenarios(fx):
            if scenario.key == "batch":  # next to the runs it is compared with
                results.floors.append(measure_floor(setup, fx))
            shift = number % len(running)
            for server in running[shift:] + running[:shift]:
                run = load.run(wrk, server.port, scenario, args.duration)
                results.add(scenario.key, server.name, run)
                log(f"pass {number + 1} {scenario.key:8} {server.name:12} {run.rps:9,.0f} req/s "
                    f"p50 {run.p50_ms:6.2f} ms p99 {run.p99_ms:6.2f} ms errors {run.errors}")  # fmt: skip
    return results


def section(
    args: argparse.Namespace, machine: Machine, results: report.Results, fx: fixtures.Fixtures, python: Path
) -> str:
    """The Markdown of the Serving section."""
    command = f".venv/bin/python -m benchmarks.serving --duration {args.duration} --passes {args.passes}"
    command += f" --workers {args.workers} --servers {','.join(args.servers)}"
    parts = [
        machine.markdown(),
        f"Command: `{command}` (`make bench`). {len(args.servers)} servers, {args.workers} model workers each, "
        f"all running at once; {args.passes} interleaved passes of {args.duration} s wrk runs (1 wrk thread, "
        f"loopback) after a {WARMUP_SECONDS} s warm-up per server and scenario. Model: XGBoost binary:logistic, "
        f"{fixtures.FEATURES} features, {fixtures.ROUNDS} trees of depth 6; every server parses, predicts and "
        "formats with our codecs (`sm_inference.codecs`) on one OpenMP thread per worker, and every answer was "
        "checked against the model's own predictions before the load. Errors: HTTP status >= 400 / socket errors "
        f"(connect, read, write, timeout), summed over passes. Process mode and the baselines run on "
        f"{python_build(python)}; podman mode on the image's Debian python3. "
        "Load average (1 min) as each pass began: " + ", ".join(f"{load:.2f}" for load in results.loads) + ".",
    ]
    for scenario in scenarios(fx):
        parts += [f"### {scenario.label}", report.scenario_table(results, scenario, "ours")]
    floor_note = (
        "One worker's work without a server (`benchmarks/serving/floor.py`, the benchmark venv, one thread), "
        "measured in every pass right before the batch runs: the p50 of individually timed calls over about "
        "a second each, the statistic wrk gives for the servers."
    )
    parts += ["### In-process floor", floor_note, report.floor_table(results)]
    parts += ["### Targets", report.targets_table(results, [n for n in OURS if n in args.servers])]
    parts += ["### Profile and changes", report.PROFILE_NOTES]
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the serving benchmark; returns the exit code."""
    args = parse_args(argv)
    machine = Machine.now()
    wrk = require_command("wrk", "wrk")
    nginx = require_command("nginx", "nginx-light") if "flask" in args.servers else ""
    if "mms" in args.servers:
        require_command("java", "openjdk-17-jre-headless")
    python = bench_python(REQUIREMENTS)
    fx = fixtures.make(SCRATCH)
    setup = servers.Setup(python, nginx, fx.model_dir, fx.row.read_bytes(), args.workers, SCRATCH / "servers")
    catalogue = servers.catalogue()
    running: list[servers.Server] = []
    try:
        for name in args.servers:
            server = catalogue[name]
            log(f"starting {server.label}")
            running.append(server)
            server.start(setup)
            verify(server, fx)
        results = run_passes(args, wrk, running, setup, fx)
    finally:
        for server in running:
            server.stop()
    machine.finish()
    text = section(args, machine, results, fx, python)
    if args.no_write:
        print(text)
    else:
        write_section("Serving", text)
        log(f"wrote the Serving section of {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
