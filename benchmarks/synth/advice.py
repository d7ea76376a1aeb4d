"""The profile part of the synthesis section and its recommendations, each estimate computed from measurements."""

from __future__ import annotations

from typing import Any

from benchmarks.common import ROOT, median, table

NAG_MODULES = "cdk-nag: loading its modules and the aws-cdk-lib modules its rules use"
NAG_RULES = "cdk-nag: rule checks"
STAGING = "asset staging: copying asset directories into cdk.out"
MODULES = "JS module loading (aws-cdk-lib modules required on first use)"
KERNEL_MARSHAL = "jsii kernel: (de)serializing values, finding types"
WRITING = "writing responses to Python"
WAITING = "waiting for Python (blocked reading the next request)"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def profile_section(p: dict[str, Any]) -> str:
    """Where one reference synth spends its time: phases, the pipe, Node, Python, unit costs."""
    counted = p["counted"]
    kernel = counted["kernel"]
    phases = counted["phases"]
    phase_rows = [
        [
            name,
            f"{v['s']:.2f}",
            int(v["calls"]),
            f"{v['send_s']:.2f}",
            f"{v['s'] - v['send_s']:.2f}",
            int(v["callbacks"]),
        ]
        for name, v in phases.items()
    ]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(kernel["calls"].items(), key=lambda kv: -kv[1]))
    node = p["node"]
    node_rows = [[c, f"{ms:.0f}", _pct(ms, node["total_ms"])] for c, ms in node["categories"].items()]
    py = p["python"]
    py_rows = [[a, f"{sec:.2f}", _pct(sec, py["total_s"])] for a, sec in py["areas"].items()]
    micro = p["micro"]
    plain, optimized = micro["micro"], micro["micro-optimized"]
    micro_rows = [
        [v["what"], f"{v['ms']:.3f}", f"{optimized[op]['ms']:.3f}", f"{v['calls']:g}"] for op, v in plain.items()
    ]
    targets = "\n".join(f"| {n} | `{t}` |" for t, n in kernel["targets"][:15])
    callers = "\n".join(f"| {n} | `{c}` |" for c, n in kernel["callers"][:15])
    callbacks = ", ".join(f"`{k}` {v}" for k, v in sorted(kernel["callbacks"].items(), key=lambda kv: -kv[1]))
    return "\n\n".join(
        [
            "### Where the time goes (one reference synth, profiled)",
            f"Stage `{p['stage']}` with nag packs. A run with jsii requests counted and the Node kernel under "
            f"`node --cpu-prof` took {counted['wall_s']:.2f} s wall ({counted['cpu_s']:.2f} s CPU); a second run "
            f"under cProfile took {py['wall_s']:.2f} s (cProfile slows Python down).",
            "Phases in-process: `send` is time inside jsii's `_NodeProcess.send` (the request's round trip: "
            "serializing, the pipe, Node's work, the answer); the rest is Python's own.",
            table(
                ["phase", "seconds", "jsii requests", "in send s", "Python own s", "callbacks into Python"], phase_rows
            ),
            f"jsii requests by kind: {kinds}. Callbacks from Node into Python: {callbacks} "
            f"({kernel['callback_s']:.2f} s inside them, nested requests included).",
            "Most frequent requests, and the lines of our code that send the most (innermost frame in "
            "`constructs/sagemaker_platform` or `stacks/`):",
            "| requests | target |\n| --- | --- |\n" + targets,
            "| requests | caused by |\n| --- | --- |\n" + callers,
            f"**Node (the jsii kernel)**, {node['total_ms'] / 1000:.2f} s of samples, every sample charged to the "
            "first matching category (`benchmarks/synth/nodeprof.py`):",
            table(["category", "ms", "share"], node_rows),
            f"**Python**, {py['total_s']:.2f} s profiled (own time per area; jsii runtime type checks cumulative: "
            f"{py['type_check_cumulative_s']:.2f} s):",
            table(["area", "seconds", "share"], py_rows),
            "**Unit costs** (`benchmarks/synth/microbench.py`: median ms per operation over interleaved blocks, "
            "medians of 5 worker runs each, interleaved; the same operations under `python -O`):",
            table(["operation", "ms", "ms with -O", "jsii requests"], micro_rows),
            *_fleet_profile(p["fleet"]),
        ]
    )


