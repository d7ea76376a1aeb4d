"""BENCHMARKS.md's "Synthesis and scale" from the saved results (``benchmarks/out/synth/*.json``): tables, verdicts."""

from __future__ import annotations

from typing import Any

from benchmarks.common import median, table, verdict
from benchmarks.synth import advice

MAX_RATIO = 3.0
MAX_MS_PER_ENDPOINT = 25.0
UNIT_TARGET_S = 60.0
COMMAND = ".venv/bin/python -m benchmarks.synth"


def s(value: float, digits: int = 2) -> str:
    """Seconds (or any float) for a table cell."""
    return f"{value:.{digits}f}"


def machine_line(part: dict[str, Any]) -> str:
    """Who ran it, where, and the load around it."""
    m = part["machine"]
    return (
        f"Run {m['started']} on {m['cores']} cores ({m['cpu']}), {m['system']}, Python {m['python']}; load average "
        f"(1/5/15 min) {m['load_start']} at the start, {m['load_end']} at the end. Command: `{part['command']}`."
    )


def reference_section(part: dict[str, Any]) -> str:
    """Part 1: medians per variant, the ratios against their targets, what each add-on costs."""
    variants = part["variants"]
    rows = [
        [
            f"`{name}`",
            v["label"],
            v["runs"],
            s(median(v["wall_s"])),
            s(median(v["cpu_s"])),
            s(v["outside_s"]),
            s(v["import_s"]),
            s(v["build_s"]),
            s(v["synth_s"]),
            int(v["build_calls"] + v["synth_calls"]),
            v["templates"],
            v["resources"],
            f"{v['template_bytes'] / 1024:.0f}",
        ]
        for name, v in variants.items()
    ]
    head = [
        "variant",
        "what",
        "runs",
        "wall s",
        "CPU s",
        "start+exit s",
        "import s",
        "build s",
        "synth s",
        "jsii calls",
        "templates",
        "resources",
        "template KB",
    ]
    ratio_rows = []
    for name, r in part["ratios"].items():
        target = r["wall_ratio_of_medians"] <= MAX_RATIO
        ratio_rows.append(
            [
                f"`{name}` / its bare app",
                s(r["wall_ratio_of_medians"]),
                s(r["wall_median_of_ratios"]),
                s(r["cpu_ratio_of_medians"]),
                s(r["cpu_median_of_ratios"]),
                f"<= {MAX_RATIO:g}",
                verdict(target),
            ]
        )
    cost_rows = [
        [what, f"`{c['with']}` - `{c['without']}`", s(c["wall_s"]), s(c["cpu_s"]), s(c["build_s"]), s(c["synth_s"])]
        for what, c in part["costs"].items()
    ]
    errors = [f"- `{n}`: {e}" for n, v in variants.items() for e in v["errors"]]
    stacks = ", ".join(f"`{f}`" for f in variants["reference"]["stacks"])
    return "\n\n".join(
        [
            "### Reference app against a bare app",
            machine_line(part),
            f"Every run is a fresh `python -m benchmarks.synth.worker` process (interpreter, imports, jsii kernel "
            f"start-up, build, `app.synth()` into a fresh directory, exit), timed by the parent; rounds run every "
            f"variant once in rotated order. Wall and CPU (user + system of the process and its Node children) "
            f"are medians; import/build/synth are the in-process phases, start+exit the rest of the wall "
            f"time (interpreter start-up, importing jsii, stopping the kernel). Both apps use "
            f"`tests.harness.make_app`'s "
            f"App (the project's feature flags, CDK's built-in CloudFormation validation off) unless the variant "
            f"says otherwise. The reference stage synthesizes {stacks}.",
            table(head, rows),
            "Ratios (target: reference app / bare app <= 3, wall time):",
            table(
                [
                    "pair",
                    "wall, ratio of medians",
                    "wall, median of per-round ratios",
                    "CPU, ratio of medians",
                    "CPU, median of per-round ratios",
                    "target",
                    "verdict",
                ],
                ratio_rows,
            ),
            "What each add-on costs, as the median of per-round differences (same round, same load):",
            table(["add-on", "difference", "wall s", "CPU s", "build s", "synth s"], cost_rows),
            *(["Validation failures reported by runs:\n" + "\n".join(errors)] if errors else []),
        ]
    )


