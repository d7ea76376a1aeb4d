"""Fine-grained assertions on each foundation construct, one small stack per module."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_platform import (
    AccessLogsBucket,
    BucketAccess,
    IsolatedNetwork,
    IsolatedNetworkProps,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
)
from tests.harness import make_app


class Foundation:
    """One stack holding every foundation construct, as a platform team would compose them."""

    def __init__(self, env: Environment | None = None, **network: Any) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Test", env=env)
        self.keys = PlatformKeys(self.stack, "Keys")
        self.logs = AccessLogsBucket(self.stack, "AccessLogs")
        self.data = SecureBucket(
            self.stack, "Data", SecureBucketProps(encryption_key=self.keys.data, access_logs_bucket=self.logs.bucket)
        )
        self.network = IsolatedNetwork(
            self.stack, "Network", IsolatedNetworkProps(flow_logs_key=self.keys.logs, **network)
        )
        self.network.allow_bucket(self.data.bucket)
        self.role = SageMakerExecutionRole(
            self.stack,
            "Role",
            SageMakerExecutionRoleProps(
                description="test role",
                buckets=(BucketAccess(bucket=self.data.bucket, prefix="training/"),),
                keys=(self.keys.models,),
                vpc=self.network.vpc,
            ),
        )
        self.caller = iam.Role(self.stack, "Caller", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        self.role.grant_pass_role(self.caller)
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def f() -> Foundation:
    return Foundation()


def _resources(t: Template, rtype: str) -> dict[str, Any]:
    found: dict[str, Any] = t.find_resources(rtype)
    return found


# --- keys ---------------------------------------------------------------------------------------


def test_one_rotating_retained_key_per_purpose(f: Foundation) -> None:
    f.template.resource_count_is("AWS::KMS::Key", len(KeyPurpose))
    f.template.all_resources(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {"EnableKeyRotation": True, "RotationPeriodInDays": 365, "PendingWindowInDays": 30}
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    for purpose in KeyPurpose:
        f.template.has_resource_properties(
            "AWS::KMS::Alias", {"AliasName": f"alias/sagemaker-platform/{purpose.value}"}
        )


def test_logs_key_lets_cloudwatch_logs_in_for_this_accounts_groups_only(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowCloudWatchLogsForThisAccountsLogGroups",
                                "Principal": {
                                    "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                                },
                                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_no_key_policy_allows_a_star_principal(f: Foundation) -> None:
    for key in _resources(f.template, "AWS::KMS::Key").values():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] not in ("*", {"AWS": "*"}), statement


def test_every_key_lets_only_aws_services_create_grants_for_aws_resources(f: Foundation) -> None:
    keys = _resources(f.template, "AWS::KMS::Key")
    assert len(keys) == 5
    for key in keys.values():
        denies = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]
        # The exact shape Control Tower's CT.KMS.PR.3 accepts (BoolIfExists on both keys, nothing else).
        assert denies == [
            {
                "Sid": "DenyGrantsExceptForAwsResources",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
                },
            }
        ]


def test_keys_warn_when_not_retained() -> None:
    app = make_app()
    stack = Stack(app, "S")
    PlatformKeys(stack, "Keys", PlatformKeysProps(removal_policy=RemovalPolicy.DESTROY, purposes=(KeyPurpose.DATA,)))
    Annotations.from_stack(stack).has_warning("/S/Keys", Match.string_like_regexp("not RETAIN"))


def test_missing_purpose_raises_naming_the_purposes_that_exist() -> None:
    keys = PlatformKeys(Stack(make_app(), "S"), "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    with pytest.raises(KeyError, match="purposes created: data"):
        keys.key(KeyPurpose.LOGS)


def test_grant_encrypt_decrypt_names_the_keys() -> None:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    keys.grant_encrypt_decrypt(role, KeyPurpose.DATA)
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like({"Resource": {"Fn::GetAtt": [Match.string_like_regexp("KeysDataKey"), "Arn"]}})
                ]
            }
        },
    )


# --- buckets ------------------------------------------------------------------------------------


def test_secure_bucket_is_kms_encrypted_private_versioned_logged(f: Foundation) -> None:
    f.template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {
                                "BucketKeyEnabled": True,
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": {"Fn::GetAtt": [Match.string_like_regexp("KeysDataKey"), "Arn"]},
                                },
                            }
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LoggingConfiguration": {
                        "DestinationBucketName": {"Ref": Match.string_like_regexp("AccessLogs")},
                        "LogFilePrefix": "Data/",
                    },
                    "LifecycleConfiguration": {
                        "Rules": Match.array_with(
                            [
                                Match.object_like(
                                    {
                                        "Id": "expire-noncurrent-versions",
                                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                                    }
                                ),
                                Match.object_like(
                                    {
                                        "Id": "abort-incomplete-multipart-uploads",
                                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                                    }
                                ),
                            ]
                        )
                    },
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def _bucket_policy_statements(f: Foundation, bucket_prefix: str) -> list[dict[str, Any]]:
    for policy in _resources(f.template, "AWS::S3::BucketPolicy").values():
        if policy["Properties"]["Bucket"]["Ref"].startswith(bucket_prefix):
            statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no bucket policy for {bucket_prefix}")


def test_secure_bucket_denies_plain_http_old_tls_and_foreign_encryption(f: Foundation) -> None:
    statements = _bucket_policy_statements(f, "Data")
    denies = {json_key(s["Condition"]) for s in statements if s["Effect"] == "Deny"}
    assert "Bool:aws:SecureTransport" in denies
    assert "NumericLessThan:s3:TlsVersion" in denies
    assert "StringNotEqualsIfExists:s3:x-amz-server-side-encryption" in denies
    assert "StringNotEqualsIfExists:s3:x-amz-server-side-encryption-aws-kms-key-id" in denies


def json_key(condition: dict[str, Any]) -> str:
    ((op, body),) = condition.items()
    ((key, _),) = body.items()
    return f"{op}:{key}"


def test_access_logs_bucket_uses_sse_s3_because_log_delivery_needs_it(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "LifecycleConfiguration": {
                "Rules": [Match.object_like({"Id": "expire-access-logs", "ExpirationInDays": 365})]
            },
        },
    )


def test_object_lock_is_opt_in_and_then_no_longer_acknowledged() -> None:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    logs_bucket = AccessLogsBucket(stack, "Logs").bucket
    plain = SecureBucket(stack, "Plain", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs_bucket))
    locked = SecureBucket(
        stack,
        "Locked",
        SecureBucketProps(
            encryption_key=keys.data,
            access_logs_bucket=logs_bucket,
            object_lock=s3.ObjectLockRetention.governance(Duration.days(365)),
        ),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "ObjectLockEnabled": True,
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
            },
        },
    )

    def acknowledged(bucket: SecureBucket) -> set[str]:
        return {
            i for entry in bucket.bucket.node.metadata if entry.type == "aws:cdk:acknowledged-rules" for i in entry.data
        }

    rule = "s3_bucket_object_lock_enabled_check"
    assert any(rule in i for i in acknowledged(plain))
    assert not any(rule in i for i in acknowledged(locked))


def test_bucket_warns_when_not_retained() -> None:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    logs = AccessLogsBucket(stack, "Logs")
    SecureBucket(
        stack,
        "B",
        SecureBucketProps(
            encryption_key=keys.data, access_logs_bucket=logs.bucket, removal_policy=RemovalPolicy.DESTROY
        ),
    )
    Annotations.from_stack(stack).has_warning("/S/B", Match.string_like_regexp("not RETAIN"))


def test_secure_bucket_grants_include_the_key() -> None:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    bucket = SecureBucket(
        stack,
        "B",
        SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "Logs").bucket),
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    bucket.grant_read(reader, "features/*")
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("Reader")}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Action": Match.array_with(["kms:Decrypt"])}),
                    ]
                )
            },
        },
    )


# --- network ------------------------------------------------------------------------------------


def test_network_has_isolated_subnets_only_and_no_way_out(f: Foundation) -> None:
    t = f.template
    for rtype in (
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
    ):
        t.resource_count_is(rtype, 0)
    t.resource_count_is("AWS::EC2::Subnet", 2)
    t.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    for route in _resources(t, "AWS::EC2::Route").values():
        raise AssertionError(f"isolated subnets must have no routes besides local and S3: {route}")


def test_interface_endpoints_are_closed_and_private(f: Foundation) -> None:
    endpoints = _resources(f.template, "AWS::EC2::VPCEndpoint")
    interface = [e for e in endpoints.values() if e["Properties"].get("VpcEndpointType") == "Interface"]
    gateway = [e for e in endpoints.values() if e["Properties"].get("VpcEndpointType", "Gateway") == "Gateway"]
    assert len(interface) == 11 and len(gateway) == 1
    for e in interface:
        assert e["Properties"]["PrivateDnsEnabled"] is True
        (group,) = e["Properties"]["SecurityGroupIds"]
        assert group["Fn::GetAtt"][0].startswith("NetworkEndpointsSecurityGroup"), group


def test_no_security_group_allows_open_egress_on_all_ports(f: Foundation) -> None:
    for sg in _resources(f.template, "AWS::EC2::SecurityGroup").values():
        for rule in sg["Properties"].get("SecurityGroupEgress", []):
            assert not (rule.get("CidrIp") == "0.0.0.0/0" and rule["IpProtocol"] == "-1"), rule
        for rule in sg["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0", rule


def test_jobs_security_group_references_itself_for_distributed_training(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "IpProtocol": "-1",
            "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("NetworkJobsSecurityGroup"), "GroupId"]},
            "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("NetworkJobsSecurityGroup"), "GroupId"]},
        },
    )
    f.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("NetworkEndpointsSecurityGroup"), "GroupId"]},
        },
    )


def test_s3_gateway_policy_allows_only_platform_buckets_and_ecr_layers(f: Foundation) -> None:
    gateway = next(
        e for e in _resources(f.template, "AWS::EC2::VPCEndpoint").values() if "PolicyDocument" in e["Properties"]
    )
    statements = gateway["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements) == 2
    assert "starport-layer-bucket" in str(statements[0]["Resource"])
    assert statements[1]["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}
    assert "s3:*" not in str(statements)


def test_flow_logs_capture_all_traffic_into_an_encrypted_retained_group(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"}
    )
    f.template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("KeysLogsKey"), "Arn"]},
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_default_security_group_is_stripped(f: Foundation) -> None:
    f.template.resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_explicit_azs_and_prefix_list_are_used_without_lookups() -> None:
    env = Environment(account="123456789012", region="eu-west-1")
    app = make_app(
        **{"availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}
    )
    stack = Stack(app, "S", env=env)
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,)))
    IsolatedNetwork(
        stack,
        "N",
        IsolatedNetworkProps(
            flow_logs_key=keys.logs,
            availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
            s3_prefix_list_id="pl-6da54004",
        ),
    )
    t = Template.from_stack(stack)
    assert sorted(s["Properties"]["AvailabilityZone"] for s in _resources(t, "AWS::EC2::Subnet").values()) == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress", {"DestinationPrefixListId": "pl-6da54004", "FromPort": 443}
    )
    for sg in _resources(t, "AWS::EC2::SecurityGroup").values():
        assert "0.0.0.0/0" not in str(sg["Properties"].get("SecurityGroupEgress", [])), "prefix list replaces any-IPv4"
        # Declared inline, so EC2 never gives the group its allow-all default egress.
        assert sg["Properties"]["SecurityGroupEgress"], sg
    assert "missing" not in str(app.synth().get_stack_artifact(stack.artifact_id).manifest)


def _account_bound_network(**props: Any) -> tuple[Stack, IsolatedNetwork]:
    azs = ["eu-west-1a", "eu-west-1b"]
    app = make_app(**{"availability-zones:account=123456789012:region=eu-west-1": azs})
    stack = Stack(app, "Bound", env=Environment(account="123456789012", region="eu-west-1"))
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,)))
    net = IsolatedNetwork(stack, "N", IsolatedNetworkProps(flow_logs_key=keys.logs, availability_zones=azs, **props))
    return stack, net


def test_fails_an_account_bound_network_without_the_s3_prefix_list() -> None:
    with pytest.raises(
        ValueError,
        match=r"s3_prefix_list_id: got None; allowed: the region's S3 prefix list ID, from `aws ec2 "
        r"describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.eu-west-1.s3 .*"
        r"\(required in stack Bound, bound to account 123456789012\), or allow_https_to_any_ipv4=True",
    ):
        _account_bound_network()


def test_an_account_bound_network_may_allow_any_ipv4_https_explicitly_without_a_warning() -> None:
    stack, _ = _account_bound_network(allow_https_to_any_ipv4=True)
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"SecurityGroupEgress": Match.array_with([Match.object_like({"CidrIp": "0.0.0.0/0", "FromPort": 443})])},
    )
    assert not Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("any IPv4"))


def test_fails_allow_any_ipv4_with_a_prefix_list() -> None:
    with pytest.raises(ValueError, match=r"allow_https_to_any_ipv4: got True; allowed: False when s3_prefix_list_id"):
        IsolatedNetworkProps(flow_logs_key=None, s3_prefix_list_id="pl-6da54004", allow_https_to_any_ipv4=True)  # type: ignore[arg-type]


def test_an_environment_agnostic_network_without_a_prefix_list_warns_and_says_how_to_find_it() -> None:
    stack = Stack(make_app(), "Agnostic")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,)))
    IsolatedNetwork(stack, "N", IsolatedNetworkProps(flow_logs_key=keys.logs))
    Annotations.from_stack(stack).has_warning(
        "/Agnostic/N",
        Match.string_like_regexp(
            r"allows HTTPS to any IPv4 address .* give s3_prefix_list_id .*Values=com.amazonaws.<region>.s3"
        ),
    )


def test_existing_vpc_is_used_as_is() -> None:
    stack = Stack(make_app(), "S")
    vpc = ec2.Vpc(
        stack,
        "Existing",
        nat_gateways=0,
        max_azs=2,
        restrict_default_security_group=False,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,)))
    net = IsolatedNetwork(
        stack, "N", IsolatedNetworkProps(flow_logs_key=keys.logs, vpc=vpc, interface_endpoints=["sts"])
    )
    assert net.vpc is vpc
    Template.from_stack(stack).resource_count_is("AWS::EC2::VPC", 1)


# --- roles --------------------------------------------------------------------------------------


def test_role_trusts_sagemaker_from_this_account_only(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ]
            }
        },
    )


def test_no_full_access_policies_and_sagemaker_roles_use_only_our_policies(f: Foundation) -> None:
    for role in _resources(f.template, "AWS::IAM::Role").values():
        arns = role["Properties"].get("ManagedPolicyArns", [])
        assert "FullAccess" not in str(arns), arns
        if "sagemaker.amazonaws.com" in str(role["Properties"]["AssumeRolePolicyDocument"]):
            assert all("Ref" in arn for arn in arns), f"AWS-managed policy on a SageMaker role: {arns}"


def test_role_policy_is_scoped_to_prefix_key_logs_and_vpc(f: Foundation) -> None:
    policy = next(
        p for lid, p in _resources(f.template, "AWS::IAM::ManagedPolicy").items() if lid.startswith("RolePolicy")
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    text = str(statements)
    assert "s3:*" not in text and "'*'" not in str([s["Action"] for s in statements])
    objects = next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:GetObjectVersion"])
    assert objects["Resource"]["Fn::Join"][1][-1] == "/training/*"
    listing = next(s for s in statements if "s3:ListBucket" in s["Action"])
    # Regression: GetBucketLocation never carries s3:prefix, so it must not share that condition.
    location = next(s for s in statements if "s3:GetBucketLocation" in s["Action"])
    assert "Condition" not in location and "s3:GetBucketLocation" not in listing["Action"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["training/*"]}}
    eni = next(s for s in statements if s.get("Condition", {}).get("ArnEquals"))
    assert "ec2:Vpc" in eni["Condition"]["ArnEquals"]
    metrics = next(s for s in statements if s["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"]["StringLike"]["cloudwatch:namespace"]
    (grant,) = [s for s in statements if "kms:CreateGrant" in s["Action"]]
    # SageMaker creates the volume grant on the role's behalf; the role may not create one itself.
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_pass_role_is_limited_to_sagemaker(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("Caller")}],
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": "iam:PassRole",
                            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                            "Resource": {"Fn::GetAtt": [Match.string_like_regexp("Role"), "Arn"]},
                        }
                    )
                ]
            },
        },
    )


# --- compliance wiring --------------------------------------------------------------------------


def test_audit_trail_writes_acknowledgments_into_stage_templates() -> None:
    from aws_cdk import Stage

    from sagemaker_platform import add_nag_packs

    app = make_app()
    stage = Stage(app, "Dev")
    stack = Stack(stage, "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    SecureBucket(
        stack, "B", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "L").bucket)
    )
    add_nag_packs(app, audit_trail=True)
    app.synth()
    bucket = next(
        r for lid, r in Template.from_stack(stack).find_resources("AWS::S3::Bucket").items() if lid.startswith("B")
    )
    rules = {r["id"]: r["reason"] for r in bucket["Metadata"]["cdk_nag"]["rules_to_suppress"]}
    assert "Cross-region replication" in rules["HIPAA.Security-S3BucketReplicationEnabled"]


def test_notifications_key_lets_this_accounts_alarms_and_rules_publish(f: Foundation) -> None:
    f.template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowAlarmsAndEventRulesOfThisAccountToPublish",
                                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_notification_topic_is_encrypted_and_ssl_only() -> None:
    from sagemaker_platform.observability import NotificationTopic, NotificationTopicProps

    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.NOTIFICATIONS,)))
    NotificationTopic(stack, "Alerts", NotificationTopicProps(encryption_key=keys.notifications))
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("KeysNotificationsKey"), "Arn"]}}
    )
    t.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                        # A topic policy replaces SNS's default one: alarms and rules must be allowed explicitly.
                        Match.object_like({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}}),
                        Match.object_like({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}),
                    ]
                )
            }
        },
    )
