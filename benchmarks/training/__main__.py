"""``python -m benchmarks.training``: our training entrypoint against ``xgboost.train``, and Pipe vs File reads.

Interleaved runs of: the baseline script (``xgboost.train`` on the same CSV and parameters), our
``train`` entrypoint as a plain process, and the entrypoint under local mode (process mode, File
and Pipe channels); then File vs Pipe reads of the same channel. Writes the "Training" section of
BENCHMARKS.md. Runs with the dev venv (the containers' runtime pins are installed there).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from benchmarks.common import BENCHMARKS_MD, OUT, Machine, log, median, ratio, table, verdict, write_section
from benchmarks.training import runs

SCRATCH = OUT / "training"
MAX_OVERHEAD = 0.10
VARIANTS = (
    ("direct", "`xgboost.train` directly (baseline script)"),
    ("entrypoint", "our `train` entrypoint, plain process, File mode"),
    ("local-file", "our entrypoint under local mode (process mode), File mode"),
    ("local-pipe", "our entrypoint under local mode (process mode), Pipe mode"),
)
READS = (
    ("File", "raw", "File mode, bytes only"),
    ("Pipe", "raw", "Pipe mode (FIFO fed by local mode's PipeFeeder), bytes only"),
    ("File", "parse", "File mode, the entrypoint's loader (pyarrow CSV -> float32)"),
    ("Pipe", "parse", "Pipe mode, the entrypoint's loader (4 MiB blocks -> float32)"),
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs of each variant (default: 5)")
    parser.add_argument("--rows", type=int, default=200_000, help="training rows (default: 200000)")
    parser.add_argument("--rounds", type=int, default=150, help="boosting rounds (default: 150)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.runs < 2 or args.rows < 1000 or args.rounds < 1:
        parser.error("--runs must be at least 2, --rows at least 1000, --rounds at least 1")
    return args


def wall_times(job: runs.Job, count: int) -> tuple[dict[str, list[float]], bool]:
    """Seconds per variant over ``count`` interleaved rounds (order rotated), and whether the models agree."""
    base = runs.entrypoint_tree(job)
    calls: dict[str, Callable[[], float]] = {
        "direct": lambda: runs.direct(job),
        "entrypoint": lambda: runs.entrypoint(job, base),
        "local-file": lambda: runs.local_mode(job, "File"),
        "local-pipe": lambda: runs.local_mode(job, "Pipe"),
    }
    names = list(calls)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for number in range(count):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            seconds[name].append(calls[name]())
            log(f"run {number + 1} {name:10} {seconds[name][-1]:6.2f} s")
    return seconds, runs.same_trees(job, base)


def read_rates(job: runs.Job, count: int) -> dict[tuple[str, str], list[float]]:
    """MB/s per (mode, how) over ``count`` interleaved rounds."""
    base = runs.entrypoint_tree(job)
    rates: dict[tuple[str, str], list[float]] = {(mode, how): [] for mode, how, _ in READS}
    for number in range(count):
        for mode, how, _ in READS:
            rates[(mode, how)].append(runs.channel_read(job, base, mode, how))
            log(f"read {number + 1} {mode:4} {how:5} {rates[(mode, how)][-1]:8.1f} MB/s")
    return rates


def wall_table(seconds: dict[str, list[float]]) -> str:
    """Median seconds and per-run ratios against the baseline."""
    rows = []
    for name, label in VARIANTS:
        per_run = [ratio(a, b) for a, b in zip(seconds[name], seconds["direct"], strict=True)]
        rows.append(
            [
                label,
                f"{median(seconds[name]):.2f}",
                " / ".join(f"{s:.2f}" for s in seconds[name]),
                "1 (reference)" if name == "direct" else f"{median(per_run):.3f}",
            ]
        )
    return table(["variant", "median s", "s per run", "ratio to baseline (median of per-run ratios)"], rows)


def read_table(rates: dict[tuple[str, str], list[float]]) -> str:
    """Median MB/s of each read, and Pipe relative to File."""
    rows = []
    for mode, how, label in READS:
        values = rates[(mode, how)]
        versus = [ratio(p, f) for p, f in zip(values, rates[("File", how)], strict=True)]
        rows.append(
            [
                label,
                f"{median(values):,.0f}",
                " / ".join(f"{v:,.0f}" for v in values),
                "1 (reference)" if mode == "File" else f"{median(versus):.2f}",
            ]
        )
    return table(["read of the train channel", "median MB/s", "MB/s per run", "Pipe / File (per-run median)"], rows)


def section(args: argparse.Namespace, machine: Machine, job: runs.Job, seconds: dict[str, list[float]],
            same: bool, rates: dict[tuple[str, str], list[float]]) -> str:  # fmt: skip
    """The Markdown of the Training section."""
    overhead = median(ratio(a, b) for a, b in zip(seconds["entrypoint"], seconds["direct"], strict=True)) - 1
    command = f".venv/bin/python -m benchmarks.training --runs {args.runs} --rows {args.rows} --rounds {args.rounds}"
    hps = ", ".join(f"{k}={v}" for k, v in job.hyperparameters.items())
    return "\n\n".join(
        [
            machine.markdown(),
            f"Command: `{command}` (`make bench`). Data: {args.rows:,} rows x {runs.FEATURES} features of CSV "
            f"({job.csv_bytes / 1e6:.1f} MB, label first). Hyperparameters: {hps} (nthread defaults to the "
            f"cores). Every variant is a fresh Python process (start-up, imports, CSV read, training, model "
            f"written), run {args.runs} times interleaved with the order rotated, all with "
            f"`{' '.join(f'{k}={v}' for k, v in runs.JOB_ENVIRONMENT.items())}` (spinning OpenMP threads turn "
            "the shared machine's load into 2-5x swings). The baseline builds the same "
            f"`QuantileDMatrix` and passes our entrypoint's booster parameters to `xgboost.train` with the "
            f"training set as its evaluation set; both models predict "
            f"{'identically' if same else '**differently** (check the parameters)'} on the first 2,000 rows.",
            "### Entrypoint overhead",
            wall_table(seconds),
            table(
                ["target", "measured (median)", "result"],
                [["entrypoint / `xgboost.train` <= 1.10", f"{overhead + 1:.3f}", verdict(overhead <= MAX_OVERHEAD)]],
            ),
            "### Pipe mode vs File mode",
            f"The same {job.csv_bytes / 1e6:.1f} MB CSV read by a fresh reader process, {args.runs} interleaved "
            "rounds; MB/s counts CSV bytes over the reader's wall time from opening the channel to the last "
            "byte (File mode reads from the page cache, so it measures the reader, not the disk).",
            read_table(rates),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the training benchmark; returns the exit code."""
    args = parse_args(argv)
    machine = Machine.now()
    hyperparameters = {
        "num_round": str(args.rounds),
        "max_depth": "6",
        "eta": "0.1",
        "objective": "binary:logistic",
        "seed": "0",
    }
    data = runs.make_data(SCRATCH / "data" / "train.csv", args.rows)
    job = runs.Job(data=data, rows=args.rows, hyperparameters=hyperparameters, scratch=SCRATCH)
    seconds, same = wall_times(job, args.runs)
    rates = read_rates(job, args.runs)
    machine.finish()
    text = section(args, machine, job, seconds, same, rates)
    if args.no_write:
        print(text)
    else:
        write_section("Training", text)
        log(f"wrote the Training section of {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
