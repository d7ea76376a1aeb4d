"""Delivery pipeline: CDK Pipelines from a CodeConnections source through every platform stage in order."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Environment, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from sagemaker_platform import (
    AccessLogsBucket,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.pipelines import RELEASE_DETAIL_TYPE, RELEASE_SOURCE
from stacks.delivery_compliance import DeliveryCompliance
from stacks.delivery_config import DeliveryConfig
from stacks.platform_stage import PlatformStage

REPO = Path(__file__).resolve().parent.parent
#: The README's set-up and test command (``.ci/run`` installs local mode's Debian packages, then runs
#: ``make test``), then the README's synth command, which writes ``cdk.out``.
SYNTH_COMMANDS = (".ci/run", "make synth")
SMOKE_TEST = "scripts/smoke_test.py"
_RUNTIMES = {"phases": {"install": {"runtime-versions": {"python": "3.11", "nodejs": "20"}}}}
_SMOKE_ROLE = "sagemaker-platform-smoke-test-{stage}"
_INVOKER_ROLE = "sagemaker-platform-smoke-invoker-{stage}"


def _pinned(requirement: str) -> str:
    """The exact dev pin of ``requirement`` from pyproject.toml, e.g. ``boto3==1.44.5``."""
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    return str(next(p for p in dev if p.split("==")[0] == requirement))


def _cdk_cli_version() -> str:
    return str(json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"])


class DeliveryStack(Stack):
    """A self-mutating CDK pipeline that tests, synthesizes and promotes the platform's stages in order.

    It also starts when a stage records a model release ("Model Release Recorded" from a stage's
    ``ModelRelease``): the stage's next deploy takes the released model through CloudFormation.
    Stages in other accounts forward their release events to this account's default bus.

    ``stages`` are the app's own ``PlatformStage`` objects, so what ``make synth`` shows is what the
    pipeline deploys. Each stage may wait for a manual approval before it (``manual_approval_before``)
    and is smoke-tested after it: ``scripts/smoke_test.py`` invokes every production variant of the
    stage's A/B endpoint. Stages in another account get a role there (``SmokeTestInvoker`` in their
    serving stack) that the smoke test assumes, because SageMaker endpoints have no resource policies.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeliveryConfig,
        stages: Sequence[PlatformStage],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, env=Environment(account=config.account, region=config.region), **kwargs)
        self.config = config
        self.keys = PlatformKeys(
            self,
            "Keys",
            PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.LOGS), alias_prefix="sagemaker-platform-delivery"),
        )
        self.access_logs = AccessLogsBucket(self, "AccessLogs")
        self.artifacts = SecureBucket(
            self,
            "Artifacts",
            SecureBucketProps(encryption_key=self.keys.data, access_logs_bucket=self.access_logs.bucket),
        )
        self.build_logs = logs.LogGroup(
            self,
            "BuildLogs",
            encryption_key=self.keys.logs,
            retention=config.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.source = pipelines.CodePipelineSource.connection(
            config.repository, config.branch, connection_arn=config.connection_arn
        )
        #: True when a stage lives in another account: its deploy roles get the artifact key and bucket.
        self.cross_account = any(config.is_cross_account(s.config) for s in stages)
        self.synth = pipelines.CodeBuildStep(
            "Synth",
            input=self.source,
            commands=list(SYNTH_COMMANDS),
            primary_output_directory="cdk.out",
            # The whole test suite runs here, local mode's image builds included.
            timeout=Duration.hours(2),
            # CI=true makes a missing referee fail the build instead of skipping its tests.
            env={"CI": "true"},
            build_environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                compute_type=config.compute_type,
                # Local mode's tests run containers under podman and `bwrap --unshare-net`: namespaces.
                privileged=True,
            ),
            partial_build_spec=codebuild.BuildSpec.from_object(_RUNTIMES),
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth,
            self_mutation=True,
            # Our artifact bucket always has a customer-managed key; this flag also keys any replication bucket.
            cross_account_keys=self.cross_account,
            artifact_bucket=self.artifacts.bucket,
            cli_version=_cdk_cli_version(),
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0, compute_type=codebuild.ComputeType.SMALL
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_logs)
                ),
            ),
        )
        self.smoke_tests: dict[str, pipelines.CodeBuildStep] = {}
        self.approvals: dict[str, pipelines.ManualApprovalStep] = {}
        for stage in stages:
            pre: list[pipelines.Step] = []
            if stage.config.name in config.manual_approval_before:
                approval = pipelines.ManualApprovalStep(
                    f"Approve{stage.config.construct_id}",
                    comment=f"Promote to {stage.config.name}? Check the previous stage's smoke test first.",
                )
                self.approvals[stage.config.name] = approval
                pre.append(approval)
            self.smoke_tests[stage.config.name] = self._smoke_test(stage)
            if config.is_cross_account(stage.config):
                self._forward_releases(stage)
            self.pipeline.add_stage(stage, pre=pre, post=[self.smoke_tests[stage.config.name]])
        self.pipeline.build_pipeline()
        self.release_rule = self._start_on_releases(stages)
        self._lint_clean(self.pipeline.pipeline)
        self.node.add_validation(DeliveryCompliance(self))

    def _smoke_test(self, stage: PlatformStage) -> pipelines.CodeBuildStep:
        endpoint = stage.serving.ab_endpoint
        name, cid, region = stage.config.name, stage.config.construct_id, stage.config.region
        account = self.config.stage_account(stage.config)
        command = (
            f"python {SMOKE_TEST} --endpoint-name {endpoint.endpoint_name} --region {region} "
            f"--features {self.config.smoke_test_features}"
        )
        if self.config.is_cross_account(stage.config):
            invoker_arn = self._cross_account_invoker(stage)
            statement = iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[invoker_arn])
            command += f" --role-arn {invoker_arn}"
            role_name: str | None = _SMOKE_ROLE.format(stage=name)
        else:
            arn = f"arn:{self.partition}:sagemaker:{region}:{account}:endpoint/{endpoint.endpoint_name.lower()}"
            statement = iam.PolicyStatement(actions=["sagemaker:InvokeEndpoint"], resources=[arn])
            role_name = None
        policy = iam.ManagedPolicy(
            self,
            f"SmokeTest{cid}Policy",
            description=f"Smoke test of stage {name}: invoke its A/B endpoint, nothing else",
            statements=[statement],
        )
        role = iam.Role(
            self,
            f"SmokeTest{cid}Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"Runs {SMOKE_TEST} against stage {name}",
            managed_policies=[policy],
        )
        return pipelines.CodeBuildStep(
            "SmokeTest",
            input=self.source,
            install_commands=[f"pip install --quiet --disable-pip-version-check {_pinned('boto3')}"],
            commands=[f"{command} --target-variant {v.variant_name}" for v in endpoint.props.production_variants],
            role=role,
            partial_build_spec=codebuild.BuildSpec.from_object(_RUNTIMES),
        )

    @property
    def _bus_arn(self) -> str:
        return f"arn:{self.partition}:events:{self.config.region}:{self.config.account}:event-bus/default"

    def _start_on_releases(self, stages: Sequence[PlatformStage]) -> events.Rule:
        """A release recorded in any stage (this account's, or forwarded to its bus) starts the pipeline."""
        accounts = sorted({self.config.stage_account(s.config) for s in stages})
        for account in (a for a in accounts if a != self.config.account):
            events.CfnEventBusPolicy(
                self,
                f"ReleasesFrom{account}",
                event_bus_name="default",
                statement_id=f"ReleasesFrom{account}",
                statement={
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{self.partition}:iam::{account}:root"},
                    "Action": "events:PutEvents",
                    "Resource": self._bus_arn,
                    "Condition": {"StringEquals": {"events:source": [RELEASE_SOURCE]}},
                },
            )
        start = iam.ManagedPolicy(
            self,
            "StartOnReleasePolicy",
            description="Model releases: start the delivery pipeline",
            statements=[
                iam.PolicyStatement(
                    actions=["codepipeline:StartPipelineExecution"], resources=[self.pipeline.pipeline.pipeline_arn]
                )
            ],
        )
        role = iam.Role(
            self,
            "StartOnReleaseRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": self.config.account}}
            ),
            managed_policies=[start],
        )
        return events.Rule(
            self,
            "StartOnRelease",
            description="A model release recorded in a stage starts the delivery, which deploys it",
            event_pattern=events.EventPattern(
                source=[RELEASE_SOURCE], detail_type=[RELEASE_DETAIL_TYPE], account=accounts
            ),
            targets=[targets.CodePipeline(self.pipeline.pipeline, event_role=role.without_policy_updates())],
        )

    def _forward_releases(self, stage: PlatformStage) -> None:
        """In a stage of another account: send its release events to the pipeline account's default bus."""
        training = stage.training
        policy = iam.ManagedPolicy(
            training,
            "ForwardReleasesPolicy",
            description="Forward model release events to the delivery pipeline's account",
            statements=[iam.PolicyStatement(actions=["events:PutEvents"], resources=[self._bus_arn])],
        )
        role = iam.Role(
            training,
            "ForwardReleasesRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": self.config.stage_account(stage.config)}}
            ),
            managed_policies=[policy],
        )
        events.Rule(
            training,
            "ForwardReleases",
            description=f"Model releases of stage {stage.config.name} start the delivery pipeline",
            event_pattern=events.EventPattern(source=[RELEASE_SOURCE], detail_type=[RELEASE_DETAIL_TYPE]),
            targets=[
                targets.EventBus(
                    events.EventBus.from_event_bus_arn(training, "DeliveryBus", self._bus_arn),
                    role=role.without_policy_updates(),
                )
            ],
        )

    def _cross_account_invoker(self, stage: PlatformStage) -> str:
        """A role in the stage's account that may only invoke its A/B endpoint, assumable by the smoke test."""
        serving, name = stage.serving, stage.config.name
        smoke_role_arn = f"arn:{serving.partition}:iam::{self.config.account}:role/{_SMOKE_ROLE.format(stage=name)}"
        policy = iam.ManagedPolicy(
            serving,
            "SmokeTestInvokerPolicy",
            description="Delivery pipeline smoke test: invoke the A/B endpoint, nothing else",
            statements=[
                iam.PolicyStatement(actions=["sagemaker:InvokeEndpoint"], resources=[serving.ab_endpoint.endpoint_arn])
            ],
        )
        iam.Role(
            serving,
            "SmokeTestInvoker",
            role_name=_INVOKER_ROLE.format(stage=name),
            assumed_by=iam.AccountPrincipal(self.config.account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": smoke_role_arn}}
            ),
            description=f"Assumed by the smoke test of stage {name} in the pipeline account {self.config.account}",
            managed_policies=[policy],
        )
        # The literal name: the role's role_name attribute would be a reference across accounts.
        invoker_name = _INVOKER_ROLE.format(stage=name)
        return f"arn:{self.partition}:iam::{self.config.stage_account(stage.config)}:role/{invoker_name}"

    def _lint_clean(self, pipeline: codepipeline.Pipeline) -> None:
        cfn: codepipeline.CfnPipeline = pipeline.node.default_child  # type: ignore[assignment]
        # Env-agnostic stages get role ARNs as Fn::Join, which cfn-lint (E3703) wants as Fn::Sub.
        for i, stage in enumerate(self.resolve(cfn.stages)):
            for j, action in enumerate(stage["actions"]):
                role = (action.get("configuration") or {}).get("RoleArn")
                sub = _join_as_sub(role)
                if sub is not None:
                    cfn.add_property_override(f"Stages.{i}.Actions.{j}.Configuration.RoleArn", sub)
        # The pipeline already depends on its role through RoleArn (cfn-lint W3005); keep the policy.
        policy = pipeline.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            cfn.add_override("DependsOn", [self.get_logical_id(policy.node.default_child)])  # type: ignore[arg-type]


def _join_as_sub(value: Any) -> dict[str, str] | None:
    """``{"Fn::Join": ["", [...]]}`` of strings and ``Ref``s as the equivalent ``Fn::Sub``, else None."""
    if not (isinstance(value, dict) and list(value) == ["Fn::Join"] and value["Fn::Join"][0] == ""):
        return None
    parts: list[str] = []
    for part in value["Fn::Join"][1]:
        if isinstance(part, str) and "${" not in part:
            parts.append(part)
        elif isinstance(part, dict) and list(part) == ["Ref"]:
            parts.append("${" + part["Ref"] + "}")
        else:
            return None
    return {"Fn::Sub": "".join(parts)}
