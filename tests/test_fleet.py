"""ModelFleet: 200 endpoints within CloudFormation's limits, stable placement, referees, bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnWaitConditionHandle, Stack, Stage
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from sagemaker_platform import (
    AccessLogsBucket,
    IsolatedNetwork,
    IsolatedNetworkProps,
    JobNetwork,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.fleet import (
    MAX_MEMBERS_PER_STACK,
    RESOURCES_PER_MEMBER,
    STACK_RESOURCE_BUDGET,
    FleetMember,
    ModelFleet,
    ModelFleetProps,
)
from sagemaker_platform.serving import (
    AlarmSettings,
    ContainerSpec,
    InferenceMode,
    ModelArtifact,
    ModelImage,
    RollingDeployment,
)
from tests.harness import S3_PREFIX_LIST, make_app, run, run_checkov, synth_with_packs, venv_tool, violations

DIGEST = "sha256:" + "a" * 64
MAX_TEMPLATE_BYTES = 1_000_000  # CloudFormation: 1 MB per template body (TemplateURL), nested stacks included


@dataclass
class Shared:
    """What a fleet takes from the foundation."""

    keys: PlatformKeys
    bucket: s3.IBucket
    network: IsolatedNetwork
    topic: sns.ITopic


def shared_in(stack: Stack) -> Shared:
    keys = PlatformKeys(stack, "Keys")
    logs = AccessLogsBucket(stack, "AccessLogs")
    bucket = SecureBucket(
        stack, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=logs.bucket)
    ).bucket
    network = IsolatedNetwork(
        stack,
        "Network",
        IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs, interface_endpoints=["sts"]),
    )
    topic = NotificationTopic(stack, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
    return Shared(keys=keys, bucket=bucket, network=network, topic=topic)


def props(shared: Shared, members: list[FleetMember | None], **kwargs: Any) -> ModelFleetProps:
    return ModelFleetProps(
        members=members, network=shared.network, model_key=shared.keys.models, alarm_topic=shared.topic, **kwargs
    )


def member(name: str, image: ModelImage, bucket: s3.IBucket, **kwargs: Any) -> FleetMember:
    return FleetMember(
        name=name, image=image, model_data=ModelArtifact(bucket=bucket, key=f"models/{name}/model.tar.gz"), **kwargs
    )


def templates(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every template of an assembly (stages and nested stacks included) by file name."""
    return {p.name: json.loads(p.read_text()) for p in sorted(outdir.rglob("*.template.json"))}


# --- 200 endpoints, shared inputs in a sibling stack ---------------------------------------------


@dataclass
class BigFleet:
    outdir: Path
    fleet: ModelFleet
    error: str | None


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> BigFleet:
    outdir = tmp_path_factory.mktemp("fleet200") / "cdk.out"
    app = make_app(outdir)
    stage = Stage(app, "Dev")
    shared = shared_in(Stack(stage, "Foundation"))
    stack = Stack(stage, "Fleet")
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    members: list[FleetMember | None] = [member(f"model-{i:03d}", image, shared.bucket) for i in range(200)]
    fleet = ModelFleet(stack, "Fleet", props(shared, members))
    error = synth_with_packs(app)
    return BigFleet(outdir=outdir, fleet=fleet, error=error)


