"""Delivery pipeline: source, synth, stage order, approvals, smoke tests, encryption, referees, bad config."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Match, Template

from stacks.config import ConfigError, PlatformConfig, seed_availability_zones
from stacks.delivery_compliance import DeliveryCompliance
from stacks.delivery_config import DeliveryConfig
from stacks.delivery_stack import SMOKE_TEST, SYNTH_COMMANDS, DeliveryStack
from stacks.platform_stage import PlatformStage
from tests.harness import REPO, cdk_context, make_app, run, run_checkov, synth_with_packs, venv_tool, violations

PIPELINE_ACCOUNT = "111111111111"
CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab"
DELIVERY: dict[str, Any] = {
    "account": PIPELINE_ACCOUNT,
    "region": "eu-west-1",
    "connectionArn": CONNECTION,
    "repository": "example-org/sagemaker-platform",
    "branch": "main",
    "manualApprovalBefore": ["prod"],
}


class DeliveryApp:
    """The committed stages (dev in the pipeline's account, prod in another) behind the pipeline."""

    def __init__(self, outdir: Path) -> None:
        context = {**cdk_context(), "delivery": DELIVERY}
        self.app = make_app(outdir, **context)
        self.platform = PlatformConfig.from_context(context["sagemaker-platform"])
        seed_availability_zones(self.app, self.platform)
        self.stages = [PlatformStage(self.app, s) for s in self.platform.stages]
        self.config = DeliveryConfig.from_context(context["delivery"], self.platform)
        self.stack = DeliveryStack(self.app, "Delivery", config=self.config, stages=self.stages)
        self.error = synth_with_packs(self.app)
        self.outdir = outdir
        self.template = Template.from_stack(self.stack)
        self.json: dict[str, Any] = dict(self.template.to_json())
        ((_, pipeline),) = self.template.find_resources("AWS::CodePipeline::Pipeline").items()
        self.pipeline: dict[str, Any] = pipeline["Properties"]

    def stage(self, name: str) -> list[dict[str, Any]]:
        return next(s["Actions"] for s in self.pipeline["Stages"] if s["Name"] == name)

    def project(self, action: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = self.json["Resources"][action["Configuration"]["ProjectName"]["Ref"]]["Properties"]
        return props

    def buildspec(self, action: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads(self.project(action)["Source"]["BuildSpec"])
        return spec

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.get_logical_id(construct.node.default_child))


def _stacks(stage: PlatformStage) -> list[Stack]:
    return [c for c in stage.node.children if isinstance(c, Stack)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DeliveryApp:
    return DeliveryApp(tmp_path_factory.mktemp("delivery") / "cdk.out")


def test_nag_packs_are_clean(built: DeliveryApp) -> None:
    found = violations(json.loads((built.outdir / "validation-report.json").read_text()))
    assert not found, "\n".join(found)
    assert built.error is None, built.error


@pytest.mark.slow
def test_cfn_lint_reports_nothing_for_the_pipeline_and_the_stages_it_deploys(built: DeliveryApp) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    templates = sorted(built.outdir.rglob("*.template.json"))
    top_level = [t for t in templates if ".nested." not in t.name]  # nested: the fleet's shards
    assert len(top_level) == 1 + sum(len(_stacks(s)) for s in built.stages)  # the pipeline plus every stage stack
    result = run([cfn_lint, "--format", "parseable", *map(str, templates)])
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_checkov_finds_no_failed_checks_in_the_pipeline_and_the_stack_it_adds_to(built: DeliveryApp) -> None:
    (serving,) = built.outdir.glob("assembly-Prod/ProdServing*.template.json")
    failed, passed = run_checkov("-f", str(built.outdir / "Delivery.template.json"), "-f", str(serving))
    assert not failed, failed
    assert passed > 100


def test_synthesizes_offline_and_deterministically(built: DeliveryApp, tmp_path: Path) -> None:
    for manifest in built.outdir.rglob("manifest.json"):
        assert "missing" not in json.loads(manifest.read_text()), f"{manifest} asks for context lookups"
    again = DeliveryApp(tmp_path / "cdk.out")
    assert (again.outdir / "Delivery.template.json").read_bytes() == (
        built.outdir / "Delivery.template.json"
    ).read_bytes()


def test_source_is_the_configured_connection_repository_and_branch(built: DeliveryApp) -> None:
    ((source,),) = [built.stage("Source")]
    assert source["ActionTypeId"] == {
        "Category": "Source",
        "Owner": "AWS",
        "Provider": "CodeStarSourceConnection",
        "Version": "1",
    }
    assert {k: source["Configuration"][k] for k in ("ConnectionArn", "FullRepositoryId", "BranchName")} == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "example-org/sagemaker-platform",
        "BranchName": "main",
    }


def test_synth_installs_from_scratch_tests_then_synthesizes_into_cdk_out(built: DeliveryApp) -> None:
    ((synth,),) = [built.stage("Build")]
    spec = built.buildspec(synth)
    assert spec["phases"]["build"]["commands"] == list(SYNTH_COMMANDS) == [".ci/run", "make synth"]
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11", "nodejs": "20"}
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    # .ci/run is the README's set-up plus test command: it must end by running `make test`.
    ci_run = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci_run[-1] == "make test"
    assert "synth:" in (REPO / "Makefile").read_text() and "cdk synth" in (REPO / "Makefile").read_text()
    env = built.project(synth)["Environment"]
    assert env["PrivilegedMode"] is True and env["ComputeType"] == "BUILD_GENERAL1_LARGE"
    assert built.project(synth)["TimeoutInMinutes"] == 120
    assert {"Name": "CI", "Type": "PLAINTEXT", "Value": "true"} in env["EnvironmentVariables"]


def test_stages_run_in_order_with_self_mutation_and_approval_before_prod(built: DeliveryApp) -> None:
    names = [s["Name"] for s in built.pipeline["Stages"]]
    assert names == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Prod"]
    (mutate,) = built.stage("UpdatePipeline")
    assert mutate["Name"] == "SelfMutate"
    assert "cdk -a . deploy Delivery" in json.dumps(built.buildspec(mutate))
    assert built.pipeline["RestartExecutionOnUpdate"] is True
    prod = built.stage("Prod")
    approvals = [a for a in prod if a["ActionTypeId"]["Category"] == "Approval"]
    assert [a["Name"] for a in approvals] == ["ApproveProd"]
    deploys = [a for a in prod if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys and min(a["RunOrder"] for a in deploys) > approvals[0]["RunOrder"]
    assert not [a for a in built.stage("Dev") if a["ActionTypeId"]["Category"] == "Approval"]


def test_account_agnostic_stage_deploys_with_the_pipeline_accounts_bootstrap_roles(built: DeliveryApp) -> None:
    # cdk-nag/cfn-lint clean form (Fn::Sub, not Fn::Join) of the CloudFormation execution role.
    prepares = [a for a in built.stage("Dev") if a["Name"].endswith(".Prepare")]
    assert len(prepares) == len(_stacks(built.stages[0])) > 0
    for action in prepares:
        assert action["Configuration"]["RoleArn"] == {
            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-eu-west-1"
        }
    policy = built.stack.pipeline.pipeline.role.node.find_child("DefaultPolicy")
    assert built.json["Resources"][built.logical_id(built.stack.pipeline.pipeline)]["DependsOn"] == [
        built.logical_id(policy)
    ], "the pipeline's dependency on its role is implied by RoleArn (cfn-lint W3005)"


@pytest.mark.parametrize("stage_name", ["Dev", "Prod"])
def test_smoke_test_runs_after_each_stage_against_its_endpoint(built: DeliveryApp, stage_name: str) -> None:
    actions = built.stage(stage_name)
    (smoke,) = [a for a in actions if a["Name"] == "SmokeTest"]
    deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert smoke["RunOrder"] > max(a["RunOrder"] for a in deploys)
    stage = next(s for s in built.stages if s.config.construct_id == stage_name)
    commands = built.buildspec(smoke)["phases"]["build"]["commands"]
    expected = f"python {SMOKE_TEST} --endpoint-name {stage.serving.ab_endpoint.endpoint_name} --region eu-west-1"
    assert [c.split(" --target-variant ")[1] for c in commands] == ["champion", "challenger"]
    assert all(c.startswith(expected) for c in commands)
    install = built.buildspec(smoke)["phases"]["install"]["commands"]
    assert any("boto3==" in c for c in install)


def test_same_account_smoke_role_may_only_invoke_that_endpoint(built: DeliveryApp) -> None:
    name = built.stages[0].serving.ab_endpoint.endpoint_name.lower()
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Description": Match.string_like_regexp("stage dev"),
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "sagemaker:InvokeEndpoint",
                        "Effect": "Allow",
                        "Resource": f"arn:aws:sagemaker:eu-west-1:{PIPELINE_ACCOUNT}:endpoint/{name}",
                    }
                ],
                "Version": "2012-10-17",
            },
        },
    )


