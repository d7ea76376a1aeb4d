"""A SageMaker Feature Store feature group: typed, encrypted with customer keys, retained."""

from __future__ import annotations

import re
from typing import Any

import jsii
from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IValidation

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.compliance import acknowledge_wildcard_resources
from sagemaker_platform.featurestore import _defaults, replacement
from sagemaker_platform.featurestore.base import FeatureGroupBase, glue_arns
from sagemaker_platform.featurestore.imported import FeatureGroupAttributes, ImportedFeatureGroup
from sagemaker_platform.featurestore.props import FeatureGroupProps
from sagemaker_platform.foundations.roles import SAGEMAKER_SERVICE


class FeatureGroup(FeatureGroupBase):
    """A feature group with an online store, an offline store, or both.

    Defaults: online store on (Standard tier, customer key), offline store on (Iceberg table in
    Glue, objects in the given bucket under ``feature-store/<name>/`` with the bucket's key),
    OnDemand throughput, RETAIN. The offline store writes through a role of its own whose one
    customer-managed policy allows only that prefix, that Glue table and that key.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FeatureGroupProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.feature_group_name = props.feature_group_name
        self.online_store_key = props.online_store_key if props.online_store else None
        if props.offline_store:
            self.offline_store_bucket = props.offline_store_bucket
            self.offline_store_key = props.offline_store_key or (
                props.offline_store_bucket.encryption_key if props.offline_store_bucket else None
            )
            self.offline_store_prefix = props.resolved_prefix
            self.glue_database = props.glue_database
            self.glue_table_name = props.resolved_table_name
        self._check_tree()

        self.role: iam.Role | None = None
        self.policy: iam.ManagedPolicy | None = None
        if props.offline_store:
            self._create_role()
        self.cfn_feature_group = sagemaker.CfnFeatureGroup(
            self,
            "Resource",
            feature_group_name=props.feature_group_name,
            record_identifier_feature_name=props.record_identifier,
            event_time_feature_name=props.event_time,
            feature_definitions=[
                sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(
                    feature_name=f.name, feature_type=f.feature_type.value
                )
                for f in props.features
            ],
            description=props.description,
            online_store_config=self._online_store_config(),
            offline_store_config=self._offline_store_config(),
            role_arn=self.role.role_arn if self.role else None,
            throughput_config=sagemaker.CfnFeatureGroup.ThroughputConfigProperty(
                throughput_mode=props.throughput_mode.value,
                provisioned_read_capacity_units=props.provisioned_read_capacity_units,
                provisioned_write_capacity_units=props.provisioned_write_capacity_units,
            ),
        )
        self.cfn_feature_group.apply_removal_policy(props.removal_policy)
        if props.removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:feature-group-not-retained",
                f"FeatureGroup {construct_id}: removal_policy is not RETAIN; deleting the stack or replacing "
                "the group deletes the online store's records (the offline store's objects stay in S3).",
            )
        self.node.add_validation(_ReplacementCheck(self))

    @staticmethod
    def from_feature_group_attributes(
        scope: Construct, construct_id: str, attrs: FeatureGroupAttributes
    ) -> ImportedFeatureGroup:
        """A feature group this app does not own, for grants, metrics and alarms."""
        return ImportedFeatureGroup(scope, construct_id, attrs)

    def create_only_settings(self) -> dict[str, str]:
        """This group's create-only settings and features, as strings.

        Commit the result of a deployed version and pass it back as ``FeatureGroupProps.deployed_settings``.
        Tags are included, and aspects add them at synthesis: call this after ``app.synth()``.
        """
        stack = Stack.of(self)
        cfn = self.cfn_feature_group
        properties: dict[str, Any] = {
            "FeatureGroupName": cfn.feature_group_name,
            "RecordIdentifierFeatureName": cfn.record_identifier_feature_name,
            "EventTimeFeatureName": cfn.event_time_feature_name,
            "FeatureDefinitions": cfn.feature_definitions,
            "OnlineStoreConfig": cfn.online_store_config,
            "OfflineStoreConfig": cfn.offline_store_config,
            "RoleArn": cfn.role_arn,
            "Description": cfn.description,
            "Tags": cfn.tags.render_tags(),
        }
        return replacement.create_only_settings(_pascal(stack.resolve(properties)))

    def _check_tree(self) -> None:
        props = self.props
        errors = PropsErrors(f"FeatureGroup {self.node.path}")
        if props.online_store:
            errors.check(
                props.online_store_key is not None,
                "online_store_key",
                None,
                "a customer-managed kms.IKey (e.g. PlatformKeys.feature_store) when online_store is True",
            )
        if props.offline_store:
            errors.check(
                props.offline_store_bucket is not None,
                "offline_store_bucket",
                None,
                "an s3.IBucket (e.g. SecureBucket.bucket) when offline_store is True",
            )
            bucket_key = props.offline_store_bucket.encryption_key if props.offline_store_bucket else None
            if props.offline_store_bucket is not None:
                errors.check(
                    self.offline_store_key is not None,
                    "offline_store_key",
                    None,
                    "a customer-managed kms.IKey: the bucket has no key known to this app (pass the bucket's key)",
                )
            if props.offline_store_key is not None and bucket_key is not None:
                errors.check(
                    _same_key(self, props.offline_store_key, bucket_key),
                    "offline_store_key",
                    props.offline_store_key.node.path,
                    f"the bucket's own key ({bucket_key.node.path}): the bucket denies uploads with any other key",
                )
        for field in ("online_store_key", "offline_store_key"):
            alias = getattr(getattr(props, field), "alias_name", None)  # kms.IAlias is not runtime-checkable
            if isinstance(alias, str) and re.match(r"alias/aws/", alias):
                errors.add(field, alias, "a customer-managed key, not an AWS managed key alias")
        errors.raise_if_any()

    # OnlineStoreConfig and OfflineStoreConfig are untyped (JSON) in the L1, so CDK renders them
    # verbatim: they are built with the CloudFormation property names, not the struct classes.
    def _online_store_config(self) -> dict[str, Any]:
        props = self.props
        if not props.online_store or self.online_store_key is None:
            return {"EnableOnlineStore": False}
        config: dict[str, Any] = {
            "EnableOnlineStore": True,
            "SecurityConfig": {"KmsKeyId": self.online_store_key.key_arn},
            "StorageType": props.storage_type.value,
        }
        if props.ttl is not None:
            config["TtlDuration"] = {"Unit": props.ttl.unit.value, "Value": props.ttl.value}
        return config

    def _offline_store_config(self) -> dict[str, Any] | None:
        bucket, key, prefix = self.offline_store_bucket, self.offline_store_key, self.offline_store_prefix
        if bucket is None or key is None or prefix is None or self.glue_table_name is None:
            return None
        return {
            # Feature Store appends /<account>/sagemaker/<region>/offline-store/<group>-<time>/ to the URI.
            "S3StorageConfig": {"S3Uri": bucket.s3_url_for_object(prefix.rstrip("/")), "KmsKeyId": key.key_arn},
            "DataCatalogConfig": {
                "Catalog": _defaults.GLUE_CATALOG,
                "Database": self.props.glue_database,
                "TableName": self.glue_table_name,
            },
            "DisableGlueTableCreation": self.props.disable_glue_table_creation,
            "TableFormat": self.props.table_format.value,
        }

    def _create_role(self) -> None:
        bucket, key, prefix = self.offline_store_bucket, self.offline_store_key, self.offline_store_prefix
        assert bucket is not None and key is not None and prefix is not None and self.glue_table_name is not None
        stack = Stack.of(self)
        objects = bucket.arn_for_objects(f"{prefix}*")
        # The permissions of AmazonSageMakerFeatureStoreAccess, scoped from "*sagemaker*" buckets and
        # the whole sagemaker_featurestore database down to this group's prefix, table and key.
        self.policy = iam.ManagedPolicy(
            self,
            "RolePolicy",
            description=f"Offline store of feature group {self.props.feature_group_name}",
            statements=[
                iam.PolicyStatement(actions=["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject"], resources=[objects]),
                iam.PolicyStatement(actions=["s3:GetBucketAcl"], resources=[bucket.bucket_arn]),
                iam.PolicyStatement(
                    actions=["glue:GetTable", "glue:UpdateTable"],
                    resources=glue_arns(stack, self.props.glue_database, self.glue_table_name),
                ),
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn]),
            ],
        )
        acknowledge_wildcard_resources(
            self.policy,
            [objects],
            reason="Feature Store writes offline-store files under <prefix>/<account>/sagemaker/<region>/"
            "offline-store/<group>-<time>/ with generated names; the bucket and this group's prefix are fixed.",
        )
        self.role = iam.Role(
            self,
            "Role",
            description=f"Feature Store offline store of {self.props.feature_group_name}",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE).with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            managed_policies=[self.policy],
        )


@jsii.implements(IValidation)
class _ReplacementCheck:
    """At synth (after aspects added tags), warn about changes to create-only settings."""

    def __init__(self, group: FeatureGroup) -> None:
        self.group = group

    def validate(self) -> list[str]:
        deployed = self.group.props.deployed_settings
        if deployed is None:
            return []
        replaced, features = replacement.replacement_changes(deployed, self.group.create_only_settings())
        name = self.group.props.feature_group_name
        if replaced:
            Annotations.of(self.group).add_warning_v2(
                "sagemaker-platform:feature-group-replacement",
                f"FeatureGroup {name}: {', '.join(replaced)} changed since deployed_settings. These are "
                "create-only: CloudFormation replaces the group. With a fixed name and RETAIN the deploy "
                "fails on the existing name; after deleting the old group its online store starts empty.",
            )
        if features:
            Annotations.of(self.group).add_warning_v2(
                "sagemaker-platform:feature-group-features-removed",
                f"FeatureGroup {name}: features {', '.join(features)} were removed or retyped since "
                "deployed_settings. SageMaker only adds features: this update fails.",
            )
        return []


def _same_key(scope: Construct, a: kms.IKey, b: kms.IKey) -> bool:
    stack = Stack.of(scope)
    return a is b or bool(stack.resolve(a.key_arn) == stack.resolve(b.key_arn))


def _pascal(value: Any) -> Any:
    """CDK's L1 rendering of these structs: the first letter of each property name in uppercase."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


__all__ = ["FeatureGroup"]
