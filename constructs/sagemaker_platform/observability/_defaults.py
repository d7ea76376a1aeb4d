"""Default thresholds of the monitoring constructs, in one place (see STYLE.md, point 6).

Each function returns a fresh :class:`Thresholds` so dataclass defaults never share state. Units
are those of the metric: counts per minute, percent, microseconds (latency, setup time) or seconds
(backlog age). They are starting points for a typical real-time model; stages override them from
configuration.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cw

from sagemaker_platform.observability.alarm_factory import Thresholds

_AT_LEAST = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def invocation_5xx() -> Thresholds:
    """Errors per minute: warn at more than 1, critical at more than 5 (the Endpoint's own rollback default)."""
    return Thresholds(warning=1, critical=5)


def invocation_4xx_rate() -> Thresholds:
    """Percent of invocations: warn above 5 %, critical above 25 % (clients and model disagree on the payload)."""
    return Thresholds(warning=5, critical=25)


def model_latency_us() -> Thresholds:
    """p99 microseconds: warn above 0.5 s, critical above 1 s (the Endpoint's own rollback default)."""
    return Thresholds(warning=500_000, critical=1_000_000)


def overhead_latency_us() -> Thresholds:
    """p99 microseconds: warn above 50 ms, critical above 200 ms (payload size or throttling)."""
    return Thresholds(warning=50_000, critical=200_000)


def cpu_percent() -> Thresholds:
    """Percent of all vCPUs: warn above 80 %, critical above 95 % (autoscaling should act before)."""
    return Thresholds(warning=80, critical=95)


def memory_percent() -> Thresholds:
    """Percent: warn above 80 %, critical above 90 % (the container is killed when memory runs out)."""
    return Thresholds(warning=80, critical=90)


def disk_percent() -> Thresholds:
    """Percent: warn above 75 %, critical above 90 %."""
    return Thresholds(warning=75, critical=90)


def gpu_percent() -> Thresholds:
    """Percent of all GPUs: warn above 90 % only (a busy GPU is the goal; saturation means add capacity)."""
    return Thresholds(warning=90)


def gpu_memory_percent() -> Thresholds:
    """Percent of all GPU memory: warn above 85 %, critical above 95 % (out-of-memory errors follow)."""
    return Thresholds(warning=85, critical=95)


def backlog_age_s() -> Thresholds:
    """Seconds the oldest async request has waited: warn above 10 minutes, critical above 30."""
    return Thresholds(warning=600, critical=1800)


def backlog_size() -> Thresholds:
    """Queued async requests: warn above 100, critical above 1000."""
    return Thresholds(warning=100, critical=1000)


def model_setup_time_us() -> Thresholds:
    """p99 microseconds of serverless cold starts: warn above 10 s, critical above 30 s."""
    return Thresholds(warning=10_000_000, critical=30_000_000)


def pipeline_failed() -> Thresholds:
    """Any failed execution in a 5-minute period is critical, at once."""
    return Thresholds(critical=1, comparison=_AT_LEAST, evaluation_periods=1, datapoints_to_alarm=1)


def pipeline_timed_out() -> Thresholds:
    """Any timed-out execution in a 5-minute period is critical, at once."""
    return Thresholds(critical=1, comparison=_AT_LEAST, evaluation_periods=1, datapoints_to_alarm=1)


def pipeline_throttled() -> Thresholds:
    """Throttled StartExecution calls: a warning, at once (retries usually succeed)."""
    return Thresholds(warning=1, comparison=_AT_LEAST, evaluation_periods=1, datapoints_to_alarm=1)


def feature_drift() -> Thresholds:
    """Largest baseline drift of a monitoring run: warn above 0.05, critical above 0.1.

    0.1 is the ``comparison_threshold`` Model Monitor suggests for ``baseline_drift_check``, i.e. the
    distance at which the run itself reports a constraint violation. One run is one data point.
    """
    return Thresholds(warning=0.05, critical=0.1, evaluation_periods=1, datapoints_to_alarm=1)


def missing_monitoring_runs() -> Thresholds:
    """Monitoring runs that reported results: critical below 1 in two consecutive intervals, missing is breaching.

    A run that fails (no baseline, no captured data, a bad job definition) publishes nothing, so
    missing data must page: otherwise a broken monitor looks exactly like a healthy, quiet one.
    """
    return Thresholds(
        critical=1,
        comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        treat_missing_data=cw.TreatMissingData.BREACHING,
    )