def test_cross_account_smoke_test_assumes_an_invoke_only_role_in_the_stage_account(built: DeliveryApp) -> None:
    invoker = "arn:aws:iam::123456789012:role/sagemaker-platform-smoke-invoker-prod"
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {"PolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Resource": invoker}]}},
    )
    (prod_smoke,) = [a for a in built.stage("Prod") if a["Name"] == "SmokeTest"]
    assert all(f"--role-arn {invoker}" in c for c in built.buildspec(prod_smoke)["phases"]["build"]["commands"])
    serving = Template.from_stack(built.stages[1].serving)
    serving.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "sagemaker-platform-smoke-invoker-prod",
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "ArnEquals": {
                                "aws:PrincipalArn": f"arn:aws:iam::{PIPELINE_ACCOUNT}:role/sagemaker-platform-smoke-test-prod"
                            }
                        },
                        "Principal": {"AWS": f"arn:aws:iam::{PIPELINE_ACCOUNT}:root"},
                    }
                ]
            },
        },
    )
    serving.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [{"Action": "sagemaker:InvokeEndpoint", "Resource": {"Ref": Match.any_value()}}]
            }
        },
    )
    assert not Template.from_stack(built.stages[0].serving).find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": Match.string_like_regexp("smoke")}}
    ), "same-account stages need no invoker role"


