"""Feature Store: typed feature groups, secure by default, validated at synth."""

from sagemaker_platform.featurestore.alarms import FeatureGroupAlarmProps
from sagemaker_platform.featurestore.base import FeatureGroupBase
from sagemaker_platform.featurestore.compliance import (
    FeatureStoreChecks,
    Finding,
    check_feature_group_encryption,
)
from sagemaker_platform.featurestore.feature_group import FeatureGroup
from sagemaker_platform.featurestore.features import CollectionType, Feature, FeatureType
from sagemaker_platform.featurestore.imported import FeatureGroupAttributes, ImportedFeatureGroup
from sagemaker_platform.featurestore.props import (
    FeatureGroupProps,
    StorageType,
    TableFormat,
    ThroughputMode,
    Ttl,
    TtlUnit,
)
from sagemaker_platform.featurestore.schema import (
    SchemaError,
    features_from_arrow_schema,
    features_from_dataclass,
    features_from_pandas,
)
from sagemaker_platform.foundations.grantee import ManagedPolicyGrantee

__all__ = [
    "CollectionType",
    "Feature",
    "FeatureGroup",
    "FeatureGroupAlarmProps",
    "FeatureGroupAttributes",
    "FeatureGroupBase",
    "FeatureGroupProps",
    "FeatureStoreChecks",
    "FeatureType",
    "Finding",
    "ImportedFeatureGroup",
    "ManagedPolicyGrantee",
    "SchemaError",
    "StorageType",
    "TableFormat",
    "ThroughputMode",
    "Ttl",
    "TtlUnit",
    "check_feature_group_encryption",
    "features_from_arrow_schema",
    "features_from_dataclass",
    "features_from_pandas",
]
