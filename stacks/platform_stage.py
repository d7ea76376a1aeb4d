"""One deployable copy of the platform (dev, prod, ...), built from a validated StageConfig."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stage
from constructs import Construct

from stacks.config import StageConfig
from stacks.feature_store_stack import FeatureStoreStack
from stacks.fleet_stack import FleetStack
from stacks.foundation_stack import FoundationStack
from stacks.monitoring_stack import MonitoringStack
from stacks.serving_stack import ServingStack
from stacks.training_stack import TrainingStack


class PlatformStage(Stage):
    """All stacks of one stage: foundation, feature store, serving, training pipeline, monitoring."""

    def __init__(self, scope: Construct, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            config.construct_id,
            env=Environment(account=config.account, region=config.region),
            **kwargs,
        )
        self.config = config
        self.foundation = FoundationStack(
            self,
            "Foundation",
            config=config,
            description=f"sagemaker-platform {config.name}: network, keys, buckets, roles",
        )
        self.feature_store = FeatureStoreStack(
            self,
            "FeatureStore",
            config=config,
            foundation=self.foundation,
            description=f"sagemaker-platform {config.name}: feature groups and ingestion role",
        )
        self.training = TrainingStack(
            self,
            "Training",
            config=config,
            foundation=self.foundation,
            description=f"sagemaker-platform {config.name}: training pipeline and model releases",
        )
        self.serving = ServingStack(
            self,
            "Serving",
            config=config,
            foundation=self.foundation,
            training=self.training,
            description=f"sagemaker-platform {config.name}: models and endpoints",
        )
        self.fleet = (
            FleetStack(
                self,
                "Fleet",
                config=config,
                foundation=self.foundation,
                description=f"sagemaker-platform {config.name}: model fleet ({len(config.fleet)} endpoints)",
            )
            if config.fleet
            else None
        )
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            config=config,
            foundation=self.foundation,
            feature_store=self.feature_store,
            serving=self.serving,
            training=self.training,
            description=f"sagemaker-platform {config.name}: alarms, job failure events, data quality, dashboard",
        )