@pytest.mark.slow
def test_200_endpoints_synthesize_with_every_stack_within_limits(big: BigFleet) -> None:
    assert big.error is None, big.error
    found = templates(big.outdir)
    counts = {name: len(t["Resources"]) for name, t in found.items()}
    nested = sorted(n for n in counts if n.endswith(".nested.template.json"))
    # 30 members per stack x 10 resources: six full shards and one of 20 members.
    assert [counts[n] for n in nested] == [300] * 6 + [200], counts
    assert all(c < 500 for c in counts.values()), counts
    sizes = {p.name: p.stat().st_size for p in big.outdir.rglob("*.template.json")}
    assert all(size < MAX_TEMPLATE_BYTES // 2 for size in sizes.values()), sizes
    endpoints = [
        r["Properties"]["EndpointName"]
        for t in found.values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::SageMaker::Endpoint"
    ]
    assert sorted(endpoints) == [f"model-{i:03d}" for i in range(200)]
    parent = next(t for n, t in found.items() if n.startswith("DevFleet") and "nested" not in n)
    assert {r["Type"] for r in parent["Resources"].values()} == {"AWS::CloudFormation::Stack"}


@pytest.mark.slow
def test_200_endpoints_reference_the_foundation_without_per_member_outputs(big: BigFleet) -> None:
    foundation = next(t for n, t in templates(big.outdir).items() if n.startswith("DevFoundation"))
    # One output per shared value (key, bucket, subnets, security group, topic, VPC), not per member.
    assert len(foundation.get("Outputs", {})) <= 12, sorted(foundation["Outputs"])


@pytest.mark.slow
def test_200_endpoints_are_nag_clean(big: BigFleet) -> None:
    report = json.loads((big.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report)[:20])


@pytest.mark.slow
def test_members_fill_stacks_in_order(big: BigFleet) -> None:
    assert sorted(big.fleet.stacks) == list(range(7))
    assert big.fleet.stack_of("model-000") is big.fleet.stacks[0]
    assert big.fleet.stack_of("model-029") is big.fleet.stacks[0]
    assert big.fleet.stack_of("model-030") is big.fleet.stacks[1]
    assert big.fleet.stack_of("model-199") is big.fleet.stacks[6]


# --- a small fleet with shared inputs in the parent stack: every referee ------------------------


@dataclass
class SmallFleet:
    outdir: Path
    stack: Stack
    fleet: ModelFleet
    shared_role_fleet: ModelFleet
    error: str | None

    def template(self, name: str) -> Template:
        return Template.from_stack(self.fleet.stack_of(name))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallFleet:
    outdir = tmp_path_factory.mktemp("fleet") / "cdk.out"
    app = make_app(outdir)
    stack = Stack(app, "Serving")
    shared = shared_in(stack)
    ecr_image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    pipeline = [
        ContainerSpec(image=ModelImage.from_builtin("sklearn:1.2-1")),
        ContainerSpec(
            image=ecr_image, model_data=ModelArtifact(bucket=shared.bucket, key="models/pipeline/model.tar.gz")
        ),
    ]
    members: list[FleetMember | None] = [
        member(
            "churn",
            ecr_image,
            shared.bucket,
            instance_type="ml.c5.xlarge",
            min_capacity=2,
            initial_instance_count=2,
            max_capacity=6,
            invocations_per_instance=500,
        ),
        member("fraud", ecr_image, shared.bucket, rollback_latency_us=None, deployment=RollingDeployment()),
        None,  # a retired member keeps its slot
        FleetMember(name="pipeline", containers=pipeline),
        member("quiet", ecr_image, shared.bucket, rollback_5xx=None, rollback_latency_us=None, deployment=None),
    ]
    fleet = ModelFleet(stack, "Fleet", props(shared, members, members_per_stack=2))
    role = SageMakerExecutionRole(
        stack,
        "FleetRole",
        SageMakerExecutionRoleProps(description="Shared role of the small fleet", keys=(shared.keys.models,)),
    )
    shared_role_fleet = ModelFleet(
        stack, "SharedRoleFleet", props(shared, [member("shared-a", ecr_image, shared.bucket)], role=role)
    )
    error = synth_with_packs(app)
    return SmallFleet(outdir=outdir, stack=stack, fleet=fleet, shared_role_fleet=shared_role_fleet, error=error)


def test_small_fleet_is_nag_clean(small: SmallFleet) -> None:
    report = json.loads((small.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    assert small.error is None, small.error


@pytest.mark.slow
def test_small_fleet_is_cfn_lint_clean(small: SmallFleet) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    paths = sorted(str(p) for p in small.outdir.glob("*.template.json"))
    assert len(paths) == 1 + 4  # the parent and the nested stacks of both fleets
    result = run([cfn_lint, "--format", "parseable", *paths])
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_small_fleet_is_checkov_clean(small: SmallFleet) -> None:
    args = [a for p in sorted(small.outdir.glob("*.template.json")) for a in ("-f", str(p))]
    failed, passed = run_checkov(*args)
    assert not failed, failed
    assert passed > 50


def test_retired_slot_keeps_later_members_in_place(small: SmallFleet) -> None:
    fleet = small.fleet
    assert sorted(fleet.stacks) == [0, 1, 2]
    assert fleet.stack_of("churn") is fleet.stack_of("fraud") is fleet.stacks[0]
    assert fleet.stack_of("pipeline") is fleet.stacks[1]
    assert fleet.stack_of("quiet") is fleet.stacks[2]
    assert sorted(fleet.endpoints) == ["churn", "fraud", "pipeline", "quiet"]
    Template.from_stack(fleet.stacks[1]).resource_count_is("AWS::SageMaker::Endpoint", 1)


def test_endpoint_is_named_guarded_and_encrypted(small: SmallFleet) -> None:
    t = small.template("churn")
    t.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "EndpointName": "churn",
            "RetainAllVariantProperties": True,
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": Match.object_like(
                    {"TrafficRoutingConfiguration": Match.object_like({"Type": "CANARY"})}
                ),
                "AutoRollbackConfiguration": {
                    "Alarms": [
                        {"AlarmName": {"Ref": Match.string_like_regexp("^churnEndpointAllTraffic5xxAlarm")}},
                        {"AlarmName": {"Ref": Match.string_like_regexp("^churnEndpointAllTrafficLatencyAlarm")}},
                    ]
                },
            },
        },
    )
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": Match.any_value(),
            "ProductionVariants": [
                Match.object_like(
                    {"VariantName": "AllTraffic", "InstanceType": "ml.c5.xlarge", "InitialInstanceCount": 2}
                )
            ],
        },
    )
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "EnableNetworkIsolation": True,
            "VpcConfig": {"Subnets": Match.any_value(), "SecurityGroupIds": Match.any_value()},
        },
    )


