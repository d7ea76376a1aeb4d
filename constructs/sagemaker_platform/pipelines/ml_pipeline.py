"""An ML pipeline as a Step Functions state machine: prepare, train, evaluate, gate, register."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.compliance import acknowledge, acknowledge_wildcard_resources
from sagemaker_platform.foundations.roles import SAGEMAKER_SERVICE, SageMakerExecutionRole
from sagemaker_platform.jobs.common import JOB_NAME_PREFIX
from sagemaker_platform.jobs.processing import ProcessingJobSpec
from sagemaker_platform.jobs.training import TrainingJobSpec

#: Errors worth retrying with backoff: throttling and capacity.
RETRYABLE = [
    "ThrottlingException",
    "SageMaker.AmazonSageMakerException",
    "SageMaker.ResourceLimitExceededException",
    "States.Timeout",
]
_APPROVAL = ("PendingManualApproval", "Approved")


@dataclass(frozen=True, kw_only=True)
class QualityGate:
    """Register the model only if ``metric`` in ``evaluation.json`` reaches ``threshold``."""

    report_bucket: s3.IBucket
    #: Key of the evaluation report the evaluate job writes, e.g. ``"evaluation/evaluation.json"``.
    report_key: str
    #: Dotted path inside the report, e.g. ``"metrics.auc"``.
    metric: str
    threshold: float
    #: Default: the metric must be at least the threshold (use False for losses).
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        errors = PropsErrors("QualityGate")
        errors.pattern(
            "metric",
            self.metric,
            r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*",
            "a dotted path of identifiers such as 'metrics.auc'",
        )
        errors.check(
            self.report_key.endswith(".json") and not self.report_key.startswith("/"),
            "report_key",
            self.report_key,
            "an S3 key of a JSON file, without a leading '/'",
        )
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class MlPipelineProps:
    """Properties of :class:`MlPipeline`."""

    #: Prefix of job names (1-20 characters) and of the model package group.
    name_prefix: str
    prepare: ProcessingJobSpec
    train: TrainingJobSpec
    evaluate: ProcessingJobSpec
    gate: QualityGate
    #: Image that serves the registered model (the inference container).
    inference_image_uri: str
    #: Roles the jobs run as; the pipeline may pass only these, and only to SageMaker.
    job_roles: Sequence[SageMakerExecutionRole]
    #: Failures are published here (KMS-encrypted topic).
    topic: sns.ITopic
    #: Encrypts the execution log group.
    log_key: kms.IKey
    #: Default: PendingManualApproval (a person approves before any deployment).
    approval_status: str = "PendingManualApproval"
    #: Default: 24 hours.
    timeout_hours: int = 24

    def __post_init__(self) -> None:
        errors = PropsErrors("MlPipelineProps")
        errors.check(
            bool(JOB_NAME_PREFIX.fullmatch(self.name_prefix)),
            "name_prefix",
            self.name_prefix,
            "1-20 letters, digits and '-' (job names append the execution name)",
        )
        errors.one_of("approval_status", self.approval_status, _APPROVAL)
        errors.int_range("timeout_hours", self.timeout_hours, 1, 24 * 365)
        errors.check(len(self.job_roles) >= 1, "job_roles", len(self.job_roles), "at least one execution role")
        errors.raise_if_any()


class MlPipeline(Construct):
    """A state machine that prepares data, trains, evaluates, gates on a metric and registers the model.

    Every task retries throttling and capacity errors with backoff; every failure publishes to the
    topic and ends in ``Fail`` with the cause. The machine logs ALL events to a KMS-encrypted log
    group, traces with X-Ray, times out, and its role can pass only the given job roles, only to
    SageMaker, and create only jobs whose names start with ``name_prefix``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: MlPipelineProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        p = props.name_prefix
        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=f"{p}-models",
            model_package_group_description=f"Models registered by the {p} pipeline",
        )
        self.model_package_group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.policy = iam.ManagedPolicy(self, "Policy", description=f"{p} pipeline: its jobs, report, registry, topic")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            managed_policies=[self.policy],
        )

        failed = sfn.Fail(self, "Failed", cause_path="States.JsonToString($.error.Cause)", error_path="$.error.Error")
        notify = sfn.CustomState(
            self,
            "NotifyFailure",
            state_json={
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {
                    "TopicArn": props.topic.topic_arn,
                    "Subject": f"{p} pipeline failed",
                    "Message.$": "States.Format('Execution {} failed: {}', $$.Execution.Name, $.error.Cause)",
                },
                "ResultPath": None,
            },
        ).next(failed)
        prepare = self._job("Prepare", "ProcessingJob", props.prepare.to_state_machine_parameters(f"{p}-prep"), notify)
        train = self._job("Train", "TrainingJob", props.train.to_state_machine_parameters(f"{p}-train"), notify)
        evaluate = self._job(
            "Evaluate", "ProcessingJob", props.evaluate.to_state_machine_parameters(f"{p}-eval"), notify
        )
        read_report = self._task(
            "ReadEvaluation",
            "arn:aws:states:::aws-sdk:s3:getObject",
            {"Bucket": props.gate.report_bucket.bucket_name, "Key": props.gate.report_key},
            notify,
            result_selector={"report.$": "States.StringToJson($.Body)"},
            result_path="$.evaluation",
        )
        register = self._task(
            "RegisterModel",
            "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
            {
                "ModelPackageGroupName": self.model_package_group.model_package_group_name,
                "ModelApprovalStatus": props.approval_status,
                "InferenceSpecification": {
                    "Containers": [
                        {
                            "Image": props.inference_image_uri,
                            "ModelDataUrl.$": "$.train.ModelArtifacts.S3ModelArtifacts",
                        }
                    ],
                    "SupportedContentTypes": ["text/csv", "application/json", "application/x-npy"],
                    "SupportedResponseMIMETypes": ["text/csv", "application/json", "application/x-npy"],
                },
            },
            notify,
            result_path="$.registration",
        )
        register.node.add_dependency(self.model_package_group)
        path = f"$.evaluation.report.{props.gate.metric}"
        passes = (
            sfn.Condition.number_greater_than_equals(path, props.gate.threshold)
            if props.gate.higher_is_better
            else sfn.Condition.number_less_than_equals(path, props.gate.threshold)
        )
        below = sfn.Fail(
            self,
            "BelowThreshold",
            error="QualityGateFailed",
            cause=f"{props.gate.metric} did not reach {props.gate.threshold}",
        )
        gate = (
            sfn.Choice(self, "QualityGate")
            .when(
                sfn.Condition.and_(sfn.Condition.is_present(path), sfn.Condition.is_numeric(path), passes),
                register.next(sfn.Succeed(self, "Registered")),
            )
            .otherwise(below)
        )
        definition = prepare.next(train).next(evaluate).next(read_report).next(gate)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=props.log_key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Resource",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=self.role.without_policy_updates(),
            tracing_enabled=True,
            timeout=Duration.hours(props.timeout_hours),
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        # The policy must exist before the first execution.
        self.state_machine.node.add_dependency(self.policy)
        cfn_machine = self.state_machine.node.default_child
        if isinstance(cfn_machine, CfnResource):
            # CDK's StateMachine adds a construct-level DependsOn on its role, already implied by
            # RoleArn; cfn-lint's W3005 (redundant dependency) is ignored on this resource only.
            cfn_machine.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        self._grant(props)

    @property
    def state_machine_arn(self) -> str:
        return self.state_machine.state_machine_arn

    def _task(
        self,
        name: str,
        resource: str,
        parameters: dict[str, Any],
        notify: sfn.IChainable,
        *,
        result_path: str | None = None,
        result_selector: dict[str, Any] | None = None,
    ) -> sfn.CustomState:
        state: dict[str, Any] = {"Type": "Task", "Resource": resource, "Parameters": parameters}
        if result_path is not None:
            state["ResultPath"] = result_path
        if result_selector is not None:
            state["ResultSelector"] = result_selector
        task = sfn.CustomState(self, name, state_json=state)
        task.add_retry(errors=RETRYABLE, interval=Duration.seconds(30), max_attempts=4, backoff_rate=2.0)
        task.add_catch(notify, errors=["States.ALL"], result_path="$.error")
        return task

    def _job(self, name: str, kind: str, parameters: dict[str, Any], notify: sfn.IChainable) -> sfn.CustomState:
        result = {"ProcessingJob": "$.{}", "TrainingJob": "$.{}"}[kind].format(name.lower())
        return self._task(
            name,
            f"arn:{Stack.of(self).partition}:states:::sagemaker:create{kind}.sync",
            parameters,
            notify,
            result_path=result,
        )

    def _grant(self, props: MlPipelineProps) -> None:
        stack, p = Stack.of(self), props.name_prefix
        jobs = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{p}-*")
            for kind in ("processing-job", "training-job")
        ]
        rules = [
            stack.format_arn(service="events", resource="rule", resource_name=name)
            for name in (
                "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
                "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
            )
        ]
        group_arn = stack.format_arn(service="sagemaker", resource="model-package-group", resource_name=f"{p}-models")
        packages = stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{p}-models/*")
        report = props.gate.report_bucket.arn_for_objects(props.gate.report_key)
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:AddTags",
                ],
                resources=jobs,
            ),
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"], resources=rules
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[r.role_arn for r in props.job_roles],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[report]),
            iam.PolicyStatement(actions=["sagemaker:CreateModelPackage"], resources=[group_arn, packages]),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[props.topic.topic_arn]),
            # Step Functions log delivery and X-Ray: these APIs do not support resource-level permissions.
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                resources=["*"],
            ),
        )
        keys = [k for k in (props.gate.report_bucket.encryption_key, props.topic.master_key) if k is not None]
        if keys:
            self.policy.add_statements(
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[k.key_arn for k in keys])
            )
        acknowledge_wildcard_resources(
            self.policy,
            [*jobs, packages],
            reason=(
                "Job names are made at run time from the execution name under this pipeline's prefix; model "
                "package versions are numbered by SageMaker inside this pipeline's group."
            ),
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            reason=(
                "Step Functions log delivery (logs:*LogDelivery, resource policies) and X-Ray tracing APIs do not "
                "support resource-level permissions."
            ),
        )
