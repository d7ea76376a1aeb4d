"""Model releases: the release parameter and its state machine, and models that serve a release (or the seed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from sagemaker_platform import (
    AccessLogsBucket,
    ContainerSpec,
    Endpoint,
    EndpointProps,
    IsolatedNetwork,
    IsolatedNetworkProps,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    ModelRelease,
    ModelReleaseProps,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
    VariantSpec,
    add_nag_packs,
)
from tests.harness import REPO, S3_PREFIX_LIST, make_app, violations
from tests.pipeline_apps import RELEASE_PARAMETER, PipelineApp

SEED = REPO / "stacks" / "seed" / "model.tar.gz"
IMAGE_DIGEST = "sha256:" + "d" * 64


@pytest.fixture(scope="module")
def released(pipeline_app: Callable[[str], PipelineApp]) -> PipelineApp:
    return pipeline_app("release")


def _resource(template: dict[str, Any], kind: str, prefix: str) -> dict[str, Any]:
    (found,) = [r for lid, r in template["Resources"].items() if r["Type"] == kind and lid.startswith(prefix)]
    return found


# --- the release: parameter, rule, state machine ------------------------------------------------


def test_the_parameter_starts_at_seed_and_is_retained(released: PipelineApp) -> None:
    parameter = _resource(released.template, "AWS::SSM::Parameter", "ReleaseParameter")
    assert parameter["Properties"]["Name"] == RELEASE_PARAMETER
    assert parameter["Properties"]["Value"] == "seed" and parameter["Properties"]["Type"] == "String"
    assert parameter["DeletionPolicy"] == parameter["UpdateReplacePolicy"] == "Retain"


def test_an_approved_complete_version_of_the_group_starts_the_release(released: PipelineApp) -> None:
    rule = _resource(released.template, "AWS::Events::Rule", "ReleaseOnApproval")["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": ["churn-models"],
            "ModelApprovalStatus": ["Approved"],
            "ModelPackageStatus": ["Completed"],
        },
    }
    assert rule["Targets"][0]["Arn"] == {"Ref": released.release_definition_id}


def test_the_release_records_then_announces_with_retries_and_a_notice(released: PipelineApp) -> None:
    definitions = dict(_definitions(released))
    states = definitions[released.release_definition_id]["States"]
    assert states["Record"]["Resource"].endswith(":states:::aws-sdk:ssm:putParameter")
    assert states["Record"]["Parameters"] == {
        "Name": RELEASE_PARAMETER,
        "Value.$": "$.detail.ModelPackageArn",
        "Type": "String",
        "Overwrite": True,
    }
    assert states["Record"]["Next"] == "Announce" and states["Announce"]["Next"] == "Released"
    (entry,) = states["Announce"]["Parameters"]["Entries"]
    assert (entry["Source"], entry["DetailType"]) == ("sagemaker-platform.release", "Model Release Recorded")
    for name in ("Record", "Announce", "NotifyFailure"):
        assert states[name]["Retry"][0]["ErrorEquals"] == ["States.ALL"], name
    assert states["Record"]["Catch"][0]["Next"] == "NotifyFailure"
    assert states["NotifyFailure"]["Catch"][0]["Next"] == "Failed"


def _definitions(app: PipelineApp) -> list[tuple[str, dict[str, Any]]]:
    from sagemaker_platform.compliance import state_machine_definitions

    return list(state_machine_definitions(app.template))


def test_the_release_may_write_its_parameter_and_put_its_event_only(released: PipelineApp) -> None:
    policy = _resource(released.template, "AWS::IAM::ManagedPolicy", "ReleasePolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    parameter = released.logical_id(released.release.parameter) if released.release else "?"
    assert by_action['"ssm:PutParameter"']["Fn::Join"][1][-2:] == [":parameter", {"Ref": parameter}], "this one only"
    assert "event-bus/default" in json.dumps(by_action['"events:PutEvents"'])
    assert not released.template["Resources"].get("AWS::IAM::Policy"), "managed policies only"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parameter_name": "no-leading-slash"}, r"parameter_name: got 'no-leading-slash'; allowed: an SSM parameter"),
        ({"parameter_name": "/aws/reserved"}, r"parameter_name: got '/aws/reserved'"),
        ({"parameter_name": "/a/b c"}, r"parameter_name: got '/a/b c'"),
        ({"artifacts_prefix": "s3://bucket/models/"}, r"artifacts_prefix: got 's3://bucket/models/'.*bucket apart"),
        ({"delivery_event_bus_arn": "default"}, r"delivery_event_bus_arn: got 'default'; allowed: an event bus ARN"),
        ({"model_package_group_name": "bad_name"}, r"model_package_group_name: got 'bad_name'"),
    ],
    ids=["relative-name", "reserved-prefix", "space", "s3-uri-prefix", "bus-name", "group-name"],
)
def test_fails_release_props(released: PipelineApp, kwargs: dict[str, Any], message: str) -> None:
    assert released.release is not None
    with pytest.raises(ValueError, match=message):
        replace(released.release.props, **kwargs)


def test_valid_release_props_pass(released: PipelineApp) -> None:
    assert released.release is not None
    bus = "arn:aws:events:eu-west-1:111111111111:event-bus/default"
    for name in ("/sagemaker-platform/dev/churn/challenger", "/Team.A/model_1/v-2"):
        replace(released.release.props, parameter_name=name, delivery_event_bus_arn=bus)


# --- a model serving a release --------------------------------------------------------------------


class ServingApp:
    """A registry stack with a release (no approval rule) and a serving stack whose model serves it."""

    def __init__(self, outdir: Path) -> None:
        self.app = make_app(outdir)
        registry = self.registry = Stack(self.app, "Registry")
        keys = PlatformKeys(registry, "Keys")
        logs_bucket = AccessLogsBucket(registry, "Logs").bucket
        self.models = SecureBucket(
            registry, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=logs_bucket)
        ).bucket
        self.network = IsolatedNetwork(
            registry, "Net", IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs)
        )
        topic = NotificationTopic(registry, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
        self.release = ModelRelease(
            registry,
            "ChampionRelease",
            ModelReleaseProps(
                model_package_group_name="churn-models",
                parameter_name="/test/churn/champion",
                artifacts_bucket=self.models,
                artifacts_prefix="pipeline/models/",
                topic=topic,
                log_key=keys.logs,
                release_on_approval=False,
            ),
        )
        serving = self.serving = Stack(self.app, "Serving")
        from aws_cdk import aws_ecr as ecr

        image = ModelImage.from_ecr_repository(
            ecr.Repository.from_repository_name(serving, "Repo", "inference"), IMAGE_DIGEST
        )
        seed = ModelArtifact.from_asset(serving, "Seed", str(SEED))
        self.model = Model(
            serving,
            "Champion",
            ModelProps(
                containers=[ContainerSpec(image=image, model_data=seed, release=self.release.source)],
                network=self.network,
                model_key=keys.models,
            ),
        )
        Endpoint(
            serving,
            "Endpoint",
            EndpointProps(
                production_variants=[VariantSpec(variant_name="champion", model=self.model)],
                alarm_topic=topic,
                volume_key=keys.models,
            ),
        )
        add_nag_packs(self.app)
        self.app.synth()
        self.outdir = outdir
        self.template = Template.from_stack(serving)


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> ServingApp:
    return ServingApp(tmp_path_factory.mktemp("release-serving") / "cdk.out")


def test_the_model_resolves_the_release_at_deploy_and_serves_the_seed_until_then(serving: ServingApp) -> None:
    template = serving.template.to_json()
    parameter = template["Parameters"]["ReleaseTestChurnChampion"]
    assert parameter == {
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": "/test/churn/champion",
        "Description": "The model package released in /test/churn/champion ('seed' before a first one)",
    }
    assert template["Conditions"]["ReleaseTestChurnChampionIsSeed"] == {
        "Fn::Equals": [{"Ref": "ReleaseTestChurnChampion"}, "seed"]
    }
    model = _resource(template, "AWS::SageMaker::Model", "Champion")["Properties"]
    condition, seed, released = model["PrimaryContainer"]["Fn::If"]
    assert condition == "ReleaseTestChurnChampionIsSeed"
    assert seed["Mode"] == "SingleModel" and seed["Image"] and "ModelDataUrl" in seed
    assert released == {"ModelPackageName": {"Ref": "ReleaseTestChurnChampion"}}
    assert model["EnableNetworkIsolation"] is True and model["VpcConfig"]["Subnets"]


def test_the_serving_stack_deploys_after_the_stack_that_creates_the_release(serving: ServingApp) -> None:
    assert serving.registry in serving.serving.dependencies


def test_the_model_role_reads_the_seed_object_alone_and_the_released_artifacts(serving: ServingApp) -> None:
    (policy,) = serving.template.find_resources("AWS::IAM::ManagedPolicy").values()
    reads = [
        json.dumps(resource)
        for s in policy["Properties"]["PolicyDocument"]["Statement"] if "s3:GetObject" in s["Action"]
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]  # fmt: skip
    (seed,) = [r for r in reads if "assets-" in r]
    assert seed.endswith('.gz"]]}'), f"the seed asset object alone, never the bootstrap bucket: {seed}"
    assert any("/pipeline/models/*" in r for r in reads), reads


def test_the_serving_stack_is_nag_clean(serving: ServingApp) -> None:
    report = json.loads((serving.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))


def test_fails_a_release_served_from_the_stack_that_creates_it(tmp_path: Path) -> None:
    app = make_app(tmp_path / "cdk.out")
    stack = Stack(app, "One")
    keys = PlatformKeys(stack, "Keys")
    bucket = SecureBucket(
        stack,
        "M",
        SecureBucketProps(encryption_key=keys.models, access_logs_bucket=AccessLogsBucket(stack, "L").bucket),
    ).bucket
    topic = NotificationTopic(stack, "T", NotificationTopicProps(encryption_key=keys.notifications)).topic
    release = ModelRelease(
        stack,
        "R",
        ModelReleaseProps(
            model_package_group_name="g", parameter_name="/p/q", artifacts_bucket=bucket, artifacts_prefix="m/",
            topic=topic, log_key=keys.logs, release_on_approval=False,
        ),
    )  # fmt: skip
    from aws_cdk import aws_ecr as ecr

    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "i"), IMAGE_DIGEST)
    network = IsolatedNetwork(
        stack, "Net", IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs)
    )
    seed = ModelArtifact.from_asset(stack, "Seed", str(SEED))
    with pytest.raises(ValueError, match=r"release: got '/p/q' created in this model's own stack One; allowed: a"):
        Model(
            stack,
            "M2",
            ModelProps(
                containers=[ContainerSpec(image=image, model_data=seed, release=release.source)],
                network=network,
                model_key=keys.models,
            ),
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_data": None}, r"release: got '/test/churn/champion'; allowed: a single-model container whose image"),
        ({"multi_model": True}, r"release: .*allowed: a single-model container"),
    ],
    ids=["no-seed", "multi-model"],
)
def test_fails_a_release_without_a_seed(serving: ServingApp, kwargs: dict[str, Any], message: str) -> None:
    spec = serving.model.props.containers[0]
    with pytest.raises(ValueError, match=message):
        replace(spec, **kwargs)


@pytest.mark.parametrize("path", ["stacks/seed/xgboost-model.json", "stacks/seed/missing.tar.gz"])
def test_fails_model_artifact_from_asset_that_is_not_a_model_tar_gz(tmp_path: Path, path: str) -> None:
    stack = Stack(make_app(tmp_path / "cdk.out"), "S")
    with pytest.raises(ValueError, match=r"ModelArtifact.from_asset: path: got .*; allowed: an existing model.tar.gz"):
        ModelArtifact.from_asset(stack, "A", str(REPO / path))