def test_autoscaling_tracks_invocations_within_bounds(small: SmallFleet) -> None:
    t = small.template("churn")
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": 2,
            "MaxCapacity": 6,
            "ResourceId": "endpoint/churn/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 500,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                }
            )
        },
    )


def test_every_alarm_notifies_the_parent_topic_through_a_parameter(small: SmallFleet) -> None:
    t = small.template("churn")
    alarms = t.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3  # churn's two, fraud's 5xx alarm (its latency alarm is off)
    for alarm in alarms.values():
        (action,) = alarm["Properties"]["AlarmActions"]
        assert action == alarm["Properties"]["OKActions"][0]
        assert list(action) == ["Ref"] and action["Ref"] in t.to_json()["Parameters"]


def test_alarms_and_deployment_follow_the_member(small: SmallFleet) -> None:
    fraud = small.template("fraud")
    fraud.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "EndpointName": "fraud",
            "DeploymentConfig": {
                "RollingUpdatePolicy": Match.any_value(),
                "AutoRollbackConfiguration": Match.any_value(),
            },
        },
    )
    quiet = small.template("quiet")
    quiet.resource_count_is("AWS::CloudWatch::Alarm", 0)
    quiet.has_resource_properties(
        "AWS::SageMaker::Endpoint", {"EndpointName": "quiet", "DeploymentConfig": Match.absent()}
    )


def test_container_specs_make_a_serial_pipeline(small: SmallFleet) -> None:
    small.template("pipeline").has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "Containers": Match.array_with([Match.object_like({"ModelDataUrl": Match.any_value()})]),
            "InferenceExecutionConfig": {"Mode": InferenceMode.SERIAL.value},
        },
    )


def test_shared_role_replaces_per_model_roles(small: SmallFleet) -> None:
    t = Template.from_stack(small.shared_role_fleet.stack_of("shared-a"))
    t.resource_count_is("AWS::SageMaker::Model", 1)
    t.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    # Only the scalable target's role remains in the nested stack.
    t.resource_count_is("AWS::IAM::Role", 1)
    t.has_resource_properties(
        "AWS::SageMaker::Model", {"ExecutionRoleArn": {"Ref": Match.string_like_regexp("FleetRole")}}
    )


