"""Metric factories for endpoint variants (kept apart from alarms, as in cdk-monitoring-constructs)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

#: Invocation metrics: namespace AWS/SageMaker, dimensions EndpointName + VariantName.
INVOCATION_NAMESPACE = "AWS/SageMaker"
#: Instance metrics (CPU, memory, disk, GPU): namespace /aws/sagemaker/Endpoints.
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"

#: metric name -> (namespace, default statistic)
VARIANT_METRICS: dict[str, tuple[str, str]] = {
    "Invocations": (INVOCATION_NAMESPACE, "Sum"),
    "InvocationsPerInstance": (INVOCATION_NAMESPACE, "Sum"),
    "Invocation4XXErrors": (INVOCATION_NAMESPACE, "Sum"),
    "Invocation5XXErrors": (INVOCATION_NAMESPACE, "Sum"),
    "ModelLatency": (INVOCATION_NAMESPACE, "p99"),
    "OverheadLatency": (INVOCATION_NAMESPACE, "p99"),
    "ModelSetupTime": (INVOCATION_NAMESPACE, "Average"),
    "CPUUtilization": (INSTANCE_NAMESPACE, "Average"),
    "MemoryUtilization": (INSTANCE_NAMESPACE, "Average"),
    "DiskUtilization": (INSTANCE_NAMESPACE, "Average"),
    "GPUUtilization": (INSTANCE_NAMESPACE, "Average"),
    "GPUMemoryUtilization": (INSTANCE_NAMESPACE, "Average"),
}
#: Async endpoints: namespace AWS/SageMaker, dimension EndpointName only.
ASYNC_METRICS = {
    "ApproximateBacklogSize": "Average",
    "ApproximateBacklogSizePerInstance": "Average",
    "HasBacklogWithoutCapacity": "Average",
    "ApproximateAgeOfOldestRequest": "Maximum",
}


def variant_metric(
    metric_name: str,
    endpoint_name: str,
    variant_name: str,
    *,
    statistic: str | None = None,
    period: Duration | None = None,
) -> cw.Metric:
    """A per-variant metric with its documented namespace and default statistic."""
    if metric_name not in VARIANT_METRICS:
        raise ValueError(f"variant_metric: metric_name: got {metric_name!r}; allowed: one of {sorted(VARIANT_METRICS)}")
    namespace, default = VARIANT_METRICS[metric_name]
    return cw.Metric(
        namespace=namespace,
        metric_name=metric_name,
        statistic=statistic or default,
        dimensions_map={"EndpointName": endpoint_name, "VariantName": variant_name},
        period=period or Duration.minutes(1),
    )


def async_metric(metric_name: str, endpoint_name: str, *, period: Duration | None = None) -> cw.Metric:
    """An async-inference metric (dimension ``EndpointName`` only)."""
    if metric_name not in ASYNC_METRICS:
        raise ValueError(f"async_metric: metric_name: got {metric_name!r}; allowed: one of {sorted(ASYNC_METRICS)}")
    return cw.Metric(
        namespace=INVOCATION_NAMESPACE,
        metric_name=metric_name,
        statistic=ASYNC_METRICS[metric_name],
        dimensions_map={"EndpointName": endpoint_name},
        period=period or Duration.minutes(1),
    )