def growth_section(part: dict[str, Any]) -> str:
    """Part 2: per-size medians and layout, the fits, the split points."""
    out = ["### Growth with the number of fleet endpoints", machine_line(part)]
    mps = part["members_per_stack"] or 30
    out.append(
        "Each endpoint is a `FleetMember` with the defaults: model, endpoint config, blue/green endpoint with two "
        "rollback alarms (5xx, p99 latency) notifying SNS, scalable target with target tracking on invocations. "
        f"Keys, bucket, network and topic live in a sibling stack. Members per nested stack: {mps}. Fits are "
        "least squares through the per-size medians."
    )
    for series in part["series"].values():
        sizes = sorted(series["sizes"], key=int)
        rows = []
        for n in sizes:
            v = series["sizes"][n]
            rows.append(
                [
                    n,
                    v["runs"],
                    s(v["wall_s"]),
                    s(v["cpu_s"]),
                    s(v["build_s"]),
                    s(v["synth_s"]),
                    int(v["calls"]),
                    v["fleet_resources"],
                    f"{v['fleet_bytes'] / 1024:.0f}",
                    v["nested_stacks"],
                    " / ".join(str(r) for r in v["nested_resources"]),
                    f"{v['largest_nested_bytes'] / 1024:.0f}",
                ]
            )
        out.append(f"**{series['label'].capitalize()}**")
        out.append(
            table(
                [
                    "endpoints",
                    "runs",
                    "wall s",
                    "CPU s",
                    "build s",
                    "synth s",
                    "jsii calls",
                    "fleet resources",
                    "fleet templates KB",
                    "nested stacks",
                    "resources per nested stack",
                    "largest nested KB",
                ],
                rows,
            )
        )
        fits = series["fits"]
        fit_rows = []
        for key, unit, scale in (
            ("wall_s", "ms", 1000),
            ("cpu_s", "ms CPU", 1000),
            ("build_s", "ms", 1000),
            ("synth_s", "ms", 1000),
            ("calls", "jsii calls", 1),
            ("fleet_resources", "resources", 1),
            ("fleet_bytes", "bytes", 1),
        ):
            f = fits[key]
            marginal = ", ".join(f"{int(a)}->{int(b)}: {m * scale:.1f}" for a, b, m in f["marginal"])
            fit_rows.append(
                [
                    key.replace("_s", ""),
                    f"{f['slope'] * scale:.1f} {unit}",
                    f"{f['intercept'] * scale:.0f}",
                    f"{f['r2']:.4f}",
                    marginal,
                ]
            )
        out.append(table(["per added endpoint", "slope", "intercept", "R^2", "between sizes"], fit_rows))
        per_endpoint = fits["wall_s"]["slope"] * 1000
        out.append(
            f"Wall time per added endpoint {series['label']}: **{per_endpoint:.1f} ms** (target <= "
            f"{MAX_MS_PER_ENDPOINT:g} ms: {verdict(per_endpoint <= MAX_MS_PER_ENDPOINT)}), R^2 "
            f"{fits['wall_s']['r2']:.4f}."
        )
        errors = sorted({e for v in series["sizes"].values() for e in v["errors"]})
        if errors:
            out.append("Validation failures: " + "; ".join(errors))
    out.append(
        f"Where stacks split: member i lives in nested stack `Shard{{i // {mps}}}`, so a new nested stack starts "
        f"at members {mps}, {2 * mps}, {3 * mps}, ... (see the nested-stack columns). The parent `Fleet` stack "
        "holds the `AWS::CloudFormation::Stack` resources (and the shared role, when there is one). Growth is linear "
        "when R^2 is near 1 and the slopes between sizes do not rise with size."
    )
    return "\n\n".join(out)


def suite_section(part: dict[str, Any]) -> str:
    """Part 3: the pytest runs, the slowest tests, the files and referees the unit time goes to."""
    runs = [("unit", r) for r in part["unit"]]
    runs += [("unit, pytest-xdist", x) for x in [part.get("unit_xdist")] if x]
    runs += [("full", part["full"])] if part["full"] else []
    rows = []
    for name, r in runs:
        started = r.get("started", "an earlier invocation")
        rows.append(
            [name, started, f"`{r['command']}`", s(r["wall_s"], 1), r["summary"], r["load_start"], r["load_end"]]
        )
    unit = [r["wall_s"] for r in part["unit"]]
    out = [
        "### Test suite wall time",
        machine_line(part),
        table(["selection", "started", "command", "wall s", "pytest's summary", "load at start", "load at end"], rows),
    ]
    if unit:
        best = median(unit)
        out.append(
            f'Unit tests (`-m "not slow"`, the project\'s own marker for external referees, subprocesses and '
            f"containers): median {best:.1f} s over {len(unit)} run(s); target well under {UNIT_TARGET_S:g} s: "
            f"{verdict(best < UNIT_TARGET_S)}."
            + (
                f" With pytest-xdist (installed by `make setup`, not used by `make test`): "
                f"{part['unit_xdist']['wall_s']:.1f} s."
                if part.get("unit_xdist")
                else ""
            )
        )
    last = part["unit"][-1] if part["unit"] else None
    if last and "referee_s" in last:
        out.append(
            f"In the last unit run, {last['referee_tests']} tests whose names say they run a referee or tool "
            f"(checkov, cfn-lint, ruff, mypy, hadolint, the cdk CLI) take {last['referee_s']:.0f} s of the "
            f"{last['durations_s']:.0f} s pytest measured in tests; they are not marked `slow`, so the unit "
            "selection runs them. Time per test file (setup + call + teardown):\n\n"
            + table(["file", "seconds"], [[f"`{f}`", f"{sec:.1f}"] for f, sec in last["per_file"]])
        )
    for name, r in runs[-1:] + runs[:1]:
        if r["slowest"]:
            lines = "\n".join(f"- {d:.1f} s {phase} `{test}`" for d, phase, test in r["slowest"])
            out.append(f"Slowest phases ({name} run, {r.get('started', 'an earlier invocation')}):\n{lines}")
        if r["failures"]:
            out.append(f"Failures in the {name} run:\n" + "\n".join(f"- `{f}`" for f in r["failures"]))
    return "\n\n".join(dict.fromkeys(out))


