"""Executing the reference app's training pipelines (Dev and Prod) in moto's Step Functions interpreter.

The definitions are the ones ``app.py`` synthesizes from ``cdk.json``: cross-stack references
(``Fn::GetStackOutput``) resolve through the outputs of the stage's other stacks, with the
deterministic physical names of ``tests.sfn_interpreter``. Each test creates in moto what the
stage's stacks would have deployed (data bucket, alert topic, model package group, release
parameters), runs one execution and checks what it did to them. Thresholds, approval and the stage
list come from ``cdk.json`` via ``stacks.config``. (``make rehearse`` runs them against the deployed
stacks, with the jobs in the real containers.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Template
from moto.sns.models import sns_backends

from stacks.config import CONTEXT_KEY, PlatformConfig, StageConfig
from tests import sfn_interpreter as si
from tests.harness import REPO, SynthResult, cdk_context

PIPELINE = "Pipeline8E4BFAC9"
RELEASE = "ChallengerRelease7491C8D7"
EXECUTION = "7d1e2c3b-aaaa-bbbb-cccc-0123456789ab"
NEXT_EXECUTION = "9f8e7d6c-aaaa-bbbb-cccc-0123456789ab"
STAGES = {s.construct_id: s for s in PlatformConfig.from_context(cdk_context()[CONTEXT_KEY]).stages}
Templates = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def templates(reference: SynthResult) -> Templates:
    """Every stack of the reference app as a template, by stack name (``Dev-Foundation``, ...)."""
    return {s.stack_name: dict(Template.from_stack(s).to_json()) for s in reference.stacks}


@pytest.fixture(scope="module")
def exports(templates: Templates) -> dict[Any, Any]:
    return si.exports_of(templates)


def only(template: dict[str, Any], resource_type: str, prefix: str = "") -> str:
    """The logical ID of the one resource of ``resource_type`` whose ID starts with ``prefix``."""
    found = [k for k, r in template["Resources"].items() if r["Type"] == resource_type and k.startswith(prefix)]
    assert len(found) == 1, f"expected one {resource_type} named {prefix}*, found {found}"
    return str(found[0])


class StageWorld:
    """What one stage's Foundation and Training stacks would have created, in moto."""

    def __init__(self, stage: str, templates: Templates, exports: dict[Any, Any]) -> None:
        self.config: StageConfig = STAGES[stage]
        foundation, training = (templates[f"{stage}-{name}"] for name in ("Foundation", "Training"))
        self.definition = si.concrete_definition(training, PIPELINE, exports)
        self.release_definition = si.concrete_definition(training, RELEASE, exports)
        self.bucket = si.physical_ref(only(foundation, "AWS::S3::Bucket", "DataBucket"), "AWS::S3::Bucket")
        self.topic_arn = si.physical_ref(only(foundation, "AWS::SNS::Topic", "Alerts"), "AWS::SNS::Topic")
        read = json.loads(self.definition)["States"]["ReadEvaluation"]["Parameters"]
        assert read["Bucket"] == self.bucket, "the gate reads the stage's data bucket"
        # Run-scoped: "States.Format('pipeline/evaluation/{}/evaluation.json', $$.Execution.Name)".
        (self.report_key_format,) = re.fullmatch(
            r"States\.Format\('([^']*)', \$\$\.Execution\.Name\)", read["Key.$"]
        ).groups()
        group = training["Resources"][only(training, "AWS::SageMaker::ModelPackageGroup")]
        self.group: str = group["Properties"]["ModelPackageGroupName"]
        self.s3 = boto3.client("s3", region_name=si.REGION)
        self.sm = boto3.client("sagemaker", region_name=si.REGION)
        self.s3.create_bucket(Bucket=self.bucket)
        boto3.client("sns", region_name=si.REGION).create_topic(Name=self.topic_arn.rsplit(":", 1)[1])
        self.sm.create_model_package_group(ModelPackageGroupName=self.group)
        self.ssm = boto3.client("ssm", region_name=si.REGION)
        self.parameters = {
            channel: f"/sagemaker-platform/{self.config.name}/churn/{channel}" for channel in ("champion", "challenger")
        }
        for name in self.parameters.values():
            self.ssm.put_parameter(Name=name, Value="seed", Type="String")

    @property
    def prefix(self) -> str:
        return f"churn-{self.config.name}"

    def report_key(self, execution: str = EXECUTION) -> str:
        """Where the evaluate job of ``execution`` writes its report (each run has its own)."""
        return str(self.report_key_format.format(execution))

    def report(self, auc: float, execution: str = EXECUTION) -> None:
        self.put_report({"metrics": {"auc": auc, "accuracy": 0.9}}, execution)

    def put_report(self, report: dict[str, Any], execution: str = EXECUTION) -> None:
        body = json.dumps(report)
        self.s3.put_object(Bucket=self.bucket, Key=self.report_key(execution), Body=body)

    def run(self, name: str = EXECUTION) -> dict[str, Any]:
        return si.run_to_completion(self.definition, name=name)

    def packages(self) -> list[dict[str, Any]]:
        packages: list[dict[str, Any]] = self.sm.list_model_packages(ModelPackageGroupName=self.group)[
            "ModelPackageSummaryList"
        ]
        return packages

    def notifications(self) -> list[tuple[str | None, str]]:
        topic = sns_backends[si.ACCOUNT][si.REGION].topics[self.topic_arn]
        return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]

    def released(self, channel: str) -> str:
        return str(self.ssm.get_parameter(Name=self.parameters[channel])["Parameter"]["Value"])


