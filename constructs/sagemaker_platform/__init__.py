"""sagemaker-platform: AWS CDK v2 constructs for running Amazon SageMaker in production."""

from sagemaker_platform.compliance import acknowledge, add_nag_packs, skip_checkov
from sagemaker_platform.foundations import (
    AccessLogsBucket,
    AccessLogsBucketProps,
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

__version__ = "0.1.0"

__all__ = [
    "AccessLogsBucket",
    "AccessLogsBucketProps",
    "BucketAccess",
    "IsolatedNetwork",
    "IsolatedNetworkProps",
    "KeyPurpose",
    "PlatformKeys",
    "PlatformKeysProps",
    "SageMakerExecutionRole",
    "SageMakerExecutionRoleProps",
    "SecureBucket",
    "SecureBucketProps",
    "acknowledge",
    "add_nag_packs",
    "skip_checkov",
]
