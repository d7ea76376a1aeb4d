"""Where the Python process spends its time, from a cProfile of one worker run (imports, build, synth)."""

from __future__ import annotations

import pstats
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT

WAIT_NODE = "waiting for the Node kernel's answer (readline on its stdout)"
WRITE_NODE = "sending requests to the Node kernel (flush to its stdin)"
#: (area, test on ``(file, function)``); first match wins; builtins go to "builtins".
AREAS: list[tuple[str, str]] = [
    ("module imports (module bodies, unmarshal, class creation)", "import"),
    ("jsii runtime type checks (typeguard)", "/typeguard/"),
    ("jsii runtime type checks (typeguard)", "/jsii/_type_checking.py"),
    ("jsii runtime (references, callbacks, marshalling)", "/site-packages/jsii/"),
    ("cattrs/attrs (request (un)structuring)", "/site-packages/cattrs/"),
    ("cattrs/attrs (request (un)structuring)", "/site-packages/attr/"),
    ("json encode/decode of requests", "/python3.11/json/"),
    ("aws_cdk Python bindings (generated code)", "/site-packages/aws_cdk/"),
    ("aws_cdk Python bindings (generated code)", "/site-packages/constructs/"),
    ("our library (constructs/sagemaker_platform)", str(ROOT / "constructs" / "sagemaker_platform")),
    ("reference stacks (stacks/)", str(ROOT / "stacks")),
    ("benchmark bookkeeping (call counting)", str(ROOT / "benchmarks")),
]
IMPORT_MARKERS = ("<frozen importlib", "<frozen zipimport")
IMPORT_BUILTINS = ("<built-in method marshal.loads>", "<built-in method builtins.__build_class__>")


@dataclass
class PythonProfile:
    """Seconds per area (own time), the total, and two cumulative figures."""

    total_s: float
    areas: dict[str, float]
    type_check_cumulative_s: float
    calls_profiled: int


def _area(file: str, function: str) -> str:
    if function == "<method 'readline' of '_io.BufferedReader' objects>":
        return WAIT_NODE
    if function == "<method 'flush' of '_io.BufferedWriter' objects>":
        return WRITE_NODE
    if function == "<module>" or file.startswith(IMPORT_MARKERS) or function in IMPORT_BUILTINS:
        return AREAS[0][0]
    for area, marker in AREAS[1:]:
        if marker in file:
            return area
    if file == "~":
        return "builtins (isinstance, getattr, ... called by all of the above)"
    return "other (stdlib)"


def analyse(path: Path) -> PythonProfile:
    """Group own time (tottime) of every profiled function by area."""
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]
    areas: Counter[str] = Counter()
    type_checks = 0.0
    calls = 0
    for (file, _line, function), (_prim, ncalls, tottime, cumtime, _callers) in raw.items():
        label = f"<{function}>" if file == "~" and function.startswith("built-in") else function
        areas[_area(file, label)] += tottime
        calls += ncalls
        if file.endswith("jsii/_type_checking.py") and function == "check_type":
            type_checks = cumtime
    return PythonProfile(
        total_s=sum(areas.values()),
        areas=dict(areas.most_common()),
        type_check_cumulative_s=type_checks,
        calls_profiled=calls,
    )
