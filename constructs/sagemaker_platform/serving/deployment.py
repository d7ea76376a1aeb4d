"""How an endpoint moves to a new config: blue/green (all at once, canary, linear) or rolling."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sagemaker_platform._validation import PropsErrors


class TrafficShift(Enum):
    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


@dataclass(frozen=True, kw_only=True)
class BlueGreenDeployment:
    """Shift traffic to the new fleet in steps, watching the rollback alarms at each step.

    ``step_percent`` is the canary size (CANARY) or the step size (LINEAR), as a capacity percent.
    """

    shift: TrafficShift = TrafficShift.CANARY
    #: Canary size or linear step, 1-100 % of capacity. Default: 10 (CANARY and LINEAR only).
    step_percent: int = 10
    #: Wait after each step, 0-3600 s. Default: 300.
    wait_interval_s: int = 300
    #: Keep the old fleet this long after the shift, 0-3600 s. Default: 600.
    termination_wait_s: int = 600
    #: Whole deployment bound, 600-28800 s. Default: 3600.
    max_execution_timeout_s: int = 3600

    def __post_init__(self) -> None:
        errors = PropsErrors("BlueGreenDeployment")
        if self.shift is not TrafficShift.ALL_AT_ONCE:
            errors.int_range("step_percent", self.step_percent, 1, 100 if self.shift is TrafficShift.LINEAR else 99)
        errors.int_range("wait_interval_s", self.wait_interval_s, 0, 3600)
        errors.int_range("termination_wait_s", self.termination_wait_s, 0, 3600)
        errors.int_range("max_execution_timeout_s", self.max_execution_timeout_s, 600, 28800)
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        routing: dict[str, Any] = {"type": self.shift.value, "waitIntervalInSeconds": self.wait_interval_s}
        size = {"type": "CAPACITY_PERCENT", "value": self.step_percent}
        if self.shift is TrafficShift.CANARY:
            routing["canarySize"] = size
        elif self.shift is TrafficShift.LINEAR:
            routing["linearStepSize"] = size
        return {
            "blueGreenUpdatePolicy": {
                "trafficRoutingConfiguration": routing,
                "terminationWaitInSeconds": self.termination_wait_s,
                "maximumExecutionTimeoutInSeconds": self.max_execution_timeout_s,
            }
        }


@dataclass(frozen=True, kw_only=True)
class RollingDeployment:
    """Replace instances in batches (needs no spare fleet); rolls back in batches on alarm."""

    #: Instances (or percent with ``as_percent``) updated per batch. Default: 1 instance.
    max_batch_size: int = 1
    #: Batch size for rollback. Default: all at once.
    rollback_batch_size: int | None = None
    as_percent: bool = False
    wait_interval_s: int = 300
    max_execution_timeout_s: int = 3600

    def __post_init__(self) -> None:
        errors = PropsErrors("RollingDeployment")
        high = 100 if self.as_percent else None
        errors.int_range("max_batch_size", self.max_batch_size, 1, high)
        if self.rollback_batch_size is not None:
            errors.int_range("rollback_batch_size", self.rollback_batch_size, 1, high)
        errors.int_range("wait_interval_s", self.wait_interval_s, 0, 3600)
        errors.int_range("max_execution_timeout_s", self.max_execution_timeout_s, 600, 28800)
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        kind = "CAPACITY_PERCENT" if self.as_percent else "INSTANCE_COUNT"
        policy: dict[str, Any] = {
            "maximumBatchSize": {"type": kind, "value": self.max_batch_size},
            "waitIntervalInSeconds": self.wait_interval_s,
            "maximumExecutionTimeoutInSeconds": self.max_execution_timeout_s,
        }
        if self.rollback_batch_size is not None:
            policy["rollbackMaximumBatchSize"] = {"type": kind, "value": self.rollback_batch_size}
        return {"rollingUpdatePolicy": policy}
