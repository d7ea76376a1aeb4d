"""Built-in SageMaker images: the checked-in table matches the installed SDK; URIs per region."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Environment, Stack
from aws_cdk.assertions import Template

from sagemaker_platform import (
    ContainerSpec,
    IsolatedNetwork,
    IsolatedNetworkProps,
    KeyPurpose,
    Model,
    ModelImage,
    ModelProps,
    PlatformKeys,
    PlatformKeysProps,
)
from sagemaker_platform.serving.image import builtin_images
from tests.tools import generate_builtin_images


@pytest.mark.slow
def test_checked_in_table_matches_the_installed_sagemaker_sdk() -> None:
    pytest.importorskip("sagemaker.core", reason="sagemaker-core is a dev dependency (make test installs it)")
    fresh = json.loads(json.dumps(generate_builtin_images.collect(), sort_keys=True))
    assert fresh == builtin_images(), (
        "builtin_images.json is out of date with the installed SageMaker SDK: run "
        "`.venv/bin/python tests/tools/generate_builtin_images.py` and review the diff"
    )


def _model_template(env: Environment | None, image: str) -> Template:
    from tests.harness import S3_PREFIX_LIST, make_app

    stack = Stack(make_app(), "S", env=env)
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS, KeyPurpose.MODELS)))
    net = IsolatedNetwork(
        stack,
        "Net",
        IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs, interface_endpoints=["sts"]),
    )
    Model(
        stack,
        "M",
        ModelProps(
            containers=[ContainerSpec(image=ModelImage.from_builtin(image))], network=net, model_key=keys.models
        ),
    )
    return Template.from_stack(stack)


def test_region_bound_stack_gets_a_literal_uri_and_pull_rights() -> None:
    t = _model_template(Environment(region="eu-west-1"), "xgboost:1.7-1")
    (model,) = t.find_resources("AWS::SageMaker::Model").values()
    image = model["Properties"]["PrimaryContainer"]["Image"]
    assert image == {
        "Fn::Join": ["", ["141502667606.dkr.ecr.eu-west-1.", {"Ref": "AWS::URLSuffix"}, "/sagemaker-xgboost:1.7-1"]]
    }
    assert "repository/sagemaker-xgboost" in json.dumps(t.find_resources("AWS::IAM::ManagedPolicy"))


def test_region_agnostic_stack_gets_a_region_mapping() -> None:
    t = _model_template(None, "sklearn:1.2-1")
    mappings = t.to_json()["Mappings"]
    (table,) = mappings.values()
    assert table["eu-west-1"] == {"account": "141502667606"} and len(table) == 35
    assert "Fn::FindInMap" in json.dumps(t.find_resources("AWS::SageMaker::Model"))


def test_fails_unknown_builtin_image() -> None:
    with pytest.raises(
        ValueError,
        match=r"image: got 'xgboost:0.9'; allowed: one of \['model-monitor', 'sklearn:1.2-1', 'xgboost:1.7-1'\]",
    ):
        ModelImage.from_builtin("xgboost:0.9")


def test_fails_region_without_the_image() -> None:
    with pytest.raises(ValueError, match=r"region: got 'xx-nowhere-1'"):
        _model_template(Environment(region="xx-nowhere-1"), "xgboost:1.7-1")
