"""Observability: metric factories, tiered alarms, monitoring constructs, failure events, dashboards.

Metric factories (:mod:`.metrics`) know only names; :class:`AlarmFactory` turns a metric and
:class:`Thresholds` into WARNING/CRITICAL alarms that notify a KMS-encrypted topic; the monitoring
constructs combine the two per endpoint, pipeline and Model Monitor schedule.
"""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.observability.alarm_factory": (
        "AlarmDefaults",
        "AlarmFactory",
        "AlarmTier",
        "Thresholds",
        "TieredAlarms",
    ),
    "sagemaker_platform.observability.dashboard": (
        "DashboardEndpoint",
        "PlatformDashboard",
        "PlatformDashboardProps",
    ),
    "sagemaker_platform.observability.data_quality": (
        "DataQualityMonitor",
        "DataQualityMonitorProps",
    ),
    "sagemaker_platform.observability.endpoint_monitoring": (
        "EndpointMonitoring",
        "EndpointMonitoringProps",
    ),
    "sagemaker_platform.observability.endpoint_signals": (
        "EndpointSignal",
        "EndpointThresholds",
        "MonitoredVariant",
    ),
    "sagemaker_platform.observability.job_events": (
        "JobFailureEvents",
        "JobFailureEventsProps",
        "JobType",
    ),
    "sagemaker_platform.observability.metrics": (
        "DataQualityMetrics",
        "EndpointMetrics",
        "FeatureGroupMetrics",
        "PipelineMetrics",
    ),
    "sagemaker_platform.observability.pipeline_monitoring": (
        "PipelineMonitoring",
        "PipelineMonitoringProps",
        "PipelineThresholds",
    ),
    "sagemaker_platform.observability.schedule": ("MonitoringCadence",),
    "sagemaker_platform.observability.topic": (
        "NotificationTopic",
        "NotificationTopicProps",
        "allow_service_publishers",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.observability.alarm_factory import AlarmDefaults as AlarmDefaults
    from sagemaker_platform.observability.alarm_factory import AlarmFactory as AlarmFactory
    from sagemaker_platform.observability.alarm_factory import AlarmTier as AlarmTier
    from sagemaker_platform.observability.alarm_factory import Thresholds as Thresholds
    from sagemaker_platform.observability.alarm_factory import TieredAlarms as TieredAlarms
    from sagemaker_platform.observability.dashboard import DashboardEndpoint as DashboardEndpoint
    from sagemaker_platform.observability.dashboard import PlatformDashboard as PlatformDashboard
    from sagemaker_platform.observability.dashboard import PlatformDashboardProps as PlatformDashboardProps
    from sagemaker_platform.observability.data_quality import DataQualityMonitor as DataQualityMonitor
    from sagemaker_platform.observability.data_quality import DataQualityMonitorProps as DataQualityMonitorProps
    from sagemaker_platform.observability.endpoint_monitoring import EndpointMonitoring as EndpointMonitoring
    from sagemaker_platform.observability.endpoint_monitoring import EndpointMonitoringProps as EndpointMonitoringProps
    from sagemaker_platform.observability.endpoint_signals import EndpointSignal as EndpointSignal
    from sagemaker_platform.observability.endpoint_signals import EndpointThresholds as EndpointThresholds
    from sagemaker_platform.observability.endpoint_signals import MonitoredVariant as MonitoredVariant
    from sagemaker_platform.observability.job_events import JobFailureEvents as JobFailureEvents
    from sagemaker_platform.observability.job_events import JobFailureEventsProps as JobFailureEventsProps
    from sagemaker_platform.observability.job_events import JobType as JobType
    from sagemaker_platform.observability.metrics import DataQualityMetrics as DataQualityMetrics
    from sagemaker_platform.observability.metrics import EndpointMetrics as EndpointMetrics
    from sagemaker_platform.observability.metrics import FeatureGroupMetrics as FeatureGroupMetrics
    from sagemaker_platform.observability.metrics import PipelineMetrics as PipelineMetrics
    from sagemaker_platform.observability.pipeline_monitoring import PipelineMonitoring as PipelineMonitoring
    from sagemaker_platform.observability.pipeline_monitoring import PipelineMonitoringProps as PipelineMonitoringProps
    from sagemaker_platform.observability.pipeline_monitoring import PipelineThresholds as PipelineThresholds
    from sagemaker_platform.observability.schedule import MonitoringCadence as MonitoringCadence
    from sagemaker_platform.observability.topic import NotificationTopic as NotificationTopic
    from sagemaker_platform.observability.topic import NotificationTopicProps as NotificationTopicProps
    from sagemaker_platform.observability.topic import allow_service_publishers as allow_service_publishers
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
