"""Executing the synthesized MlPipeline definitions in moto's Step Functions interpreter.

Each test deploys (in moto) what the stack would have created around the state machine: the data
bucket with an evaluation report, the alert topic, the model package group, the serving endpoint
with its models. Then it starts one execution of the definition exactly as synthesized (intrinsics
resolved, ``.sync`` rewritten, see ``tests.sfn_interpreter``) and checks what the run did to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from tests import sfn_interpreter as si
from tests.pipeline_apps import PipelineApp

EXECUTION = "0b5c6a3e-1111-2222-3333-444455556666"
GROUP = "churn-models"


class World:
    """What the stack and the serving endpoint would have created in the account, in moto."""

    def __init__(self, app: PipelineApp) -> None:
        self.app = app
        template = app.template
        self.definition = si.concrete_definition(template, app.definition_id)
        self.bucket = si.physical_ref(app.logical_id(app.data), "AWS::S3::Bucket")
        self.topic_arn = si.physical_ref(app.logical_id(app.topic), "AWS::SNS::Topic")
        self.s3 = boto3.client("s3", region_name=si.REGION)
        self.sm = boto3.client("sagemaker", region_name=si.REGION)
        self.s3.create_bucket(Bucket=self.bucket)
        boto3.client("sns", region_name=si.REGION).create_topic(Name=self.topic_arn.rsplit(":", 1)[1])
        self.sm.create_model_package_group(ModelPackageGroupName=GROUP)
        self.endpoint_name: str | None = None
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::SageMaker::Model":
                self.sm.create_model(
                    ModelName=si.physical_attribute(logical_id, resource["Type"], "ModelName"),
                    ExecutionRoleArn=f"arn:aws:iam::{si.ACCOUNT}:role/model",
                    PrimaryContainer={"Image": "serving-image"},
                )
        endpoints = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint"]
        if endpoints:
            (endpoint,) = endpoints
            self.endpoint_name = endpoint["Properties"]["EndpointName"]
            self.sm.create_endpoint_config(EndpointConfigName="deployed-by-cloudformation", ProductionVariants=[
                {"VariantName": "champion", "ModelName": "Champion0CC06F52-ModelName", "InstanceType": "ml.m5.large",
                 "InitialInstanceCount": 1}
            ])  # fmt: skip
            self.sm.create_endpoint(EndpointName=self.endpoint_name, EndpointConfigName="deployed-by-cloudformation")

    def report(self, auc: float) -> None:
        body = json.dumps({"metrics": {"auc": auc, "accuracy": 0.9}})
        self.s3.put_object(Bucket=self.bucket, Key="evaluation/evaluation.json", Body=body)

    def run(self) -> dict[str, Any]:
        return si.run_to_completion(self.definition, name=EXECUTION)

    def packages(self) -> list[dict[str, Any]]:
        return self.sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]

    def notifications(self) -> list[tuple[str, str]]:
        topic = sns_backends[si.ACCOUNT][si.REGION].topics[self.topic_arn]
        return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]

    def endpoint_config(self) -> str:
        assert self.endpoint_name is not None
        return str(self.sm.describe_endpoint(EndpointName=self.endpoint_name)["EndpointConfigName"])


@pytest.fixture
def world(
    pipeline_app: Callable[[str], PipelineApp], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    param = getattr(request, "param", {})
    with si.interpreter(monkeypatch, rollback=param.get("rollback", False)):
        yield World(pipeline_app(param.get("shape", "deploy")))


def test_metric_above_threshold_registers_and_deploys_to_the_challenger(world: World) -> None:
    world.report(auc=0.91)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][-5:] == [
        "UpdateEndpoint",
        "WaitForRollout",
        "DescribeEndpoint",
        "RolloutStatus",
        "Deployed",
    ]
    ((package,),) = [world.packages()]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelPackageDescription"] == f"Trained by churn-train-{EXECUTION}"
    # The endpoint moved to the config the run created; only the challenger serves the new model.
    assert world.endpoint_config() == f"churn-{EXECUTION}"
    config = world.sm.describe_endpoint_config(EndpointConfigName=f"churn-{EXECUTION}")
    models = {v["VariantName"]: v["ModelName"] for v in config["ProductionVariants"]}
    assert models == {"champion": "Champion0CC06F52-ModelName", "challenger": f"churn-{EXECUTION}"}
    model = world.sm.describe_model(ModelName=f"churn-{EXECUTION}")
    assert model["VpcConfig"]["Subnets"]  # moto does not keep EnableNetworkIsolation: test_pipeline asserts it
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith(f"churn-train-{EXECUTION}/output/model.tar.gz")
    assert world.endpoint_name is not None
    update = si.last_update_endpoint_request(world.endpoint_name)
    assert update["RetainAllVariantProperties"] is True
    assert update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert world.notifications() == []


def test_metric_below_threshold_fails_at_the_gate_with_its_cause(world: World) -> None:
    world.report(auc=0.55)
    result = world.run()
    assert result["status"] == "FAILED"
    assert (result["error"], result["cause"]) == ("QualityGateFailed", "metrics.auc did not reach 0.8")
    assert result["states"][-2:] == ["QualityGate", "BelowThreshold"]
    assert world.packages() == []
    assert world.endpoint_config() == "deployed-by-cloudformation"
    assert world.notifications() == [], "a model below the bar is an outcome, not an incident"


def test_failing_task_notifies_and_fails(world: World) -> None:
    # No evaluation report: ReadEvaluation's GetObject fails (NoSuchKey, not a retryable error).
    result = world.run()
    assert result["status"] == "FAILED"
    assert result["error"] == "PipelineFailed"
    assert "NoSuchKey" in result["cause"]
    assert result["states"][-3:] == ["ReadEvaluation", "NotifyFailure", "Failed"]
    ((subject, message),) = world.notifications()
    assert subject == "churn pipeline failed"
    # AWS names the error S3.NoSuchKeyException; moto spells the service in lower case.
    assert re.match(rf"Execution {EXECUTION} failed with (?i:s3)\.NoSuchKeyException: The specified key", message)
    assert world.packages() == []


def test_failure_notice_retries_and_the_run_still_fails_with_its_own_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = si.record_retry_waits(monkeypatch)
    boto3.client("sns", region_name=si.REGION).delete_topic(TopicArn=world.topic_arn)  # SNS now refuses
    result = world.run()
    assert result["status"] == "FAILED"
    assert result["states"][-3:] == ["ReadEvaluation", "NotifyFailure", "Failed"]
    assert waits == [2, 4, 8, 16, 32, 64], "six retries with backoff before giving up on the notice"
    # The cause is the run's failure (NoSuchKey), not the notifier's.
    assert result["error"] == "PipelineFailed" and "NoSuchKey" in result["cause"]


@pytest.mark.parametrize("world", [{"rollback": True}], indirect=True)
def test_rolled_back_deployment_notifies_and_fails(world: World) -> None:
    world.report(auc=0.91)
    result = world.run()
    assert result["status"] == "FAILED"
    assert result["states"][-3:] == ["DeploymentFailed", "NotifyFailure", "Failed"]
    expected = (
        f"Endpoint {world.endpoint_name} is InService on config deployed-by-cloudformation instead of churn-{EXECUTION}"
    )
    assert result["cause"] == f"DeploymentFailed: {expected}"
    ((_, message),) = world.notifications()
    assert expected in message


@pytest.mark.parametrize("world", [{"shape": "register"}], indirect=True)
def test_pending_approval_registers_and_stops(world: World) -> None:
    world.report(auc=0.91)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][-2:] == ["RegisterModel", "Registered"]
    ((package,),) = [world.packages()]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.mark.parametrize("world", [{"shape": "tune-transform"}], indirect=True)
def test_tuning_takes_the_best_training_job_then_scores_in_batch(world: World) -> None:
    # moto's tuning jobs report a fixed best training job; it stands for the job the tuner picked.
    best = "FakeTrainingJobName"
    world.sm.create_training_job(
        TrainingJobName=best,
        AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
        RoleArn=f"arn:aws:iam::{si.ACCOUNT}:role/jobs",
        OutputDataConfig={"S3OutputPath": f"s3://{world.bucket}/models/"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    world.report(auc=0.91)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][:4] == ["Prepare", "Tune", "BestTrainingJob", "DescribeModel"]
    assert result["states"][-3:] == ["CreateModel", "Transform", "Scored"]
    ((package,),) = [world.packages()]
    assert package["ModelPackageDescription"] == f"Trained by {best}"
    job = world.sm.describe_transform_job(TransformJobName=f"churn-score-{EXECUTION}")
    assert job["ModelName"] == f"churn-{EXECUTION}"
