"""MlPipeline: the state machine's structure, security posture, and every referee."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from sagemaker_platform import (
    AccessLogsBucket,
    BucketAccess,
    IsolatedNetwork,
    IsolatedNetworkProps,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
    add_nag_packs,
)
from sagemaker_platform.compliance import job_request_findings, state_machine_definitions
from sagemaker_platform.jobs import (
    Channel,
    JobNetwork,
    JobSecurity,
    MetricDefinition,
    ProcessingInput,
    ProcessingJobSpec,
    ProcessingOutput,
    TrainingJobSpec,
)
from sagemaker_platform.pipelines import RETRYABLE, MlPipeline, MlPipelineProps, QualityGate
from tests.harness import make_app, run, run_checkov, venv_tool, violations

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sm@sha256:" + "c" * 64


class PipelineApp:
    def __init__(self, outdir: Path) -> None:
        self.app = make_app(outdir)
        self.stack = Stack(self.app, "Pipeline")
        s = self.stack
        keys = PlatformKeys(s, "Keys")
        data = SecureBucket(
            s,
            "Data",
            SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(s, "Logs").bucket),
        ).bucket
        net = IsolatedNetwork(s, "Net", IsolatedNetworkProps(flow_logs_key=keys.logs, interface_endpoints=["sts"]))
        role = SageMakerExecutionRole(
            s,
            "JobRole",
            SageMakerExecutionRoleProps(
                description="pipeline jobs",
                buckets=(BucketAccess(bucket=data, write=True),),
                keys=(keys.models,),
                vpc=net.vpc,
            ),
        )
        security = JobSecurity(
            network=JobNetwork.from_isolated_network(net), volume_key=keys.models, output_key=keys.models
        )
        out = "/opt/ml/processing/output"
        self.props = MlPipelineProps(
            name_prefix="churn",
            prepare=ProcessingJobSpec(
                image_uri=IMAGE,
                role_arn=role.role_arn,
                security=security,
                entrypoint=["process", "prepare"],
                inputs=[
                    ProcessingInput(name="raw", bucket=data, prefix="raw/", local_path="/opt/ml/processing/input/raw")
                ],
                outputs=[
                    ProcessingOutput(name=n, bucket=data, prefix=f"prepared/{n}/", local_path=f"{out}/{n}")
                    for n in ("train", "validation", "test")
                ],
            ),
            train=TrainingJobSpec(
                image_uri=IMAGE,
                role_arn=role.role_arn,
                security=security,
                output_bucket=data,
                output_prefix="models/",
                channels=[Channel(name="train", bucket=data, prefix="prepared/train/")],
                metric_definitions=[MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")],
            ),
            evaluate=ProcessingJobSpec(
                image_uri=IMAGE,
                role_arn=role.role_arn,
                security=security,
                entrypoint=["process", "evaluate"],
                outputs=[
                    ProcessingOutput(
                        name="evaluation", bucket=data, prefix="evaluation/", local_path="/opt/ml/processing/evaluation"
                    )
                ],
            ),
            gate=QualityGate(
                report_bucket=data, report_key="evaluation/evaluation.json", metric="metrics.auc", threshold=0.8
            ),
            inference_image_uri=IMAGE,
            job_roles=[role],
            topic=NotificationTopic(s, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic,
            log_key=keys.logs,
        )
        self.pipeline = MlPipeline(s, "Pipeline", self.props)
        add_nag_packs(self.app)
        try:
            self.app.synth()
            self.error = None
        except RuntimeError as err:
            self.error = str(err)
        self.outdir = outdir
        self.template: dict[str, Any] = json.loads((outdir / "Pipeline.template.json").read_text())
        ((self.definition_id, self.definition),) = state_machine_definitions(self.template)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> PipelineApp:
    return PipelineApp(tmp_path_factory.mktemp("pipeline") / "cdk.out")


def test_nag_packs_and_our_rules_are_clean(built: PipelineApp) -> None:
    report = json.loads((built.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    assert built.error is None, built.error
    assert job_request_findings(built.template) == []


def test_checkov_finds_no_failed_checks(built: PipelineApp) -> None:
    failed, passed = run_checkov("-f", str(built.outdir / "Pipeline.template.json"))
    assert not failed, failed
    assert passed > 50


def test_cfn_lint_reports_nothing(built: PipelineApp) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    result = run([cfn_lint, "--format", "parseable", str(built.outdir / "Pipeline.template.json")])
    assert result.returncode == 0, result.stdout


def test_flow_is_prepare_train_evaluate_gate_register(built: PipelineApp) -> None:
    d = built.definition
    assert d["StartAt"] == "Prepare"
    order = ["Prepare", "Train", "Evaluate", "ReadEvaluation"]
    for state, nxt in zip(order, [*order[1:], "QualityGate"], strict=True):
        assert d["States"][state]["Next"] == nxt
    assert d["States"]["Train"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    gate = d["States"]["QualityGate"]
    assert gate["Default"] == "BelowThreshold"
    assert json.dumps(gate["Choices"][0]).count("$.evaluation.report.metrics.auc") == 3
    assert '"NumericGreaterThanEquals": 0.8' in json.dumps(gate["Choices"][0])
    assert d["States"]["RegisterModel"]["Next"] == "Registered"
    assert d["States"]["BelowThreshold"] == {
        "Type": "Fail",
        "Error": "QualityGateFailed",
        "Cause": "metrics.auc did not reach 0.8",
    }


def test_every_task_retries_and_notifies_then_fails(built: PipelineApp) -> None:
    states = built.definition["States"]
    tasks = [n for n, s in states.items() if s["Type"] == "Task" and n != "NotifyFailure"]
    assert sorted(tasks) == ["Evaluate", "Prepare", "ReadEvaluation", "RegisterModel", "Train"]
    for name in tasks:
        (retry,) = states[name]["Retry"]
        assert retry["ErrorEquals"] == RETRYABLE and retry["BackoffRate"] == 2
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}
        ]
    assert states["NotifyFailure"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"


def test_job_names_are_made_at_run_time(built: PipelineApp) -> None:
    train = built.definition["States"]["Train"]["Parameters"]
    assert train["TrainingJobName.$"] == "States.Format('churn-train-{}', $$.Execution.Name)"


def test_logging_tracing_timeout_and_scoped_role(built: PipelineApp) -> None:
    t = Template.from_stack(built.stack)
    t.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [
                    {
                        "CloudWatchLogsLogGroup": {
                            "LogGroupArn": {
                                "Fn::GetAtt": [
                                    built.stack.get_logical_id(built.pipeline.log_group.node.default_child),
                                    "Arn",
                                ]
                            }
                        }
                    }
                ],
            },
        },
    )
    assert '"TimeoutSeconds":86400' in json.dumps(built.definition, separators=(",", ":"))
    policy = next(
        p for lid, p in t.find_resources("AWS::IAM::ManagedPolicy").items() if lid.startswith("PipelinePolicy")
    )
    text = json.dumps(policy["Properties"]["PolicyDocument"])
    assert '"iam:PassedToService": "sagemaker.amazonaws.com"' in text
    assert "training-job/churn-*" in text and "processing-job/churn-*" in text
    assert not t.find_resources("AWS::IAM::Policy"), "no inline policies: grants go to the managed policy"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name_prefix": "a-very-long-pipeline-name"}, r"name_prefix: got 'a-very-long-pipeline-name'; allowed: 1-20"),
        (
            {"approval_status": "Rejected"},
            r"approval_status: got 'Rejected'; allowed: one of 'PendingManualApproval', 'Approved'",
        ),
        ({"timeout_hours": 0}, r"timeout_hours: got 0"),
        ({"job_roles": []}, r"job_roles: got 0; allowed: at least one execution role"),
    ],
    ids=["prefix-too-long", "bad-approval", "zero-timeout", "no-roles"],
)
def test_fails_pipeline_props(built: PipelineApp, kwargs: dict[str, Any], message: str) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match=message):
        replace(built.props, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "metrics..auc"}, r"metric: got 'metrics..auc'; allowed: a dotted path"),
        ({"report_key": "/evaluation.json"}, r"report_key: got '/evaluation.json'"),
        ({"report_key": "evaluation.csv"}, r"report_key: got 'evaluation.csv'; allowed: an S3 key of a JSON file"),
    ],
    ids=["bad-metric-path", "leading-slash", "not-json"],
)
def test_fails_quality_gate(built: PipelineApp, kwargs: dict[str, Any], message: str) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match=message):
        replace(built.props.gate, **kwargs)
