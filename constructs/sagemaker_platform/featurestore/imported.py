"""Feature groups this app does not own, with the same grants, metrics and alarms."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.featurestore import _defaults
from sagemaker_platform.featurestore.base import FeatureGroupBase
from sagemaker_platform.featurestore.features import check_name


@dataclass(frozen=True, kw_only=True)
class FeatureGroupAttributes:
    """What grants need to know about an existing feature group."""

    feature_group_name: str
    #: Key of its online store. Default: none (no online store, or not encrypted with a key you grant).
    online_store_key: kms.IKey | None = None
    #: Bucket of its offline store. Default: none (``grant_query_offline`` is then unavailable).
    offline_store_bucket: s3.IBucket | None = None
    #: Default: the bucket's key.
    offline_store_key: kms.IKey | None = None
    #: Prefix ending in ``/``. Default: ``feature-store/<feature_group_name>/``.
    offline_store_prefix: str | None = None
    #: Default: ``sagemaker_featurestore``.
    glue_database: str = _defaults.GLUE_DATABASE
    #: Default: the name in lowercase with ``-`` as ``_``.
    glue_table_name: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("FeatureGroupAttributes")
        check_name(errors, "feature_group_name", self.feature_group_name)
        if self.offline_store_prefix is not None:
            errors.check(
                self.offline_store_prefix.endswith("/") and not self.offline_store_prefix.startswith("/"),
                "offline_store_prefix",
                self.offline_store_prefix,
                "a key prefix such as 'features/customers/' (ends with '/', no leading '/')",
            )
        errors.raise_if_any()


class ImportedFeatureGroup(FeatureGroupBase):
    """An existing feature group, referenced by name: grant access to it, watch its metrics."""

    def __init__(self, scope: Construct, construct_id: str, attrs: FeatureGroupAttributes) -> None:
        super().__init__(scope, construct_id)
        self.feature_group_name = attrs.feature_group_name
        self.online_store_key = attrs.online_store_key
        if attrs.offline_store_bucket is not None:
            self.offline_store_bucket = attrs.offline_store_bucket
            self.offline_store_key = attrs.offline_store_key or attrs.offline_store_bucket.encryption_key
            self.offline_store_prefix = (
                attrs.offline_store_prefix or f"{_defaults.OFFLINE_STORE_PREFIX}{attrs.feature_group_name}/"
            )
            self.glue_database = attrs.glue_database
            self.glue_table_name = attrs.glue_table_name or attrs.feature_group_name.lower().replace("-", "_")
