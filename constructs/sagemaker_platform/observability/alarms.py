"""The one alarm mechanism: evaluation settings checked the same way, every alarm notifying a topic."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors


def check_evaluation(errors: PropsErrors, evaluation_periods: int, datapoints_to_alarm: int) -> None:
    """Both counts >= 1 and ``datapoints_to_alarm <= evaluation_periods`` (CloudWatch rejects more)."""
    errors.int_range("evaluation_periods", evaluation_periods, 1)
    errors.int_range("datapoints_to_alarm", datapoints_to_alarm, 1)
    if isinstance(evaluation_periods, int) and isinstance(datapoints_to_alarm, int):
        errors.check(
            datapoints_to_alarm <= evaluation_periods,
            "datapoints_to_alarm",
            datapoints_to_alarm,
            f"at most evaluation_periods ({evaluation_periods})",
        )


def alarm_notifying(
    scope: Construct,
    construct_id: str,
    *,
    metric: cw.IMetric,
    threshold: float,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    comparison: cw.ComparisonOperator,
    treat_missing_data: cw.TreatMissingData,
    description: str,
    topic: sns.ITopic,
    alarm_name: str | None = None,
) -> cw.Alarm:
    """An alarm with ``topic`` as its ALARM and OK action (the HIPAA/NIST packs require an action).

    ``alarm_name`` defaults to a name CloudFormation generates from the construct path.
    """
    alarm = cw.Alarm(
        scope,
        construct_id,
        alarm_name=alarm_name,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        comparison_operator=comparison,
        treat_missing_data=treat_missing_data,
        alarm_description=description,
    )
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
