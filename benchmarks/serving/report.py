"""Turn the serving runs into BENCHMARKS.md tables: medians, per-pass ratios, targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.common import median, ratio, table, verdict
from benchmarks.serving.load import Run, Scenario

#: Targets for our server (issue 8).
MIN_VS_MMS = 2.0
MIN_VS_STARLETTE = 1.3
MAX_P99_MS = 10.0
MAX_BATCH_VS_FLOOR = 1.5
FLOOR_ROWS = (
    ("predict_1", "predict, 1 row"),
    ("full_1", "parse + predict + format, 1 row"),
    ("predict_1000", "predict, 1,000 rows"),
    ("full_1000", "parse + predict + format, 1,000 rows"),
)


#: What profiling our server showed (py-spy on one worker at c=16, 2026-11-23) and what changed.
PROFILE_NOTES = """\
Where a worker's time goes at 16 connections (py-spy, one worker, 2026-11-23): about 60% in the
`send()` of the responses (on loopback the kernel delivers to wrk inside the sender's system call),
about 20% in XGBoost's `inplace_predict` (about 85 us per call whatever the rows: some 55 us of
Python wrapper, 30 us of C++ set-up; each tree adds about 0.5 us per row), under 5% parsing,
routing and formatting; requests that arrive together share one predict call. Changes made: CSV
bodies are parsed by numpy's C reader (`np.loadtxt`) instead of `np.fromstring` plus a per-line
width check (1,000 rows: 2.3 ms to 1.0 ms, same results and the same errors through the
line-by-line fallback), and each worker calls `gc.freeze()` once its model is loaded (a full
garbage collection over the loaded libraries took 47 ms under load, now under 1 ms). The p99 at 16
connections follows the machine's load: 2 workers and wrk already want both cores, so other jobs'
processes queue in front of them."""


@dataclass
class Results:
    """Every wrk run by (scenario key, server name), one entry per pass; the floors per pass."""

    labels: dict[str, str]
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)
    floors: list[dict[str, float]] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average as each pass began

    def add(self, scenario: str, server: str, run: Run) -> None:
        """Record one run."""
        self.runs.setdefault((scenario, server), []).append(run)

    def get(self, scenario: str, server: str) -> list[Run]:
        """The runs of one server in one scenario, in pass order."""
        return self.runs.get((scenario, server), [])

    def speedup(self, scenario: str, ours: str, other: str) -> float:
        """Median over passes of ours' req/s divided by the other's in the same pass."""
        pairs = zip(self.get(scenario, ours), self.get(scenario, other), strict=False)
        return median(ratio(a.rps, b.rps) for a, b in pairs)

    def batch_vs_floor(self, server: str, scenario: str = "batch") -> float:
        """Median over passes of the server's batch p50 divided by that pass's in-process floor."""
        pairs = zip(self.get(scenario, server), self.floors, strict=False)
        return median(ratio(run.p50_ms * 1000, floor["full_1000"]) for run, floor in pairs)


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def scenario_table(results: Results, scenario: Scenario, ours: str) -> str:
    """One row per server: req/s, per-pass req/s, p50, p99, errors, ours / server."""
    rows = []
    for name, label in results.labels.items():
        runs = results.get(scenario.key, name)
        if not runs:
            continue
        rows.append(
            [
                label,
                _fmt(median(r.rps for r in runs), 0),
                " / ".join(f"{r.rps:,.0f}" for r in runs),
                _fmt(median(r.p50_ms for r in runs)),
                _fmt(median(r.p99_ms for r in runs)),
                f"{sum(r.status_errors for r in runs)} / {sum(r.socket_errors for r in runs)}",
                "1 (reference)" if name == ours else _fmt(results.speedup(scenario.key, ours, name)) + "x",
            ]
        )
    headers = ["server", "req/s (median)", "req/s per pass", "p50 ms", "p99 ms", "errors (status / socket)"]
    return table([*headers, f"{results.labels.get(ours, ours)} / server (req/s, per-pass median)"], rows)


def floor_table(results: Results) -> str:
    """The in-process floor, median microseconds per call."""
    rows = [
        [label, _fmt(median(f[key] for f in results.floors), 0), " / ".join(f"{f[key]:,.0f}" for f in results.floors)]
        for key, label in FLOOR_ROWS
    ]
    return table(["in-process work (one thread, our codecs)", "median us", "us per pass"], rows)


def target_rows(results: Results, ours: str) -> list[list[str]]:
    """The issue's targets for one of our modes (the speed-ups only against baselines that ran)."""
    label = results.labels[ours]
    rows = []
    for other, least in (("mms", MIN_VS_MMS), ("starlette", MIN_VS_STARLETTE)):
        if results.get("row-c16", other):
            speedup = results.speedup("row-c16", ours, other)
            target = f"c=16 req/s >= {least}x {results.labels[other]}"
            rows.append([label, target, f"{_fmt(speedup)}x", verdict(speedup >= least)])
    p99s = [r.p99_ms for r in results.get("row-c16", ours)]
    measured = f"{_fmt(median(p99s))} ms (per pass: {' / '.join(_fmt(v, 1) for v in p99s)})"
    rows.append([label, f"c=16 p99 <= {MAX_P99_MS:g} ms", measured, verdict(median(p99s) <= MAX_P99_MS)])
    batch = results.batch_vs_floor(ours)
    target = f"1,000-row p50 <= {MAX_BATCH_VS_FLOOR}x in-process floor (parse + predict + format)"
    rows.append([label, target, f"{_fmt(batch)}x", verdict(batch <= MAX_BATCH_VS_FLOOR)])
    return rows


def targets_table(results: Results, ours_modes: Sequence[str]) -> str:
    """Targets met or missed, for each of our modes that ran."""
    rows = [row for name in ours_modes if results.get("row-c16", name) for row in target_rows(results, name)]
    return table(["server", "target", "measured (median)", "result"], rows)