def test_resources_per_member_is_the_measured_worst_case(small: SmallFleet) -> None:
    t = small.template("quiet").to_json()
    # The quiet member has no alarms: the worst case adds its two.
    assert len(t["Resources"]) + 2 == RESOURCES_PER_MEMBER
    assert MAX_MEMBERS_PER_STACK * RESOURCES_PER_MEMBER <= STACK_RESOURCE_BUDGET < 500


# --- placement is stable when members are appended or retired ------------------------------------


def _fleet_app(names: list[str | None]) -> tuple[App, ModelFleet]:
    app = make_app()
    stack = Stack(app, "Serving")
    shared = shared_in(stack)
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    members: list[FleetMember | None] = [None if n is None else member(n, image, shared.bucket) for n in names]
    return app, ModelFleet(stack, "Fleet", props(shared, members, members_per_stack=2))


def _placement(fleet: ModelFleet) -> dict[str, tuple[str, list[str]]]:
    """Member name -> (nested stack resource's logical ID in the parent, logical IDs in its nested stack)."""
    out = {}
    for name in fleet.endpoints:
        nested = fleet.stack_of(name)
        resource = nested.nested_stack_resource
        assert resource is not None
        parent_id = Stack.of(resource).resolve(resource.logical_id)
        ids = sorted(
            lid for lid in Template.from_stack(nested).to_json()["Resources"] if lid.startswith(name.replace("-", ""))
        )
        out[name] = (parent_id, ids)
    return out


def test_appending_and_retiring_members_moves_and_renames_nothing() -> None:
    _, before = _fleet_app(["m-0", "m-1", "m-2", "m-3", "m-4"])
    _, after = _fleet_app(["m-0", None, "m-2", "m-3", "m-4", "m-5"])
    old, new = _placement(before), _placement(after)
    assert set(new) == {"m-0", "m-2", "m-3", "m-4", "m-5"}
    for name in ("m-0", "m-2", "m-3", "m-4"):
        assert new[name] == old[name], name
        assert len(new[name][1]) == RESOURCES_PER_MEMBER
    assert new["m-5"][0] == new["m-4"][0], "the appended member joins the last stack with room"
    # The stack of m-2 and m-3 did not change at all.
    assert Template.from_stack(before.stacks[1]).to_json() == Template.from_stack(after.stacks[1]).to_json()


# --- bad input ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs() -> tuple[Shared, ModelImage, s3.IBucket]:
    stack = Stack(make_app(), "Inputs")
    shared = shared_in(stack)
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    return shared, image, shared.bucket


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"name": "bad_name"},
            r"FleetMember\('bad_name'\) is invalid:\n  - name: got 'bad_name'; allowed: 1-63 letters",
        ),
        ({"name": "-lead"}, r"name: got '-lead'; allowed: 1-63 letters"),
        ({"name": "x" * 64}, r"name: got 'x{64}'; allowed: 1-63"),
        ({"instance_type": "ml.t3.medium"}, r"instance_type: got 'ml.t3.medium'; allowed: a non-burstable"),
        ({"instance_type": "m5.large"}, r"instance_type: got 'm5.large'"),
        ({"min_capacity": 0}, r"min_capacity: got 0; allowed: an integer >= 1"),
        (
            {"max_capacity": 1, "initial_instance_count": 2},
            r"min_capacity <= initial_instance_count <= max_capacity: got \(1, 2, 1\)",
        ),
        ({"min_capacity": 3, "max_capacity": 2}, r"got \(3, 1, 2\); allowed: min <= initial <= max"),
        ({"invocations_per_instance": 0}, r"invocations_per_instance: got 0; allowed: a number > 0"),
        ({"image": None}, r"image/containers: got 'neither'; allowed: exactly one of image"),
        ({"containers": "SELF"}, r"image/containers: got 'both'"),
    ],
)
def test_fails_fleet_member(
    inputs: tuple[Shared, ModelImage, s3.IBucket], kwargs: dict[str, Any], message: str
) -> None:
    _, image, _ = inputs
    args: dict[str, Any] = {"name": "ok", "image": image, **kwargs}
    if args.get("containers") == "SELF":
        args["containers"] = [ContainerSpec(image=image)]
    with pytest.raises(ValueError, match=message):
        FleetMember(**args)