@pytest.fixture
def world(
    templates: Templates,
    exports: dict[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[StageWorld]:
    with si.interpreter(monkeypatch):
        yield StageWorld(request.param, templates, exports)


def test_reference_app_has_a_dev_stage_that_releases_and_a_prod_stage_that_waits_for_a_person() -> None:
    # The tests below are written for these two shapes; a cdk.json change must revisit them.
    assert STAGES["Dev"].training_approval == "Approved"
    assert STAGES["Prod"].training_approval == "PendingManualApproval"


@pytest.mark.parametrize("stage", ["Dev", "Prod"])
def test_pipeline_reads_only_its_own_stage_stacks(templates: Templates, stage: str) -> None:
    # Physical names derive from logical IDs, identical in every stage: the resolver alone could not
    # tell a Prod pipeline wired to Dev's bucket. The raw references can.
    text = json.dumps(templates[f"{stage}-Training"]["Resources"][PIPELINE]["Properties"]["DefinitionString"])
    referenced = set(re.findall(r'"StackName": "([^"]+)"', text))
    assert f"{stage}-Foundation" in referenced
    assert all(name.startswith(f"{stage}-") for name in referenced), referenced


@pytest.mark.parametrize("world", ["Dev"], indirect=True)
def test_dev_above_threshold_baselines_registers_approved_and_releases_on_the_event(
    world: StageWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.report(auc=world.config.training_quality_threshold + 0.05)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"] == [
        "Prepare", "Train", "DescribeModel", "Evaluate", "ReadEvaluation", "QualityGate", "Baseline", "RegisterModel",
        "Registered",
    ]  # fmt: skip
    training_job = f"{world.prefix}-train-{EXECUTION}"
    ((package,),) = [world.packages()]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelPackageDescription"] == f"Trained by {training_job}"
    # The baseline goes where the shadow endpoint's monitoring schedule reads it.
    baseline = world.sm.describe_processing_job(ProcessingJobName=f"{world.prefix}-base-{EXECUTION}")
    (output,) = baseline["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["S3Uri"] == f"s3://{world.bucket}/model-monitor/baseline/"
    (dataset,) = baseline["ProcessingInputs"]
    assert dataset["S3Input"]["S3Uri"] == f"s3://{world.bucket}/pipeline/prepared/{EXECUTION}/features/"
    # No endpoint is touched; the approval event releases the package to the challenger's parameter.
    assert world.sm.list_endpoints()["Endpoints"] == []
    put: list[dict[str, Any]] = []
    si.record_put_events(monkeypatch, put)
    event = {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {
            "ModelPackageGroupName": world.group,
            "ModelPackageArn": package["ModelPackageArn"],
            "ModelApprovalStatus": "Approved",
            "ModelPackageStatus": "Completed",
        },
    }
    released = si.run_to_completion(world.release_definition, name="release", execution_input=event)
    assert released["status"] == "SUCCEEDED", released.get("cause")
    assert world.released("challenger") == package["ModelPackageArn"]
    assert world.released("champion") == "seed", "the champion changes only when a person promotes"
    ((entry,),) = [e["Entries"] for e in put]
    assert entry["DetailType"] == "Model Release Recorded"
    assert world.notifications() == []


@pytest.mark.parametrize("world", ["Prod"], indirect=True)
def test_prod_at_threshold_registers_pending_approval_and_releases_nothing(world: StageWorld) -> None:
    world.report(auc=world.config.training_quality_threshold)  # the gate is "at least"
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][-4:] == ["QualityGate", "Baseline", "RegisterModel", "Registered"]
    ((package,),) = [world.packages()]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageDescription"] == f"Trained by {world.prefix}-train-{EXECUTION}"
    # The gate read the report where the run's evaluate job uploads its "evaluation" output.
    job = world.sm.describe_processing_job(ProcessingJobName=f"{world.prefix}-eval-{EXECUTION}")
    (output,) = [o["S3Output"] for o in job["ProcessingOutputConfig"]["Outputs"] if o["OutputName"] == "evaluation"]
    assert f"{output['S3Uri']}evaluation.json" == f"s3://{world.bucket}/{world.report_key()}"
    assert world.sm.list_models()["Models"] == [] and world.sm.list_endpoints()["Endpoints"] == []
    assert (world.released("champion"), world.released("challenger")) == ("seed", "seed")
    assert world.notifications() == []


@pytest.mark.parametrize("world", ["Dev", "Prod"], indirect=True)
def test_below_threshold_fails_at_the_gate_naming_metric_and_threshold(world: StageWorld) -> None:
    threshold = world.config.training_quality_threshold
    world.report(auc=threshold - 0.01)
    result = world.run()
    assert result["status"] == "FAILED"
    assert (result["error"], result["cause"]) == ("QualityGateFailed", f"metrics.auc did not reach {threshold}")
    assert result["states"][-2:] == ["QualityGate", "BelowThreshold"]
    assert world.packages() == []
    assert world.notifications() == [], "a model below the bar is an outcome, not an incident"


@pytest.mark.parametrize("world", ["Dev", "Prod"], indirect=True)
def test_failing_task_notifies_the_stage_alert_topic_and_fails(world: StageWorld) -> None:
    # No evaluation report: ReadEvaluation's GetObject fails with NoSuchKey, which is not retried.
    result = world.run()
    assert result["status"] == "FAILED"
    assert result["error"] == "PipelineFailed"
    assert "NoSuchKey" in result["cause"]
    assert result["states"][-3:] == ["ReadEvaluation", "NotifyFailure", "Failed"]
    ((subject, message),) = world.notifications()
    assert subject == f"{world.prefix} pipeline failed"
    assert re.match(rf"Execution {EXECUTION} failed with (?i:s3)\.NoSuchKeyException: The specified key", message)
    assert world.packages() == []


def evaluate_container_report() -> dict[str, Any]:
    """The report the processing image's ``evaluate`` command builds, for a small XGBoost model."""
    if importlib.util.find_spec("xgboost") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xgboost is missing: pip install -r containers/requirements-dev.txt")
        pytest.skip("xgboost is missing: pip install -r containers/requirements-dev.txt")
    source = str(REPO / "containers" / "processing" / "src")
    if source not in sys.path:
        sys.path.insert(0, source)
    import xgboost as xgb
    from sm_processing import evaluate, tabular
    from sm_processing.synthetic import make_classification

    x, y = make_classification(1000, seed=3)
    params = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "nthread": 1}
    booster = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=30)
    # Scored on its training rows: this is about the report's shape, not the model's quality.
    data = tabular.Dataset(label=y, features=x, feature_names=[f"f{i}" for i in range(x.shape[1])])
    report: dict[str, Any] = evaluate.report(booster, data, argparse.Namespace(threshold=0.5, bootstrap=0, seed=0))
    return report