def test_artifacts_are_kms_encrypted_and_readable_by_the_other_accounts_deploy_role(built: DeliveryApp) -> None:
    key = built.logical_id(built.stack.keys.data)
    assert built.pipeline["ArtifactStore"] == {
        "EncryptionKey": {"Id": {"Fn::GetAtt": [key, "Arn"]}, "Type": "KMS"},
        "Location": {"Ref": built.logical_id(built.stack.artifacts.bucket)},
        "Type": "S3",
    }
    built.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]},
                            "SSEAlgorithm": "aws:kms",
                        },
                    }
                ]
            },
            "LoggingConfiguration": Match.object_like({}),
        },
    )
    assert built.json["Resources"][key]["Properties"]["EnableKeyRotation"] is True
    assert built.stack.cross_account is True
    key_policy = json.dumps(built.json["Resources"][key]["Properties"]["KeyPolicy"])
    assert "iam::123456789012:role/cdk-hnb659fds-deploy-role-123456789012-eu-west-1" in key_policy


def test_every_build_logs_to_the_kms_encrypted_group_and_encrypts_with_the_artifact_key(built: DeliveryApp) -> None:
    group = built.logical_id(built.stack.build_logs)
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"KmsKeyId": {"Fn::GetAtt": [built.logical_id(built.stack.keys.logs), "Arn"]}, "RetentionInDays": 365},
    )
    projects = built.template.find_resources("AWS::CodeBuild::Project")
    assert len(projects) == 6  # synth, self-mutation, two asset publishers, two smoke tests
    key = {"Fn::GetAtt": [built.logical_id(built.stack.keys.data), "Arn"]}
    for lid, project in projects.items():
        props = project["Properties"]
        assert props["LogsConfig"]["CloudWatchLogs"] == {"GroupName": {"Ref": group}, "Status": "ENABLED"}, lid
        assert props["EncryptionKey"] == key, lid


