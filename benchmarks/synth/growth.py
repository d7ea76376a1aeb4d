"""Part 2: how synth time and template size grow with the number of fleet endpoints.

A :class:`~sagemaker_platform.fleet.ModelFleet` of N members (each: model, endpoint config,
blue/green endpoint with two rollback alarms notifying SNS, scalable target with target tracking),
its shared inputs in a sibling stack, for every N in ``sizes``, with and without the nag packs,
interleaved; and with the nag packs but one execution role shared by every model (``ModelFleetProps.role``)
instead of one per model. ms per added endpoint is the slope of a least-squares line through the per-size
medians; R^2 and the slopes between consecutive sizes show whether growth stays linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.common import median
from benchmarks.synth.fit import linear_fit, marginal_slopes
from benchmarks.synth.runner import Run, Variant, interleaved

SIZES = (1, 10, 50, 100, 200)
SERIES = (
    ("nag", "with nag packs", ("--nag",)),
    ("no-nag", "without nag packs", ()),
    ("shared-role", "with nag packs and one shared execution role", ("--nag", "--shared-role")),
)


def variants(sizes: Sequence[int], members_per_stack: int | None) -> list[Variant]:
    """One variant per (series, size)."""
    extra = () if members_per_stack is None else ("--members-per-stack", str(members_per_stack))
    return [
        Variant(f"{series}-{n}", f"{n} endpoints {label}", ("fleet", "--endpoints", str(n), *flags, *extra))
        for series, label, flags in SERIES
        for n in sizes
    ]


def _layout(run: Run) -> dict[str, Any]:
    """Where the fleet's templates split: the parent, one nested stack per shard."""
    found = run.result["templates"]
    nested = [t for t in found if t["file"].endswith(".nested.template.json")]
    fleet = [t for t in found if t["file"].startswith("DevFleet")]
    return {
        "nested_stacks": len(nested),
        "nested_resources": [t["resources"] for t in nested],
        "largest_nested_bytes": max((t["bytes"] for t in nested), default=0),
        "fleet_bytes": sum(t["bytes"] for t in fleet),
        "all_bytes": sum(t["bytes"] for t in found),
        "fleet_resources": sum(t["resources"] for t in fleet),
    }


def _fits(sizes: Sequence[int], per_size: dict[int, dict[str, Any]]) -> dict[str, Any]:
    xs = [float(n) for n in sizes]
    fits: dict[str, Any] = {}
    for key in ("wall_s", "cpu_s", "build_s", "synth_s", "calls", "fleet_bytes", "fleet_resources"):
        ys = [float(per_size[n][key]) for n in sizes]
        line = linear_fit(xs, ys)
        fits[key] = {
            "slope": line.slope,
            "intercept": line.intercept,
            "r2": line.r2,
            "marginal": [list(m) for m in marginal_slopes(xs, ys)],
        }
    return fits


def summarize(runs: list[Run], sizes: Sequence[int]) -> dict[str, Any]:
    """Per series: medians per size, layout, fits."""
    out: dict[str, Any] = {}
    for series, label, _flags in SERIES:
        per_size: dict[int, dict[str, Any]] = {}
        for n in sizes:
            mine = [r for r in runs if r.variant == f"{series}-{n}"]
            if not mine:
                continue
            per_size[n] = {
                "runs": len(mine),
                "wall_s": median(r.wall_s for r in mine),
                "cpu_s": median(r.cpu_s for r in mine),
                "build_s": median(r.phase("build") for r in mine),
                "synth_s": median(r.phase("synth") for r in mine),
                "calls": median(r.phase_calls("build") + r.phase_calls("synth") for r in mine),
                "errors": sorted({(r.result["error"] or "")[:300] for r in mine} - {""}),
                **_layout(mine[0]),
            }
        if len(per_size) >= 2:
            out[series] = {"label": label, "sizes": per_size, "fits": _fits(list(per_size), per_size)}
    return out


def measure(sizes: Sequence[int], runs: int, members_per_stack: int | None) -> dict[str, Any]:
    """Interleaved rounds over every size of both series; the summary."""
    return {
        "sizes": list(sizes),
        "members_per_stack": members_per_stack,
        "series": summarize(interleaved(variants(sizes, members_per_stack), runs, "growth"), sizes),
    }
