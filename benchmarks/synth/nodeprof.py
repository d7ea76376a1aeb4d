"""Where the jsii kernel's Node process spends its time, from a V8 ``.cpuprofile`` (``node --cpu-prof``).

Every sample is charged to one category by looking at its whole stack (root to leaf); the first
rule that matches wins, so for example a module compiled lazily while cdk-nag checks a rule is
charged to cdk-nag, and Node blocked on reading the next request is "waiting for Python".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Frame = tuple[str, str]  # (function name, url)


def _has(stack: list[Frame], *, function: str | None = None, url: str | None = None) -> bool:
    return any((function is None or f == function) and (url is None or url in u) for f, u in stack)


def _compiling(stack: list[Frame]) -> bool:
    return _has(stack, function="Module._compile") or _has(stack, function="wrapSafe")


#: (category, rule on the stack root -> leaf). Order matters.
RULES: list[tuple[str, Callable[[list[Frame]], bool]]] = [
    ("idle (Node's event loop has nothing to do)", lambda s: s[-1][0] == "(idle)"),
    ("garbage collection", lambda s: s[-1][0] == "(garbage collector)"),
    ("waiting for Python (blocked reading the next request)", lambda s: _has(s, function="readLine")),
    ("writing responses to Python", lambda s: _has(s, function="writeLine")),
    (
        "cdk-nag: loading its modules and the aws-cdk-lib modules its rules use",
        lambda s: _has(s, url="/cdk-nag/") and _compiling(s),
    ),
    ("cdk-nag: rule checks", lambda s: _has(s, url="/cdk-nag/")),
    ("other validation plugins", lambda s: _has(s, function="invokeSinglePlugin")),
    ("asset staging: copying asset directories into cdk.out", lambda s: _has(s, function="stageByCopying")),
    ("asset fingerprinting", lambda s: _has(s, function="fingerprint")),
    ("jsii: loading assemblies (extract, require)", lambda s: _has(s, function="_Kernel_load")),
    ("JS module loading (aws-cdk-lib modules required on first use)", _compiling),
    ("synth: construct validations (node.add_validation)", lambda s: _has(s, function="validateTree")),
    (
        "IAM statement merging (feature flag @aws-cdk/aws-iam:minimizePolicies)",
        lambda s: _has(s, function="mergeStatements"),
    ),
    ("synth: prepare (references, nested stacks)", lambda s: _has(s, function="prepareApp")),
    ("synth: template rendering (token resolution)", lambda s: _has(s, function="_toCloudFormation")),
    ("synth: writing templates, manifest, tree.json", lambda s: _has(s, url="/core/lib/private/synthesis.js")),
]
KERNEL_URL = "/lib/program.js"


def _fallback(stack: list[Frame]) -> str:
    """The owner of the innermost frame that is not Node's own."""
    for function, url in reversed(stack):
        if KERNEL_URL in url and "node_modules" not in url:
            return "jsii kernel: (de)serializing values, finding types"
        if "node_modules/" in url:
            return "construct code (aws-cdk-lib, constructs): building the tree"
        if function and url and not url.startswith("node:"):
            return "other"
    return "Node internals"


@dataclass
class NodeProfile:
    """Milliseconds per category, and the profile's span."""

    total_ms: float
    categories: dict[str, float]


def analyse(path: Path) -> NodeProfile:
    """Charge every sample of the profile at ``path`` to a category."""
    profile: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent: dict[int, int] = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    memo: dict[int, str] = {}

    def category(node_id: int) -> str:
        if node_id not in memo:
            stack: list[Frame] = []
            current: int | None = node_id
            while current is not None:
                frame = nodes[current]["callFrame"]
                stack.append((frame["functionName"], frame["url"]))
                current = parent.get(current)
            stack.reverse()
            memo[node_id] = next((name for name, rule in RULES if rule(stack)), None) or _fallback(stack)
        return memo[node_id]

    spent: Counter[str] = Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        spent[category(sample)] += delta / 1000
    return NodeProfile(total_ms=sum(spent.values()), categories=dict(spent.most_common()))


def kernel_profile(directory: Path) -> Path:
    """The kernel's profile among those in ``directory``: the runtime's wrapper process writes a small one."""
    found = sorted(directory.glob("*.cpuprofile"), key=lambda p: p.stat().st_size)
    if not found:
        raise SystemExit(f"no .cpuprofile in {directory}: did Node start with --cpu-prof?")
    return found[-1]