@pytest.mark.parametrize("world", ["Prod"], indirect=True)
def test_the_evaluate_containers_report_is_what_the_gate_reads(world: StageWorld) -> None:
    report = evaluate_container_report()
    assert report["metrics"]["auc"] >= world.config.training_quality_threshold
    world.put_report(report)
    result = world.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert result["states"][-4:] == ["QualityGate", "Baseline", "RegisterModel", "Registered"]


@pytest.mark.parametrize("world", ["Prod"], indirect=True)
def test_each_run_trains_from_its_own_checkpoints(world: StageWorld) -> None:
    for name in (EXECUTION, NEXT_EXECUTION):
        world.report(auc=0.9, execution=name)
        assert world.run(name)["status"] == "SUCCEEDED"
    uris = [
        world.sm.describe_training_job(TrainingJobName=f"{world.prefix}-train-{name}")["CheckpointConfig"]["S3Uri"]
        for name in (EXECUTION, NEXT_EXECUTION)
    ]
    assert uris[0] != uris[1], f"both runs checkpoint to {uris[0]}"


@pytest.mark.parametrize("world", ["Prod"], indirect=True)
def test_a_registered_package_keeps_the_metrics_it_was_registered_with(world: StageWorld) -> None:
    world.report(auc=0.9)
    assert world.run(EXECUTION)["status"] == "SUCCEEDED"
    world.report(auc=0.5, execution=NEXT_EXECUTION)
    assert world.run(NEXT_EXECUTION)["status"] == "FAILED"
    ((package,),) = [world.packages()]
    described = world.sm.describe_model_package(ModelPackageName=package["ModelPackageArn"])
    bucket, key = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].removeprefix("s3://").split("/", 1)
    registered_with = json.loads(world.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert registered_with["metrics"]["auc"] == 0.9