def _fleet_profile(f: dict[str, Any]) -> list[str]:
    """The cost of one more fleet endpoint, by Node category and by the code that sends requests."""
    small, big = f["sizes"]
    calls = sum(f["calls"].values())
    node_rows = [[c, f"{ms:.1f}"] for c, ms in f["node_ms"].items() if ms >= 0.05]
    callers = [[f"{n:.1f}", f"`{c}`"] for c, n in f["callers"].items() if n >= 0.5]
    targets = [[f"{n:.1f}", f"`{t}`"] for t, n in f["targets"].items() if n >= 1.5]
    return [
        f"**One more fleet endpoint** (fleets of {small} and {big} endpoints with nag packs, each run once with "
        f"requests counted and Node profiled; differences divided by {big - small}): {f['wall_ms']:.1f} ms wall, "
        f"{f['cpu_ms']:.1f} ms CPU, {f['python_own_ms']:.1f} ms of it Python's own (outside `send`), "
        f"{calls:.0f} jsii requests.",
        "Node, per endpoint:\n\n" + table(["category", "ms per endpoint"], node_rows),
        "Requests per endpoint by the code that sends them, and the most frequent targets:\n\n"
        + table(["requests per endpoint", "caused by"], callers)
        + "\n\n"
        + table(["requests per endpoint", "target"], targets),
    ]


def _wheelhouse_mb() -> float:
    total = sum(f.stat().st_size for f in ROOT.glob("containers/*/wheelhouse/*") if f.is_file())
    return total / 1e6


