"""The feature store test app against referees we did not write: cdk-nag, cfn-lint, checkov."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from tests.featurestore.conftest import FeatureStoreApp, add_referees
from tests.harness import make_app, run, run_checkov, venv_tool, violations


def _report(fs_app: FeatureStoreApp) -> dict[str, object]:
    report: dict[str, object] = json.loads((fs_app.outdir / "validation-report.json").read_text())
    return report


def test_nag_packs_and_our_rule_report_no_unacknowledged_findings(fs_app: FeatureStoreApp) -> None:
    found = violations(_report(fs_app))
    assert not found, "findings (fix them or acknowledge at the narrowest scope with a reason):\n" + "\n".join(found)
    assert fs_app.error is None, fs_app.error


def test_every_plugin_fails_an_unsafe_feature_group(tmp_path: Path) -> None:
    # Negative control: successful plugins are left out of the report, so prove the wiring with a
    # raw feature group (AWS owned keys) whose offline store is an unencrypted, unlogged bucket.
    app = make_app(tmp_path / "cdk.out")
    stack = Stack(app, "Unsafe")
    bucket = s3.Bucket(stack, "Bucket")
    sagemaker.CfnFeatureGroup(
        stack,
        "Raw",
        feature_group_name="raw",
        record_identifier_feature_name="id",
        event_time_feature_name="t",
        feature_definitions=[{"featureName": n, "featureType": "String"} for n in ("id", "t")],
        online_store_config={"EnableOnlineStore": True},
        offline_store_config={"S3StorageConfig": {"S3Uri": bucket.s3_url_for_object("raw")}},
    )
    add_referees(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    failed = {p["pluginName"] for p in report["pluginReports"] if p["conclusion"] == "failure"}
    assert failed == {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "SageMakerPlatform"}
    ours = next(p for p in report["pluginReports"] if p["pluginName"] == "SageMakerPlatform")
    (violation,) = ours["violations"]
    assert violation["ruleName"] == "SageMakerPlatform-FS1"
    (resource,) = violation["violatingConstructs"]
    assert resource["constructPath"] == "Unsafe/Raw"
    assert sorted(resource["cloudFormationResource"]["propertyPaths"]) == [
        "Properties/OfflineStoreConfig/S3StorageConfig/KmsKeyId",
        "Properties/OnlineStoreConfig/SecurityConfig/KmsKeyId",
    ]


@pytest.mark.slow
def test_cfn_lint_reports_nothing(fs_app: FeatureStoreApp) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency; run `make test` to install it"
    paths = [str(p) for p in fs_app.template_paths()]
    assert paths, "no templates synthesized"
    result = run([cfn_lint, "--format", "parseable", *paths])
    assert result.returncode == 0, f"cfn-lint findings (errors and warnings both fail):\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_checkov_finds_no_failed_checks(fs_app: FeatureStoreApp) -> None:
    failed, passed = run_checkov("-d", str(fs_app.outdir))
    assert not failed, "checkov failed checks (fix, or skip in template metadata with a reason):\n" + "\n".join(failed)
    assert passed > 40, f"checkov scanned too little ({passed} passed checks): is it reading the templates?"
