"""Bring your own network: IsolatedNetwork over an imported VPC, and JobNetwork for a VPC the platform does not own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_platform import (
    AccessLogsBucket,
    ContainerSpec,
    Endpoint,
    EndpointProps,
    IsolatedNetwork,
    IsolatedNetworkProps,
    JobNetwork,
    KeyPurpose,
    ManagedPolicyGrantee,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    PlatformKeysProps,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
    VariantSpec,
    availability_zones_context,
)
from tests.harness import make_app, synth_with_packs, violations

VPC_ID = "vpc-0123456789abcdef0"
AZS = ["eu-west-1a", "eu-west-1b"]
ISOLATED = ["subnet-0aaa1111", "subnet-0bbb2222"]
ROUTES = ["rtb-0aaa1111", "rtb-0bbb2222"]


def _imported(stack: Stack, *, routes: bool = True, **subnets: Any) -> ec2.IVpc:
    kinds = subnets or {"isolated_subnet_ids": ISOLATED}
    if routes and "isolated_subnet_ids" in kinds:
        kinds["isolated_subnet_route_table_ids"] = ROUTES
    return ec2.Vpc.from_vpc_attributes(stack, "Existing", vpc_id=VPC_ID, availability_zones=AZS, **kinds)


def _network(stack: Stack, vpc: ec2.IVpc, **props: Any) -> IsolatedNetwork:
    if props.get("flow_logs", True):
        props.setdefault(
            "flow_logs_key", PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,))).logs
        )
    return IsolatedNetwork(stack, "Network", IsolatedNetworkProps(vpc=vpc, interface_endpoints=["sts"], **props))


def _group(stack: Stack, name: str, group_id: str) -> ec2.ISecurityGroup:
    return ec2.SecurityGroup.from_security_group_id(stack, name, group_id, mutable=False)


# --- IsolatedNetwork over an imported VPC ------------------------------------------------------------


def test_an_imported_vpc_gets_every_addition_by_default() -> None:
    stack = Stack(make_app(), "S")
    network = _network(stack, _imported(stack))
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::EC2::VPC", 0)
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"VpcEndpointType": "Gateway", "VpcId": VPC_ID, "RouteTableIds": ROUTES},
    )
    t.resource_count_is("AWS::EC2::FlowLog", 1)
    t.resource_count_is("AWS::EC2::SecurityGroup", 2)
    assert JobNetwork.of(network).subnet_ids == ISOLATED
    assert JobNetwork.of(network).self_referencing


def test_fails_an_imported_vpc_without_route_tables_naming_them_and_the_way_out() -> None:
    stack = Stack(make_app(), "S")
    with pytest.raises(
        ValueError,
        match=r"vpc: got 'isolated subnets without route table IDs \(subnet-0aaa1111, subnet-0bbb2222\)'; allowed: "
        r"route tables for the S3 gateway endpoint \(ec2.Vpc.from_vpc_attributes\(..., isolated_subnet_route_table_ids"
        r"=\[...\]\)\), or s3_gateway_endpoint=False",
    ):
        _network(stack, _imported(stack, routes=False))


def test_an_existing_s3_endpoint_is_left_alone_and_synth_says_what_its_policy_needs() -> None:
    stack = Stack(make_app(), "S", env={"account": "111111111111", "region": "eu-west-1"})
    network = _network(
        stack, _imported(stack, routes=False), s3_gateway_endpoint=False, s3_prefix_list_id="pl-6da54004"
    )
    logs = AccessLogsBucket(stack, "Logs")
    data = SecureBucket(
        stack,
        "Data",
        SecureBucketProps(encryption_key=PlatformKeys(stack, "More").data, access_logs_bucket=logs.bucket),
    )
    network.allow_bucket(data.bucket)
    t = Template.from_stack(stack)
    t.resource_properties_count_is("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"}, 0)
    assert network.s3_endpoint is None
    Annotations.from_stack(stack).has_warning(
        "/S/Network",
        Match.string_like_regexp(
            r"no S3 gateway endpoint of its own .* must allow the platform's buckets and ECR's layer bucket "
            r"\(arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/\*\)"
        ),
    )
    Annotations.from_stack(stack).has_info("/S/Network", Match.string_like_regexp(r"allow S/Data/Resource in the VPC"))


def test_fails_an_imported_vpc_without_isolated_subnets_pointing_at_job_network() -> None:
    stack = Stack(make_app(), "S")
    vpc = _imported(stack, private_subnet_ids=ISOLATED)
    with pytest.raises(
        ValueError, match=r"vpc: got 'vpc-0123456789abcdef0 without isolated subnets'.*JobNetwork.from_vpc"
    ):
        _network(stack, vpc)


def test_flow_logs_may_be_left_to_the_vpc_owner() -> None:
    stack = Stack(make_app(), "S")
    network = _network(stack, _imported(stack), flow_logs=False)
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::EC2::FlowLog", 0)
    t.resource_count_is("AWS::Logs::LogGroup", 0)
    assert network.flow_log_group is None


def test_existing_security_groups_are_used_and_never_changed() -> None:
    stack = Stack(make_app(), "S", env={"account": "111111111111", "region": "eu-west-1"})
    jobs, endpoints = _group(stack, "Jobs", "sg-0aaa1111"), _group(stack, "Endpoints", "sg-0bbb2222")
    network = _network(
        stack,
        _imported(stack),
        jobs_security_group=jobs,
        endpoints_security_group=endpoints,
        jobs_security_group_self_referencing=True,
    )
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::EC2::SecurityGroup", 0)
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "SecurityGroupIds": ["sg-0bbb2222"]}
    )
    placement = JobNetwork.of(network)
    assert (placement.security_group_ids, placement.self_referencing) == (["sg-0aaa1111"], True)


def test_an_existing_endpoints_group_with_the_networks_own_jobs_group() -> None:
    stack = Stack(make_app(), "S")
    network = _network(stack, _imported(stack), endpoints_security_group=_group(stack, "E", "sg-0bbb2222"))
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::EC2::SecurityGroup", 1)
    # The network's own jobs group may reach the endpoints; nothing is added to the existing group.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress", {"DestinationSecurityGroupId": "sg-0bbb2222", "FromPort": 443}
    )
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1)  # the jobs group's own self-reference
    assert JobNetwork.of(network).self_referencing


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"s3_gateway_endpoint": False},
            r"s3_gateway_endpoint: got False; allowed: True when the network creates its VPC",
        ),
        ({"flow_logs": False}, r"flow_logs: got False; allowed: True when the network creates its VPC"),
        (
            {"jobs_security_group": "sg"},
            r"jobs_security_group: got 'a security group'; allowed: None when the network creates its VPC",
        ),
        ({"endpoints_security_group": "sg"}, r"endpoints_security_group: got 'a security group'; allowed: None when"),
        ({"flow_logs_key": None}, r"flow_logs_key: got None; allowed: a KMS key for the flow-log group"),
        ({"vpc": "vpc", "flow_logs": False}, r"flow_logs_key: got 'a key'; allowed: None with flow_logs=False"),
        (
            {"vpc": "vpc", "jobs_security_group": "sg", "s3_prefix_list_id": "pl-6da54004"},
            r"s3_prefix_list_id: got 'pl-6da54004'; allowed: None with an existing jobs_security_group",
        ),
        (
            {"vpc": "vpc", "jobs_security_group": "sg", "allow_https_to_any_ipv4": True},
            r"allow_https_to_any_ipv4: got True; allowed: False with an existing jobs_security_group",
        ),
        (
            {"vpc": "vpc", "jobs_security_group_self_referencing": True},
            r"jobs_security_group_self_referencing: got True; allowed: False unless jobs_security_group",
        ),
    ],
)
def test_fails_optional_parts_out_of_place(props: dict[str, Any], message: str) -> None:
    stack = Stack(make_app(), "S")
    key = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,))).logs
    values: dict[str, Any] = {"flow_logs_key": key, **props}
    if values.get("vpc") == "vpc":
        values["vpc"] = _imported(stack)
    for name in ("jobs_security_group", "endpoints_security_group"):
        if values.get(name) == "sg":
            values[name] = _group(stack, name, "sg-0aaa1111")
    with pytest.raises(ValueError, match=message):
        IsolatedNetworkProps(**values)


# --- JobNetwork.from_vpc -------------------------------------------------------------------------------


def test_from_vpc_prefers_isolated_subnets_then_private_ones() -> None:
    stack = Stack(make_app(), "S")
    group = _group(stack, "G", "sg-0aaa1111")
    both = ec2.Vpc.from_vpc_attributes(
        stack, "Both", vpc_id=VPC_ID, availability_zones=AZS, isolated_subnet_ids=ISOLATED,
        private_subnet_ids=["subnet-0ccc3333", "subnet-0ddd4444"],
    )  # fmt: skip
    assert JobNetwork.from_vpc(both, security_groups=[group]).subnet_ids == ISOLATED
    private = ec2.Vpc.from_vpc_attributes(
        stack,
        "Private",
        vpc_id=VPC_ID,
        availability_zones=AZS,
        private_subnet_ids=["subnet-0ccc3333", "subnet-0ddd4444"],
    )
    placement = JobNetwork.from_vpc(private, security_groups=[group])
    assert placement.subnet_ids == ["subnet-0ccc3333", "subnet-0ddd4444"]
    assert (placement.security_group_ids, placement.self_referencing, placement.vpc) == (
        ["sg-0aaa1111"],
        False,
        private,
    )
    chosen = JobNetwork.from_vpc(
        both, security_groups=[group], subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    assert chosen.subnet_ids == ["subnet-0ccc3333", "subnet-0ddd4444"]


def test_fails_from_vpc_with_public_subnets_missing_subnets_or_no_groups() -> None:
    stack = Stack(make_app(), "S")
    group = _group(stack, "G", "sg-0aaa1111")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "V", vpc_id=VPC_ID, availability_zones=AZS, private_subnet_ids=["subnet-0ccc3333", "subnet-0ddd4444"],
        public_subnet_ids=["subnet-0eee5555", "subnet-0fff6666"],
    )  # fmt: skip
    public = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    with pytest.raises(ValueError, match=r"subnets: got 'subnet type PUBLIC'; allowed: private or isolated subnets"):
        JobNetwork.from_vpc(vpc, security_groups=[group], subnets=public)
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    with pytest.raises(
        ValueError,
        match=r"subnets: got 'subnet type PRIVATE_ISOLATED'; allowed: a selection of the VPC's private subnets .*no 'Isolated' subnet groups",
    ):
        JobNetwork.from_vpc(vpc, security_groups=[group], subnets=isolated)
    with pytest.raises(ValueError, match=r"security_groups: got \[\]; allowed: 1 to 5 security groups of the VPC"):
        JobNetwork.from_vpc(vpc, security_groups=[])


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"subnet_ids": ["vpc-0123"]}, r"subnet_ids: got 'vpc-0123'; allowed: subnet IDs such as 'subnet-0a1b2c3d'"),
        (
            {"security_group_ids": ["subnet-0123"]},
            r"security_group_ids: got 'subnet-0123'; allowed: security group IDs",
        ),
        ({"subnet_ids": []}, r"subnet_ids: got 0; allowed: 1 to 16 subnets"),
    ],
)
def test_fails_job_network_ids_that_are_not_what_they_say(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobNetwork(**{"subnet_ids": ["subnet-0aaa1111"], "security_group_ids": ["sg-0aaa1111"], **props})


# --- a model, an endpoint and a monitor-free serving stack in a VPC the platform does not own ---------


class ForeignVpc:
    """A platform team's serving stack in a VPC it imports: no IsolatedNetwork at all."""

    def __init__(self, outdir: Path) -> None:
        self.app = make_app(outdir)
        self.stack = s = Stack(self.app, "Foreign", env={"account": "111111111111", "region": "eu-west-1"})
        self.vpc = ec2.Vpc.from_vpc_attributes(
            s,
            "Vpc",
            vpc_id=VPC_ID,
            availability_zones=AZS,
            private_subnet_ids=["subnet-0ccc3333", "subnet-0ddd4444"],
            private_subnet_route_table_ids=ROUTES,
        )
        self.network = JobNetwork.from_vpc(self.vpc, security_groups=[_group(s, "Sg", "sg-0aaa1111")])
        keys = PlatformKeys(s, "Keys")
        logs = AccessLogsBucket(s, "Logs")
        bucket = SecureBucket(
            s, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=logs.bucket)
        )
        image = ModelImage.from_ecr_repository(
            ecr.Repository.from_repository_name(s, "Repo", "inference"), "sha256:" + "a" * 64
        )
        self.model = Model(
            s,
            "Model",
            ModelProps(
                containers=[
                    ContainerSpec(image=image, model_data=ModelArtifact(bucket=bucket.bucket, key="m/model.tar.gz"))
                ],
                network=self.network,
                model_key=keys.models,
            ),
        )
        topic = NotificationTopic(s, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
        self.endpoint = Endpoint(
            s,
            "Endpoint",
            EndpointProps(
                production_variants=[VariantSpec(variant_name="live", model=self.model)],
                alarm_topic=topic,
                volume_key=keys.models,
            ),
        )
        # A caller (a Lambda function's role) granted through a customer-managed policy, not inline.
        caller = iam.Role(s, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.endpoint.grant_invoke(ManagedPolicyGrantee.for_role(s, "CallerInvoke", caller))
        self.error = synth_with_packs(self.app)
        self.outdir = outdir
        self.template = Template.from_json(json.loads((outdir / "Foreign.template.json").read_text()))


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> ForeignVpc:
    return ForeignVpc(tmp_path_factory.mktemp("foreign"))


def test_a_model_runs_in_the_given_subnets_and_groups(foreign: ForeignVpc) -> None:
    foreign.template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "VpcConfig": {"Subnets": ["subnet-0ccc3333", "subnet-0ddd4444"], "SecurityGroupIds": ["sg-0aaa1111"]},
            "EnableNetworkIsolation": True,
        },
    )
    foreign.template.resource_count_is("AWS::EC2::SecurityGroup", 0)


