"""Metric factories, addressed by name so alarms can exist before the resources they watch.

Kept apart from the alarm factory (as in cdk-monitoring-constructs): a factory only knows a
resource's name and returns ``cw.Metric`` / ``cw.MathExpression`` objects with their documented
namespace, dimensions, default statistic and period. Nothing here creates a construct.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

from sagemaker_platform.featurestore.metrics import feature_group_metric
from sagemaker_platform.serving.metrics import async_metric, variant_metric

if TYPE_CHECKING:
    # An annotation only (PipelineMetrics.of): endpoint monitoring never needs aws_stepfunctions.
    from aws_cdk import aws_stepfunctions as sfn

#: Step Functions execution metrics: namespace AWS/States, dimension StateMachineArn.
STATES_NAMESPACE = "AWS/States"
#: Model Monitor data-quality metrics of real-time endpoints (dimensions Endpoint, MonitoringSchedule).
#: The SageMaker guide's "CloudWatch Metrics" page also prints ``/aws/sagemaker/Endpoints/data-metric``
#: with EndpointName/ScheduleName; the namespace and dimensions used here are the ones its Model Monitor
#: overview and the SageMaker examples query.
DATA_QUALITY_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


@functools.cache
def _minute() -> Duration:
    """One minute, made on first use: a jsii call at import waits for the kernel to load aws-cdk-lib."""
    return Duration.minutes(1)


@dataclass(frozen=True, kw_only=True)
class EndpointMetrics:
    """Metrics of one endpoint variant, by name (``AWS/SageMaker`` and ``/aws/sagemaker/Endpoints``).

    Invocation and instance metrics carry the ``EndpointName`` and ``VariantName`` dimensions; the
    async backlog metrics carry ``EndpointName`` only. Every metric has a one-minute period.
    """

    endpoint_name: str
    variant_name: str

    def _variant(self, name: str, statistic: str | None = None) -> cw.Metric:
        return variant_metric(name, self.endpoint_name, self.variant_name, statistic=statistic, period=_minute())

    def invocations(self) -> cw.Metric:
        """Invocations (Sum)."""
        return self._variant("Invocations")

    def invocation_5xx_errors(self) -> cw.Metric:
        """Invocation5XXErrors (Sum): errors the model container returned."""
        return self._variant("Invocation5XXErrors")

    def invocation_4xx_errors(self) -> cw.Metric:
        """Invocation4XXErrors (Sum)."""
        return self._variant("Invocation4XXErrors")

    def invocation_4xx_rate(self) -> cw.MathExpression:
        """Percent of invocations answered with 4xx: ``100 * Invocation4XXErrors / Invocations``.

        Without invocations the division yields no data point, which the alarms treat as missing.
        """
        return cw.MathExpression(
            expression="100 * errors / invocations",
            using_metrics={"errors": self.invocation_4xx_errors(), "invocations": self.invocations()},
            label=f"{self.variant_name} 4xx rate (%)",
            period=_minute(),
        )

    def model_latency(self, statistic: str = "p99") -> cw.Metric:
        """ModelLatency in microseconds (p99)."""
        return self._variant("ModelLatency", statistic)

    def overhead_latency(self, statistic: str = "p99") -> cw.Metric:
        """OverheadLatency in microseconds (p99): SageMaker's own time around the model's."""
        return self._variant("OverheadLatency", statistic)

    def model_setup_time(self, statistic: str = "p99") -> cw.Metric:
        """ModelSetupTime in microseconds (p99): serverless cold starts."""
        return self._variant("ModelSetupTime", statistic)

    def memory_utilization(self) -> cw.Metric:
        """MemoryUtilization in percent, 0-100 (Average)."""
        return self._variant("MemoryUtilization")

    def disk_utilization(self) -> cw.Metric:
        """DiskUtilization in percent, 0-100 (Average)."""
        return self._variant("DiskUtilization")

    def cpu_utilization(self, vcpus: int | None = None) -> cw.IMetric:
        """CPUUtilization (Average); with ``vcpus``, divided by it to percent of the instance (0-100)."""
        return self._per_unit("CPUUtilization", vcpus, "vCPU")

    def gpu_utilization(self, gpus: int | None = None) -> cw.IMetric:
        """GPUUtilization (Average); with ``gpus``, divided by it to percent of the instance (0-100)."""
        return self._per_unit("GPUUtilization", gpus, "GPU")

    def gpu_memory_utilization(self, gpus: int | None = None) -> cw.IMetric:
        """GPUMemoryUtilization (Average); with ``gpus``, divided by it to percent of the instance (0-100)."""
        return self._per_unit("GPUMemoryUtilization", gpus, "GPU")

    def backlog_size(self) -> cw.Metric:
        """ApproximateBacklogSize (Average): queued async requests, endpoint-wide."""
        return async_metric("ApproximateBacklogSize", self.endpoint_name, period=_minute())

    def backlog_age(self) -> cw.Metric:
        """ApproximateAgeOfOldestRequest in seconds (Maximum): the oldest queued async request."""
        return async_metric("ApproximateAgeOfOldestRequest", self.endpoint_name, period=_minute())

    def _per_unit(self, name: str, units: int | None, unit: str) -> cw.IMetric:
        raw = self._variant(name)
        if not units or units == 1:
            return raw
        return cw.MathExpression(
            expression=f"raw / {units}",
            using_metrics={"raw": raw},
            label=f"{self.variant_name} {name} (% of {units} {unit}s)",
            period=_minute(),
        )


@dataclass(frozen=True, kw_only=True)
class PipelineMetrics:
    """Execution metrics of one Step Functions state machine (``AWS/States``), Sum over 5 minutes by default."""

    state_machine_arn: str
    #: Default: 5 minutes.
    period_minutes: int = 5

    @staticmethod
    def of(state_machine: sfn.IStateMachine) -> PipelineMetrics:
        """The metrics of ``state_machine`` (an ``MlPipeline``'s ``state_machine`` or an imported one)."""
        return PipelineMetrics(state_machine_arn=state_machine.state_machine_arn)

    def metric(self, metric_name: str, statistic: str = "Sum") -> cw.Metric:
        """Any ``AWS/States`` execution metric of this state machine."""
        return cw.Metric(
            namespace=STATES_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"StateMachineArn": self.state_machine_arn},
            statistic=statistic,
            period=Duration.minutes(self.period_minutes),
        )

    def executions_failed(self) -> cw.Metric:
        """ExecutionsFailed (Sum)."""
        return self.metric("ExecutionsFailed")

    def executions_timed_out(self) -> cw.Metric:
        """ExecutionsTimedOut (Sum)."""
        return self.metric("ExecutionsTimedOut")

    def execution_throttled(self) -> cw.Metric:
        """ExecutionThrottled (Sum): StartExecution calls Step Functions throttled."""
        return self.metric("ExecutionThrottled")

    def executions_started(self) -> cw.Metric:
        """ExecutionsStarted (Sum)."""
        return self.metric("ExecutionsStarted")

    def executions_succeeded(self) -> cw.Metric:
        """ExecutionsSucceeded (Sum)."""
        return self.metric("ExecutionsSucceeded")

    def execution_time(self) -> cw.Metric:
        """ExecutionTime in milliseconds (Average)."""
        return self.metric("ExecutionTime", "Average")


