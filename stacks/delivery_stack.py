"""Delivery pipeline: CDK Pipelines from a CodeConnections source through every platform stage in order."""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Duration, Environment, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from sagemaker_platform import (
    AccessLogsBucket,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    skip_checkov,
)
from sagemaker_platform.compliance import nag_resource_id
from sagemaker_platform.pipelines import RELEASE_DETAIL_TYPE, RELEASE_SOURCE
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

_INLINE = (
    "CDK Pipelines adds each action's permissions to that action's own role as its default policy; "
    "the roles exist only for this pipeline and are assumable only by CodePipeline or CodeBuild."
)
_REPO_URL = (
    "Source type CODEPIPELINE: the project receives the pipeline's artifact and never contacts a "
    "repository; the repository is reached only through the CodeConnections connection (no stored tokens)."
)
_ARTIFACT_ACTIONS = (
    "CDK's standard read/write action groups (s3:GetObject*, kms:ReEncrypt*, ...) on the pipeline's own "
    "artifact bucket and its key only."
)
_ARTIFACT_OBJECTS = "Pipeline artifacts are objects with generated keys in the pipeline's own artifact bucket."
_BUILD_LOGS = "CodeBuild names its default log group after the project and a log stream after each build."
_REPORTS = "CodeBuild creates its test-report groups per project and build, under names it generates."
_BOOTSTRAP = (
    "Self-mutation runs cdk deploy, which may assume only roles tagged aws-cdk:bootstrap-role (the "
    "statement's condition): the CDK bootstrap roles of this account."
)
_SELF_MUTATION_READ = (
    "cdk deploy reads stack status (cloudformation:DescribeStacks) and lists the bootstrap bucket before "
    "it assumes the bootstrap roles; neither grants any write."
)
_ASSET_BUILDS = (
    "CDK Pipelines' asset-publishing role is shared by all asset projects and starts and stops their "
    "builds; CDK keeps this ARN account-wide so the shared role stays under IAM's policy size limit."
)
_NO_CONSTRAINT = _ASSET_BUILDS + " Publishing itself goes through the bootstrap publishing roles."


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
        self.node.add_validation(_AcknowledgeGenerated(self))

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


@jsii.implements(IValidation)
class _AcknowledgeGenerated:
    """Acknowledge the findings CDK Pipelines' generated roles and projects carry, each on its own resource.

    Runs at validation time, when every grant is in place, and acknowledges only the known wildcards it
    finds in each policy statement, so a new kind of wildcard stays a finding.
    """

    def __init__(self, stack: DeliveryStack) -> None:
        self.stack = stack
        account, region = re.escape(stack.config.account), re.escape(stack.config.region)
        bucket = stack.artifacts.bucket
        self.artifact_ids = {
            nag_resource_id(stack, arn)
            for arn in (bucket.bucket_arn, bucket.arn_for_objects("*"), stack.keys.data.key_arn)
        }
        artifacts = re.escape(nag_resource_id(stack, bucket.arn_for_objects("*")))
        self.known = (
            (f"Resource::{artifacts}", _ARTIFACT_OBJECTS),
            (rf"Resource::arn:[\w-]+:logs:{region}:{account}:log-group:/aws/codebuild/(<\w+>:)?\*", _BUILD_LOGS),
            (rf"Resource::arn:[\w-]+:codebuild:{region}:{account}:report-group/(<\w+>-)?\*", _REPORTS),
        )

    def validate(self) -> list[str]:
        for child in self.stack.node.find_all():
            if isinstance(child, iam.CfnPolicy):
                self._policy(child)
            elif isinstance(child, codebuild.CfnProject) and self._pipeline_source(child):
                acknowledge(child, "HIPAA.Security-CodeBuildProjectSourceRepoUrl", reason=_REPO_URL)
        return []

    def _pipeline_source(self, project: codebuild.CfnProject) -> bool:
        return bool(self.stack.resolve(project.source).get("type") == "CODEPIPELINE")

    def _policy(self, policy: iam.CfnPolicy) -> None:
        acknowledge(policy, "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy", reason=_INLINE)
        by_reason: dict[str, set[str]] = defaultdict(set)
        for statement in self.stack.resolve(policy.policy_document)["Statement"]:
            actions, resources = _as_list(statement["Action"]), _as_list(statement["Resource"])
            rendered = {nag_resource_id(policy, r) for r in resources}
            findings = [f"Action::{a}" for a in actions if "*" in a] + [f"Resource::{r}" for r in rendered if "*" in r]
            for finding in findings:
                reason = self._reason(finding, set(actions), rendered, statement.get("Condition", {}))
                if reason is not None:
                    by_reason[reason].add(f"AwsSolutions-IAM5[{finding}]")
            if resources == ["*"] and "codebuild:StartBuild" in actions:
                skip_checkov(policy, "CKV_AWS_111", _NO_CONSTRAINT)
        for reason, ids in by_reason.items():
            acknowledge(policy, *sorted(ids), reason=reason)

    def _reason(self, finding: str, actions: set[str], resources: set[str], condition: dict[str, Any]) -> str | None:
        if finding.startswith("Action::"):
            grant = re.fullmatch(
                r"Action::(s3:(Abort|DeleteObject|GetBucket|GetObject|List)|kms:(GenerateDataKey|ReEncrypt))\*", finding
            )
            return _ARTIFACT_ACTIONS if grant and resources <= self.artifact_ids else None
        if finding == "Resource::*":
            if actions <= {"cloudformation:DescribeStacks", "s3:ListBucket"}:
                return _SELF_MUTATION_READ
            if actions <= {"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"}:
                return _ASSET_BUILDS
            return None
        if finding == f"Resource::arn:*:iam::{self.stack.config.account}:role/*":
            tagged = "iam:ResourceTag/aws-cdk:bootstrap-role" in json.dumps(condition)
            return _BOOTSTRAP if actions == {"sts:AssumeRole"} and tagged else None
        return next((why for pattern, why in self.known if re.fullmatch(pattern, finding)), None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
