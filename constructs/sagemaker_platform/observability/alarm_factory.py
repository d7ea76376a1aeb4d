"""The alarm factory: WARNING and CRITICAL tiers from one set of thresholds, validated per alarm.

Metrics come from :mod:`sagemaker_platform.observability.metrics`; this module only turns a metric
and :class:`Thresholds` into alarms. Every alarm gets the factory's KMS-encrypted topic as its ALARM
and OK action (through :func:`~sagemaker_platform.observability.alarms.alarm_notifying`), and every
settings error names the alarm it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability.alarms import alarm_notifying, check_evaluation
from sagemaker_platform.observability.topic import allow_service_publishers

_UPWARD = (
    cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
)
_DOWNWARD = (
    cw.ComparisonOperator.LESS_THAN_THRESHOLD,
    cw.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
)
#: Alarm names: CloudWatch allows 255 characters; the prefix leaves room for the rest.
_NAME_PREFIX = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


class AlarmTier(Enum):
    """How urgent an alarm is. The value is used in construct IDs, names and descriptions."""

    WARNING = "Warning"
    CRITICAL = "Critical"


@dataclass(frozen=True, kw_only=True)
class AlarmDefaults:
    """Evaluation settings every alarm of a factory starts from (a :class:`Thresholds` may override them)."""

    #: Default: 3 periods.
    evaluation_periods: int = 3
    #: Default: 2 of the 3 periods, so one noisy data point does not page anyone.
    datapoints_to_alarm: int = 2
    #: Default: missing data is not breaching (an idle endpoint or pipeline is healthy).
    treat_missing_data: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING
    #: Alarm names become ``<prefix>-<alarm name>-<tier>`` (e.g. ``prod-churn-champion-ModelLatency-critical``).
    #: Default: no prefix, CloudFormation generates unique names from the construct path.
    alarm_name_prefix: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("AlarmDefaults")
        check_evaluation(errors, self.evaluation_periods, self.datapoints_to_alarm)
        if self.alarm_name_prefix is not None:
            errors.pattern(
                "alarm_name_prefix",
                self.alarm_name_prefix,
                _NAME_PREFIX,
                "1-64 letters, digits, '_', '.' and '-', starting with a letter or digit",
            )
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Thresholds of one signal: a WARNING alarm, a CRITICAL alarm, or both.

    For upward comparisons (the default) the warning threshold must be below the critical one; for
    downward comparisons, above it. Evaluation fields left at None take the factory's defaults.
    """

    #: Default: no WARNING alarm.
    warning: float | None = None
    #: Default: no CRITICAL alarm.
    critical: float | None = None
    #: Default: alarm when the metric is greater than the threshold.
    comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: cw.TreatMissingData | None = None

    def tiers(self) -> list[tuple[AlarmTier, float]]:
        """(tier, threshold) for each tier that has a threshold, WARNING first."""
        pairs = [(AlarmTier.WARNING, self.warning), (AlarmTier.CRITICAL, self.critical)]
        return [(tier, value) for tier, value in pairs if value is not None]

    def check(self, errors: PropsErrors, defaults: AlarmDefaults, field: str = "") -> None:
        """Record every problem of these thresholds under ``field`` (a prefix such as ``"cpu."``)."""
        errors.check(
            self.warning is not None or self.critical is not None,
            f"{field}warning/critical",
            None,
            "at least one threshold (set the signal to None to switch it off)",
        )
        for name, value in (("warning", self.warning), ("critical", self.critical)):
            if value is not None:
                errors.check(
                    isinstance(value, int | float) and not isinstance(value, bool),
                    f"{field}{name}",
                    value,
                    "a number",
                )
        if isinstance(self.warning, int | float) and isinstance(self.critical, int | float):
            if self.comparison in _UPWARD:
                errors.check(
                    self.warning < self.critical, f"{field}warning", self.warning, f"below critical ({self.critical})"
                )
            elif self.comparison in _DOWNWARD:
                errors.check(
                    self.warning > self.critical, f"{field}warning", self.warning, f"above critical ({self.critical})"
                )
        nested = PropsErrors("")
        check_evaluation(nested, *self.evaluation(defaults))
        for problem in nested.problems:
            errors.problems.append(f"{field}{problem}")

    def evaluation(self, defaults: AlarmDefaults) -> tuple[int, int]:
        """(evaluation_periods, datapoints_to_alarm) after applying ``defaults``."""
        periods = defaults.evaluation_periods if self.evaluation_periods is None else self.evaluation_periods
        points = defaults.datapoints_to_alarm if self.datapoints_to_alarm is None else self.datapoints_to_alarm
        return periods, points


@dataclass(frozen=True)
class TieredAlarms:
    """The alarms one :meth:`AlarmFactory.add` call created."""

    warning: cw.Alarm | None
    critical: cw.Alarm | None

    @property
    def all(self) -> list[cw.Alarm]:
        """The alarms that exist, WARNING first."""
        return [a for a in (self.warning, self.critical) if a is not None]


class AlarmFactory:
    """Makes tiered alarms that notify ``topic``, from a metric and :class:`Thresholds`.

    It is a plain object, not a construct: the construct that owns an alarm passes itself as
    ``scope``, so alarm construct IDs (and the logical IDs derived from them) stay under their owner.
    """

    def __init__(self, topic: sns.ITopic, defaults: AlarmDefaults | None = None) -> None:
        errors = PropsErrors("AlarmFactory")
        errors.check(
            topic.master_key is not None,
            "topic",
            topic.node.path,
            "a topic encrypted with a customer-managed KMS key (e.g. NotificationTopic(...).topic)",
        )
        errors.raise_if_any()
        self.topic = topic
        self.defaults = defaults or AlarmDefaults()

    def validate(self, alarm_name: str, thresholds: Thresholds) -> None:
        """Raise one ``ValueError`` naming ``alarm_name`` and every problem of ``thresholds``."""
        errors = PropsErrors(f"Thresholds of alarm {alarm_name!r}")
        thresholds.check(errors, self.defaults)
        errors.raise_if_any()

    def add(
        self,
        scope: Construct,
        alarm_id: str,
        *,
        metric: cw.IMetric,
        thresholds: Thresholds,
        description: str,
        name: str | None = None,
    ) -> TieredAlarms:
        """One alarm per tier of ``thresholds``, as children ``<alarm_id>Warning`` / ``<alarm_id>Critical``.

        ``name`` (default: ``alarm_id``) goes into the alarm name when the defaults carry a prefix.
        Descriptions start with the tier, e.g. ``[CRITICAL] champion: p99 model latency``.
        """
        label = name or alarm_id
        self.validate(label, thresholds)
        allow_service_publishers(self.topic)
        periods, points = thresholds.evaluation(self.defaults)
        missing = thresholds.treat_missing_data or self.defaults.treat_missing_data
        made: dict[AlarmTier, cw.Alarm] = {}
        for tier, value in thresholds.tiers():
            prefix = self.defaults.alarm_name_prefix
            made[tier] = alarm_notifying(
                scope,
                f"{alarm_id}{tier.value}",
                metric=metric,
                threshold=value,
                evaluation_periods=periods,
                datapoints_to_alarm=points,
                comparison=thresholds.comparison,
                treat_missing_data=missing,
                description=f"[{tier.name}] {description}",
                topic=self.topic,
                alarm_name=f"{prefix}-{label}-{tier.value.lower()}" if prefix else None,
            )
        return TieredAlarms(warning=made.get(AlarmTier.WARNING), critical=made.get(AlarmTier.CRITICAL))
