"""Part 1: the reference app (every stack of one stage) against a bare one-bucket app, interleaved.

Besides the headline pair, the same rounds run what-if variants that change one thing each, so
their cost is a paired difference measured side by side: no nag packs, CDK's built-in CloudFormation
validation on (as ``cdk synth`` runs ``app.py``), asset staging off, and ``python -O`` (no jsii
runtime type checks).
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import median
from benchmarks.synth.runner import Run, Variant, interleaved

BASELINE = "bare"
HEADLINE = "reference"
#: (variant with a thing, the same without it, the thing): the thing costs ``with - without``, paired by round.
DIFFERENCES = (
    (HEADLINE, "reference-no-nag", "nag packs (AwsSolutions, HIPAA, NIST 800-53 R5, FeatureStoreChecks)"),
    ("reference-cfn-validation", HEADLINE, "CDK's built-in CloudFormation validation plugin"),
    (HEADLINE, "reference-no-staging", "asset staging (copying the container directories into cdk.out)"),
    (HEADLINE, "reference-optimized", "jsii runtime type checks and asserts (`python -O` drops them)"),
    (
        "reference-no-bytecode-cache",
        HEADLINE,
        "no bytecode cache: this machine's environment as is (PYTHONDONTWRITEBYTECODE=1 makes every process "
        "compile the library and stacks from source; `-O` would compile aws_cdk too)",
    ),
)


def variants(stage: str) -> list[Variant]:
    """The headline pair first, then the what-ifs."""
    ref = ("reference", "--stage", stage)
    return [
        Variant(BASELINE, "bare app: one `s3.Bucket` in one stack", ("bare",)),
        Variant(HEADLINE, f"reference app, stage `{stage}`, with nag packs (as the tests build it)", (*ref, "--nag")),
        Variant("reference-no-nag", f"reference app, stage `{stage}`, without nag packs", ref),
        Variant(
            "bare-cfn-validation",
            "bare app with CDK's built-in CloudFormation validation",
            ("bare", "--cfn-validation"),
        ),
        Variant(
            "reference-cfn-validation",
            "reference app with nag packs and CDK's built-in CloudFormation validation (as `cdk synth` runs app.py)",
            (*ref, "--nag", "--cfn-validation"),
        ),
        Variant(
            "reference-no-staging",
            "reference app with nag packs, asset staging disabled",
            (*ref, "--nag", "--no-staging"),
        ),
        Variant("reference-optimized", "reference app with nag packs under `python -O`", (*ref, "--nag"), ("-O",)),
        Variant(
            "reference-no-bytecode-cache",
            "reference app with nag packs in this machine's environment as is (no bytecode cache)",
            (*ref, "--nag"),
            machine_env=True,
        ),
    ]


def _per_round(runs: list[Run], name: str) -> list[Run]:
    return [r for r in runs if r.variant == name]


def _paired(runs: list[Run], a: str, b: str, metric: str) -> list[float]:
    """``metric`` of ``a`` minus (or over, for ``ratio:`` metrics) ``b``, round by round."""
    kind, _, field = metric.partition(":")
    pairs = zip(_per_round(runs, a), _per_round(runs, b), strict=True)

    def value(run: Run) -> float:
        return float(getattr(run, field)) if field in ("wall_s", "cpu_s") else run.phase(field)

    if kind == "ratio":
        return [value(x) / value(y) for x, y in pairs]
    return [value(x) - value(y) for x, y in pairs]


def summarize(runs: list[Run], chosen: list[Variant]) -> dict[str, Any]:
    """Medians per variant, the headline ratios and the paired costs."""
    table: dict[str, Any] = {}
    for variant in chosen:
        mine = _per_round(runs, variant.name)
        first = mine[0].result
        table[variant.name] = {
            "label": variant.label,
            "runs": len(mine),
            "wall_s": [r.wall_s for r in mine],
            "cpu_s": [r.cpu_s for r in mine],
            **{f"{p}_s": median(r.phase(p) for r in mine) for p in ("import", "build", "synth")},
            "outside_s": median(r.wall_s - sum(r.phase(p) for p in ("import", "build", "synth")) for r in mine),
            **{f"{p}_calls": median(r.phase_calls(p) for r in mine) for p in ("import", "build", "synth")},
            **{f"{p}_send_s": median(r.result["phases"][p]["send_s"] for r in mine) for p in ("build", "synth")},
            "templates": len(first["templates"]),
            "resources": sum(t["resources"] for t in first["templates"]),
            "template_bytes": sum(t["bytes"] for t in first["templates"]),
            "stacks": [t["file"] for t in first["templates"]],
            "errors": sorted({(r.result["error"] or "")[:300] for r in mine} - {""}),
        }
    ratios = {
        name: {
            "wall_median_of_ratios": median(_paired(runs, name, base, "ratio:wall_s")),
            "cpu_median_of_ratios": median(_paired(runs, name, base, "ratio:cpu_s")),
            "wall_ratio_of_medians": median(table[name]["wall_s"]) / median(table[base]["wall_s"]),
            "cpu_ratio_of_medians": median(table[name]["cpu_s"]) / median(table[base]["cpu_s"]),
        }
        for name, base in (
            (HEADLINE, BASELINE),
            ("reference-no-nag", BASELINE),
            ("reference-cfn-validation", "bare-cfn-validation"),
        )
    }
    costs = {
        what: {
            "with": with_it,
            "without": without,
            **{
                key: median(_paired(runs, with_it, without, f"diff:{field}"))
                for key, field in (("wall_s", "wall_s"), ("cpu_s", "cpu_s"), ("build_s", "build"), ("synth_s", "synth"))
            },
        }
        for with_it, without, what in DIFFERENCES
    }
    return {"variants": table, "ratios": ratios, "costs": costs}


def measure(stage: str, runs: int) -> dict[str, Any]:
    """Interleaved rounds of every variant; the summary."""
    chosen = variants(stage)
    return {"stage": stage, **summarize(interleaved(chosen, runs, "ratio"), chosen)}
