"""Observability: metric factories, tiered alarms, monitoring constructs, failure events, dashboards.

Metric factories (:mod:`.metrics`) know only names; :class:`AlarmFactory` turns a metric and
:class:`Thresholds` into WARNING/CRITICAL alarms that notify a KMS-encrypted topic; the monitoring
constructs combine the two per endpoint, pipeline and Model Monitor schedule.
"""

from sagemaker_platform.observability.alarm_factory import (
    AlarmDefaults,
    AlarmFactory,
    AlarmTier,
    Thresholds,
    TieredAlarms,
)
from sagemaker_platform.observability.dashboard import DashboardEndpoint, PlatformDashboard, PlatformDashboardProps
from sagemaker_platform.observability.data_quality import DataQualityMonitor, DataQualityMonitorProps
from sagemaker_platform.observability.endpoint_monitoring import EndpointMonitoring, EndpointMonitoringProps
from sagemaker_platform.observability.endpoint_signals import EndpointSignal, EndpointThresholds, MonitoredVariant
from sagemaker_platform.observability.job_events import JobFailureEvents, JobFailureEventsProps, JobType
from sagemaker_platform.observability.metrics import (
    DataQualityMetrics,
    EndpointMetrics,
    FeatureGroupMetrics,
    PipelineMetrics,
)
from sagemaker_platform.observability.pipeline_monitoring import (
    PipelineMonitoring,
    PipelineMonitoringProps,
    PipelineThresholds,
)
from sagemaker_platform.observability.schedule import MonitoringCadence
from sagemaker_platform.observability.topic import NotificationTopic, NotificationTopicProps, allow_service_publishers

__all__ = [
    "AlarmDefaults",
    "AlarmFactory",
    "AlarmTier",
    "DashboardEndpoint",
    "DataQualityMetrics",
    "DataQualityMonitor",
    "DataQualityMonitorProps",
    "EndpointMetrics",
    "EndpointMonitoring",
    "EndpointMonitoringProps",
    "EndpointSignal",
    "EndpointThresholds",
    "FeatureGroupMetrics",
    "JobFailureEvents",
    "JobFailureEventsProps",
    "JobType",
    "MonitoredVariant",
    "MonitoringCadence",
    "NotificationTopic",
    "NotificationTopicProps",
    "PipelineMetrics",
    "PipelineMonitoring",
    "PipelineMonitoringProps",
    "PipelineThresholds",
    "PlatformDashboard",
    "PlatformDashboardProps",
    "Thresholds",
    "TieredAlarms",
    "allow_service_publishers",
]
