#!/usr/bin/env python3
"""Reference app: read and validate configuration from cdk.json, build every stage and the delivery pipeline."""

from __future__ import annotations

import sys

from aws_cdk import App

from sagemaker_platform import add_nag_packs
from stacks.config import CONTEXT_KEY, ConfigError, PlatformConfig, seed_availability_zones
from stacks.delivery_config import DELIVERY_CONTEXT_KEY, DeliveryConfig
from stacks.delivery_stack import DeliveryStack
from stacks.platform_stage import PlatformStage


def build_stages(app: App) -> tuple[PlatformConfig, list[PlatformStage]]:
    """Build every configured stage into ``app`` with the nag packs attached."""
    config = PlatformConfig.from_context(app.node.try_get_context(CONTEXT_KEY))
    seed_availability_zones(app, config)
    stages = [PlatformStage(app, stage) for stage in config.stages]
    add_nag_packs(app, control_tower=True)
    return config, stages


def add_delivery(app: App, config: PlatformConfig, stages: list[PlatformStage]) -> DeliveryStack:
    """The pipeline that deploys ``stages`` in order. It synthesizes them: change them before this, not after."""
    delivery = DeliveryConfig.from_context(app.node.try_get_context(DELIVERY_CONTEXT_KEY), config)
    # Deploys the same stage objects `make synth` shows; its stack ID is what self-mutation deploys.
    return DeliveryStack(
        app,
        "Delivery",
        config=delivery,
        stages=stages,
        description="sagemaker-platform delivery pipeline: source, test, synth, then every stage in order",
    )


def build_app(app: App) -> list[PlatformStage]:
    """The reference app: every stage, then the delivery pipeline, all under the nag packs."""
    config, stages = build_stages(app)
    add_delivery(app, config, stages)
    return stages


def main() -> None:
    app = App()
    try:
        build_app(app)
    except ConfigError as err:
        print(err, file=sys.stderr)
        sys.exit(2)
    app.synth()


if __name__ == "__main__":
    main()