def test_generated_wildcards_are_acknowledged_one_finding_at_a_time_on_their_policy(built: DeliveryApp) -> None:
    acknowledged: dict[str, set[str]] = {}
    for construct in built.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                acknowledged.setdefault(construct.node.path, set()).update(entry.data)
    iam5 = {path: {i for i in ids if "IAM5" in i} for path, ids in acknowledged.items()}
    iam5 = {path: ids for path, ids in iam5.items() if ids}
    # Pipeline, source, synth, self-mutation, two asset roles, two smoke roles (the CodeBuild action role has none).
    assert len(iam5) == 8, sorted(iam5)
    for path, ids in iam5.items():
        assert path.endswith("/DefaultPolicy/Resource"), path
        assert all(i.startswith("Annotation::AwsSolutions-IAM5[") for i in ids), (path, ids)
    synth_policy = next(ids for path, ids in iam5.items() if "/Build/Synth/" in path)
    assert "Annotation::AwsSolutions-IAM5[Resource::*]" not in synth_policy, "the synth role has no '*' resource"
    assert not acknowledged.get(built.stack.node.path), "nothing is acknowledged stack-wide"


def _statements(built: DeliveryApp, path_part: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, policy in built.template.find_resources("AWS::IAM::Policy").items()
        if path_part in logical_id
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_asset_roles_may_start_only_their_own_asset_projects(built: DeliveryApp) -> None:
    projects = built.template.find_resources("AWS::CodeBuild::Project")
    for kind in ("Docker", "File"):
        (statement,) = [
            s for s in _statements(built, f"PipelineAssets{kind}Role") if "codebuild:StartBuild" in s["Action"]
        ]
        own = sorted(lid for lid in projects if lid.startswith(f"PipelineAssets{kind}Asset"))
        assert own, kind
        assert statement["Resource"] == [{"Fn::GetAtt": [lid, "Arn"]} for lid in own], kind
    every = [s for lid in built.json["Resources"] if "Policy" in lid for s in _statements(built, lid)]
    assert not [s for s in every if "codebuild:StartBuild" in s["Action"] and s["Resource"] == "*"]


def test_self_mutation_reads_only_the_bootstrap_stack_its_own_stack_and_the_bootstrap_bucket(
    built: DeliveryApp,
) -> None:
    statements = _statements(built, "SelfMutationRole")
    describe = next(s for s in statements if s["Action"] == "cloudformation:DescribeStacks")
    stack_arn = f"arn:aws:cloudformation:eu-west-1:{PIPELINE_ACCOUNT}:stack/{{}}/*"
    assert describe["Resource"] == [stack_arn.format("CDKToolkit"), stack_arn.format("Delivery")]
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Resource"] == f"arn:aws:s3:::cdk-hnb659fds-assets-{PIPELINE_ACCOUNT}-eu-west-1"
    assert all(s["Resource"] != "*" for s in statements)


def test_privileged_projects_are_acknowledged_for_control_tower_in_one_place(built: DeliveryApp) -> None:
    privileged = {
        lid
        for lid, p in built.template.find_resources("AWS::CodeBuild::Project").items()
        if p["Properties"]["Environment"].get("PrivilegedMode")
    }
    assert privileged == {"PipelineBuildSynthCdkBuildProject6BEFA8E6", "PipelineAssetsDockerAssetA7499A24"}
    rule = "cdk-validator-cfnguard::codebuild_project_environment_privileged_check"
    acknowledged = {
        built.stack.get_logical_id(c)  # type: ignore[arg-type]
        for c in built.stack.node.find_all()
        for entry in c.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules" and any(rule in i for i in entry.data)
    }
    assert acknowledged == privileged


def test_unknown_wildcards_stay_findings(built: DeliveryApp) -> None:
    reason = DeliveryCompliance(built.stack)._reason
    artifacts = {"<Artifacts80C0BB10.Arn>", "<Artifacts80C0BB10.Arn>/*"}
    assert built.logical_id(built.stack.artifacts.bucket) == "Artifacts80C0BB10"
    assert reason("Action::s3:GetObject*", {"s3:GetObject*"}, artifacts, {})
    toolkit = f"arn:aws:cloudformation:eu-west-1:{PIPELINE_ACCOUNT}:stack/CDKToolkit/*"
    assert reason(f"Resource::{toolkit}", {"cloudformation:DescribeStacks"}, {toolkit}, {})
    # CDK's account-wide grants are scoped now, so '*' is never acknowledged for them.
    assert reason("Resource::*", {"cloudformation:DescribeStacks", "s3:ListBucket"}, {"*"}, {}) is None
    assert reason("Resource::*", {"codebuild:StartBuild"}, {"*"}, {}) is None
    bootstrap = {"ForAnyValue:StringEquals": {"iam:ResourceTag/aws-cdk:bootstrap-role": ["deploy"]}}
    own_roles = f"arn:*:iam::{PIPELINE_ACCOUNT}:role/*"
    assert reason(f"Resource::{own_roles}", {"sts:AssumeRole"}, {own_roles}, bootstrap)
    # Same shapes with broader actions, another bucket, no tag condition or another account: not acknowledged.
    assert reason("Resource::*", {"cloudformation:DescribeStacks", "s3:PutObject"}, {"*"}, {}) is None
    assert reason("Action::s3:*", {"s3:*"}, artifacts, {}) is None
    assert reason("Action::s3:GetObject*", {"s3:GetObject*"}, {"<OtherBucket1234ABCD.Arn>/*"}, {}) is None
    assert (
        reason("Resource::<OtherBucket1234ABCD.Arn>/*", {"s3:GetObject"}, {"<OtherBucket1234ABCD.Arn>/*"}, {}) is None
    )
    assert reason(f"Resource::{own_roles}", {"sts:AssumeRole"}, {own_roles}, {}) is None
    other_logs = "arn:aws:logs:eu-west-1:222222222222:log-group:/aws/codebuild/*"
    assert reason(f"Resource::{other_logs}", {"logs:PutLogEvents"}, {other_logs}, {}) is None


def test_config_exposes_the_committed_stage_accounts() -> None:
    platform = PlatformConfig.from_context(cdk_context()["sagemaker-platform"])
    config = DeliveryConfig.from_context(copy.deepcopy(DELIVERY), platform)
    dev, prod = platform.stages
    assert (config.stage_account(dev), config.is_cross_account(dev)) == (PIPELINE_ACCOUNT, False)
    assert (config.stage_account(prod), config.is_cross_account(prod)) == ("123456789012", True)
    defaults = DeliveryConfig.from_context({k: v for k, v in DELIVERY.items() if k != "manualApprovalBefore"}, platform)
    assert defaults.manual_approval_before == ("prod",), "default: approval before every stage but the first"
    assert (defaults.log_retention_days, defaults.build_compute_type, defaults.smoke_test_features) == (
        365,
        "LARGE",
        20,
    )


def _with(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(DELIVERY)
    for key, value in changes.items():
        if value is _DROP:
            raw.pop(key)
        else:
            raw[key] = value
    return raw


_DROP = object()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, r"context 'delivery': got None; expected an object"),
        (_with(stages=["dev"]), r"'delivery': unknown keys \['stages'\]"),
        (_with(account=111111111111), r"'delivery.account': got 111111111111; allowed: the pipeline's 12-digit"),
        (_with(region="eu-west"), r"'delivery.region': got 'eu-west'; allowed: an AWS region"),
        (_with(region="us-east-1"), r"'delivery.region': got 'us-east-1'; allowed: the region of every stage"),
        (_with(connectionArn=_DROP), r"'delivery.connectionArn': got None"),
        (
            _with(connectionArn=CONNECTION.replace("codeconnections", "codecommit")),
            r"'delivery.connectionArn': got 'arn:aws:codecommit:.*allowed: a connection ARN",
        ),
        (_with(connectionArn=CONNECTION[:-1]), r"'delivery.connectionArn': got 'arn:aws:codeconnections:"),
        (
            _with(repository="sagemaker-platform"),
            r"'delivery.repository': got 'sagemaker-platform'; allowed: 'owner/name'",
        ),
        (_with(repository="org/platform.git"), r"'delivery.repository': got 'org/platform.git'"),
        (_with(branch=""), r"'delivery.branch': got ''; allowed: a non-empty git branch name"),
        (_with(branch="feature..x"), r"'delivery.branch': got 'feature..x'"),
        (_with(branch="my branch"), r"'delivery.branch': got 'my branch'"),
        (
            _with(manualApprovalBefore=["staging"]),
            r"'delivery.manualApprovalBefore': got \['staging'\]; allowed: .*\['dev', 'prod'\]",
        ),
        (_with(manualApprovalBefore="prod"), r"'delivery.manualApprovalBefore': got 'prod'"),
        (
            _with(manualApprovalBefore=["prod", "prod"]),
            r"'delivery.manualApprovalBefore': got \['prod', 'prod'\]; allowed: a list of distinct",
        ),
        (_with(logRetentionDays=100), r"'delivery.logRetentionDays': got 100; allowed: one of 1, 3, 5"),
        (_with(buildComputeType="HUGE"), r"'delivery.buildComputeType': got 'HUGE'; allowed: one of SMALL, MEDIUM"),
        (_with(smokeTestFeatures=0), r"'delivery.smokeTestFeatures': got 0; allowed: an integer from 1 to 10000"),
        (_with(smokeTestFeatures=True), r"'delivery.smokeTestFeatures': got True"),
    ],
    ids=[
        "missing",
        "unknown-key",
        "account-not-string",
        "bad-region",
        "region-of-no-stage",
        "no-connection",
        "not-a-connection-service",
        "connection-id-truncated",
        "repository-without-owner",
        "repository-with-dot-git",
        "empty-branch",
        "branch-with-dot-dot",
        "branch-with-space",
        "approval-for-unknown-stage",
        "approval-not-a-list",
        "duplicate-approval",
        "retention-not-allowed",
        "unknown-compute-type",
        "zero-features",
        "bool-features",
    ],
)
def test_fails_bad_delivery_configuration_naming_the_key(raw: Any, message: str) -> None:
    platform = PlatformConfig.from_context(cdk_context()["sagemaker-platform"])
    with pytest.raises(ConfigError, match=message):
        DeliveryConfig.from_context(raw, platform)


