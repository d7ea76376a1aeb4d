"""Alarm factory for feature groups: settings validated per alarm, an SNS action on every alarm."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability.alarms import alarm_notifying, check_evaluation


@dataclass(frozen=True, kw_only=True)
class FeatureGroupAlarmProps:
    """Threshold, evaluation and destination of one feature group alarm."""

    #: Receives the ALARM and OK notifications (an encrypted topic).
    topic: sns.ITopic
    #: In the metric's unit: requests for throttling, microseconds for latency.
    threshold: float
    #: Default: 5 one-minute periods.
    evaluation_periods: int = 5
    #: Default: 3 of the 5 periods.
    datapoints_to_alarm: int = 3
    #: Default: missing data is not breaching (no traffic is not an outage).
    treat_missing_data: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING

    def validate(self, alarm_name: str) -> None:
        """Raise one ``ValueError`` naming the alarm and every bad setting."""
        errors = PropsErrors(f"FeatureGroupAlarmProps of alarm {alarm_name!r}")
        check_evaluation(errors, self.evaluation_periods, self.datapoints_to_alarm)
        errors.check(self.threshold >= 0, "threshold", self.threshold, "a number >= 0")
        errors.raise_if_any()


def make_alarm(
    scope: Construct, construct_id: str, *, metric: cw.IMetric, props: FeatureGroupAlarmProps, description: str
) -> cw.Alarm:
    """An alarm above ``props.threshold`` with ``props.topic`` as its ALARM and OK action."""
    props.validate(construct_id)
    return alarm_notifying(
        scope,
        construct_id,
        metric=metric,
        threshold=props.threshold,
        evaluation_periods=props.evaluation_periods,
        datapoints_to_alarm=props.datapoints_to_alarm,
        comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=props.treat_missing_data,
        description=description,
        topic=props.topic,
    )
