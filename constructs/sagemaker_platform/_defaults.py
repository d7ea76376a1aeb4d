"""Our secure defaults, in one place, as small functions (see STYLE.md, point 6).

Order everywhere: our default, then the caller's override, then what the construct needs to
stay correct. Anything that weakens a default is announced with a synth-time warning.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

#: Data lives in keys, buckets and log groups: never delete it because a construct moved.
DATA_REMOVAL_POLICY = RemovalPolicy.RETAIN

#: One year of logs unless the caller says otherwise.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR

#: Annual rotation, the KMS default and the shortest period most compliance packs accept.
KEY_ROTATION_DAYS = 365
KEY_PENDING_WINDOW_DAYS = 30

#: Interface endpoints SageMaker jobs, endpoints and pipelines need in a VPC without internet.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "states",
    "events",
)

#: Every interface endpoint the network accepts by short name (a closed list, so typos fail at synth).
KNOWN_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    *DEFAULT_INTERFACE_ENDPOINTS,
    "sagemaker.metrics",
    "sns",
    "sqs",
    "ssm",
    "secretsmanager",
    "glue",
    "athena",
    "codeartifact.api",
    "codeartifact.repositories",
    "elasticfilesystem",
    "execute-api",
)


def bucket_lifecycle_rules(
    noncurrent_version_expiration_days: int, abort_incomplete_upload_days: int
) -> list[s3.LifecycleRule]:
    """Lifecycle rules every secure bucket gets: expire old versions and abandoned uploads."""
    return [
        s3.LifecycleRule(
            id="expire-noncurrent-versions",
            noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days),
        ),
        s3.LifecycleRule(
            id="abort-incomplete-multipart-uploads",
            abort_incomplete_multipart_upload_after=Duration.days(abort_incomplete_upload_days),
        ),
    ]


def subnet_mask(vpc_prefix: int, azs: int) -> int:
    """/20 subnets, or the largest subnets that fit ``azs`` of them in a smaller VPC (CDK gives each AZ one)."""
    return max(20, vpc_prefix + subnet_bits(azs))


def subnet_bits(azs: int) -> int:
    """Bits a VPC CIDR gives up to hold one subnet per AZ: 2 AZs 1, 3-4 AZs 2, 5-6 AZs 3."""
    return max(1, (azs - 1).bit_length())
