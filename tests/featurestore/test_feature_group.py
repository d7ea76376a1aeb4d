"""Fine-grained assertions on feature groups, their roles, grants, metrics, alarms and warnings."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from syrupy.extensions.json import JSONSnapshotExtension

from sagemaker_platform import (
    AccessLogsBucket,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.featurestore import (
    CollectionType,
    Feature,
    FeatureGroup,
    FeatureGroupAttributes,
    FeatureGroupProps,
    StorageType,
    TableFormat,
    replacement,
)
from tests.featurestore.conftest import CUSTOMER_FEATURES, FeatureStoreApp
from tests.harness import make_app, normalize_template

# Logical IDs of the feature groups and of the roles they were created with. Every one of these
# is create-only state: a new logical ID for a group (or for its RoleArn) makes CloudFormation
# replace the group, which with a fixed name and RETAIN fails the deploy, and once the old group
# is deleted by hand the online store starts empty. Renaming construct IDs is a migration.
PINNED = {
    "AWS::SageMaker::FeatureGroup": {"Customers6955EA0A", "Transactions098C5767"},
    "AWS::IAM::Role": {"CustomersRoleD266391B", "TransactionsRole6C4B5324"},
}


def _arn(name: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":sagemaker:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":feature-group/{name}",
            ],
        ]
    }


def _key(logical_prefix: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [Match.string_like_regexp(logical_prefix), "Arn"]}


def _statements(template: Template, policy_prefix: str) -> list[dict[str, Any]]:
    for logical_id, policy in template.find_resources("AWS::IAM::ManagedPolicy").items():
        if logical_id.startswith(policy_prefix):
            statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no managed policy {policy_prefix}*")


def _small_stack(**props: Any) -> tuple[Stack, FeatureGroup]:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.FEATURE_STORE)))
    data = SecureBucket(
        stack,
        "Data",
        SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "Logs").bucket),
    )
    defaults: dict[str, Any] = {
        "feature_group_name": "customers",
        "features": CUSTOMER_FEATURES,
        "record_identifier": "customer_id",
        "event_time": "event_time",
        "online_store_key": keys.feature_store,
        "offline_store_bucket": data.bucket,
    }
    group = FeatureGroup(stack, "Group", FeatureGroupProps(**{**defaults, **props}))
    return stack, group


# --- the feature group resource ---------------------------------------------------------------


def test_online_and_offline_group_is_encrypted_typed_and_retained(fs_app: FeatureStoreApp) -> None:
    fs_app.template.has_resource(
        "AWS::SageMaker::FeatureGroup",
        {
            "Properties": {
                "FeatureGroupName": "customers",
                "Description": "Customer aggregates for fraud scoring",
                "RecordIdentifierFeatureName": "customer_id",
                "EventTimeFeatureName": "event_time",
                "FeatureDefinitions": [
                    {"FeatureName": "customer_id", "FeatureType": "String"},
                    {"FeatureName": "event_time", "FeatureType": "String"},
                    {"FeatureName": "orders_30d", "FeatureType": "Integral"},
                    {"FeatureName": "spend_30d", "FeatureType": "Fractional"},
                    {"FeatureName": "segment", "FeatureType": "String"},
                ],
                "OnlineStoreConfig": {
                    "EnableOnlineStore": True,
                    "SecurityConfig": {"KmsKeyId": _key("KeysFeatureStoreKey")},
                    "StorageType": "Standard",
                    "TtlDuration": {"Unit": "Days", "Value": 30},
                },
                "OfflineStoreConfig": {
                    "S3StorageConfig": {
                        "S3Uri": {
                            "Fn::Join": [
                                "",
                                ["s3://", {"Ref": Match.string_like_regexp("Data")}, "/feature-store/customers"],
                            ]
                        },
                        "KmsKeyId": _key("KeysDataKey"),
                    },
                    "DataCatalogConfig": {
                        "Catalog": "AwsDataCatalog",
                        "Database": "sagemaker_featurestore",
                        "TableName": "customers",
                    },
                    "DisableGlueTableCreation": False,
                    "TableFormat": "Iceberg",
                },
                "RoleArn": {"Fn::GetAtt": [Match.string_like_regexp("CustomersRole"), "Arn"]},
                "ThroughputConfig": {"ThroughputMode": "OnDemand"},
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_offline_only_group_disables_the_online_store_and_provisions_writes(fs_app: FeatureStoreApp) -> None:
    fs_app.template.has_resource_properties(
        "AWS::SageMaker::FeatureGroup",
        {
            "FeatureGroupName": "transactions",
            "OnlineStoreConfig": {"EnableOnlineStore": False},
            "OfflineStoreConfig": Match.object_like(
                {"TableFormat": "Iceberg", "DataCatalogConfig": Match.object_like({"TableName": "transactions"})}
            ),
            "ThroughputConfig": {"ThroughputMode": "Provisioned", "ProvisionedWriteCapacityUnits": 50},
        },
    )


@pytest.mark.parametrize("rtype", sorted(PINNED))
def test_logical_ids_of_groups_and_their_roles_are_pinned(fs_app: FeatureStoreApp, rtype: str) -> None:
    actual = set(fs_app.template.find_resources(rtype))
    if rtype == "AWS::IAM::Role":
        actual = {lid for lid in actual if lid.startswith(("Customers", "Transactions"))}
    assert actual == PINNED[rtype], (
        f"logical IDs of {rtype} changed: {sorted(actual)} != {sorted(PINNED[rtype])}. A feature group (or the "
        "RoleArn it was created with) under a new logical ID is replaced: restore the construct ID."
    )


def test_glue_table_format_and_online_only_group() -> None:
    stack, _ = _small_stack(table_format=TableFormat.GLUE, glue_table_name="customers_v2", glue_database="features")
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::FeatureGroup",
        {
            "OfflineStoreConfig": Match.object_like(
                {
                    "TableFormat": "Glue",
                    "DataCatalogConfig": {
                        "Catalog": "AwsDataCatalog",
                        "Database": "features",
                        "TableName": "customers_v2",
                    },
                }
            )
        },
    )
    stack, group = _small_stack(offline_store=False, storage_type=StorageType.IN_MEMORY)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::FeatureGroup",
        {
            "OnlineStoreConfig": Match.object_like({"StorageType": "InMemory"}),
            "OfflineStoreConfig": Match.absent(),
            "RoleArn": Match.absent(),
        },
    )
    template.resource_count_is("AWS::IAM::Role", 0)
    assert group.role is None and group.offline_store_bucket is None


# --- the offline store's role ---------------------------------------------------------------------


def test_offline_store_role_trusts_sagemaker_of_this_account_without_managed_aws_policies(
    fs_app: FeatureStoreApp,
) -> None:
    roles = fs_app.template.find_resources("AWS::IAM::Role")
    role = roles[next(lid for lid in roles if lid.startswith("CustomersRole"))]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    ((policy,),) = [[arn["Ref"] for arn in role["ManagedPolicyArns"]]]
    assert policy.startswith("CustomersRolePolicy"), "only our customer-managed policy, no AWS-managed one"
    assert "FullAccess" not in str(roles)


def test_offline_store_role_is_scoped_to_its_prefix_table_and_key(fs_app: FeatureStoreApp) -> None:
    statements = _statements(fs_app.template, "CustomersRolePolicy")
    by_action = {tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],): s for s in statements}
    objects = by_action[("s3:GetObject", "s3:PutObject", "s3:PutObjectAcl")]["Resource"]
    assert objects["Fn::Join"][1][-1] == "/feature-store/customers/*"
    glue = by_action[("glue:GetTable", "glue:UpdateTable")]["Resource"]
    assert [part["Fn::Join"][1][-1] for part in glue] == [
        ":catalog",
        ":database/sagemaker_featurestore",
        ":table/sagemaker_featurestore/customers",
    ]
    assert by_action[("kms:Decrypt", "kms:GenerateDataKey")]["Resource"]["Fn::GetAtt"][0].startswith("KeysDataKey")
    assert by_action[("s3:GetBucketAcl",)]["Resource"]["Fn::GetAtt"][0].startswith("Data")
    assert "'*'" not in str([s["Resource"] for s in statements]) and "s3:*" not in str(statements)


# --- grants -----------------------------------------------------------------------------------------


def test_grant_ingest_allows_put_and_delete_on_these_groups_and_decrypt_on_the_online_key(
    fs_app: FeatureStoreApp,
) -> None:
    statements = _statements(fs_app.template, "IngestRolePolicy")
    assert {
        "Action": ["sagemaker:DeleteRecord", "sagemaker:DescribeFeatureGroup", "sagemaker:PutRecord"],
        "Effect": "Allow",
        "Resource": [_arn("customers"), _arn("transactions")],
    } in statements
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert [s["Resource"]["Fn::GetAtt"][0] for s in decrypt] == ["KeysFeatureStoreKey56DB9B1A"]


def test_grant_read_allows_get_and_batch_get_only(fs_app: FeatureStoreApp) -> None:
    statements = _statements(fs_app.template, "ReaderPolicy")
    assert statements[0] == {
        "Action": ["sagemaker:BatchGetRecord", "sagemaker:DescribeFeatureGroup", "sagemaker:GetRecord"],
        "Effect": "Allow",
        "Resource": _arn("customers"),
    }
    assert len(statements) == 2 and statements[1]["Action"] == "kms:Decrypt"


def test_grant_query_offline_reads_one_table_and_prefix_and_writes_results(fs_app: FeatureStoreApp) -> None:
    statements = _statements(fs_app.template, "AnalystPolicy")
    text = str(statements)
    assert ":table/sagemaker_featurestore/transactions" in text and "customers" not in text
    assert ":workgroup/primary" in text
    reads = next(s for s in statements if s["Action"] == "s3:GetObject")
    assert reads["Resource"]["Fn::Join"][1][-1] == "/feature-store/transactions/*"
    listing = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert [s["Condition"]["StringLike"]["s3:prefix"] for s in listing] == [
        ["feature-store/transactions/*"],
        ["athena-results/*"],
    ]
    location = next(s for s in statements if "s3:GetBucketLocation" in s["Action"])
    assert "Condition" not in location, "GetBucketLocation has no s3:prefix key: a condition would deny it"
    assert not [
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]) if "*" in a
    ]


def test_grants_on_a_mixed_case_name_cover_the_lowercase_arn_sagemaker_uses() -> None:
    stack = Stack(make_app(), "S")
    group = FeatureGroup.from_feature_group_attributes(
        stack, "Imported", FeatureGroupAttributes(feature_group_name="Customers")
    )
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    group.grant_read(role)
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": [Match.object_like({"Resource": [_arn("Customers"), _arn("customers")]})]}},
    )


def test_imported_group_without_offline_store_cannot_grant_queries() -> None:
    stack = Stack(make_app(), "S")
    group = FeatureGroup.from_feature_group_attributes(
        stack, "Imported", FeatureGroupAttributes(feature_group_name="x")
    )
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValueError, match="grant_query_offline needs an offline store"):
        group.grant_query_offline(role)


# --- metrics and alarms -------------------------------------------------------------------------------


def test_alarms_watch_documented_metrics_and_notify_the_topic(fs_app: FeatureStoreApp) -> None:
    for metric, operation, statistic, threshold in (
        ("ThrottledRequests", "PutRecord", {"Statistic": "Sum"}, 0),
        ("Latency", "GetRecord", {"ExtendedStatistic": "p99"}, 50000),
    ):
        fs_app.template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": "AWS/SageMaker",
                "MetricName": metric,
                "Dimensions": Match.array_with(
                    [{"Name": "FeatureGroupName", "Value": "customers"}, {"Name": "OperationName", "Value": operation}]
                ),
                **statistic,
                "Period": 60,
                "Threshold": threshold,
                "EvaluationPeriods": 5,
                "DatapointsToAlarm": 3,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": Match.string_like_regexp("Alarms")}],
                "OKActions": [{"Ref": Match.string_like_regexp("Alarms")}],
            },
        )


def test_metric_factories_use_the_documented_names_and_dimensions(fs_app: FeatureStoreApp) -> None:
    group = fs_app.customers
    metric = group.metric_operation_5xx_errors("DeleteRecord")
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/SageMaker", "Operation5XXErrors", "Sum")
    assert metric.dimensions == {"FeatureGroupName": "customers", "OperationName": "DeleteRecord"}
    assert group.metric("ConsumedWriteCapacityUnits", "PutRecord").metric_name == "ConsumedWriteCapacityUnits"
    assert group.metric_invocations().metric_name == "Invocations"
    assert group.metric_operation_4xx_errors().metric_name == "Operation4XXErrors"


# --- replacement safety -----------------------------------------------------------------------------


def test_create_only_settings_match_the_synthesized_template(fs_app: FeatureStoreApp) -> None:
    resources = fs_app.template.find_resources("AWS::SageMaker::FeatureGroup")
    for group in (fs_app.customers, fs_app.transactions):
        properties = resources[fs_app.stack.resolve(group.cfn_feature_group.logical_id)]["Properties"]
        assert group.create_only_settings() == replacement.create_only_settings(properties)


def test_no_warning_when_the_deployed_settings_are_unchanged() -> None:
    stack, group = _small_stack()
    deployed = group.create_only_settings()
    stack, _ = _small_stack(deployed_settings=deployed)
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_warns_when_a_create_only_setting_changed() -> None:
    _, before = _small_stack()
    stack, _ = _small_stack(storage_type=StorageType.IN_MEMORY, deployed_settings=before.create_only_settings())
    Annotations.from_stack(stack).has_warning(
        "/S/Group", Match.string_like_regexp(r"OnlineStoreConfig.StorageType changed since deployed_settings")
    )


def test_warns_when_tags_added_by_an_aspect_would_replace_the_group() -> None:
    _, before = _small_stack()
    stack, _ = _small_stack(deployed_settings=before.create_only_settings())
    Tags.of(stack).add("team", "fraud")
    Annotations.from_stack(stack).has_warning("/S/Group", Match.string_like_regexp(r"\bTags changed"))


def test_warns_when_a_feature_is_removed_or_retyped() -> None:
    _, before = _small_stack()
    retyped = (*CUSTOMER_FEATURES[:3], Feature.integral("spend_30d"))
    stack, _ = _small_stack(features=retyped, deployed_settings=before.create_only_settings())
    Annotations.from_stack(stack).has_warning(
        "/S/Group", Match.string_like_regexp(r"features segment, spend_30d were removed or retyped")
    )


def test_warns_when_not_retained() -> None:
    stack, _ = _small_stack(removal_policy=RemovalPolicy.DESTROY)
    Annotations.from_stack(stack).has_warning("/S/Group", Match.string_like_regexp("not RETAIN"))
    Template.from_stack(stack).has_resource("AWS::SageMaker::FeatureGroup", {"DeletionPolicy": "Delete"})


# --- typed features -------------------------------------------------------------------------------------


def test_collection_features_render_the_create_feature_group_api_shape() -> None:
    assert Feature.vector("embedding", dimension=128).to_api() == {
        "FeatureName": "embedding",
        "FeatureType": "Fractional",
        "CollectionType": "Vector",
        "CollectionConfig": {"VectorConfig": {"Dimension": 128}},
    }
    assert Feature.string("tags", collection_type=CollectionType.SET).to_api() == {
        "FeatureName": "tags",
        "FeatureType": "String",
        "CollectionType": "Set",
    }
    assert Feature.integral("n").to_cfn() == {"FeatureName": "n", "FeatureType": "Integral"}


# --- guard -------------------------------------------------------------------------------------------------


def test_feature_group_resources_snapshot(fs_app: FeatureStoreApp, snapshot) -> None:  # type: ignore[no-untyped-def]
    # Only what the two FeatureGroup constructs own (group, role, policy, alarms): the foundation
    # constructs around them have snapshots of their own.
    template = normalize_template(fs_app.template.to_json())
    owned = {lid: r for lid, r in template["Resources"].items() if lid.startswith(("Customers", "Transactions"))}
    assert len(owned) == 8
    assert owned == snapshot(extension_class=JSONSnapshotExtension)
