#!/usr/bin/env python3
"""Reference app: read and validate stage configuration from cdk.json, build one stage each."""

from __future__ import annotations

import sys

from aws_cdk import App

from sagemaker_platform import add_nag_packs
from stacks.config import CONTEXT_KEY, ConfigError, PlatformConfig, seed_availability_zones
from stacks.platform_stage import PlatformStage


def build_app(app: App) -> list[PlatformStage]:
    """Build every configured stage into ``app`` with the nag packs attached."""
    config = PlatformConfig.from_context(app.node.try_get_context(CONTEXT_KEY))
    seed_availability_zones(app, config)
    stages = [PlatformStage(app, stage) for stage in config.stages]
    add_nag_packs(app)
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
