"""Alarms for one pipeline (a Step Functions state machine): failed, timed-out and throttled executions."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability import _defaults
from sagemaker_platform.observability.alarm_factory import AlarmFactory, Thresholds, TieredAlarms
from sagemaker_platform.observability.metrics import PipelineMetrics

_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}"


@dataclass(frozen=True, kw_only=True)
class PipelineThresholds:
    """Thresholds per execution metric (per 5-minute period); None switches an alarm off."""

    #: Default: CRITICAL at the first failed execution.
    failed: Thresholds | None = field(default_factory=_defaults.pipeline_failed)
    #: Default: CRITICAL at the first timed-out execution.
    timed_out: Thresholds | None = field(default_factory=_defaults.pipeline_timed_out)
    #: Default: WARNING at the first throttled start.
    throttled: Thresholds | None = field(default_factory=_defaults.pipeline_throttled)


@dataclass(frozen=True, kw_only=True)
class PipelineMonitoringProps:
    """Properties of :class:`PipelineMonitoring`."""

    #: The pipeline's state machine, e.g. ``MlPipeline(...).state_machine``.
    state_machine: sfn.IStateMachine
    #: Readable name used in alarm names and descriptions, e.g. the pipeline's ``name_prefix``.
    pipeline_name: str
    alarms: AlarmFactory
    #: Default: see ``PipelineThresholds``.
    thresholds: PipelineThresholds = field(default_factory=PipelineThresholds)

    def __post_init__(self) -> None:
        errors = PropsErrors("PipelineMonitoringProps")
        errors.pattern(
            "pipeline_name",
            self.pipeline_name,
            _NAME,
            "1-80 letters, digits, '_' and '-', starting with one of the first two",
        )
        for name in ("failed", "timed_out", "throttled"):
            thresholds: Thresholds | None = getattr(self.thresholds, name)
            if thresholds is not None:
                thresholds.check(errors, self.alarms.defaults, f"thresholds.{name}.")
        errors.raise_if_any()


class PipelineMonitoring(Construct):
    """Alarms on ``ExecutionsFailed``, ``ExecutionsTimedOut`` and ``ExecutionThrottled`` of a state machine.

    ``MlPipeline`` already publishes each failure with its cause; these alarms add the view across
    executions (and catch executions that fail outside the pipeline's own catch paths).
    """

    def __init__(self, scope: Construct, construct_id: str, props: PipelineMonitoringProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.metrics = PipelineMetrics.of(props.state_machine)
        sources: dict[str, tuple[cw.IMetric, Thresholds | None, str]] = {
            "ExecutionsFailed": (self.metrics.executions_failed(), props.thresholds.failed, "failed executions"),
            "ExecutionsTimedOut": (
                self.metrics.executions_timed_out(),
                props.thresholds.timed_out,
                "timed-out executions",
            ),
            "ExecutionThrottled": (
                self.metrics.execution_throttled(),
                props.thresholds.throttled,
                "throttled execution starts",
            ),
        }
        self.alarms: dict[str, TieredAlarms] = {}
        for metric_name, (metric, thresholds, what) in sources.items():
            if thresholds is None:
                continue
            self.alarms[metric_name] = props.alarms.add(
                self,
                metric_name,
                metric=metric,
                thresholds=thresholds,
                description=f"pipeline {props.pipeline_name}: {what} per 5 minutes",
                name=f"{props.pipeline_name}-{metric_name}",
            )

    @property
    def all_alarms(self) -> list[cw.Alarm]:
        """Every alarm this construct made."""
        return [a for tiered in self.alarms.values() for a in tiered.all]
