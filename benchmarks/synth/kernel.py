"""Count jsii kernel round trips (Python -> Node requests) and the time spent waiting on them.

Installed by the worker before the CDK is imported. Every request the Python runtime sends to
the Node kernel goes through ``_NodeProcess.send`` (objects created, methods invoked, properties
read, callback results returned), and every call from Node back into Python (validations,
aspects, lazy values) through ``_handle_callback``, so patching those two counts them all.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Frames from these folders are "ours": a request is charged to the innermost one on the stack.
OWN_CODE = (str(ROOT / "constructs" / "sagemaker_platform"), str(ROOT / "stacks"), str(ROOT / "app.py"))
#: Request class name -> the kernel API it calls.
KINDS = {
    "CreateRequest": "create",
    "InvokeRequest": "invoke",
    "StaticInvokeRequest": "sinvoke",
    "GetRequest": "get",
    "StaticGetRequest": "sget",
    "SetRequest": "set",
    "StaticSetRequest": "sset",
    "LoadRequest": "load",
    "_CompleteRequest": "complete (callback result)",
    "DeleteRequest": "del",
}


@dataclass
class KernelStats:
    """Round trips so far; ``snapshot`` marks phase boundaries."""

    detail: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    callbacks: Counter[str] = field(default_factory=Counter)
    callback_seconds: float = 0.0
    targets: Counter[str] = field(default_factory=Counter)
    callers: Counter[str] = field(default_factory=Counter)

    def total(self) -> int:
        """Requests sent so far."""
        return sum(self.calls.values())

    def snapshot(self) -> dict[str, float]:
        """Totals at this moment, for phase deltas."""
        return {"calls": self.total(), "send_s": self.seconds, "callbacks": sum(self.callbacks.values())}

    def as_json(self) -> dict[str, Any]:
        """Everything counted, the largest targets and callers first."""
        return {
            "calls": dict(self.calls),
            "send_s": self.seconds,
            "callbacks": dict(self.callbacks),
            "callback_s": self.callback_seconds,
            "targets": self.targets.most_common(),
            "callers": self.callers.most_common(),
        }


def _target(request: Any) -> str:
    """What a request addresses: ``fqn.method``, ``fqn#property`` or ``fqn`` (create)."""
    inner: Any = getattr(request, "complete", request) if type(request).__name__ == "_CompleteRequest" else request
    fqn = getattr(inner, "fqn", None)
    objref = getattr(inner, "objref", None)
    if fqn is None and objref is not None:
        fqn = str(getattr(objref, "ref", "?")).split("@")[0]
    if hasattr(inner, "method"):
        return f"{fqn}.{inner.method}()"
    if hasattr(inner, "property"):
        return f"{fqn}#{inner.property}"
    return str(fqn or type(request).__name__)


def _caller() -> str:
    """The innermost frame of our own code that led to this request (``file:function``)."""
    frame = sys._getframe(3)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(OWN_CODE):
            return f"{Path(name).relative_to(ROOT)}:{frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "(outside our code)"


def install(detail: bool = False) -> KernelStats:
    """Patch the jsii runtime to count into a new :class:`KernelStats` (before ``import aws_cdk``)."""
    import jsii._kernel as kernel_module
    from jsii._kernel.providers import process

    stats = KernelStats(detail=detail)
    send = process._NodeProcess.send
    handle_callback = kernel_module._handle_callback

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        kind = KINDS.get(type(request).__name__, type(request).__name__)
        stats.calls[kind] += 1
        if stats.detail:
            stats.targets[f"{kind} {_target(request)}"] += 1
            stats.callers[_caller()] += 1
        started = time.perf_counter()
        try:
            return send(self, request, response_type)
        finally:
            stats.seconds += time.perf_counter() - started

    def counting_callback(kernel: Any, callback: Any) -> Any:
        stats.callbacks[str(callback.cookie)] += 1
        started = time.perf_counter()
        try:
            return handle_callback(kernel, callback)
        finally:
            stats.callback_seconds += time.perf_counter() - started

    process._NodeProcess.send = counting_send  # type: ignore[method-assign]
    kernel_module._handle_callback = counting_callback
    return stats
