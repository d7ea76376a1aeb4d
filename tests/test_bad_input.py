"""Every validation error path: bad props fail at synth with the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from sagemaker_platform import (
    AccessLogsBucketProps,
    BucketAccess,
    IsolatedNetworkProps,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SageMakerExecutionRoleProps,
    SecureBucketProps,
    acknowledge,
    skip_checkov,
)
from tests.harness import make_app


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(make_app(), "S")


@pytest.fixture(scope="module")
def key(stack: Stack) -> Any:
    return PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.LOGS)))


@pytest.fixture(scope="module")
def bucket(stack: Stack) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(stack, "Imported", "imported-bucket")


# --- PlatformKeysProps --------------------------------------------------------------------------


def test_fails_keys_without_purposes() -> None:
    with pytest.raises(ValueError, match=r"purposes: got \[\]; allowed: at least one KeyPurpose"):
        PlatformKeysProps(purposes=())


def test_fails_keys_with_duplicate_purposes() -> None:
    with pytest.raises(ValueError, match=r"purposes: got \['data', 'data'\]; allowed: each KeyPurpose at most once"):
        PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.DATA))


def test_fails_keys_with_reserved_alias_prefix() -> None:
    with pytest.raises(ValueError, match=r"alias_prefix: got 'aws/mine'.*reserved for AWS managed keys"):
        PlatformKeysProps(alias_prefix="aws/mine")


def test_fails_keys_with_bad_alias_characters() -> None:
    with pytest.raises(ValueError, match=r"alias_prefix: got 'my keys'"):
        PlatformKeysProps(alias_prefix="my keys")


def test_fails_keys_with_rotation_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"rotation_period_days: got 30; allowed: an integer from 90 to 2560"):
        PlatformKeysProps(rotation_period_days=30)


def test_fails_keys_with_pending_window_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"pending_window_days: got 3; allowed: an integer from 7 to 30"):
        PlatformKeysProps(pending_window_days=3)


def test_fails_with_every_problem_at_once() -> None:
    with pytest.raises(ValueError) as info:
        PlatformKeysProps(rotation_period_days=10, pending_window_days=99, purposes=())
    message = str(info.value)
    assert message.startswith("PlatformKeysProps is invalid:")
    for field in ("purposes", "rotation_period_days", "pending_window_days"):
        assert field in message


def test_fails_props_are_keyword_only_and_frozen() -> None:
    props = PlatformKeysProps()
    with pytest.raises(AttributeError):
        props.alias_prefix = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        PlatformKeysProps((KeyPurpose.DATA,))  # type: ignore[misc]


# --- SecureBucketProps / AccessLogsBucketProps --------------------------------------------------


def test_fails_bucket_name_with_uppercase(key: Any, bucket: s3.IBucket) -> None:
    with pytest.raises(ValueError, match=r"bucket_name: got 'My_Bucket'; allowed: 3-63 lowercase"):
        SecureBucketProps(encryption_key=key.data, access_logs_bucket=bucket, bucket_name="My_Bucket")


def test_fails_access_logs_prefix_without_trailing_slash(key: Any, bucket: s3.IBucket) -> None:
    with pytest.raises(ValueError, match=r"access_logs_prefix: got 'data'; allowed: a key prefix"):
        SecureBucketProps(encryption_key=key.data, access_logs_bucket=bucket, access_logs_prefix="data")


def test_fails_noncurrent_expiration_of_zero_days(key: Any, bucket: s3.IBucket) -> None:
    with pytest.raises(ValueError, match=r"noncurrent_version_expiration_days: got 0; allowed: an integer >= 1"):
        SecureBucketProps(encryption_key=key.data, access_logs_bucket=bucket, noncurrent_version_expiration_days=0)


def test_fails_abort_upload_days_not_an_int(key: Any, bucket: s3.IBucket) -> None:
    with pytest.raises(ValueError, match=r"abort_incomplete_upload_days: got '7'"):
        SecureBucketProps(encryption_key=key.data, access_logs_bucket=bucket, abort_incomplete_upload_days="7")  # type: ignore[arg-type]


def test_fails_access_log_retention_of_zero_days() -> None:
    with pytest.raises(ValueError, match=r"retention_days: got 0"):
        AccessLogsBucketProps(retention_days=0)


# --- IsolatedNetworkProps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cidr": "10.0.0.0/8"}, r"cidr: got '10.0.0.0/8'; allowed: an IPv4 CIDR block .* /16 to /24"),
        ({"cidr": "10.0.0.1/16"}, r"cidr: got '10.0.0.1/16'"),
        ({"cidr": "not-a-cidr"}, r"cidr: got 'not-a-cidr'"),
        ({"max_azs": 1}, r"max_azs: got 1; allowed: an integer from 2 to 6"),
        (
            {"availability_zones": ["eu-west-1a"]},
            r"availability_zones: got \['eu-west-1a'\]; allowed: at least two distinct",
        ),
        ({"availability_zones": ["eu-west-1a", "eu-west-1a"]}, r"at least two distinct"),
        (
            {"availability_zones": ["eu-west-1a", "euw1-az2"]},
            r"availability_zones: got 'euw1-az2'; allowed: availability zone names",
        ),
        ({"subnet_cidr_mask": 16}, r"subnet_cidr_mask: got 16; allowed: an integer from 17 to 28"),
        (
            {"cidr": "10.0.0.0/24", "subnet_cidr_mask": 20},
            r"subnet_cidr_mask: got 20; allowed: a mask of at least /25 so that 2 subnets \(one per AZ\) fit in 10.0.0.0/24",
        ),
        (
            {"interface_endpoints": ["sagemaker.api", "sagemaker.apii"]},
            r"interface_endpoints: got \['sagemaker.apii'\]; allowed: names from sagemaker.api",
        ),
        (
            {"interface_endpoints": ["sts", "sts"]},
            r"interface_endpoints: got \['sts', 'sts'\]; allowed: each endpoint at most once",
        ),
        (
            {"s3_prefix_list_id": "prefix-123"},
            r"s3_prefix_list_id: got 'prefix-123'; allowed: a managed prefix list ID",
        ),
    ],
    ids=[
        "cidr-too-big",
        "cidr-host-bits",
        "cidr-garbage",
        "one-az",
        "single-az-list",
        "duplicate-az",
        "az-id-not-name",
        "subnet-mask-too-big",
        "subnet-mask-not-inside-vpc",
        "unknown-endpoint",
        "duplicate-endpoint",
        "bad-prefix-list",
    ],
)
def test_fails_network_props(key: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IsolatedNetworkProps(flow_logs_key=key.logs, **kwargs)


def test_fails_existing_vpc_with_explicit_azs(stack: Stack, key: Any) -> None:
    vpc = ec2.Vpc.from_vpc_attributes(stack, "V", vpc_id="vpc-1234", availability_zones=["eu-west-1a", "eu-west-1b"])
    with pytest.raises(
        ValueError, match=r"availability_zones: got \['eu-west-1a', 'eu-west-1b'\]; allowed: None when an existing vpc"
    ):
        IsolatedNetworkProps(flow_logs_key=key.logs, vpc=vpc, availability_zones=["eu-west-1a", "eu-west-1b"])


def test_unresolved_tokens_are_not_rejected(key: Any) -> None:
    from aws_cdk import Fn

    IsolatedNetworkProps(flow_logs_key=key.logs, s3_prefix_list_id=Fn.import_value("S3PrefixList"))


# --- roles --------------------------------------------------------------------------------------


def test_fails_role_without_description() -> None:
    with pytest.raises(ValueError, match=r"description: got ' '; allowed: a non-empty description"):
        SageMakerExecutionRoleProps(description=" ")


def test_fails_role_with_bad_log_group_prefix() -> None:
    with pytest.raises(ValueError, match=r"log_group_prefix: got 'aws/sagemaker'; allowed: a log group name prefix"):
        SageMakerExecutionRoleProps(description="d", log_group_prefix="aws/sagemaker")


def test_fails_role_name_too_long() -> None:
    with pytest.raises(ValueError, match=r"role_name: got 'r{65}'; allowed: 1-64 characters"):
        SageMakerExecutionRoleProps(description="d", role_name="r" * 65)


@pytest.mark.parametrize("prefix", ["/training/", "training/*"])
def test_fails_bucket_access_with_bad_prefix(bucket: s3.IBucket, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"BucketAccess is invalid:\n  - prefix: got"):
        BucketAccess(bucket=bucket, prefix=prefix)


# --- compliance helpers -------------------------------------------------------------------------


def test_fails_acknowledge_without_a_real_reason(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"acknowledge: reason: got 'ok'; allowed: an explanation of at least 20"):
        acknowledge(stack, "AwsSolutions-IAM5", reason="ok")


@pytest.mark.parametrize("rule", ["IAM5", "AwsSolutions IAM5", ""])
def test_fails_acknowledge_with_malformed_rule_id(stack: Stack, rule: str) -> None:
    with pytest.raises(ValueError, match=r"acknowledge: rule_ids: got"):
        acknowledge(stack, rule, reason="a reason that is long enough to read")


def test_fails_acknowledge_without_rules(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"rule_ids: got \[\]"):
        acknowledge(stack, reason="a reason that is long enough to read")


def test_fails_checkov_skip_with_bad_id_or_reason(stack: Stack) -> None:
    cfn = s3.CfnBucket(stack, "Raw")
    with pytest.raises(ValueError, match=r"skip_checkov: check_id: got 'S3_1'"):
        skip_checkov(cfn, "S3_1", "a reason that is long enough to read")
    with pytest.raises(ValueError, match=r"skip_checkov: reason: got 'no'"):
        skip_checkov(cfn, "CKV_AWS_18", "no")
