"""Part 4: one reference-app synth, profiled from both ends of the jsii pipe.

- Python: cProfile over imports, build and synth (own time grouped by area);
- Node: ``--cpu-prof`` on the jsii kernel (samples charged to categories, see ``nodeprof``);
- the pipe: every kernel request counted by kind, by target (``fqn.method``) and by the line of
  our code that caused it; every callback from Node into Python counted by name;
- the unit costs: one round trip, one L1 with typed structs vs plain dicts, with and without ``-O``;
- one fleet endpoint: the same counts and Node profile for fleets of 10 and 100 endpoints, differenced.

The profiled runs are separate (cProfile slows Python down; the Node profiler does not touch it).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from typing import Any

from benchmarks.common import median
from benchmarks.synth import nodeprof, pyprof
from benchmarks.synth.runner import SCRATCH, Run, Variant, interleaved, node_profiler, run_worker

MICRO_ROUNDS = 5
#: Fleet sizes whose difference, divided by the number of endpoints added, is the cost of one endpoint.
FLEET_SIZES = (10, 100)


def _counted(args: tuple[str, ...], tag: str) -> tuple[Run, nodeprof.NodeProfile]:
    """One worker run with every request counted in detail and the Node kernel under ``--cpu-prof``."""
    node_dir = SCRATCH / f"node-profile-{tag}"
    shutil.rmtree(node_dir, ignore_errors=True)
    run = run_worker(Variant(tag, "counted", (*args, "--detail")), f"profile-{tag}", env=node_profiler(node_dir))
    return run, nodeprof.analyse(nodeprof.kernel_profile(node_dir))


def _delta(big: dict[str, float], small: dict[str, float], per: float) -> dict[str, float]:
    """``(big - small) / per`` for every key, largest first (missing keys count as 0)."""
    keys = set(big) | set(small)
    out = {k: (big.get(k, 0.0) - small.get(k, 0.0)) / per for k in keys}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def per_endpoint() -> dict[str, Any]:
    """What one more fleet endpoint costs, by Node category, by request target and by our calling code."""
    (small_n, big_n), runs = FLEET_SIZES, {}
    for n in FLEET_SIZES:
        runs[n] = _counted(("fleet", "--endpoints", str(n), "--nag"), f"fleet{n}")
    added = float(big_n - small_n)
    (small, small_node), (big, big_node) = runs[small_n], runs[big_n]

    def own(run: Run) -> float:
        return float(sum(v["s"] - v["send_s"] for k, v in run.result["phases"].items() if k != "import"))

    return {
        "sizes": list(FLEET_SIZES),
        "wall_ms": (big.wall_s - small.wall_s) * 1000 / added,
        "cpu_ms": (big.cpu_s - small.cpu_s) * 1000 / added,
        "python_own_ms": (own(big) - own(small)) * 1000 / added,
        "node_ms": _delta(big_node.categories, small_node.categories, added),
        "calls": _delta(big.result["kernel"]["calls"], small.result["kernel"]["calls"], added),
        "targets": _delta(dict(big.result["kernel"]["targets"]), dict(small.result["kernel"]["targets"]), added),
        "callers": _delta(dict(big.result["kernel"]["callers"]), dict(small.result["kernel"]["callers"]), added),
    }


def measure(stage: str) -> dict[str, Any]:
    """The profiles and counts of one reference synth, and the per-call costs."""
    ref = ("reference", "--stage", stage, "--nag")
    counted, node = _counted(ref, "reference")
    pstats_file = SCRATCH / "reference.pstats"
    profiled = run_worker(Variant("cprofile", "cProfile", (*ref, "--cprofile", str(pstats_file))), "profile-py")
    python = pyprof.analyse(pstats_file)
    micro_variants = [
        Variant("micro", "round trips", ("roundtrip",)),
        Variant("micro-optimized", "round trips under -O", ("roundtrip",), ("-O",)),
    ]
    micro_runs = interleaved(micro_variants, MICRO_ROUNDS, "micro")
    micro: dict[str, Any] = {}
    for variant in micro_variants:
        mine = [r.result["operations"] for r in micro_runs if r.variant == variant.name]
        micro[variant.name] = {
            op: {
                "what": mine[0][op]["what"],
                "ms": median(m[op]["ms"] for m in mine),
                "calls": median(m[op]["calls"] for m in mine),
            }
            for op in mine[0]
        }
    return {
        "stage": stage,
        "counted": {
            "wall_s": counted.wall_s,
            "cpu_s": counted.cpu_s,
            "phases": counted.result["phases"],
            "kernel": counted.result["kernel"],
        },
        "node": asdict(node),
        "python": {**asdict(python), "wall_s": profiled.wall_s, "phases": profiled.result["phases"]},
        "micro": micro,
        "fleet": per_endpoint(),
    }
