"""Feature Store: typed feature groups, secure by default, validated at synth."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.featurestore.alarms": ("FeatureGroupAlarmProps",),
    "sagemaker_platform.featurestore.base": ("FeatureGroupBase",),
    "sagemaker_platform.featurestore.compliance": (
        "FeatureStoreChecks",
        "Finding",
        "check_feature_group_encryption",
    ),
    "sagemaker_platform.featurestore.feature_group": ("FeatureGroup",),
    "sagemaker_platform.featurestore.features": (
        "CollectionType",
        "Feature",
        "FeatureType",
    ),
    "sagemaker_platform.featurestore.imported": (
        "FeatureGroupAttributes",
        "ImportedFeatureGroup",
    ),
    "sagemaker_platform.featurestore.props": (
        "FeatureGroupProps",
        "StorageType",
        "TableFormat",
        "ThroughputMode",
        "Ttl",
        "TtlUnit",
    ),
    "sagemaker_platform.featurestore.schema": (
        "SchemaError",
        "features_from_arrow_schema",
        "features_from_dataclass",
        "features_from_pandas",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.featurestore.alarms import FeatureGroupAlarmProps as FeatureGroupAlarmProps
    from sagemaker_platform.featurestore.base import FeatureGroupBase as FeatureGroupBase
    from sagemaker_platform.featurestore.compliance import FeatureStoreChecks as FeatureStoreChecks
    from sagemaker_platform.featurestore.compliance import Finding as Finding
    from sagemaker_platform.featurestore.compliance import (
        check_feature_group_encryption as check_feature_group_encryption,
    )
    from sagemaker_platform.featurestore.feature_group import FeatureGroup as FeatureGroup
    from sagemaker_platform.featurestore.features import CollectionType as CollectionType
    from sagemaker_platform.featurestore.features import Feature as Feature
    from sagemaker_platform.featurestore.features import FeatureType as FeatureType
    from sagemaker_platform.featurestore.imported import FeatureGroupAttributes as FeatureGroupAttributes
    from sagemaker_platform.featurestore.imported import ImportedFeatureGroup as ImportedFeatureGroup
    from sagemaker_platform.featurestore.props import FeatureGroupProps as FeatureGroupProps
    from sagemaker_platform.featurestore.props import StorageType as StorageType
    from sagemaker_platform.featurestore.props import TableFormat as TableFormat
    from sagemaker_platform.featurestore.props import ThroughputMode as ThroughputMode
    from sagemaker_platform.featurestore.props import Ttl as Ttl
    from sagemaker_platform.featurestore.props import TtlUnit as TtlUnit
    from sagemaker_platform.featurestore.schema import SchemaError as SchemaError
    from sagemaker_platform.featurestore.schema import features_from_arrow_schema as features_from_arrow_schema
    from sagemaker_platform.featurestore.schema import features_from_dataclass as features_from_dataclass
    from sagemaker_platform.featurestore.schema import features_from_pandas as features_from_pandas
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
