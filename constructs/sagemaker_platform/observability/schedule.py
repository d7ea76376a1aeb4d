"""How often Model Monitor runs: the only cron shapes SageMaker accepts for monitoring schedules."""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker_platform._validation import PropsErrors


@dataclass(frozen=True, kw_only=True)
class MonitoringCadence:
    """A monitoring schedule expression and its interval. Use :meth:`hourly`, :meth:`daily` or :meth:`every_hours`.

    SageMaker accepts ``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)`` (daily at hour H, UTC)
    and ``cron(0 H/N ? * * *)`` (every N hours from hour H). Runs may start up to 20 minutes late.
    """

    expression: str
    #: Hours between runs: bounds the job's runtime and is the period of the drift alarm.
    interval_hours: int

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
