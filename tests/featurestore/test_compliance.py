"""Our rule SageMakerPlatform-FS1: feature group stores are encrypted with a customer-managed key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker

from sagemaker_platform import acknowledge
from sagemaker_platform.featurestore import FeatureStoreChecks, Finding, check_feature_group_encryption
from tests.featurestore.conftest import FeatureStoreApp
from tests.harness import make_app

ONLINE = "Properties/OnlineStoreConfig/SecurityConfig/KmsKeyId"
OFFLINE = "Properties/OfflineStoreConfig/S3StorageConfig/KmsKeyId"


def _template(
    online_key: Any = None,
    offline_key: Any = None,
    *,
    online: bool = True,
    offline: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    properties: dict[str, Any] = {"FeatureGroupName": "g"}
    properties["OnlineStoreConfig"] = {"EnableOnlineStore": online}
    if online_key is not None:
        properties["OnlineStoreConfig"]["SecurityConfig"] = {"KmsKeyId": online_key}
    if offline:
        properties["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": "s3://b/p"}}
        if offline_key is not None:
            properties["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = offline_key
    resources = {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "ManagedAlias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/aws/sagemaker"}},
        "OwnAlias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/features"}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Group": {"Type": "AWS::SageMaker::FeatureGroup", "Properties": properties},
        **(extra or {}),
    }
    return {"Resources": resources}


KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}


@pytest.mark.parametrize(
    "key",
    [
        KEY_ARN,
        {"Ref": "Key"},
        {"Ref": "OwnAlias"},
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        {"Fn::ImportValue": "SharedFeatureStoreKeyArn"},
    ],
    ids=["key-arn", "key-ref", "own-alias", "literal-key-arn", "imported"],
)
def test_passes_stores_encrypted_with_a_customer_key(key: Any) -> None:
    assert check_feature_group_encryption(_template(key, key)) == []


def test_passes_the_feature_store_test_app(fs_app: FeatureStoreApp) -> None:
    for path in fs_app.template_paths():
        assert check_feature_group_encryption(json.loads(path.read_text())) == []


def test_passes_a_disabled_online_store_without_a_key() -> None:
    assert check_feature_group_encryption(_template(None, KEY_ARN, online=False)) == []


@pytest.mark.parametrize(
    ("online_key", "offline_key", "expected"),
    [
        (None, None, [(OFFLINE, "offline store has no KmsKeyId"), (ONLINE, "online store has no KmsKeyId")]),
        ("", KEY_ARN, [(ONLINE, "online store has no KmsKeyId")]),
        ("alias/aws/sagemaker", KEY_ARN, [(ONLINE, "online store uses an AWS managed key alias")]),
        (KEY_ARN, "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3", [(OFFLINE, "uses an AWS managed key alias")]),
        ({"Ref": "ManagedAlias"}, KEY_ARN, [(ONLINE, "uses an AWS managed key alias")]),
        (KEY_ARN, {"Fn::GetAtt": ["Bucket", "Arn"]}, [(OFFLINE, "refers to Bucket (AWS::S3::Bucket), not a KMS key")]),
    ],
    ids=["no-keys", "empty-key", "managed-alias", "managed-alias-arn", "managed-alias-ref", "not-a-key"],
)
def test_fails_stores_without_a_customer_key(
    online_key: Any, offline_key: Any, expected: list[tuple[str, str]]
) -> None:
    findings = check_feature_group_encryption(_template(online_key, offline_key))
    assert all(isinstance(f, Finding) and f.logical_id == "Group" for f in findings)
    assert len(findings) == len(expected)
    for (location, message), finding in zip(sorted(expected), sorted(findings, key=lambda f: f.location), strict=True):
        assert finding.location == location
        assert message in finding.message


def test_other_resource_types_are_ignored() -> None:
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"OnlineStoreConfig": {}}}}}
    assert check_feature_group_encryption(template) == []


def _unsafe_app(tmp_path: Path, acknowledged: str | None) -> tuple[dict[str, Any], str | None]:
    app = make_app(tmp_path / "cdk.out")
    stack = Stack(app, "S")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    safe = sagemaker.CfnFeatureGroup(
        stack,
        "Safe",
        feature_group_name="safe",
        record_identifier_feature_name="id",
        event_time_feature_name="t",
        feature_definitions=[{"featureName": n, "featureType": "String"} for n in ("id", "t")],
        online_store_config={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key.key_arn}},
    )
    unsafe = sagemaker.CfnFeatureGroup(
        stack,
        "Unsafe",
        feature_group_name="unsafe",
        record_identifier_feature_name="id",
        event_time_feature_name="t",
        feature_definitions=[{"featureName": n, "featureType": "String"} for n in ("id", "t")],
        online_store_config={"EnableOnlineStore": True},
    )
    assert safe.node.id != unsafe.node.id
    reason = "Throwaway group for a load test, holds synthetic data only."
    if acknowledged == "helper":
        acknowledge(unsafe, "SageMakerPlatform-FS1", reason=reason)
    elif acknowledged is not None:
        Validations.of(unsafe).acknowledge(Acknowledgment(id=acknowledged, reason=reason))
    Validations.of(app).add_plugins(FeatureStoreChecks())
    error = None
    try:
        app.synth()
    except RuntimeError as err:  # ValidationFailed
        error = str(err)
    report: dict[str, Any] = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    return report, error


def test_plugin_fails_synth_naming_only_the_unencrypted_group(tmp_path: Path) -> None:
    report, error = _unsafe_app(tmp_path, acknowledged=None)
    assert error is not None and "ValidationFailed" in error
    (plugin,) = report["pluginReports"]
    assert (plugin["pluginName"], plugin["conclusion"]) == ("SageMakerPlatform", "failure")
    (violation,) = plugin["violations"]
    assert [c["constructPath"] for c in violation["violatingConstructs"]] == ["S/Unsafe"]
    assert violation["severity"] == "error"


@pytest.mark.parametrize("form", ["helper", "SageMakerPlatform::SageMakerPlatform-FS1"])
def test_plugin_honours_an_acknowledgment_like_the_nag_packs(tmp_path: Path, form: str) -> None:
    # The project's acknowledge() helper, and the qualified ID CDK's report prints ("Acknowledge with ...").
    report, error = _unsafe_app(tmp_path, acknowledged=form)
    assert error is None, error
    assert all(p["conclusion"] == "success" for p in report.get("pluginReports", [])), report
