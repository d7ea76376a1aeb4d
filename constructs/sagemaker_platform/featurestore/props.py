"""Properties of a feature group, validated all at once before CloudFormation sees them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_platform import _defaults as _platform_defaults
from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors, is_token
from sagemaker_platform.featurestore import _defaults
from sagemaker_platform.featurestore.features import CollectionType, Feature, FeatureType, check_name


class StorageType(Enum):
    """Online store tier (``OnlineStoreConfig.StorageType``)."""

    STANDARD = "Standard"
    #: ElastiCache-backed; the only tier with collection types; never with Provisioned throughput.
    IN_MEMORY = "InMemory"


class TableFormat(Enum):
    """Offline store table format (``OfflineStoreConfig.TableFormat``)."""

    ICEBERG = "Iceberg"
    GLUE = "Glue"


class ThroughputMode(Enum):
    """Billing and capacity mode (``ThroughputConfig.ThroughputMode``)."""

    ON_DEMAND = "OnDemand"
    PROVISIONED = "Provisioned"


class TtlUnit(Enum):
    """Unit of the online store's time to live (``TtlDuration.Unit``)."""

    SECONDS = "Seconds"
    MINUTES = "Minutes"
    HOURS = "Hours"
    DAYS = "Days"
    WEEKS = "Weeks"