def _items(parts: dict[str, dict[str, Any]], rt_ms: float) -> list[tuple[float, str]]:
    """(estimated seconds saved per reference synth, text) for every actionable change."""
    p = parts["profile"]
    kernel, node, micro = p["counted"]["kernel"], p["node"]["categories"], p["micro"]["micro"]
    callers, targets = dict(kernel["callers"]), dict(kernel["targets"])
    costs = parts.get("reference", {}).get("costs", {})

    def cost(prefix: str) -> dict[str, float] | None:
        return next((c for what, c in costs.items() if what.startswith(prefix)), None)

    items: list[tuple[float, str]] = []
    staging = cost("asset staging")
    staging_s = staging["wall_s"] if staging else node.get(STAGING, 0) / 1000
    items.append((staging_s, (
        f"**Stop staging image assets in test apps** (~{staging_s:.2f} s per reference-app synth, "
        f"`reference - reference-no-staging`; Node spent {node.get(STAGING, 0):.0f} ms copying). "
        "`ModelImage.from_asset` makes every synth copy `containers/{inference,training,processing}` into "
        f"`cdk.out`, wheelhouses included ({_wheelhouse_mb():.0f} MB on this machine after `make images`; "
        "near nothing on a fresh checkout). Tests never build images: `tests/harness.make_app` can set the "
        "context key `aws:cdk:disable-asset-staging: true`; asset hashes, and so templates and snapshots, "
        "stay the same (checked: identical templates for the reference stage). Keep staging for "
        "`make synth` and deploys.")))  # fmt: skip
    optimized = cost("jsii runtime type checks")
    if optimized:
        items.append((optimized["wall_s"], (
            f"**Run `cdk synth` under `python -O`** (~{optimized['wall_s']:.2f} s wall, "
            f"{optimized['cpu_s']:.2f} s CPU per reference synth, `reference - reference-optimized`): jsii's "
            "generated bindings type-check every argument with typeguard only `if __debug__`. Change "
            "`cdk.json`'s `app` to `.venv/bin/python -O app.py`. Trade-off: a wrong argument type then fails "
            "in Node with a less direct message, and the library's four `assert` statements (guaranteed by "
            "props validation) are skipped. Not for pytest, which needs asserts.")))  # fmt: skip
    cfn = cost("CDK's built-in")
    if cfn:
        items.append((cfn["wall_s"], (
            f"**Decide about CDK's built-in CloudFormation validation in `make synth`** (~{cfn['wall_s']:.2f} s "
            "per synth when on, `reference-cfn-validation - reference`). The tests turn it off and run "
            "cfn-lint instead; `cdk synth` (and `app.py`'s `App()`) keep it. `cdk synth --no-validation` "
            "would save it where cfn-lint runs anyway; keeping it is defensible for users who synth without "
            "running the tests.")))  # fmt: skip
    is_token = callers.get("constructs/sagemaker_platform/_validation.py:is_token", 0)
    items.append((is_token * rt_ms / 1000, (
        f"**Answer `is_token` in Python for plain values** ({is_token} kernel requests per reference synth, "
        f"~{is_token * rt_ms:.0f} ms at {rt_ms:.2f} ms per round trip): a `str` can only be a token if it "
        "contains `${Token[`, an `int`/`bool` never is, a `float` only near -1.888e+289 (CDK's encoding); "
        "ask `Token.is_unresolved` only then, and for lists and dicts.")))  # fmt: skip
    alarms = callers.get("constructs/sagemaker_platform/observability/alarms.py:alarm_notifying", 0)
    n_alarms = targets.get("create aws-cdk-lib.aws_cloudwatch.Alarm", 0)
    if alarms and n_alarms:
        items.append((n_alarms * rt_ms / 1000, (
            f"**One `SnsAction` per alarm instead of two requests' worth** ({alarms} requests for "
            f"{n_alarms} alarms in `alarm_notifying`, {alarms / n_alarms:.0f} each): create the action once "
            f"per topic and stack and reuse it for ALARM and OK (~{n_alarms * rt_ms:.0f} ms). A `CfnAlarm` "
            "with plain props would be 1 request instead, but `alarm_notifying` returns the L2 `Alarm` that "
            "callers use; not worth that API change.")))  # fmt: skip
    fs = callers.get("constructs/sagemaker_platform/featurestore/compliance.py:_feature_group_constructs", 0)
    if fs:
        items.append((fs * rt_ms / 1000, (
            f"**FeatureStoreChecks: test the Python class, not `cfn_resource_type`** ({fs} requests at synth, "
            f"~{fs * rt_ms:.0f} ms): `_feature_group_constructs` reads `cfn_resource_type` of every "
            "`CfnResource` in the app; jsii hands back `CfnFeatureGroup` proxies, so "
            "`isinstance(node, sagemaker.CfnFeatureGroup)` filters without a round trip.")))  # fmt: skip
    typed, plain = micro["create-typed"]["ms"], micro["create-dict"]["ms"]
    l1 = sum(n for t, n in kernel["targets"] if t.startswith("create ") and ".Cfn" in t)
    saving = max(typed - plain, 0.0)
    items.append((saving * l1 / 1000, (
        f"**Plain dict props for L1 constructs** save {typed - plain:.2f} ms per `CfnBucket`-sized L1 here "
        f"({typed:.2f} vs {plain:.2f} ms, both 1 request: the saving is Python-side struct construction and "
        f"type checks, not round trips). The most frequent request targets include {l1} L1 creates per "
        f"reference synth: at most ~{saving * l1:.0f} ms, paid for with untyped props. Only worth it where a "
        "construct builds many L1s in a loop.")))  # fmt: skip
    return sorted(items, key=lambda item: -item[0])