def test_fails_model_data_without_image(inputs: tuple[Shared, ModelImage, s3.IBucket]) -> None:
    _, image, bucket = inputs
    with pytest.raises(ValueError, match=r"FleetMember\('m'\).*\n.*model_data: got 'set'; allowed: None unless image"):
        FleetMember(
            name="m", containers=[ContainerSpec(image=image)], model_data=ModelArtifact(bucket=bucket, key="m.tar.gz")
        )


def test_fails_fleet_props(inputs: tuple[Shared, ModelImage, s3.IBucket]) -> None:
    shared, image, bucket = inputs
    a = member("churn", image, bucket)
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"members": []},
            r"ModelFleetProps is invalid:\n  - members: got '0 members'; allowed: at least one FleetMember",
        ),
        ({"members": [None, None]}, r"members: got '0 members'"),
        (
            {"members": [a, member("fraud", image, bucket), member("Churn", image, bucket)]},
            r"members\[2\]\.name: got 'Churn'; allowed: a name unique in the fleet, ignoring case \(members\[0\] is 'churn'\)",
        ),
        ({"members": [a, "fraud"]}, r"members\[1\]: got 'fraud'; allowed: a FleetMember, or None"),
        ({"members": [a], "members_per_stack": 0}, r"members_per_stack: got 0; allowed: an integer from 1 to 40"),
        ({"members": [a], "members_per_stack": 41}, r"members_per_stack: got 41; allowed: an integer from 1 to 40"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            ModelFleetProps(network=shared.network, model_key=shared.keys.models, alarm_topic=shared.topic, **kwargs)


def test_fails_naming_the_member_when_a_construct_rejects_it() -> None:
    app = make_app()
    stack = Stack(app, "Serving")
    shared = shared_in(stack)
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    bad = member(
        "slow",
        image,
        shared.bucket,
        rollback_5xx=AlarmSettings(threshold=1, evaluation_periods=1, datapoints_to_alarm=2),
    )
    with pytest.raises(
        ValueError,
        match=r"ModelFleet Fleet: members\[1\] \('slow'\): AlarmSettings for alarm 'AllTraffic5xxAlarm' is invalid:\n"
        r"  - datapoints_to_alarm: got 2; allowed: at most evaluation_periods \(1\)",
    ):
        ModelFleet(stack, "Fleet", props(shared, [member("fine", image, shared.bucket), bad]))


def test_fails_synth_when_a_stack_outgrows_the_budget() -> None:
    app = make_app()
    stack = Stack(app, "Serving")
    shared = shared_in(stack)
    image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), DIGEST)
    fleet = ModelFleet(stack, "Fleet", props(shared, [member("m", image, shared.bucket)], members_per_stack=1))
    for i in range(STACK_RESOURCE_BUDGET - RESOURCES_PER_MEMBER + 1):
        CfnWaitConditionHandle(fleet.stacks[0], f"Extra{i}")
    with pytest.raises(RuntimeError, match=r"ModelFleet Fleet: Shard0 holds 401 resources; allowed: at most 400"):
        app.synth()


def test_fails_stack_of_unknown_member(small: SmallFleet) -> None:
    with pytest.raises(ValueError, match=r"ModelFleet Fleet: name: got 'nope'; allowed: one of \['churn', 'fraud'"):
        small.fleet.stack_of("nope")


def test_fails_a_fleet_network_without_its_vpc(inputs: tuple[Shared, ModelImage, s3.IBucket]) -> None:
    shared, image, bucket = inputs
    common: dict[str, Any] = {"members": [member("churn", image, bucket)], "model_key": shared.keys.models}
    bare = JobNetwork(subnet_ids=["subnet-0aaa1111"], security_group_ids=["sg-0aaa1111"])
    with pytest.raises(
        ValueError,
        match=r"network.vpc: got None; allowed: the subnets' VPC \(JobNetwork.from_vpc sets it\): each model's role "
        r"may create network interfaces in that VPC only",
    ):
        ModelFleetProps(network=bare, alarm_topic=shared.topic, **common)
    ModelFleetProps(network=JobNetwork.of(shared.network), alarm_topic=shared.topic, **common)
