"""Monitoring stack: endpoint, pipeline and job alarms, Model Monitor data quality, one dashboard per stage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from sagemaker_platform import (
    AlarmDefaults,
    AlarmFactory,
    DashboardEndpoint,
    DataQualityMonitor,
    DataQualityMonitorProps,
    EndpointMonitoring,
    EndpointMonitoringProps,
    EndpointThresholds,
    JobFailureEvents,
    JobFailureEventsProps,
    PipelineMonitoring,
    PipelineMonitoringProps,
    PlatformDashboard,
    PlatformDashboardProps,
    Thresholds,
)
from sagemaker_platform.observability import MonitoredVariant
from sagemaker_platform.serving import Endpoint
from stacks.config import StageConfig
from stacks.feature_store_stack import FeatureStoreStack
from stacks.foundation_stack import FoundationStack
from stacks.serving_stack import ServingStack
from stacks.training_stack import BASELINE, TrainingStack

#: Input columns of the 20-feature model, as Model Monitor names CSV columns without a header.
DRIFT_FEATURES = ("_c0", "_c1", "_c2", "_c3", "_c4")


class MonitoringStack(Stack):
    """Watches the stage: every alarm notifies the stage's alert topic, and one dashboard shows it all.

    The endpoints' own rollback alarms stay in the serving stack (an endpoint names them when it is
    created); this stack adds warning and critical alarms on every signal, which page people.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        feature_store: FeatureStoreStack,
        serving: ServingStack,
        training: TrainingStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topic = foundation.alerts.topic
        self.alarms = AlarmFactory(topic, AlarmDefaults(alarm_name_prefix=f"sagemaker-platform-{config.name}"))
        # Stage differences come from configuration: cdk.json's "alarms" overrides the library defaults.
        thresholds = replace(
            EndpointThresholds(),
            **{name: Thresholds(warning=w, critical=c) for name, w, c in config.alarm_thresholds},
        )
        endpoints: dict[str, Endpoint] = {
            "AbEndpoint": serving.ab_endpoint,
            "ShadowEndpoint": serving.shadow_endpoint,
            "AsyncEndpoint": serving.async_endpoint,
        }
        self.endpoint_monitoring = [
            EndpointMonitoring(
                self,
                f"{name}Monitoring",
                EndpointMonitoringProps(
                    endpoint_name=endpoint.endpoint_name,
                    variants=[MonitoredVariant.from_spec(v) for v in endpoint.props.production_variants],
                    alarms=self.alarms,
                    asynchronous=endpoint.props.async_inference is not None,
                    rollback_signals=(),
                    thresholds=thresholds,
                ),
            )
            for name, endpoint in endpoints.items()
        ]
        pipeline = training.pipeline
        self.pipeline_monitoring = PipelineMonitoring(
            self,
            "TrainingPipelineMonitoring",
            PipelineMonitoringProps(
                state_machine=pipeline.state_machine, pipeline_name=pipeline.props.name_prefix, alarms=self.alarms
            ),
        )
        self.job_failures = JobFailureEvents(
            self,
            "JobFailures",
            JobFailureEventsProps(topic=topic, job_name_prefixes=[f"{pipeline.props.name_prefix}-"]),
        )
        # The shadow endpoint captures every request and response: Model Monitor compares the captured
        # inputs with the training data's baseline every hour and alarms on drift.
        data = foundation.data_bucket.bucket
        self.data_quality = DataQualityMonitor(
            self,
            "ShadowDataQuality",
            DataQualityMonitorProps(
                endpoint=serving.shadow_endpoint,
                network=foundation.network,
                baseline_bucket=data,
                constraints_key=f"{BASELINE}constraints.json",
                statistics_key=f"{BASELINE}statistics.json",
                output_bucket=data,
                volume_key=foundation.keys.models,
                alarms=self.alarms,
                drift_features=DRIFT_FEATURES,
            ),
        )
        self.dashboard = PlatformDashboard(
            self,
            "Dashboard",
            PlatformDashboardProps(
                stage_name=config.name,
                endpoints=[DashboardEndpoint.of(m) for m in self.endpoint_monitoring],
                pipelines={pipeline.props.name_prefix: pipeline.state_machine},
                feature_groups=[
                    feature_store.customers.feature_group_name,
                    feature_store.transactions.feature_group_name,
                ],
                alarms=self._critical_alarms(),
            ),
        )

    def _critical_alarms(self) -> list[cw.IAlarm]:
        """Every alarm of this stack, for the dashboard's alarm status widget."""
        return [c for c in self.node.find_all() if isinstance(c, cw.Alarm)]