def _shared_role_item(growth: dict[str, Any] | None) -> list[tuple[float, str]]:
    """The measured saving of one shared execution role, from the growth series, if both were run."""
    series = (growth or {}).get("series", {})
    if "nag" not in series or "shared-role" not in series:
        return []
    own, shared = series["nag"]["fits"], series["shared-role"]["fits"]
    wall = (own["wall_s"]["slope"] - shared["wall_s"]["slope"]) * 1000
    cpu = (own["cpu_s"]["slope"] - shared["cpu_s"]["slope"]) * 1000
    calls = own["calls"]["slope"] - shared["calls"]["slope"]
    return [(cpu, (
        f"**For large fleets, share one execution role (`ModelFleetProps.role`)**: measured {wall:.1f} ms wall, "
        f"{cpu:.1f} ms CPU and {calls:.0f} jsii requests less per endpoint (growth slopes, same rounds), and two "
        "resources less per member. A documentation and default question rather than code: per-model roles are "
        "the least-privilege default; say in the fleet docs what they cost at 100+ endpoints.")),
    ]  # fmt: skip


def _fleet_items(f: dict[str, Any], rt_ms: float) -> list[tuple[float, str]]:
    """(estimated ms saved per fleet endpoint, text), from the per-endpoint request counts."""
    callers = f["callers"]

    def n(suffix: str) -> float:
        return float(sum(v for k, v in callers.items() if suffix in k))

    budget = n("fleet/fleet.py:<genexpr>")
    roles = n("foundations/roles.py:")
    nag_ids, nag_ack = n("compliance/nag.py:nag_resource_id"), n("compliance/nag.py:acknowledge")
    items = [
        (
            budget * rt_ms,
            (
                f"**`_ResourceBudget.validate` without a round trip per construct** ({budget:.0f} requests per "
                f"endpoint, ~{budget * rt_ms:.1f} ms): it calls `CfnResource.is_cfn_resource(c)` and `Stack.of(c)` "
                "for every construct of the shard. `find_all()` already returns proxies of the right Python classes "
                "(checked: `isinstance(c, CfnResource)` agrees with `is_cfn_resource`), and `Stack.of` is only "
                "needed when the shard holds a stack of its own: count with `isinstance` and fall back to `Stack.of` "
                "only when `any(isinstance(c, Stack) for c in found[1:])`."
            ),
        ),
        (
            max(roles - 2, 0) * rt_ms,
            (
                f"**Build each member's execution-role policy in one request** ({roles:.0f} requests per endpoint in "
                f"`foundations/roles.py`, ~{max(roles - 2, 0) * rt_ms:.1f} ms): every grant creates a "
                "`PolicyStatement` and calls `ManagedPolicy.add_statements`; collecting the statements as plain dicts "
                "and passing `document=iam.PolicyDocument.from_json(...)` once keeps the same template. For large "
                "fleets `ModelFleetProps.role` (one shared role) also drops two resources per member."
            ),
        ),
        (
            f["callers"].get("constructs/sagemaker_platform/_validation.py:is_token", 0) * rt_ms,
            (
                "**`is_token` in Python for plain values** (see above): "
                f"{callers.get('constructs/sagemaker_platform/_validation.py:is_token', 0):.0f} requests per endpoint."
            ),
        ),
        (
            (nag_ids + nag_ack) * rt_ms / 2,
            (
                f"**Batch the late nag acknowledgments** ({nag_ids:.0f} + {nag_ack:.0f} requests per endpoint in "
                "`nag_resource_id`/`acknowledge*`): `_LateWildcardAcknowledgment.validate` calls `Stack.of(scope)` "
                "once per resource; resolve all resources with one `Stack.of` and one `acknowledge` call "
                f"(~{(nag_ids + nag_ack) * rt_ms / 2:.1f} ms, about half the requests)."
            ),
        ),
        (
            n("featurestore/compliance.py") * rt_ms,
            (
                f"**FeatureStoreChecks by class** (see above): {n('featurestore/compliance.py'):.0f} requests per "
                "endpoint, because it reads `cfn_resource_type` of every resource in the app."
            ),
        ),
    ]
    return sorted(items, key=lambda item: -item[0])


