"""Every feature store validation path: bad input fails at synth naming field, value and what is allowed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pytest
from aws_cdk import Fn, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

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
    FeatureGroupAlarmProps,
    FeatureGroupAttributes,
    FeatureGroupProps,
    FeatureType,
    SchemaError,
    StorageType,
    TableFormat,
    ThroughputMode,
    Ttl,
    features_from_arrow_schema,
    features_from_dataclass,
    features_from_pandas,
)
from sagemaker_platform.featurestore.metrics import feature_group_metric
from tests.harness import make_app

FEATURES = (Feature.string("id"), Feature.string("event_time"), Feature.fractional("score"))


def props(**overrides: Any) -> FeatureGroupProps:
    """Valid offline-only props (no construct tree needed) with ``overrides`` applied."""
    base: dict[str, Any] = {
        "feature_group_name": "scores",
        "features": FEATURES,
        "record_identifier": "id",
        "event_time": "event_time",
        "online_store": False,
    }
    return FeatureGroupProps(**{**base, **overrides})


@pytest.fixture(scope="module")
def tree() -> dict[str, Any]:
    stack = Stack(make_app(), "S")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.FEATURE_STORE)))
    logs = AccessLogsBucket(stack, "Logs")
    data = SecureBucket(stack, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs.bucket))
    return {"stack": stack, "keys": keys, "data": data}


def test_props_are_keyword_only_and_frozen() -> None:
    valid = props()
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.feature_group_name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        FeatureGroupProps("scores", FEATURES, "id", "event_time")  # type: ignore[misc]


# --- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["customers!", "-customers", "customers_", "customer features", "a" * 65, ""])
def test_fails_feature_group_name_outside_the_sagemaker_pattern(name: str) -> None:
    with pytest.raises(ValueError, match=r"feature_group_name: got .*; allowed: 1-64 letters, digits, '-' and '_'"):
        props(feature_group_name=name)


def test_fails_feature_name_outside_the_pattern() -> None:
    with pytest.raises(
        ValueError, match=r"Feature 'order count' is invalid:\n  - name: got 'order count'; allowed: 1-64"
    ):
        Feature.integral("order count")


@pytest.mark.parametrize("name", ["is_deleted", "write_time", "API_INVOCATION_TIME"])
def test_fails_reserved_feature_names(name: str) -> None:
    with pytest.raises(ValueError, match=rf"name: got '{name}'; allowed: a name other than the reserved is_deleted"):
        Feature.string(name)


def test_fails_duplicate_feature_names_ignoring_case() -> None:
    with pytest.raises(
        ValueError, match=r"features: got 'Score'; allowed: names unique ignoring case \('score' exists\)"
    ):
        props(features=(*FEATURES, Feature.integral("Score")))


# --- feature count, record identifier, event time ----------------------------------------------------------


def test_fails_more_than_2500_features() -> None:
    many = (*FEATURES, *(Feature.fractional(f"f{i}") for i in range(2498)))
    assert len(many) == 2501
    with pytest.raises(ValueError, match=r"features: got '2501 features'; allowed: 1 to 2500 features"):
        props(features=many)


def test_passes_exactly_2500_features() -> None:
    assert len(props(features=(*FEATURES, *(Feature.fractional(f"f{i}") for i in range(2497)))).features) == 2500


def test_fails_without_features() -> None:
    with pytest.raises(ValueError, match=r"features: got '0 features'"):
        props(features=())


def test_fails_record_identifier_that_is_not_a_feature() -> None:
    with pytest.raises(
        ValueError,
        match=r"record_identifier: got 'customer_id'; allowed: the name of one of the features: event_time, id, score",
    ):
        props(record_identifier="customer_id")


def test_fails_event_time_that_is_not_a_feature() -> None:
    with pytest.raises(ValueError, match=r"event_time: got 'ts'; allowed: the name of one of the features"):
        props(event_time="ts")


def test_fails_integral_event_time() -> None:
    features = (Feature.string("id"), Feature.integral("event_time"))
    with pytest.raises(
        ValueError, match=r"event_time: got 'event_time \(Integral\)'; allowed: a scalar Fractional or String feature"
    ):
        props(features=features)


# --- online store, TTL, storage type ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_fails_ttl_that_is_not_a_positive_integer(value: Any) -> None:
    with pytest.raises(ValueError, match=rf"Ttl is invalid:\n  - value: got {value}; allowed: an integer >= 1"):
        Ttl(value=value)


def test_fails_ttl_without_online_store() -> None:
    with pytest.raises(ValueError, match=r"ttl: got Ttl\(value=7.*; allowed: None when online_store is False"):
        props(ttl=Ttl(value=7))


def test_fails_with_neither_store_enabled() -> None:
    with pytest.raises(
        ValueError, match=r"online_store/offline_store: got \(False, False\); allowed: at least one store enabled"
    ):
        props(offline_store=False)


def test_fails_in_memory_without_online_store() -> None:
    with pytest.raises(
        ValueError, match=r"storage_type: got 'InMemory'; allowed: the default \(Standard\) when online_store is False"
    ):
        props(storage_type=StorageType.IN_MEMORY)


def test_fails_in_memory_with_provisioned_throughput() -> None:
    with pytest.raises(
        ValueError, match=r"throughput_mode: got 'Provisioned'; allowed: OnDemand with the InMemory storage type"
    ):
        props(
            online_store=True,
            storage_type=StorageType.IN_MEMORY,
            throughput_mode=ThroughputMode.PROVISIONED,
            provisioned_write_capacity_units=5,
        )


def test_fails_collection_features_which_cloudformation_cannot_express() -> None:
    features = (*FEATURES, Feature.string("tags", collection_type=CollectionType.LIST))
    with pytest.raises(ValueError) as info:
        props(online_store=True, features=features)
    message = str(info.value)
    assert (
        "features: got ['tags']; allowed: scalar features only: AWS::SageMaker::FeatureGroup has no CollectionType"
        in message
    )
    assert "features: got ['tags']; allowed: collection features only with StorageType.IN_MEMORY" in message


def test_fails_two_vectors_in_an_in_memory_group() -> None:
    features = (*FEATURES, Feature.vector("a", dimension=4), Feature.vector("b", dimension=4))
    with pytest.raises(
        ValueError, match=r"features: got \['a', 'b'\]; allowed: at most one Vector feature in an InMemory group"
    ):
        props(online_store=True, storage_type=StorageType.IN_MEMORY, features=features)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"feature_type": FeatureType.STRING, "collection_type": CollectionType.VECTOR, "vector_dimension": 3},
            r"feature_type: got 'String'; allowed: 'Fractional' for a Vector",
        ),
        (
            {
                "feature_type": FeatureType.FRACTIONAL,
                "collection_type": CollectionType.VECTOR,
                "vector_dimension": 8193,
            },
            r"vector_dimension: got 8193; allowed: an integer from 1 to 8192",
        ),
        (
            {"feature_type": FeatureType.FRACTIONAL, "collection_type": CollectionType.VECTOR},
            r"vector_dimension: got None; allowed: an integer from 1 to 8192",
        ),
        (
            {"feature_type": FeatureType.FRACTIONAL, "vector_dimension": 3},
            r"vector_dimension: got 3; allowed: None unless collection_type is CollectionType.VECTOR",
        ),
        ({"feature_type": "Integral"}, r"feature_type: got 'Integral'; allowed: a FeatureType"),
    ],
    ids=["string-vector", "dimension-too-big", "dimension-missing", "dimension-without-vector", "type-as-string"],
)
def test_fails_bad_feature_definitions(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Feature(name="embedding", **kwargs)


def test_fails_scalar_only_cloudformation_rendering_of_a_collection() -> None:
    with pytest.raises(ValueError, match=r"collection_type CollectionType.LIST cannot be expressed"):
        Feature.string("tags", collection_type=CollectionType.LIST).to_cfn()


# --- throughput ------------------------------------------------------------------------------------------


def test_fails_provisioned_units_in_on_demand_mode() -> None:
    with pytest.raises(ValueError) as info:
        props(provisioned_read_capacity_units=5, provisioned_write_capacity_units=5)
    for field in ("provisioned_read_capacity_units", "provisioned_write_capacity_units"):
        assert f"{field}: got 5; allowed: None unless throughput_mode is ThroughputMode.PROVISIONED" in str(info.value)


def test_fails_provisioned_mode_without_write_units() -> None:
    with pytest.raises(
        ValueError,
        match=r"provisioned_write_capacity_units: got None; allowed: an integer with ThroughputMode.PROVISIONED",
    ):
        props(throughput_mode=ThroughputMode.PROVISIONED)


def test_fails_read_units_on_an_offline_only_group() -> None:
    with pytest.raises(
        ValueError, match=r"provisioned_read_capacity_units: got 5; allowed: None for an offline-only group"
    ):
        props(
            throughput_mode=ThroughputMode.PROVISIONED,
            provisioned_write_capacity_units=5,
            provisioned_read_capacity_units=5,
        )


def test_fails_capacity_above_the_schema_maximum() -> None:
    with pytest.raises(
        ValueError, match=r"provisioned_write_capacity_units: got 10000001; allowed: an integer from 0 to 10000000"
    ):
        props(throughput_mode=ThroughputMode.PROVISIONED, provisioned_write_capacity_units=10_000_001)


# --- offline store ---------------------------------------------------------------------------------------


def test_fails_iceberg_without_glue_table_creation() -> None:
    with pytest.raises(
        ValueError, match=r"disable_glue_table_creation: got True; allowed: False with TableFormat.ICEBERG"
    ):
        props(disable_glue_table_creation=True)
    assert props(disable_glue_table_creation=True, table_format=TableFormat.GLUE).disable_glue_table_creation


@pytest.mark.parametrize(("field", "value"), [("glue_database", "Feature-Store"), ("glue_table_name", "scores v2")])
def test_fails_glue_names_athena_cannot_query(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"{field}: got '{value}'; allowed: 1-255 lowercase letters, digits and '_'"):
        props(**{field: value})


@pytest.mark.parametrize("prefix", ["/features/", "features", "features/*/"])
def test_fails_offline_store_prefix_that_is_not_a_key_prefix(prefix: str) -> None:
    with pytest.raises(
        ValueError,
        match=r"offline_store_prefix: got .*; allowed: (an S3 key prefix|a key prefix without a leading '/')",
    ):
        props(offline_store_prefix=prefix)


def test_fails_description_longer_than_128_characters() -> None:
    with pytest.raises(ValueError, match=r"description: got 'd{129}'; allowed: a string of 0 to 128 characters"):
        props(description="d" * 129)


def test_fails_token_name_without_an_explicit_table_name() -> None:
    name = Fn.import_value("GroupName")
    with pytest.raises(
        ValueError, match=r"glue_table_name: got None; allowed: a table name when feature_group_name is a token"
    ):
        props(feature_group_name=name)
    assert props(feature_group_name=name, glue_table_name="scores").feature_group_name == name


def test_fails_with_every_problem_at_once() -> None:
    with pytest.raises(ValueError) as info:
        props(feature_group_name="bad name", record_identifier="nope", ttl=Ttl(value=1), description="d" * 200)
    message = str(info.value)
    assert message.startswith("FeatureGroupProps is invalid:")
    for field in ("feature_group_name", "record_identifier", "ttl", "description"):
        assert f"  - {field}: got" in message


# --- checks against the construct tree ------------------------------------------------------------------


def test_fails_online_store_without_a_key(tree: dict[str, Any]) -> None:
    with pytest.raises(
        ValueError,
        match=r"FeatureGroup S/NoKey is invalid:\n  - online_store_key: got None; allowed: a customer-managed kms.IKey",
    ):
        FeatureGroup(tree["stack"], "NoKey", props(online_store=True, offline_store=False))


def test_fails_offline_store_without_a_bucket(tree: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"offline_store_bucket: got None; allowed: an s3.IBucket"):
        FeatureGroup(tree["stack"], "NoBucket", props())


def test_fails_offline_key_other_than_the_buckets_key(tree: dict[str, Any]) -> None:
    with pytest.raises(
        ValueError,
        match=r"offline_store_key: got 'S/Keys/FeatureStoreKey'; allowed: the bucket's own key \(S/Keys/DataKey\)",
    ):
        FeatureGroup(
            tree["stack"],
            "WrongKey",
            props(offline_store_bucket=tree["data"].bucket, offline_store_key=tree["keys"].feature_store),
        )


def test_fails_imported_bucket_without_a_key(tree: dict[str, Any]) -> None:
    bucket = s3.Bucket.from_bucket_name(tree["stack"], "ImportedBucket", "features-bucket")
    with pytest.raises(
        ValueError, match=r"offline_store_key: got None; allowed: a customer-managed kms.IKey: the bucket has no key"
    ):
        FeatureGroup(tree["stack"], "Imported", props(offline_store_bucket=bucket))


def test_fails_aws_managed_key_alias(tree: dict[str, Any]) -> None:
    managed = kms.Alias.from_alias_name(tree["stack"], "Managed", "alias/aws/sagemaker")
    with pytest.raises(
        ValueError, match=r"online_store_key: got 'alias/aws/sagemaker'; allowed: a customer-managed key"
    ):
        FeatureGroup(
            tree["stack"], "ManagedKeyGroup", props(online_store=True, offline_store=False, online_store_key=managed)
        )


def test_fails_imported_attributes_with_a_bad_prefix() -> None:
    with pytest.raises(ValueError, match=r"FeatureGroupAttributes is invalid:\n  - offline_store_prefix: got 'x'"):
        FeatureGroupAttributes(feature_group_name="x", offline_store_prefix="x")


# --- alarms and metrics -----------------------------------------------------------------------------------


def test_fails_alarm_with_more_datapoints_than_periods_naming_the_alarm(tree: dict[str, Any]) -> None:
    group = FeatureGroup.from_feature_group_attributes(
        tree["stack"], "ForAlarms", FeatureGroupAttributes(feature_group_name="g")
    )
    topic = sns.Topic(tree["stack"], "Topic")
    with pytest.raises(
        ValueError,
        match=r"alarm 'PutRecordThrottlingAlarm' is invalid:\n  - datapoints_to_alarm: got 6; allowed: at most evaluation_periods \(5\)",
    ):
        group.add_throttling_alarm(FeatureGroupAlarmProps(topic=topic, threshold=1, datapoints_to_alarm=6))


@pytest.mark.parametrize(
    ("metric", "operation", "message"),
    [
        ("Throttles", "PutRecord", r"metric_name: got 'Throttles'; allowed: one of"),
        (
            "Latency",
            "BatchGetRecord",
            r"operation: got 'BatchGetRecord'; allowed: one of \['PutRecord', 'GetRecord', 'DeleteRecord'\]",
        ),
    ],
)
def test_fails_metric_outside_the_documented_set(metric: str, operation: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        feature_group_metric(metric, "g", operation)


# --- schema inference -------------------------------------------------------------------------------------


def test_fails_dataclass_fields_without_a_feature_store_type() -> None:
    @dataclasses.dataclass
    class Row:
        id: str
        active: bool
        payload: bytes

    with pytest.raises(SchemaError) as info:
        features_from_dataclass(Row)
    assert "active: type bool has no Feature Store type" in str(info.value)
    assert "payload: type bytes has no Feature Store type" in str(info.value)


def test_fails_arrow_columns_without_a_feature_store_type() -> None:
    schema = pa.schema([("id", pa.string()), ("blob", pa.binary()), ("flag", pa.bool_())])
    with pytest.raises(
        SchemaError, match=r"blob: arrow type binary has no Feature Store type\n  - flag: arrow type bool"
    ):
        features_from_arrow_schema(schema)


def test_fails_schema_helpers_on_the_wrong_kind_of_object() -> None:
    with pytest.raises(SchemaError, match=r"features_from_dataclass: got <class 'int'>; allowed: a dataclass type"):
        features_from_dataclass(int)
    with pytest.raises(SchemaError, match=r"features_from_pandas: got list; allowed: a pandas DataFrame"):
        features_from_pandas([])


def test_unresolved_tokens_are_not_rejected() -> None:
    assert props(feature_group_name=Fn.import_value("Name"), glue_table_name="t").glue_table_name == "t"