def test_the_models_role_creates_interfaces_in_that_vpc_only(foreign: ForeignVpc) -> None:
    foreign.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission"],
                                "Condition": {
                                    "ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:eu-west-1:111111111111:vpc/{VPC_ID}"}
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_a_serving_stack_in_a_foreign_vpc_is_nag_clean(foreign: ForeignVpc) -> None:
    report = json.loads((foreign.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    assert foreign.error is None, foreign.error


def test_a_caller_is_granted_invoke_in_a_managed_policy_attached_to_its_role(foreign: ForeignVpc) -> None:
    foreign.template.resource_count_is("AWS::IAM::Policy", 0)
    foreign.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("^Caller")}],
            "PolicyDocument": {
                "Statement": [Match.object_like({"Action": "sagemaker:InvokeEndpoint", "Resource": Match.any_value()})]
            },
        },
    )


def test_fails_a_model_network_without_its_vpc_unless_a_role_is_given(foreign: ForeignVpc) -> None:
    bare = JobNetwork(subnet_ids=["subnet-0ccc3333"], security_group_ids=["sg-0aaa1111"])
    spec = foreign.model.props.containers[0]
    with pytest.raises(
        ValueError, match=r"network.vpc: got None; allowed: the subnets' VPC \(JobNetwork.from_vpc sets it\)"
    ):
        ModelProps(containers=[spec], network=bare, model_key=foreign.model.props.model_key)
    stack = Stack(make_app(), "WithRole")
    role = SageMakerExecutionRole(stack, "Role", SageMakerExecutionRoleProps(description="a team's own model role"))
    assert ModelProps(containers=[spec], network=bare, model_key=foreign.model.props.model_key, role=role).role is role