def test_fails_with_every_bad_key_at_once() -> None:
    platform = PlatformConfig.from_context(cdk_context()["sagemaker-platform"])
    with pytest.raises(ConfigError) as info:
        DeliveryConfig.from_context(_with(account="1", branch="-x", repository="x"), platform)
    for key in ("account", "branch", "repository"):
        assert f"'delivery.{key}'" in str(info.value)


def test_accepts_codestar_connections_and_nested_branch_names() -> None:
    platform = PlatformConfig.from_context(cdk_context()["sagemaker-platform"])
    legacy = CONNECTION.replace("codeconnections", "codestar-connections")
    config = DeliveryConfig.from_context(_with(connectionArn=legacy, branch="release/2026.11"), platform)
    assert (config.connection_arn, config.branch) == (legacy, "release/2026.11")


def test_a_recorded_model_release_in_any_stage_starts_the_pipeline(built: DeliveryApp) -> None:
    rule = next(
        r["Properties"]
        for lid, r in built.template.find_resources("AWS::Events::Rule").items()
        if lid.startswith("StartOnRelease")
    )
    assert rule["EventPattern"] == {
        "source": ["sagemaker-platform.release"],
        "detail-type": ["Model Release Recorded"],
        "account": sorted([PIPELINE_ACCOUNT, "123456789012"]),
    }
    (target,) = rule["Targets"]
    assert built.logical_id(built.stack.pipeline.pipeline) in json.dumps(target["Arn"]), "targets this pipeline"
    assert "RoleArn" in target
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {"PolicyDocument": {"Statement": [Match.object_like({"Action": "codepipeline:StartPipelineExecution"})]}},
    )
    # Prod lives in another account: this account's bus lets it put release events, nothing else.
    ((_, policy),) = built.template.find_resources("AWS::Events::EventBusPolicy").items()
    statement = policy["Properties"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Condition"] == {"StringEquals": {"events:source": ["sagemaker-platform.release"]}}


def test_a_stage_in_another_account_forwards_its_releases_to_the_pipeline_account(built: DeliveryApp) -> None:
    prod_training = Template.from_stack(built.stages[1].training)
    prod_training.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {"source": ["sagemaker-platform.release"], "detail-type": ["Model Release Recorded"]},
            "Targets": [Match.object_like({"Arn": f"arn:aws:events:eu-west-1:{PIPELINE_ACCOUNT}:event-bus/default"})],
        },
    )
    dev_training = Template.from_stack(built.stages[0].training)
    assert not [lid for lid in dev_training.find_resources("AWS::Events::Rule") if lid.startswith("ForwardReleases")], (
        "dev shares the pipeline's account and bus"
    )