def _projection(ref: dict[str, Any], items: list[tuple[float, str]]) -> str:
    """The reference/bare ratio if the code and test changes above were made (not ``-O``, not the CLI flag)."""
    variants = ref["variants"]
    reference, bare = median(variants["reference"]["wall_s"]), median(variants["bare"]["wall_s"])
    code = sum(sec for sec, text in items if "python -O" not in text and "built-in CloudFormation" not in text)
    optimized = next((sec for sec, text in items if "python -O" in text), 0.0)
    return (
        f"Estimated effect on the headline ratio: {reference:.2f} s / {bare:.2f} s = {reference / bare:.2f} now; "
        f"the changes other than `-O` and the CLI flag save ~{code:.2f} s, giving ~{(reference - code) / bare:.2f}; "
        f"with `-O` as well ~{(reference - code - optimized) / bare:.2f}. The bare app's wall time is mostly fixed "
        "start-up, so the ratio moves only with whole seconds."
    )


def round_trip_ms(p: dict[str, Any]) -> float:
    """What one request costs on average beyond Node's own work, from the fleet profile (else the cheapest call).

    Per added endpoint: the time Node waits for Python, writes answers and (de)serializes, less Python's own
    time outside ``send``, divided by the requests; at least the micro-benchmark's cheapest round trip.
    """
    micro = p["micro"]["micro"]
    cheapest = float(micro["sinvoke"]["ms"] + micro["get"]["ms"]) / 2
    f = p.get("fleet")
    if not f:
        return cheapest
    node = f["node_ms"]
    requests = sum(f["calls"].values())
    pipe = node.get(WAITING, 0.0) + node.get(WRITING, 0.0) + node.get(KERNEL_MARSHAL, 0.0) - f["python_own_ms"]
    return max(cheapest, pipe / requests) if requests > 0 else cheapest


def _suite_advice(parts: dict[str, dict[str, Any]]) -> list[str]:
    """What would bring the unit selection toward the 60 s target, from the last unit run's durations."""
    suite = parts.get("suite")
    if not suite or not suite["unit"] or "referee_s" not in suite["unit"][-1]:
        return []
    last = suite["unit"][-1]
    fleet_setup = max((d for d, phase, test in last["slowest"] if phase == "setup" and "test_fleet" in test), default=0)
    xdist = suite.get("unit_xdist")
    lines = [
        f"1. **Mark the referee tests `slow`** (or give them a `referee` marker the unit selection excludes): "
        f'{last["referee_tests"]} tests run checkov, cfn-lint, ruff/mypy or the cdk CLI inside `-m "not slow"`, '
        f"{last['referee_s']:.0f} s of {last['wall_s']:.0f} s. The marker's own description already says "
        "external referees are slow; CI's full run keeps them.",
        f"2. **Keep the 200-endpoint fleet out of the unit selection** ({fleet_setup:.1f} s fixture setup): mark "
        "its tests `slow` and cover splitting in the unit tests with a fleet just past one shard (31 members).",
    ]
    if xdist:
        lines.append(
            f"3. **`-n 2`** (pytest-xdist is installed): {xdist['wall_s']:.0f} s instead of {last['wall_s']:.0f} s "
            "measured here; each worker builds its own session fixtures, so the gain is below 2x."
        )
    rest = last["wall_s"] - last["referee_s"] - fleet_setup
    return [
        f"Test suite (unit selection {last['wall_s']:.0f} s; target well under 60 s). Without the referees and the "
        f"200-endpoint fleet it would be ~{rest:.0f} s serially:",
        "\n".join(lines),
    ]


