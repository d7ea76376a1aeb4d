"""How often Model Monitor runs: the only cron shapes SageMaker accepts for monitoring schedules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sagemaker_platform._validation import PropsErrors, is_token

#: The monitoring cron shapes SageMaker documents: hourly, daily at H, every N hours from H.
_HOURLY = "cron(0 * ? * * *)"
_DAILY = re.compile(r"cron\(0 ([0-9]|1[0-9]|2[0-3]) \? \* \* \*\)")
_EVERY = re.compile(r"cron\(0 ([0-9]|1[0-9]|2[0-3])/([1-9]|1[0-9]|2[0-4]) \? \* \* \*\)")
_SHAPES = (
    "cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, 0-23) or cron(0 H/N ? * * *) "
    "(every N hours from H, N 1-24); SageMaker refuses other cron expressions for monitoring, and NOW "
    "(a one-time run) needs a data analysis window this construct does not offer"
)


@dataclass(frozen=True, kw_only=True)
class MonitoringCadence:
    """A monitoring schedule expression and its interval. Use :meth:`hourly`, :meth:`daily` or :meth:`every_hours`.

    SageMaker accepts ``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)`` (daily at hour H, UTC)
    and ``cron(0 H/N ? * * *)`` (every N hours from hour H). Runs may start up to 20 minutes late.
    """

    expression: str
    #: Hours between runs: bounds the job's runtime and is the period of the drift alarm.
    interval_hours: int

    def __post_init__(self) -> None:
        errors = PropsErrors("MonitoringCadence")
        interval = self.expected_interval()
        errors.check(interval is not None, "expression", self.expression, _SHAPES)
        if interval is not None:
            errors.check(
                self.interval_hours == interval,
                "interval_hours",
                self.interval_hours,
                f"{interval}, the interval of {self.expression}",
            )
        errors.raise_if_any()

    def expected_interval(self) -> int | None:
        """Hours between runs of ``expression``, or None when SageMaker does not accept it."""
        if is_token(self.expression) or not isinstance(self.expression, str):
            return None
        if self.expression == _HOURLY:
            return 1
        if _DAILY.fullmatch(self.expression):
            return 24
        every = _EVERY.fullmatch(self.expression)
        return int(every.group(2)) if every else None

    @staticmethod
    def hourly() -> MonitoringCadence:
        """Every hour, on the hour."""
        return MonitoringCadence(expression="cron(0 * ? * * *)", interval_hours=1)

    @staticmethod
    def daily(hour: int = 0) -> MonitoringCadence:
        """Once a day at ``hour`` (0-23, UTC)."""
        errors = PropsErrors("MonitoringCadence.daily")
        errors.int_range("hour", hour, 0, 23)
        errors.raise_if_any()
        return MonitoringCadence(expression=f"cron(0 {hour} ? * * *)", interval_hours=24)

    @staticmethod
    def every_hours(hours: int, starting_hour: int = 0) -> MonitoringCadence:
        """Every ``hours`` hours (1-24) from ``starting_hour`` (0-23, UTC)."""
        errors = PropsErrors("MonitoringCadence.every_hours")
        errors.int_range("hours", hours, 1, 24)
        errors.int_range("starting_hour", starting_hour, 0, 23)
        errors.raise_if_any()
        return MonitoringCadence(expression=f"cron(0 {starting_hour}/{hours} ? * * *)", interval_hours=hours)
