"""Alarm factory for endpoints: validated settings, an action on every alarm."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability.alarms import alarm_notifying, check_evaluation


@dataclass(frozen=True, kw_only=True)
class AlarmSettings:
    """Threshold and evaluation of one alarm."""

    threshold: float
    #: Default: 3 one-minute periods.
    evaluation_periods: int = 3
    #: Default: 2 of the 3 periods.
    datapoints_to_alarm: int = 2
    comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
    #: Default: missing data is not breaching (an idle endpoint is healthy).
    treat_missing_data: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING

    def validate(self, alarm_name: str) -> None:
        errors = PropsErrors(f"AlarmSettings for alarm {alarm_name!r}")
        check_evaluation(errors, self.evaluation_periods, self.datapoints_to_alarm)
        errors.raise_if_any()


def make_alarm(
    scope: Construct,
    construct_id: str,
    *,
    metric: cw.IMetric,
    settings: AlarmSettings,
    description: str,
    topic: sns.ITopic,
) -> cw.Alarm:
    """An alarm with its settings validated and ``topic`` as alarm and OK action."""
    settings.validate(construct_id)
    return alarm_notifying(
        scope,
        construct_id,
        metric=metric,
        threshold=settings.threshold,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        comparison=settings.comparison,
        treat_missing_data=settings.treat_missing_data,
        description=description,
        topic=topic,
    )
