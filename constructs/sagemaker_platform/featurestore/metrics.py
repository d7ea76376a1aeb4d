"""Metric factories for a feature group (kept apart from alarms, as in cdk-monitoring-constructs).

Metric names, units and dimensions are those of "Amazon SageMaker Feature Store metrics" in the
SageMaker developer guide (monitoring-cloudwatch). That page lists no namespace for them; they are
published under ``AWS/SageMaker`` like SageMaker's other service-emitted request metrics, which is
what :data:`NAMESPACE` holds and what every factory here takes as an override.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

from sagemaker_platform.featurestore import _defaults

NAMESPACE = "AWS/SageMaker"

#: Operational metrics (dimensions FeatureGroupName + OperationName) -> default statistic.
OPERATIONAL_METRICS: dict[str, str] = {
    "Invocations": "Sum",
    "Operation4XXErrors": "Sum",
    "Operation5XXErrors": "Sum",
    "ThrottledRequests": "Sum",
    # Microseconds, measured from receipt of the request to the response.
    "Latency": "p99",
}
#: Consumption metrics: *RequestsUnits in OnDemand mode, *CapacityUnits in Provisioned mode.
CONSUMPTION_METRICS: dict[str, str] = {
    "ConsumedReadRequestsUnits": "Sum",
    "ConsumedWriteRequestsUnits": "Sum",
    "ConsumedReadCapacityUnits": "Sum",
    "ConsumedWriteCapacityUnits": "Sum",
}


def feature_group_metric(
    metric_name: str,
    feature_group_name: str,
    operation: str,
    *,
    statistic: str | None = None,
    period: Duration | None = None,
    namespace: str = NAMESPACE,
) -> cw.Metric:
    """A Feature Store runtime metric of one group and operation (PutRecord, GetRecord, DeleteRecord)."""
    defaults = {**OPERATIONAL_METRICS, **CONSUMPTION_METRICS}
    if metric_name not in defaults:
        raise ValueError(f"feature_group_metric: metric_name: got {metric_name!r}; allowed: one of {sorted(defaults)}")
    if operation not in _defaults.RUNTIME_OPERATIONS:
        raise ValueError(
            f"feature_group_metric: operation: got {operation!r}; allowed: one of {list(_defaults.RUNTIME_OPERATIONS)} "
            "(batch operations are reported per operation only, not per feature group)"
        )
    return cw.Metric(
        namespace=namespace,
        metric_name=metric_name,
        statistic=statistic or defaults[metric_name],
        dimensions_map={"FeatureGroupName": feature_group_name, "OperationName": operation},
        period=period or Duration.minutes(1),
    )