def summary(parts: dict[str, dict[str, Any]]) -> str:
    """The headline figures against their targets."""
    lines = []
    if "reference" in parts:
        r = parts["reference"]
        ratio = r["ratios"]["reference"]["wall_ratio_of_medians"]
        nag = next(c for what, c in r["costs"].items() if what.startswith("nag"))
        cfn = next(c for what, c in r["costs"].items() if what.startswith("CDK's built-in"))
        lines.append(
            f"- Reference app (stage `{r['stage']}`, nag packs) / bare app: **{ratio:.2f}** wall "
            f"({r['ratios']['reference']['cpu_ratio_of_medians']:.2f} CPU); target <= {MAX_RATIO:g}: "
            f"{verdict(ratio <= MAX_RATIO)}. Nag packs cost {nag['wall_s']:.2f} s of it; CDK's built-in "
            f"CloudFormation validation, off in the tests but on in `cdk synth`, would add {cfn['wall_s']:.1f} s."
        )
    if "growth" in parts:
        for series in parts["growth"]["series"].values():
            f = series["fits"]["wall_s"]
            ms = f["slope"] * 1000
            lines.append(
                f"- Fleet growth {series['label']}: **{ms:.1f} ms** per added endpoint (R^2 {f['r2']:.3f}); "
                f"target <= {MAX_MS_PER_ENDPOINT:g} ms: {verdict(ms <= MAX_MS_PER_ENDPOINT)}."
            )
    if "suite" in parts:
        p = parts["suite"]
        unit = median(r["wall_s"] for r in p["unit"])
        extra = f", {p['unit_xdist']['wall_s']:.0f} s with `-n 2`" if p.get("unit_xdist") else ""
        full = f"; full suite {p['full']['wall_s']:.0f} s" if p.get("full") else ""
        lines.append(
            f"- Unit tests: **{unit:.0f} s**{extra} (target well under {UNIT_TARGET_S:g} s: "
            f"{verdict(unit < UNIT_TARGET_S)}){full}."
        )
    return "**Headline**\n\n" + "\n".join(lines) if lines else ""


def render(parts: dict[str, dict[str, Any]]) -> str:
    """The whole "Synthesis and scale" section from whichever parts have results."""
    sections = [
        "## Synthesis and scale",
        f"Measured on demand with `{COMMAND}` (all parts; `--parts` picks some, `--help` lists the options), "
        "never in the test suite; no test asserts a time. The machine is shared with other jobs: each part "
        "records the load average around it, and the verdicts rest on medians and on ratios and differences "
        "measured side by side in the same rounds. Raw results: `benchmarks/out/synth/*.json`. Synth workers run with "
        "a bytecode cache (`PYTHONPYCACHEPREFIX=benchmarks/out/synth/pycache`; this machine sets "
        "`PYTHONDONTWRITEBYTECODE=1`, whose cost one variant measures), after one unrecorded warm-up run per "
        "interpreter flavour; pytest runs in the machine's environment as it is.",
    ]
    sections.append(summary(parts))
    if "reference" in parts:
        sections.append(reference_section(parts["reference"]))
    if "growth" in parts:
        sections.append(growth_section(parts["growth"]))
    if "suite" in parts:
        sections.append(suite_section(parts["suite"]))
    if "profile" in parts:
        heading, rest = advice.profile_section(parts["profile"]).split("\n\n", 1)
        sections.append(f"{heading}\n\n{machine_line(parts['profile'])}\n\n{rest}")
        sections.append(advice.recommendations(parts))
    return "\n\n".join(sections).rstrip() + "\n"
