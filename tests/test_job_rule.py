"""Our rule over state machine definitions: SageMaker job requests must be isolated and encrypted."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sagemaker_platform import (
    AccessLogsBucket,
    IsolatedNetwork,
    IsolatedNetworkProps,
    PlatformKeys,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.compliance import job_request_findings, state_machine_definitions
from sagemaker_platform.foundations import JobNetwork
from sagemaker_platform.jobs import (
    Channel,
    JobSecurity,
    ProcessingJobSpec,
    ProcessingOutput,
    TrainingJobSpec,
)
from tests.harness import S3_PREFIX_LIST, SynthResult, make_app


def _template(isolation: bool = True, extra_states: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    stack = Stack(make_app(), "Pipeline")
    keys = PlatformKeys(stack, "Keys")
    bucket = SecureBucket(
        stack,
        "Data",
        SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "Logs").bucket),
    ).bucket
    network = IsolatedNetwork(
        stack,
        "Net",
        IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs, interface_endpoints=["sts"]),
    )
    role = SageMakerExecutionRole(stack, "Role", SageMakerExecutionRoleProps(description="jobs"))
    security = JobSecurity(
        network=JobNetwork.from_isolated_network(network),
        volume_key=keys.models,
        output_key=keys.models,
        network_isolation=isolation,
    )
    train = TrainingJobSpec(
        image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/job:1",
        role_arn=role.role_arn,
        security=security,
        output_bucket=bucket,
        output_prefix="m/",
        channels=[Channel(name="train", bucket=bucket, prefix="t/")],
    )
    prepare = ProcessingJobSpec(
        image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/job:1",
        role_arn=role.role_arn,
        security=security,
        entrypoint=["process"],
        outputs=[ProcessingOutput(name="o", bucket=bucket, prefix="o/", local_path="/opt/ml/processing/o")],
    )
    chain = sfn.CustomState(
        stack,
        "Prepare",
        state_json={
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
            "Parameters": prepare.to_state_machine_parameters("prep"),
        },
    )
    train_state = sfn.CustomState(
        stack,
        "Train",
        state_json={
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": train.to_state_machine_parameters("train"),
        },
    )
    parallel = sfn.Parallel(stack, "Fanout")
    parallel.branch(train_state)
    for i, state in enumerate(extra_states or []):
        parallel.branch(sfn.CustomState(stack, f"Extra{i}", state_json=state))
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain.next(parallel)))
    return Template.from_stack(stack).to_json()


def test_specs_rendered_into_a_state_machine_are_compliant() -> None:
    template = _template()
    ((_, definition),) = state_machine_definitions(template)
    assert set(definition["States"]) == {"Prepare", "Fanout"}, "the Fn::Join definition was parsed"
    assert job_request_findings(template) == []


def test_findings_name_the_state_and_the_field() -> None:
    findings = job_request_findings(_template(isolation=False))
    assert any(
        "state 'Prepare' (createProcessingJob): NetworkConfig.EnableNetworkIsolation must be true, got False" in f
        for f in findings
    ), findings
    assert any(
        "state 'Fanout/Train' (createTrainingJob): EnableNetworkIsolation must be true" in f for f in findings
    ), findings


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob",
                "Parameters": {"TrainingJobName": "x"},
            },
            [
                "VpcConfig.Subnets",
                "EnableNetworkIsolation",
                "EnableInterContainerTrafficEncryption",
                "ResourceConfig.VolumeKmsKeyId",
                "OutputDataConfig.KmsKeyId",
            ],
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                "Parameters": {"TransformOutput": {"S3OutputPath": "s3://b/o"}},
            },
            ["TransformOutput.KmsKeyId", "TransformResources.VolumeKmsKeyId"],
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
                "Parameters": {"TrainingJobDefinition": {"EnableNetworkIsolation": True}},
            },
            ["TrainingJobDefinition.VpcConfig.Subnets", "TrainingJobDefinition.EnableInterContainerTrafficEncryption"],
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createModel",
                "Parameters": {"ModelName": "m", "PrimaryContainer": {"Image": "i"}},
            },
            ["VpcConfig.Subnets", "EnableNetworkIsolation"],
        ),
    ],
    ids=["bare-training", "transform-without-keys", "tuning-without-vpc", "model-without-vpc-or-isolation"],
)
def test_hand_written_insecure_requests_are_found(state: dict[str, Any], expected: list[str]) -> None:
    findings = job_request_findings(_template(extra_states=[state]))
    for field in expected:
        assert any("Extra0' " in f and f"{field} must be" in f for f in findings), (field, findings)


def test_pipeline_models_and_packages_are_told_apart(pipeline_app: Any) -> None:
    # The transform pipeline creates a compliant model; registering a package is not a model.
    app = pipeline_app("tune-transform")
    assert job_request_findings(app.template) == []
    states = app.definition["States"]
    assert states["CreateModel"]["Parameters"]["EnableNetworkIsolation"] is True
    assert states["RegisterModel"]["Resource"].endswith(":states:::aws-sdk:sagemaker:createModelPackage")


def test_every_reference_template_passes_the_rule(reference: SynthResult) -> None:
    import json

    for path in reference.template_paths():
        assert job_request_findings(json.loads(path.read_text())) == [], path.name


def test_no_volume_key_is_required_on_instance_storage_types() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "Parameters": {
            "VpcConfig": {"Subnets": ["s"]},
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "ResourceConfig": {"InstanceType": "ml.g5.xlarge"},
            "OutputDataConfig": {"KmsKeyId": "k"},
        },
    }
    assert [f for f in job_request_findings(_template(extra_states=[state])) if "Extra0" in f] == []
    state["Parameters"]["ResourceConfig"] = {"InstanceType": "ml.m5.xlarge"}
    findings = [f for f in job_request_findings(_template(extra_states=[state])) if "Extra0" in f]
    assert any("ResourceConfig.VolumeKmsKeyId must be a volume KMS key" in f for f in findings), findings