@dataclass(frozen=True, kw_only=True)
class FeatureGroupMetrics:
    """Runtime metrics of one feature group (``AWS/SageMaker``, one-minute period)."""

    feature_group_name: str

    def invocations(self, operation: str = "GetRecord") -> cw.Metric:
        """Invocations of ``operation`` (Sum)."""
        return feature_group_metric("Invocations", self.feature_group_name, operation)

    def latency(self, operation: str = "GetRecord") -> cw.Metric:
        """Latency of ``operation`` in microseconds (p99)."""
        return feature_group_metric("Latency", self.feature_group_name, operation)

    def throttled_requests(self, operation: str = "PutRecord") -> cw.Metric:
        """ThrottledRequests of ``operation`` (Sum)."""
        return feature_group_metric("ThrottledRequests", self.feature_group_name, operation)

    def errors_5xx(self, operation: str = "GetRecord") -> cw.Metric:
        """Operation5XXErrors of ``operation`` (Sum)."""
        return feature_group_metric("Operation5XXErrors", self.feature_group_name, operation)


@dataclass(frozen=True, kw_only=True)
class DataQualityMetrics:
    """Model Monitor data-quality metrics of one endpoint and schedule (one value per monitoring run).

    The built-in analyzer publishes them when the schedule's environment has
    ``publish_cloudwatch_metrics=Enabled`` and the baseline constraints have ``emit_metrics`` enabled.
    """

    endpoint_name: str
    schedule_name: str
    #: The schedule's interval: one data point arrives per run. Default: one hour.
    period_hours: int = 1

    def _metric(self, name: str, statistic: str) -> cw.Metric:
        return cw.Metric(
            namespace=DATA_QUALITY_NAMESPACE,
            metric_name=name,
            dimensions_map={"Endpoint": self.endpoint_name, "MonitoringSchedule": self.schedule_name},
            statistic=statistic,
            period=Duration.hours(self.period_hours),
        )

    def baseline_drift(self, feature: str) -> cw.Metric:
        """``feature_baseline_drift_<feature>`` (Maximum): distance from the baseline distribution."""
        return self._metric(f"feature_baseline_drift_{feature}", "Maximum")

    def runs_reported(self, feature: str) -> cw.Metric:
        """``feature_baseline_drift_<feature>`` (SampleCount): monitoring runs that published results."""
        return self._metric(f"feature_baseline_drift_{feature}", "SampleCount")

    def completeness(self, feature: str) -> cw.Metric:
        """``feature_non_null_<feature>`` (Sum): non-null values seen in the run."""
        return self._metric(f"feature_non_null_{feature}", "Sum")

    def max_baseline_drift(self, features: list[str]) -> cw.MathExpression:
        """The largest drift of ``features`` (at most 10: an alarm's expression may use 10 metrics)."""
        using: dict[str, cw.IMetric] = {f"drift{i}": self.baseline_drift(f) for i, f in enumerate(features)}
        return cw.MathExpression(
            expression=f"MAX([{', '.join(using)}])",
            using_metrics=using,
            label="largest feature baseline drift",
            period=Duration.hours(self.period_hours),
        )