def recommendations(parts: dict[str, dict[str, Any]]) -> str:
    """Actionable changes ranked by the saving estimated from these measurements, then what is not worth it."""
    p = parts["profile"]
    kernel, node, micro = p["counted"]["kernel"], p["node"]["categories"], p["micro"]["micro"]
    rt_cheapest = (micro["sinvoke"]["ms"] + micro["get"]["ms"]) / 2
    rt_ms = round_trip_ms(p)
    calls = sum(kernel["calls"].values())
    ranked = "\n".join(f"{i}. {text}" for i, (_, text) in enumerate(_items(parts, rt_ms), 1))
    fixed = [
        "- Python start-up, imports and the jsii kernel's start-up: the `import` phase above. The bare app pays "
        "most of it too (`aws_cdk` loads its jsii assemblies at import); the reference app adds "
        "`sagemaker_platform`, `stacks`, `cdk_nag` and the aws_cdk modules they use. The library's imports are "
        'lazy (see "Import and CLI start-up"), which helps apps that use one corner of it, not the reference '
        "app, which uses nearly all of it.",
        f"- Node compiling aws-cdk-lib's JavaScript on first use: {node.get(MODULES, 0):.0f} ms, plus "
        f"{node.get(NAG_MODULES, 0):.0f} ms for cdk-nag and the modules its rules touch; once per process "
        "(pytest: once per run). Node 22's `NODE_COMPILE_CACHE` could cut it; Node 20 here has no such cache "
        "(not measured).",
        f"- jsii round trips overall: {calls} requests x ~{rt_ms:.2f} ms (the cheapest call costs "
        f"{rt_cheapest:.2f} ms) ~ {calls * rt_ms / 1000:.2f} s of pipe "
        f"and marshalling overhead (Node: {node.get(KERNEL_MARSHAL, 0):.0f} ms (de)serializing, "
        f"{node.get(WRITING, 0):.0f} ms writing answers); the items above remove the largest avoidable groups.",
    ]
    nag = next((c for w, c in parts.get("reference", {}).get("costs", {}).items() if w.startswith("nag")), None)
    if nag:
        fixed.append(
            f"- Nag packs: {nag['wall_s']:.2f} s wall per reference synth ({nag['synth_s']:.2f} s in `synth`); "
            f"rule checks {node.get(NAG_RULES, 0):.0f} ms, the rest loading modules once per process. Required "
            "by the design (every stack passes the packs); no action."
        )
    intro = "Ranked by the saving estimated from the figures above, per reference-app synth. Nothing was changed."
    out = ["### Recommendations", intro, ranked]
    if "reference" in parts:
        out.append(_projection(parts["reference"], _items(parts, rt_ms)))
    if "fleet" in p:
        f = p["fleet"]
        items = sorted(_fleet_items(f, rt_ms) + _shared_role_item(parts.get("growth")), key=lambda i: -i[0])
        requests = sum(f["calls"].values())
        pipe = (WAITING, WRITING, KERNEL_MARSHAL, "idle (Node's event loop has nothing to do)")
        node_own = sum(ms for c, ms in f["node_ms"].items() if c not in pipe and ms > 0)
        budget = (25 - node_own - f["python_own_ms"]) / rt_ms
        out += [
            f"Per fleet endpoint (measured {f['wall_ms']:.1f} ms wall, {f['cpu_ms']:.1f} ms CPU; target 25 ms): "
            f"~{requests:.0f} requests x {rt_ms:.2f} ms ~ {requests * rt_ms:.0f} ms of request overhead, "
            f"~{node_own:.0f} ms of Node's own work (CDK, nag, synthesis) and {f['python_own_ms']:.0f} ms of "
            f"Python's own. "
            + (
                f"25 ms would need fewer than ~{budget:.0f} requests per endpoint. "
                if budget > 0
                else "Node's and Python's own work alone exceed 25 ms here, so cutting requests narrows the gap "
                "but cannot close it on this machine. "
            )
            + "Ranked by "
            "ms saved per endpoint (the shared role's figure is measured, the others estimated from requests x "
            "round trip; they overlap, so they do not simply add up):",
            "\n".join(f"{i}. {text}" for i, (_, text) in enumerate(items, 1)),
        ]
    out += _suite_advice(parts)
    return "\n\n".join([*out, "Where the rest goes, and why it stays:", "\n".join(fixed)])
