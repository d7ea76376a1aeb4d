"""Fleet stack: many small models from configuration, one autoscaled endpoint each, split across nested stacks."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from sagemaker_platform import FleetMember, ModelArtifact, ModelFleet, ModelFleetProps, ModelImage
from stacks.config import StageConfig
from stacks.foundation_stack import FoundationStack
from stacks.serving_stack import SEED_MODEL


class FleetStack(Stack):
    """The stage's ``fleet`` members: ``<stage>-<name>`` endpoints serving the inference container.

    Members keep their nested stack as the list grows (placement depends only on position), so
    append new members at the end and retire old ones with care: see ``ModelFleet``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, foundation: FoundationStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = ModelImage.platform_inference()
        models = foundation.model_bucket.bucket
        # Members without a modelKey serve the seed model until their own is uploaded and configured.
        seed = (
            ModelArtifact.from_asset(self, "SeedModel", str(SEED_MODEL))
            if any(m.model_key is None for m in config.fleet)
            else None
        )
        self.fleet = ModelFleet(
            self,
            "Fleet",
            ModelFleetProps(
                members=[
                    FleetMember(
                        name=f"{config.name}-{m.name}",
                        image=image,
                        model_data=ModelArtifact(bucket=models, key=m.model_key) if m.model_key else seed,
                        instance_type=m.instance_type,
                        initial_instance_count=m.min_instances,
                        min_capacity=m.min_instances,
                        max_capacity=m.max_instances,
                    )
                    for m in config.fleet
                ],
                network=foundation.network,
                model_key=foundation.keys.models,
                alarm_topic=foundation.alerts.topic,
                members_per_stack=config.fleet_members_per_stack,
            ),
        )
