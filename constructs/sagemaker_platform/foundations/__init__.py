"""Foundations: isolated network (or yours, as a JobNetwork), KMS keys, secure buckets, execution roles, grants."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.foundations.encryption": (
        "KeyPurpose",
        "PlatformKeys",
        "PlatformKeysProps",
    ),
    "sagemaker_platform.foundations.grantee": ("ManagedPolicyGrantee",),
    "sagemaker_platform.foundations.network": (
        "IsolatedNetwork",
        "IsolatedNetworkProps",
        "availability_zones_context",
    ),
    "sagemaker_platform.foundations.placement": ("JobNetwork",),
    "sagemaker_platform.foundations.roles": (
        "BucketAccess",
        "SageMakerExecutionRole",
        "SageMakerExecutionRoleProps",
    ),
    "sagemaker_platform.foundations.storage": (
        "AccessLogsBucket",
        "AccessLogsBucketProps",
        "SecureBucket",
        "SecureBucketProps",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.foundations.encryption import KeyPurpose as KeyPurpose
    from sagemaker_platform.foundations.encryption import PlatformKeys as PlatformKeys
    from sagemaker_platform.foundations.encryption import PlatformKeysProps as PlatformKeysProps
    from sagemaker_platform.foundations.grantee import ManagedPolicyGrantee as ManagedPolicyGrantee
    from sagemaker_platform.foundations.network import IsolatedNetwork as IsolatedNetwork
    from sagemaker_platform.foundations.network import IsolatedNetworkProps as IsolatedNetworkProps
    from sagemaker_platform.foundations.network import availability_zones_context as availability_zones_context
    from sagemaker_platform.foundations.placement import JobNetwork as JobNetwork
    from sagemaker_platform.foundations.roles import BucketAccess as BucketAccess
    from sagemaker_platform.foundations.roles import SageMakerExecutionRole as SageMakerExecutionRole
    from sagemaker_platform.foundations.roles import SageMakerExecutionRoleProps as SageMakerExecutionRoleProps
    from sagemaker_platform.foundations.storage import AccessLogsBucket as AccessLogsBucket
    from sagemaker_platform.foundations.storage import AccessLogsBucketProps as AccessLogsBucketProps
    from sagemaker_platform.foundations.storage import SecureBucket as SecureBucket
    from sagemaker_platform.foundations.storage import SecureBucketProps as SecureBucketProps
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
