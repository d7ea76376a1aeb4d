"""Executing the synthesized MlPipeline and ModelRelease definitions in moto's Step Functions interpreter.

Each test deploys (in moto) what the stack would have created around the state machine: the data
bucket with an evaluation report, the alert topic, the model package group, the release parameter.
Then it starts one execution of the definition exactly as synthesized (intrinsics resolved,
``.sync`` rewritten, see ``tests.sfn_interpreter``) and checks what the run did to them.
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
        if app.release is not None:
            boto3.client("ssm", region_name=si.REGION).put_parameter(
                Name=app.release.parameter_name, Value="seed", Type="String"
            )

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

    def release(self, event: dict[str, Any], name: str = EXECUTION) -> dict[str, Any]:
        """Run the release state machine once with ``event`` (what the approval rule would pass it)."""
        assert self.app.release_definition_id is not None
        definition = si.concrete_definition(self.app.template, self.app.release_definition_id)
        return si.run_to_completion(definition, name=f"release-{name}", execution_input=event)

    def released(self) -> str:
        assert self.app.release is not None
        ssm = boto3.client("ssm", region_name=si.REGION)
        return str(ssm.get_parameter(Name=self.app.release.parameter_name)["Parameter"]["Value"])


@pytest.fixture
def world(
    pipeline_app: Callable[[str], PipelineApp], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    param = getattr(request, "param", {})
    with si.interpreter(monkeypatch):
        yield World(pipeline_app(param.get("shape", "release")))


def test_metric_above_threshold_baselines_and_registers_approved(world: World) -> None:
    world.report(auc=0.91)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][-4:] == ["QualityGate", "Baseline", "RegisterModel", "Registered"]
    ((package,),) = [world.packages()]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelPackageDescription"] == f"Trained by churn-train-{EXECUTION}"
    baseline = world.sm.describe_processing_job(ProcessingJobName=f"churn-base-{EXECUTION}")
    (output,) = baseline["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["S3Uri"] == f"s3://{world.bucket}/model-monitor/baseline/"
    # Registering never touches an endpoint, and the release waits for the approval event.
    assert world.sm.list_endpoints()["Endpoints"] == []
    assert world.released() == "seed"
    assert world.notifications() == []


def _approval(world: World, package_arn: str, status: str = "Approved") -> dict[str, Any]:
    """A "SageMaker Model Package State Change" event as SageMaker sends it."""
    return {
        "version": "0",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "account": si.ACCOUNT,
        "region": si.REGION,
        "detail": {
            "ModelPackageGroupName": GROUP,
            "ModelPackageArn": package_arn,
            "ModelApprovalStatus": status,
            "ModelPackageStatus": "Completed",
        },
    }


def test_approval_records_the_release_and_tells_the_delivery(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.report(auc=0.91)
    assert world.run()["status"] == "SUCCEEDED"
    ((package,),) = [world.packages()]
    put: list[dict[str, Any]] = []
    si.record_put_events(monkeypatch, put)
    result = world.release(_approval(world, package["ModelPackageArn"]))
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"] == ["Record", "Announce", "Released"]
    assert world.released() == package["ModelPackageArn"]
    ((entry,),) = [e["Entries"] for e in put]
    assert (entry["Source"], entry["DetailType"]) == ("sagemaker-platform.release", "Model Release Recorded")
    assert json.loads(entry["Detail"]) == {
        "parameterName": "/test/churn/challenger",
        "modelPackageArn": package["ModelPackageArn"],
        "modelPackageGroupName": GROUP,
    }
    assert world.notifications() == []


def test_a_release_that_cannot_be_recorded_notifies_and_fails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.ssm.exceptions import AccessDeniedException
    from moto.ssm.models import SimpleSystemManagerBackend

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AccessDeniedException("not authorized to perform ssm:PutParameter")

    monkeypatch.setattr(SimpleSystemManagerBackend, "put_parameter", refuse)
    waits = si.record_retry_waits(monkeypatch)
    arn = f"arn:aws:sagemaker:{si.REGION}:{si.ACCOUNT}:model-package/{GROUP}/3"
    result = world.release(_approval(world, arn))
    assert result["status"] == "FAILED"
    assert result["states"][-3:] == ["Record", "NotifyFailure", "Failed"]
    assert waits == [2, 4, 8, 16, 32], "the write is retried five times before the failure is told"
    assert world.released() == "seed"
    ((subject, message),) = world.notifications()
    assert subject == "churn-models release failed"
    assert message.startswith(f"Release of {arn} failed with") and "not authorized" in message


def test_metric_below_threshold_fails_at_the_gate_with_its_cause(world: World) -> None:
    world.report(auc=0.55)
    result = world.run()
    assert result["status"] == "FAILED"
    assert (result["error"], result["cause"]) == ("QualityGateFailed", "metrics.auc did not reach 0.8")
    assert result["states"][-2:] == ["QualityGate", "BelowThreshold"]
    assert world.packages() == []
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
    assert result["states"][-4:] == ["CreateModel", "Transform", "DeleteModel", "Scored"]
    ((package,),) = [world.packages()]
    assert package["ModelPackageDescription"] == f"Trained by {best}"
    job = world.sm.describe_transform_job(TransformJobName=f"churn-score-{EXECUTION}")
    assert job["ModelName"] == f"churn-{EXECUTION}"
    assert world.sm.list_models()["Models"] == [], "the run deleted the model it made for the job"