def test_no_feature_flags_are_needed_for_buckets_and_networks() -> None:
    # An app as old cdk.json files make it: no feature flags at all.
    from aws_cdk import App

    app = App(context={"aws:cdk:disable-asset-staging": True}, builtin_cloud_formation_validation=False)
    stack = Stack(app, "NoFlags")
    keys = PlatformKeys(stack, "Keys")
    logs = AccessLogsBucket(stack, "Logs")
    SecureBucket(stack, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs.bucket))
    IsolatedNetwork(stack, "Net", IsolatedNetworkProps(flow_logs_key=keys.logs, allow_https_to_any_ipv4=True))
    t = Template.from_stack(stack)
    # Log delivery is granted by the log bucket's policy (ACLs stay disabled on both buckets).
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
                        )
                    ]
                )
            }
        },
    )
    assert not t.find_resources("AWS::S3::Bucket", {"Properties": {"AccessControl": Match.any_value()}})


def test_fails_a_log_bucket_of_ones_own_without_the_flag_naming_it() -> None:
    from aws_cdk import App
    from aws_cdk import aws_s3 as s3

    stack = Stack(App(), "NoFlags")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    own = s3.Bucket(stack, "OwnLogs", object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED)
    with pytest.raises(
        ValueError,
        match=r"access_logs_bucket: got NoFlags/OwnLogs, a bucket with ACLs disabled in an app without the feature flag "
        r"'@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy'.*allowed: an AccessLogsBucket's bucket.*"
        r"\"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy\": true in cdk.json's \"context\"",
    ):
        SecureBucket(stack, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=own))


