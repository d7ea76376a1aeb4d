"""MlPipeline: the state machine's structure, security posture, and every referee."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_platform.compliance import job_request_findings
from sagemaker_platform.pipelines import RETRYABLE, DataQualityBaseline
from tests.harness import run, run_checkov, venv_tool, violations
from tests.pipeline_apps import SHAPES, PipelineApp


@pytest.fixture(scope="module")
def built(pipeline_app: Callable[[str], PipelineApp]) -> PipelineApp:
    return pipeline_app("register")


@pytest.fixture(scope="module", params=SHAPES)
def shaped(request: pytest.FixtureRequest, pipeline_app: Callable[[str], PipelineApp]) -> PipelineApp:
    return pipeline_app(request.param)


def test_nag_packs_and_our_rules_are_clean(shaped: PipelineApp) -> None:
    report = json.loads((shaped.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    assert shaped.error is None, shaped.error
    assert job_request_findings(shaped.template) == []


@pytest.mark.slow
def test_checkov_finds_no_failed_checks(shaped: PipelineApp) -> None:
    failed, passed = run_checkov("-f", str(shaped.outdir / "Pipeline.template.json"))
    assert not failed, failed
    assert passed > 50


@pytest.mark.slow
def test_cfn_lint_reports_nothing(shaped: PipelineApp) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    result = run([cfn_lint, "--format", "parseable", str(shaped.outdir / "Pipeline.template.json")])
    assert result.returncode == 0, result.stdout


def test_flow_is_prepare_train_evaluate_gate_register(built: PipelineApp) -> None:
    d = built.definition
    assert d["StartAt"] == "Prepare"
    order = ["Prepare", "Train", "DescribeModel", "Evaluate", "ReadEvaluation"]
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
    assert sorted(tasks) == ["DescribeModel", "Evaluate", "Prepare", "ReadEvaluation", "RegisterModel", "Train"]
    for name in tasks:
        (retry,) = states[name]["Retry"]
        assert retry["ErrorEquals"] == RETRYABLE and retry["BackoffRate"] == 2
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}
        ]
    assert states["NotifyFailure"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"


def test_the_failure_notice_retries_and_still_fails_if_sns_refuses(built: PipelineApp) -> None:
    notify = built.definition["States"]["NotifyFailure"]
    (retry,) = notify["Retry"]
    assert retry["ErrorEquals"] == ["States.ALL"] and retry["MaxAttempts"] >= 3 and retry["BackoffRate"] > 1
    # The run's own error stays at $.error for the Fail state's cause.
    assert notify["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notificationError", "Next": "Failed"}]


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
        ({"name_prefix": "a-very-long-pipeline-name"}, r"name_prefix: got 'a-very-long-pipeline-name'; allowed: 1-14"),
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
    with pytest.raises(ValueError, match=message):
        replace(built.props.gate, **kwargs)


def test_fails_transform_without_approval(pipeline_app: Callable[[str], PipelineApp]) -> None:
    app = pipeline_app("tune-transform")
    with pytest.raises(ValueError, match=r"deploy: got 'BatchTransform'; allowed: None unless approval_status"):
        replace(app.props, approval_status="PendingManualApproval")


def test_fails_bad_deploy_account(built: PipelineApp) -> None:
    with pytest.raises(ValueError, match=r"deploy_account: got '1234'; allowed: a 12-digit AWS account ID"):
        replace(built.props, deploy_account="1234")


_ENDPOINT_CALLS = ("updateEndpoint", "createEndpoint", "deleteEndpoint", "createEndpointConfig", "Weights")


def test_no_pipeline_changes_an_endpoint(shaped: PipelineApp) -> None:
    # Endpoints belong to CloudFormation: approved models reach them through a release and a stack update.
    text = json.dumps(shaped.definition)
    assert not [call for call in _ENDPOINT_CALLS if call in text], text
    policy = next(
        p for lid, p in Template.from_stack(shaped.stack).find_resources("AWS::IAM::ManagedPolicy").items()
        if lid.startswith("PipelinePolicy")
    )  # fmt: skip
    assert "Endpoint" not in json.dumps(policy["Properties"]["PolicyDocument"])


def test_transform_deletes_the_model_it_created_on_success_and_on_failure(
    pipeline_app: Callable[[str], PipelineApp],
) -> None:
    app = pipeline_app("tune-transform")
    states = app.definition["States"]
    assert states["RegisterModel"]["Next"] == "CreateModel" and states["CreateModel"]["Next"] == "Transform"
    assert states["Transform"]["Next"] == "DeleteModel" and states["DeleteModel"]["Next"] == "Scored"
    name = "States.Format('churn-{}', $$.Execution.Name)"
    for state in ("DeleteModel", "DeleteModelAfterFailure"):
        assert states[state]["Resource"].endswith(":states:::sagemaker:deleteModel")
        assert states[state]["Parameters"] == {"ModelName.$": name}
    assert states["Transform"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DeleteModelAfterFailure"}
    ]
    # The job's error stays at $.error for the notice; the clean-up's own error goes elsewhere.
    assert states["DeleteModelAfterFailure"]["Next"] == "NotifyFailure"
    assert states["DeleteModelAfterFailure"]["Catch"][0]["ResultPath"] == "$.transform.cleanupError"
    policy = next(
        p for lid, p in Template.from_stack(app.stack).find_resources("AWS::IAM::ManagedPolicy").items()
        if lid.startswith("PipelinePolicy")
    )  # fmt: skip
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (models,) = [st for st in statements if st["Action"] == ["sagemaker:CreateModel", "sagemaker:DeleteModel"]]
    assert models["Action"] == ["sagemaker:CreateModel", "sagemaker:DeleteModel"]
    assert "model/churn-*" in json.dumps(models["Resource"])


def test_baseline_runs_the_model_monitor_analyzer_after_the_gate(pipeline_app: Callable[[str], PipelineApp]) -> None:
    app = pipeline_app("release")
    states = app.definition["States"]
    assert states["QualityGate"]["Choices"][0]["Next"] == "Baseline" and states["Baseline"]["Next"] == "RegisterModel"
    request = states["Baseline"]["Parameters"]
    assert request["ProcessingJobName.$"] == "States.Format('churn-base-{}', $$.Execution.Name)"
    assert "sagemaker-model-monitor-analyzer" in json.dumps(request["AppSpecification"]["ImageUri"])
    assert "ContainerEntrypoint" not in request["AppSpecification"], "the analyzer image has its own"
    # The SageMaker SDK's suggest_baseline contract: input, output and environment names.
    (dataset,) = request["ProcessingInputs"]
    assert dataset["InputName"] == "baseline_dataset_input"
    assert dataset["S3Input"]["LocalPath"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert "prepared/{}/features/" in dataset["S3Input"]["S3Uri.$"], "this run's features"
    (output,) = request["ProcessingOutputConfig"]["Outputs"]
    assert output["OutputName"] == "monitoring_output"
    assert output["S3Output"]["S3Uri"].endswith("/model-monitor/baseline/"), "one place, where the schedule reads"
    assert request["Environment"] == {
        "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
    }
    assert request["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert job_request_findings(app.template) == []


def test_fails_baseline_written_per_run(pipeline_app: Callable[[str], PipelineApp]) -> None:
    app = pipeline_app("release")
    baseline = replace(app.props.baseline, output_prefix="prepared/baseline/")
    with pytest.raises(
        ValueError, match=r"baseline.output_prefix: got 'prepared/baseline/'; allowed: a prefix outside"
    ):
        replace(app.props, baseline=baseline)


@pytest.mark.parametrize("prefix", ["s3://bucket/model-monitor/", "/model-monitor/", "model-monitor"])
def test_fails_baseline_prefix(pipeline_app: Callable[[str], PipelineApp], prefix: str) -> None:
    baseline = pipeline_app("release").props.baseline
    assert isinstance(baseline, DataQualityBaseline)
    with pytest.raises(ValueError, match=r"output_prefix: got .*; allowed: a key prefix ending in '/'.*bucket apart"):
        replace(baseline, output_prefix=prefix)


def test_schedule_starts_the_pipeline_with_a_managed_policy_role(pipeline_app: Callable[[str], PipelineApp]) -> None:
    app = pipeline_app("release")
    t = Template.from_stack(app.stack)
    t.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(7 days)",
            "Targets": [Match.object_like({"Arn": {"Ref": app.definition_id}, "RoleArn": Match.any_value()})],
        },
    )
    t.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": app.definition_id}}
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_deploy_account_may_read_the_model_package_group(pipeline_app: Callable[[str], PipelineApp]) -> None:
    t = Template.from_stack(pipeline_app("release").stack)
    (group,) = t.find_resources("AWS::SageMaker::ModelPackageGroup").values()
    assert group["DeletionPolicy"] == "Retain"
    (statement,) = group["Properties"]["ModelPackageGroupPolicy"]["Statement"]
    assert statement["Action"] == [
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
    ]
    assert "210987654321:root" in json.dumps(statement["Principal"])


def test_deploy_account_may_read_the_artifacts_and_their_key(pipeline_app: Callable[[str], PipelineApp]) -> None:
    app = pipeline_app("release")
    t = Template.from_stack(app.stack)
    external = {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::210987654321:root"]]}}
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Sid": "DeployAccountReadsModelArtifacts", "Action": "s3:GetObject",
                                        "Principal": external})]
                )
            }
        },
    )  # fmt: skip
    key_statements = [
        statement
        for key in t.find_resources("AWS::KMS::Key").values()
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement.get("Principal") == external
    ]
    assert [s["Action"] for s in key_statements] == ["kms:Decrypt"]
    (repository,) = t.find_resources("AWS::ECR::Repository").values()
    (pull,) = repository["Properties"]["RepositoryPolicyText"]["Statement"]
    assert pull["Principal"] == external and "ecr:BatchGetImage" in pull["Action"]
    assert not Annotations.from_stack(app.stack).find_warning("*", Match.string_like_regexp("deploy_account"))


def test_deploy_account_access_left_to_grant_is_named(pipeline_app: Callable[[str], PipelineApp]) -> None:
    # The image lives in a repository this app was not told about: the warning says what is left to grant.
    (warning,) = [w for w in pipeline_app("tune-transform").warnings if "deploy_account" in w]
    assert "deploy_account 210987654321 can read the model package group" in warning
    assert "pulls of inference_image_uri (set inference_image_repository" in warning
    assert "bucket is imported" not in warning and "key is imported" not in warning


def test_tuning_takes_the_best_job_and_transform_replaces_the_model(pipeline_app: Callable[[str], PipelineApp]) -> None:
    states = pipeline_app("tune-transform").definition["States"]
    tune = states["Tune"]
    assert tune["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    assert tune["Parameters"]["HyperParameterTuningJobName.$"].startswith("States.Format('churn-tune-{}'")
    assert states["BestTrainingJob"]["Next"] == "DescribeModel"
    assert states["DescribeModel"]["Parameters"] == {"TrainingJobName.$": "$.tuning.BestTrainingJobName"}
    transform = states["Transform"]["Parameters"]
    assert transform["ModelName.$"] == "States.Format('churn-{}', $$.Execution.Name)" and "ModelName" not in transform
    evaluate_inputs = states["Evaluate"]["Parameters"]["ProcessingInputs"]
    assert evaluate_inputs[-1]["S3Input"]["S3Uri.$"] == "$.model.ModelDataUrl"


def test_run_scoped_prefixes_insert_the_execution_name() -> None:
    from sagemaker_platform.pipelines.run_scope import scope_to_run, scoped_expression

    prefixes = ["pipeline/prepared/"]
    assert scoped_expression("s3://b/pipeline/prepared/train/", prefixes) == (
        "States.Format('s3://b/pipeline/prepared/{}/train/', $$.Execution.Name)"
    )
    assert scoped_expression("s3://b/raw/", prefixes) is None
    request = {"Inputs": [{"S3Input": {"S3Uri": "s3://b/pipeline/prepared/test/", "LocalPath": "/x"}}]}
    assert scope_to_run(request, prefixes) == {
        "Inputs": [
            {
                "S3Input": {
                    "S3Uri.$": "States.Format('s3://b/pipeline/prepared/{}/test/', $$.Execution.Name)",
                    "LocalPath": "/x",
                }
            }
        ]
    }


@pytest.mark.parametrize("prefix", ["pipeline/prepared", "/abs/", "it's/", "/"])
def test_fails_run_scoped_prefix(built: PipelineApp, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"run_scoped_prefixes: got .*; allowed: key prefixes ending in '/'"):
        replace(built.props, run_scoped_prefixes=[prefix])


# --- registering into an existing model registry ---------------------------------------------------


def test_an_existing_model_package_group_is_registered_into_and_not_created(
    pipeline_app: Callable[[str], PipelineApp],
) -> None:
    built = pipeline_app("existing-registry")
    assert built.error is None, built.error
    resources = built.template["Resources"].values()
    assert not [r for r in resources if r["Type"] == "AWS::SageMaker::ModelPackageGroup"]
    assert built.pipeline.model_package_group is None
    assert built.pipeline.model_package_group_name == "team-registry"
    register = built.definition["States"]["RegisterModel"]
    assert register["Parameters"]["ModelPackageGroupName"] == "team-registry"
    statements = [
        st
        for r in resources
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        for st in r["Properties"]["PolicyDocument"]["Statement"]
        if st["Action"] == "sagemaker:CreateModelPackage"
    ]
    (statement,) = statements
    rendered = json.dumps(statement["Resource"])
    assert ":model-package-group/team-registry" in rendered and ":model-package/team-registry/*" in rendered
    assert "churn-models" not in rendered


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"model_package_group_name": "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/team"},
            r"model_package_group_name: got 'arn:aws:sagemaker:.*'; allowed: the group's name \(1-63 letters, digits and '-'\), not its ARN",
        ),
        (
            {"model_package_group_name": "team-registry", "deploy_account": "210987654321"},
            r"deploy_account: got '210987654321'; allowed: None with an existing model_package_group_name",
        ),
    ],
)
def test_fails_an_existing_group_given_as_an_arn_or_shared_by_the_pipeline(
    pipeline_app: Callable[[str], PipelineApp], overrides: dict[str, Any], message: str
) -> None:
    props = pipeline_app("register").props
    with pytest.raises(ValueError, match=message):
        replace(props, **overrides)
