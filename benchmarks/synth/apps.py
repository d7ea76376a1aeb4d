"""The apps the benchmark synthesizes, each built in a fresh worker process.

- ``bare``: one ``s3.Bucket`` in one stack, the floor any CDK app pays;
- ``reference``: every stack of one stage of ``app.py``'s app, configured from ``cdk.json``;
- ``fleet``: a :class:`~sagemaker_platform.fleet.ModelFleet` of N endpoints (autoscaling and two
  rollback alarms each) with its shared inputs in a sibling stack, as ``tests/test_fleet.py`` builds it.

Imports happen inside the builders, so a bare app never imports the library.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

#: What a builder returns: the app, ready to synth.
AppLike = Any

DIGEST = "sha256:" + "a" * 64


def new_app(outdir: Path, *, cfn_validation: bool, staging: bool = True) -> AppLike:
    """An App with the project's feature flags (``tests.harness.make_app``), optionally as ``cdk synth`` runs it.

    ``cfn_validation`` switches CDK's built-in CloudFormation validation plugin back on (``make_app``
    turns it off; ``app.py`` under ``cdk synth`` keeps it). ``staging=False`` sets the context key
    ``aws:cdk:disable-asset-staging``: assets are referenced where they are instead of being
    copied into the cloud assembly.
    """
    from aws_cdk import App

    from tests.harness import cdk_context, make_app

    context: dict[str, Any] = {} if staging else {"aws:cdk:disable-asset-staging": True}
    if not cfn_validation:
        return make_app(outdir, **context)
    flags = {k: v for k, v in cdk_context().items() if k.startswith(("@aws-cdk", "aws:"))}
    return App(outdir=str(outdir), context={**flags, **context})


def bare(app: AppLike) -> None:
    """One stack with one bucket."""
    from aws_cdk import Stack
    from aws_cdk import aws_s3 as s3

    s3.Bucket(Stack(app, "Bare"), "Bucket")


def reference(app: AppLike, stage: str, *, nag: bool) -> None:
    """Stage ``stage`` of the reference app (all its stacks), configured from ``cdk.json`` as ``app.py`` does."""
    from sagemaker_platform import add_nag_packs
    from stacks.config import CONTEXT_KEY, PlatformConfig, seed_availability_zones
    from stacks.platform_stage import PlatformStage
    from tests.harness import cdk_context

    config = PlatformConfig.from_context(cdk_context()[CONTEXT_KEY])
    chosen = [s for s in config.stages if s.name == stage]
    if not chosen:
        raise SystemExit(f"--stage: got {stage!r}; allowed: one of {[s.name for s in config.stages]}")
    seed_availability_zones(app, config)
    PlatformStage(app, chosen[0])
    if nag:
        add_nag_packs(app)


def fleet(
    app: AppLike, endpoints: int, *, nag: bool, members_per_stack: int | None = None, shared_role: bool = False
) -> None:
    """A ModelFleet of ``endpoints`` members in stage ``Dev``; keys, bucket, network and topic in a sibling stack.

    ``shared_role``: one execution role for every model (``ModelFleetProps.role``), as ``tests/test_fleet.py``
    builds it, instead of one role per model.
    """
    from aws_cdk import Stack, Stage
    from aws_cdk import aws_ecr as ecr

    from sagemaker_platform import (
        AccessLogsBucket,
        IsolatedNetwork,
        IsolatedNetworkProps,
        NotificationTopic,
        NotificationTopicProps,
        PlatformKeys,
        SageMakerExecutionRole,
        SageMakerExecutionRoleProps,
        SecureBucket,
        SecureBucketProps,
        add_nag_packs,
    )
    from sagemaker_platform.fleet import FleetMember, ModelFleet, ModelFleetProps
    from sagemaker_platform.serving import ModelArtifact, ModelImage

    stage = Stage(app, "Dev")
    shared = Stack(stage, "Foundation")
    keys = PlatformKeys(shared, "Keys")
    logs = AccessLogsBucket(shared, "AccessLogs")
    bucket = SecureBucket(
        shared, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=logs.bucket)
    ).bucket
    network = IsolatedNetwork(
        shared, "Network", IsolatedNetworkProps(flow_logs_key=keys.logs, interface_endpoints=["sts"])
    )
    topic = NotificationTopic(shared, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
    stack = Stack(stage, "Fleet")
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    members: list[FleetMember | None] = [
        FleetMember(
            name=f"model-{i:03d}",
            image=image,
            model_data=ModelArtifact(bucket=bucket, key=f"models/model-{i:03d}/model.tar.gz"),
        )
        for i in range(endpoints)
    ]
    role = None
    if shared_role:
        role = SageMakerExecutionRole(
            stack,
            "ModelRole",
            SageMakerExecutionRoleProps(description="Shared role of the benchmark fleet", keys=(keys.models,)),
        )
    props = ModelFleetProps(members=members, network=network, model_key=keys.models, alarm_topic=topic, role=role)
    if members_per_stack is not None:
        props = dataclasses.replace(props, members_per_stack=members_per_stack)
    ModelFleet(stack, "Fleet", props)
    if nag:
        add_nag_packs(app)