def test_fails_an_account_bound_network_whose_zones_cdk_would_look_up_naming_the_fix() -> None:
    stack = Stack(make_app(), "Bound", env={"account": "111111111111", "region": "eu-west-1"})
    key = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,))).logs
    props = IsolatedNetworkProps(
        flow_logs_key=key, availability_zones=["eu-west-1a", "eu-west-1b"], s3_prefix_list_id="pl-6da54004"
    )
    with pytest.raises(
        ValueError,
        match=r"looks its availability zones up \(an AWS call at synth\) unless the context key "
        r"'availability-zones:account=111111111111:region=eu-west-1' is set; allowed: App\(context="
        r"availability_zones_context\(account='111111111111', region='eu-west-1', zones=\['eu-west-1a', 'eu-west-1b'\]\)\)",
    ):
        IsolatedNetwork(stack, "Net", props)


def test_an_account_bound_network_with_its_zones_in_context_records_no_lookup() -> None:
    app = make_app(
        **availability_zones_context(account="111111111111", region="eu-west-1", zones=["eu-west-1a", "eu-west-1b"])
    )
    stack = Stack(app, "Bound", env={"account": "111111111111", "region": "eu-west-1"})
    key = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,))).logs
    IsolatedNetwork(
        stack,
        "Net",
        IsolatedNetworkProps(
            flow_logs_key=key, availability_zones=["eu-west-1a", "eu-west-1b"], s3_prefix_list_id="pl-6da54004"
        ),
    )
    assert "missing" not in str(app.synth().get_stack_artifact(stack.artifact_id).manifest)
