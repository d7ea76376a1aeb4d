"""Serving stack: the inference container behind an A/B endpoint, a shadow test and an async endpoint.

The champion and challenger models serve what their releases record (see ``TrainingStack``):
CloudFormation resolves the release parameters at every deploy, so a release reaches the endpoints
only through this stack's update, with their blue/green guardrails. Before a first release they
serve the seed model, a small XGBoost model shipped with the code as a file asset, so a deploy into
an empty account has something to serve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct

from sagemaker_platform.serving import (
    AsyncInferenceSettings,
    BlueGreenDeployment,
    ContainerSpec,
    DataCaptureSettings,
    Endpoint,
    EndpointProps,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    TrafficShift,
    VariantSpec,
)
from stacks.config import StageConfig
from stacks.foundation_stack import FoundationStack
from stacks.training_stack import TrainingStack

#: The seed model (see stacks/seed/README.md): what endpoints serve before any release.
SEED_MODEL = Path(__file__).resolve().parent / "seed" / "model.tar.gz"


class ServingStack(Stack):
    """Endpoints of the reference platform. Construct IDs are API: they pin logical IDs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        training: TrainingStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = ModelImage.platform_inference()
        seed = ModelArtifact.from_asset(self, "SeedModel", str(SEED_MODEL))
        releases = {"Champion": training.champion_release, "Challenger": training.challenger_release}
        models = {
            name: Model(
                self,
                name,
                ModelProps(
                    containers=[ContainerSpec(image=image, model_data=seed, release=release.source)],
                    network=foundation.network,
                    model_key=foundation.keys.models,
                ),
            )
            for name, release in releases.items()
        }
        common: dict[str, Any] = {"alarm_topic": foundation.alerts.topic, "volume_key": foundation.keys.models}

        # A/B: 90/10 split, autoscaling on the main variant, canary blue/green with auto-rollback.
        self.ab_endpoint = Endpoint(
            self,
            "AbEndpoint",
            EndpointProps(
                production_variants=[
                    VariantSpec(
                        variant_name="champion",
                        model=models["Champion"],
                        initial_weight=90,
                        instance_type=config.serving_instance_type,
                        initial_instance_count=config.serving_min_instances,
                    ),
                    VariantSpec(
                        variant_name="challenger",
                        model=models["Challenger"],
                        initial_weight=10,
                        instance_type=config.serving_instance_type,
                        initial_instance_count=1,
                    ),
                ],
                deployment=BlueGreenDeployment(shift=TrafficShift.CANARY, step_percent=10, wait_interval_s=300),
                **common,
            ),
        )
        scaling = self.ab_endpoint.scale_variant(
            "champion", min_capacity=config.serving_min_instances, max_capacity=config.serving_max_instances
        )
        scaling.scale_on_invocations(target_per_instance=1000)
        scaling.scale_on_schedule(
            "NightlyFloor", appscaling.Schedule.cron(hour="20", minute="0"), min_capacity=config.serving_min_instances
        )

        # Shadow test: the challenger receives a copy of live traffic; requests and responses captured.
        self.shadow_endpoint = Endpoint(
            self,
            "ShadowEndpoint",
            EndpointProps(
                production_variants=[
                    VariantSpec(
                        variant_name="live", model=models["Champion"], instance_type=config.serving_instance_type
                    )
                ],
                shadow_variants=[
                    VariantSpec(
                        variant_name="shadow", model=models["Challenger"], instance_type=config.serving_instance_type
                    )
                ],
                data_capture=DataCaptureSettings(
                    bucket=foundation.data_bucket.bucket, prefix="data-capture/shadow/", sampling_percentage=100
                ),
                deployment=BlueGreenDeployment(shift=TrafficShift.ALL_AT_ONCE),
                **common,
            ),
        )

        # Async: queued requests, results in S3, scales to zero when idle.
        self.async_endpoint = Endpoint(
            self,
            "AsyncEndpoint",
            EndpointProps(
                production_variants=[
                    VariantSpec(
                        variant_name="batch", model=models["Champion"], instance_type=config.serving_instance_type
                    )
                ],
                async_inference=AsyncInferenceSettings(
                    output_bucket=foundation.data_bucket.bucket,
                    output_prefix="async/output/",
                    failure_prefix="async/failures/",
                    success_topic=foundation.alerts.topic,
                    error_topic=foundation.alerts.topic,
                    max_concurrent_invocations_per_instance=4,
                ),
                deployment=BlueGreenDeployment(shift=TrafficShift.ALL_AT_ONCE),
                **common,
            ),
        )
        self.async_endpoint.scale_async_to_zero(max_capacity=config.serving_max_instances)
