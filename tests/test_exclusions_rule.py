"""SageMakerPlatform-EX1: SageMaker's documented exclusions, found in templates users write with L1 code.

Each exclusion has a failing template and the nearest passing one; one test runs the rule as the
validation plugin ``add_nag_packs`` registers, over a user's L1 resources.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_sagemaker as sagemaker

from sagemaker_platform.compliance.exclusions import referenced, template_exclusion_findings
from tests.harness import make_app
from tests.test_constraints import _schema_plugin
from tests.test_jobs import IMAGE, ROLE

_VPC = {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}


def _model(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::SageMaker::Model",
        "Properties": {"ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": IMAGE}, **extra},
    }


def _variant(name: str, model: str = "Model", *, serverless: bool = True) -> dict[str, Any]:
    variant: dict[str, Any] = {"VariantName": name, "ModelName": {"Fn::GetAtt": [model, "ModelName"]}}
    if serverless:
        variant["ServerlessConfig"] = {"MaxConcurrency": 5, "MemorySizeInMB": 2048}
    else:
        variant |= {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1, "InitialVariantWeight": 1}
    return variant


def _template(
    config: dict[str, Any] | None = None, model: dict[str, Any] | None = None, **others: Any
) -> dict[str, Any]:
    """A serverless endpoint whose model has no VPC: every exclusion respected."""
    resources = {
        "Model": model or _model(EnableNetworkIsolation=False),
        "Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": config if config is not None else {"ProductionVariants": [_variant("s")]},
        },
        "Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {"EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}},
        },
    }
    resources.update(others)
    return {"Resources": resources}


def _found(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(logical_id, path, allowed) for logical_id, path, _, allowed in template_exclusion_findings(template)]


def test_a_serverless_endpoint_that_respects_the_exclusions_passes() -> None:
    assert _found(_template()) == []


@pytest.mark.parametrize(
    ("model", "allowed"),
    [
        (_model(VpcConfig=_VPC), "a model without VpcConfig (Serverless Inference refuses VPC configuration)"),
        (_model(EnableNetworkIsolation=True), "a model without EnableNetworkIsolation"),
        (
            {
                "Type": "AWS::SageMaker::Model",
                "Properties": {"ExecutionRoleArn": ROLE, "Containers": [{"Image": IMAGE}, {"Image": IMAGE}]},
            },
            "a model with one container (Serverless Inference supports no inference pipelines)",
        ),
        (
            _model(PrimaryContainer={"Image": IMAGE, "Mode": "MultiModel", "ModelDataUrl": "s3://b/models/"}),
            "a single-model container (Serverless Inference supports no multi-model endpoints)",
        ),
    ],
    ids=["vpc", "isolation", "pipeline", "multi-model"],
)
def test_fails_a_serverless_variant_whose_model_sagemaker_refuses(model: dict[str, Any], allowed: str) -> None:
    ((logical_id, path, message),) = _found(_template(model=model))
    assert (logical_id, path) == ("Config", "ProductionVariants.0.ModelName")
    assert message.startswith(allowed)


def test_fails_a_serverless_config_with_two_variants_a_shadow_data_capture_or_async() -> None:
    capture = {"InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://b/capture", "CaptureOptions": []}
    config = {
        "ProductionVariants": [_variant("a"), _variant("b")],
        "ShadowProductionVariants": [_variant("shadow")],
        "DataCaptureConfig": capture,
        "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/out"}},
    }
    paths = {path: allowed for _, path, allowed in _found(_template(config))}
    assert set(paths) >= {"ProductionVariants", "DataCaptureConfig", "AsyncInferenceConfig", "ShadowProductionVariants"}
    assert paths["ProductionVariants"].startswith("exactly one production variant and no shadow variant")
    assert "captures no data" in paths["DataCaptureConfig"]
    # Capture turned off explicitly is accepted.
    off = {"ProductionVariants": [_variant("s")], "DataCaptureConfig": {**capture, "EnableCapture": False}}
    assert _found(_template(off)) == []


def test_fails_shadow_variants_on_an_async_endpoint_and_passes_them_without_async() -> None:
    shadowed = {
        "ProductionVariants": [_variant("live", serverless=False)],
        "ShadowProductionVariants": [_variant("shadow", serverless=False)],
    }
    assert _found(_template(shadowed, _model(VpcConfig=_VPC, EnableNetworkIsolation=True))) == []
    shadowed["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://b/out"}}
    ((_, path, allowed),) = _found(_template(shadowed, _model(VpcConfig=_VPC, EnableNetworkIsolation=True)))
    assert path == "ShadowProductionVariants" and "shadow tests support no async endpoints" in allowed


def _rolling(template: dict[str, Any]) -> dict[str, Any]:
    rolled = copy.deepcopy(template)
    rolled["Resources"]["Endpoint"]["Properties"]["DeploymentConfig"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 300,
        }
    }
    return rolled


def test_fails_a_rolling_deployment_of_a_multi_variant_or_serverless_endpoint() -> None:
    in_vpc = _model(VpcConfig=_VPC, EnableNetworkIsolation=True)
    one = {"ProductionVariants": [_variant("a", serverless=False)]}
    assert _found(_rolling(_template(one, in_vpc))) == []
    two = {"ProductionVariants": [_variant("a", serverless=False), _variant("b", serverless=False)]}
    ((logical_id, path, allowed),) = _found(_rolling(_template(two, in_vpc)))
    assert (logical_id, path) == ("Endpoint", "DeploymentConfig.RollingUpdatePolicy")
    assert "rolling deployments refuse serverless and multi-variant endpoints" in allowed
    (finding,) = template_exclusion_findings(_rolling(_template()))
    assert finding[2] == "Config (serverless)"


def test_fails_a_model_monitor_on_a_serverless_endpoint() -> None:
    monitor = {
        "Type": "AWS::SageMaker::MonitoringSchedule",
        "Properties": {"EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}},
    }
    ((logical_id, path, allowed),) = _found(_template(Monitor=monitor))
    assert (logical_id, path) == ("Monitor", "EndpointName") and "Model Monitor cannot watch" in allowed


def test_references_are_followed_in_every_intrinsic_form() -> None:
    assert referenced({"Ref": "Model"}) == "Model"
    assert referenced({"Fn::GetAtt": ["Model", "ModelName"]}) == "Model"
    assert referenced({"Fn::GetAtt": "Model.ModelName"}) == "Model"
    assert referenced("churn-model") is None
    assert referenced({"Fn::ImportValue": "x"}) is None


def _user_app(outdir: Any, *, isolated: bool, acknowledge_it: bool = False) -> list[dict[str, Any]]:
    from sagemaker_platform import acknowledge, add_nag_packs

    app = make_app(outdir)
    stack = Stack(app, "UserL1")
    model = sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn=ROLE,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(image=IMAGE),
        enable_network_isolation=isolated,
    )
    config = sagemaker.CfnEndpointConfig(
        stack,
        "Config",
        kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="s",
                model_name=model.attr_model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    max_concurrency=5, memory_size_in_mb=2048
                ),
            )
        ],
    )
    if acknowledge_it:
        acknowledge(config, "SageMakerPlatform-EX1", reason="a test of the acknowledgment path, nothing deployed")
    add_nag_packs(app)
    with contextlib.suppress(RuntimeError):  # ValidationFailed: the report says why
        app.synth()
    plugin = _schema_plugin(json.loads((outdir / "validation-report.json").read_text()))
    return [v for v in plugin["violations"] if v["ruleName"] == "SageMakerPlatform-EX1"]


def test_fails_a_user_l1_serverless_endpoint_on_an_isolated_model(outdir: Any, tmp_path: Any) -> None:
    (violation,) = _user_app(outdir, isolated=True)
    assert violation["description"].startswith(
        "UserL1/Config: ProductionVariants.0.ModelName: got 'Model'; allowed: a model without EnableNetworkIsolation"
    )
    assert _user_app(tmp_path / "ok", isolated=False) == []
    assert _user_app(tmp_path / "ack", isolated=True, acknowledge_it=True) == []
