"""Foundations: isolated network, KMS keys, secure buckets and execution roles."""

from sagemaker_platform.foundations.encryption import KeyPurpose, PlatformKeys, PlatformKeysProps
from sagemaker_platform.foundations.grantee import ManagedPolicyGrantee
from sagemaker_platform.foundations.network import IsolatedNetwork, IsolatedNetworkProps
from sagemaker_platform.foundations.placement import JobNetwork
from sagemaker_platform.foundations.roles import (
    BucketAccess,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
)
from sagemaker_platform.foundations.storage import (
    AccessLogsBucket,
    AccessLogsBucketProps,
    SecureBucket,
    SecureBucketProps,
)

__all__ = [
    "AccessLogsBucket",
    "AccessLogsBucketProps",
    "BucketAccess",
    "IsolatedNetwork",
    "IsolatedNetworkProps",
    "JobNetwork",
    "KeyPurpose",
    "ManagedPolicyGrantee",
    "PlatformKeys",
    "PlatformKeysProps",
    "SageMakerExecutionRole",
    "SageMakerExecutionRoleProps",
    "SecureBucket",
    "SecureBucketProps",
]