@dataclass(frozen=True, kw_only=True)
class Ttl:
    """Online-store time to live: a record is hard-deleted at EventTime + TTL."""

    value: int
    unit: TtlUnit = TtlUnit.DAYS

    def __post_init__(self) -> None:
        errors = PropsErrors("Ttl")
        errors.int_range("value", self.value, 1)
        errors.check(isinstance(self.unit, TtlUnit), "unit", self.unit, "a TtlUnit (SECONDS ... WEEKS)")
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class FeatureGroupProps:
    """Properties of :class:`FeatureGroup`. Settings marked *create-only* replace the group when changed."""

    #: *Create-only.* 1-64 letters, digits, ``-`` and ``_``.
    feature_group_name: str
    #: At most 2,500 features, names unique ignoring case. See :class:`Feature` and ``features_from_*``.
    features: Sequence[Feature]
    #: *Create-only.* Feature whose value identifies a record; a scalar feature.
    record_identifier: str
    #: *Create-only.* Feature holding the event time: Fractional (epoch seconds) or String (ISO-8601).
    event_time: str
    #: *Create-only.* Default: none. At most 128 characters.
    description: str | None = None

    #: *Create-only.* Default: True (low-latency GetRecord for inference).
    online_store: bool = True
    #: *Create-only.* Customer-managed key of the online store; required when ``online_store``.
    online_store_key: kms.IKey | None = None
    #: *Create-only.* Default: ``StorageType.STANDARD``.
    storage_type: StorageType = StorageType.STANDARD
    #: Default: records never expire.
    ttl: Ttl | None = None

    #: *Create-only.* Default: True (history in S3 for training and point-in-time queries).
    offline_store: bool = True
    #: *Create-only.* Bucket of the offline store (a :class:`SecureBucket`'s ``bucket``).
    #: Required when ``offline_store``.
    offline_store_bucket: s3.IBucket | None = None
    #: *Create-only.* Key of the offline store. Default: the bucket's own key (a :class:`SecureBucket`
    #: denies uploads with any other key, so a different key is rejected).
    offline_store_key: kms.IKey | None = None
    #: *Create-only.* Key prefix in the bucket, ending in ``/``. Default: ``feature-store/<feature_group_name>/``.
    offline_store_prefix: str | None = None
    #: *Create-only.* Default: ``TableFormat.ICEBERG``.
    table_format: TableFormat = TableFormat.ICEBERG
    #: *Create-only.* Glue database of the table. Default: ``sagemaker_featurestore``.
    glue_database: str = _defaults.GLUE_DATABASE
    #: *Create-only.* Glue table. Default: the group's name in lowercase with ``-`` as ``_``.
    glue_table_name: str | None = None
    #: *Create-only.* True: register the catalog entry without creating the table (you create it).
    #: Not with Iceberg. Default: False (Feature Store creates the table).
    disable_glue_table_creation: bool = False

    #: Default: ``ThroughputMode.ON_DEMAND``.
    throughput_mode: ThroughputMode = ThroughputMode.ON_DEMAND
    #: Provisioned mode only, online store only, 0 to 10,000,000. Default: none.
    provisioned_read_capacity_units: int | None = None
    #: Provisioned mode only (required there), 0 to 10,000,000. Default: none.
    provisioned_write_capacity_units: int | None = None

    #: Default: RETAIN. Anything else warns at synth: deleting the group deletes its online data.
    removal_policy: RemovalPolicy = _platform_defaults.DATA_REMOVAL_POLICY
    #: The :meth:`FeatureGroup.create_only_settings` of the deployed version, committed next to the
    #: code. Default: none. When given, every difference warns at synth that the deploy replaces the
    #: group (or fails, for removed or retyped features).
    deployed_settings: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("FeatureGroupProps")
        check_name(errors, "feature_group_name", self.feature_group_name)
        self._check_features(errors)
        self._check_stores(errors)
        self._check_offline(errors)
        self._check_throughput(errors)
        if self.description is not None:
            api.check_field(errors, "description", self.description, "CreateFeatureGroup", "Description")
        errors.raise_if_any()

    @property
    def feature_map(self) -> dict[str, Feature]:
        """Features by exact name."""
        return {f.name: f for f in self.features}

    @property
    def resolved_prefix(self) -> str:
        """The offline-store key prefix, default applied."""
        return self.offline_store_prefix or f"{_defaults.OFFLINE_STORE_PREFIX}{self.feature_group_name}/"

    @property
    def resolved_table_name(self) -> str:
        """The Glue table name, default applied (Athena wants lowercase and ``_``)."""
        return self.glue_table_name or self.feature_group_name.lower().replace("-", "_")

    def _check_features(self, errors: PropsErrors) -> None:
        features = list(self.features)
        errors.check(
            0 < len(features) <= _defaults.MAX_FEATURES,
            "features",
            f"{len(features)} features",
            f"1 to {_defaults.MAX_FEATURES} features",
        )
        seen: dict[str, str] = {}
        for f in features:
            if f.name.lower() in seen:
                errors.add("features", f.name, f"names unique ignoring case ({seen[f.name.lower()]!r} exists)")
            seen.setdefault(f.name.lower(), f.name)
        by_name = self.feature_map
        for field, name, allowed in (
            (
                "record_identifier",
                self.record_identifier,
                (FeatureType.INTEGRAL, FeatureType.FRACTIONAL, FeatureType.STRING),
            ),
            ("event_time", self.event_time, (FeatureType.FRACTIONAL, FeatureType.STRING)),
        ):
            feature = by_name.get(name)
            if feature is None:
                errors.check(False, field, name, "the name of one of the features: " + ", ".join(sorted(by_name)[:20]))
                continue
            types = " or ".join(t.value for t in allowed)
            kind = feature.feature_type.value + (f" {feature.collection_type.value}" if feature.collection_type else "")
            errors.check(
                feature.feature_type in allowed and not feature.is_collection,
                field,
                f"{name} ({kind})",
                f"a scalar {types} feature",
            )
        collections = [f.name for f in features if f.is_collection]
        errors.check(
            not collections,
            "features",
            collections,
            "scalar features only: AWS::SageMaker::FeatureGroup has no CollectionType property, so List, Set "
            "and Vector features cannot be created through CloudFormation (use Feature.to_api with boto3)",
        )

    def _check_stores(self, errors: PropsErrors) -> None:
        errors.check(
            self.online_store or self.offline_store,
            "online_store/offline_store",
            (self.online_store, self.offline_store),
            "at least one store enabled",
        )
        if not self.online_store:
            errors.check(
                self.storage_type is StorageType.STANDARD,
                "storage_type",
                self.storage_type.value,
                "the default (Standard) when online_store is False",
            )
            errors.check(self.ttl is None, "ttl", self.ttl, "None when online_store is False")
        if self.storage_type is StorageType.IN_MEMORY:
            errors.check(
                self.throughput_mode is ThroughputMode.ON_DEMAND,
                "throughput_mode",
                self.throughput_mode.value,
                "OnDemand with the InMemory storage type (Provisioned needs Standard or an offline-only group)",
            )
            vectors = [f.name for f in self.features if f.collection_type is CollectionType.VECTOR]
            errors.check(len(vectors) <= 1, "features", vectors, "at most one Vector feature in an InMemory group")
        else:
            collections = [f.name for f in self.features if f.is_collection]
            errors.check(
                not collections, "features", collections, "collection features only with StorageType.IN_MEMORY"
            )

    def _check_offline(self, errors: PropsErrors) -> None:
        before = len(errors.problems)
        if self.offline_store_prefix is not None:
            errors.s3_prefix("offline_store_prefix", self.offline_store_prefix)
        if self.offline_store_prefix is not None and len(errors.problems) == before:
            errors.pattern(
                "offline_store_prefix",
                self.offline_store_prefix,
                r"[a-zA-Z0-9!_.()'-][a-zA-Z0-9!_.()'/-]{0,899}/",
                "an S3 key prefix such as 'features/customers/' (no leading '/', ends with '/', no '*')",
            )
        for field, value in (("glue_database", self.glue_database), ("glue_table_name", self.glue_table_name)):
            if value is not None:
                errors.pattern(
                    field,
                    value,
                    rf"[a-z0-9_]{{1,{_defaults.GLUE_NAME_MAX_LENGTH}}}",
                    "1-255 lowercase letters, digits and '_' (Athena's naming rule)",
                )
        if self.offline_store and self.glue_table_name is None and is_token(self.feature_group_name):
            errors.add(
                "glue_table_name",
                None,
                "a table name when feature_group_name is a token (the default is derived from the literal name)",
            )
        if self.table_format is TableFormat.ICEBERG:
            errors.check(
                not self.disable_glue_table_creation,
                "disable_glue_table_creation",
                self.disable_glue_table_creation,
                "False with TableFormat.ICEBERG (Feature Store supports Iceberg only when it creates the table)",
            )

    def _check_throughput(self, errors: PropsErrors) -> None:
        read, write = self.provisioned_read_capacity_units, self.provisioned_write_capacity_units
        if self.throughput_mode is ThroughputMode.ON_DEMAND:
            for field, value in (
                ("provisioned_read_capacity_units", read),
                ("provisioned_write_capacity_units", write),
            ):
                errors.check(value is None, field, value, "None unless throughput_mode is ThroughputMode.PROVISIONED")
            return
        errors.check(
            write is not None, "provisioned_write_capacity_units", write, "an integer with ThroughputMode.PROVISIONED"
        )
        if write is not None:
            errors.int_range("provisioned_write_capacity_units", write, 0, _defaults.MAX_CAPACITY_UNITS)
        if read is not None:
            errors.int_range("provisioned_read_capacity_units", read, 0, _defaults.MAX_CAPACITY_UNITS)
            errors.check(
                self.online_store,
                "provisioned_read_capacity_units",
                read,
                "None for an offline-only group (read capacity applies to the online store)",
            )
