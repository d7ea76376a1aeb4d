"""An ML pipeline as a Step Functions state machine: prepare, train or tune, evaluate, gate, baseline, register.

The pipeline registers models; it never deploys them to an endpoint. Approving a registered model
releases it (:class:`~sagemaker_platform.pipelines.ModelRelease`), and the endpoint's stack takes it
through a CloudFormation update, so the stack and the live endpoint cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.compliance import acknowledge_wildcard_resources
from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.jobs.processing import ProcessingJobSpec
from sagemaker_platform.jobs.training import TrainingJobSpec
from sagemaker_platform.jobs.tuning import TuningJobSpec
from sagemaker_platform.pipelines._machines import logged_machine, machine_role, starting_rule
from sagemaker_platform.pipelines.baseline import DataQualityBaseline
from sagemaker_platform.pipelines.flow import PipelineFlow
from sagemaker_platform.pipelines.permissions import PipelineGrants
from sagemaker_platform.pipelines.run_scope import check_prefixes
from sagemaker_platform.pipelines.targets import BatchTransform

_APPROVAL = ("PendingManualApproval", "Approved")
#: The longest job suffix is "-train": a 14-character prefix keeps job names within SageMaker's limits.
_PREFIX = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,13}")
# EventBridge's schedule grammar: rate(1 unit) / rate(N units), or cron with six fields, one of
# day-of-month and day-of-week being '?'.
_F = r"[0-9A-Za-z*,/#LW-]+"
EVENTBRIDGE_SCHEDULE = (
    r"rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)"
    rf"|cron\({_F} {_F} (\? {_F} {_F}|{_F} {_F} \?) {_F}\)"
)
EVENTBRIDGE_SCHEDULE_RULE = (
    "an EventBridge schedule: rate(1 hour), rate(6 hours), or cron(minutes hours day-of-month month "
    "day-of-week year) with '?' in day-of-month or day-of-week, e.g. cron(0 3 * * ? *)"
)


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
        # NaN or an infinity would reach jsii as an invalid JSON number and break the kernel.
        errors.finite("threshold", self.threshold)
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class MlPipelineProps:
    """Properties of :class:`MlPipeline`."""

    #: Prefix (1-14 characters) of job and model names, and of the model package group (``<prefix>-models``).
    name_prefix: str
    prepare: ProcessingJobSpec
    #: A training job, or a tuning job whose best training job becomes the model.
    train: TrainingJobSpec | TuningJobSpec
    #: Evaluates the model (mounted as the processing input ``model``) and writes the gate's report.
    evaluate: ProcessingJobSpec
    gate: QualityGate
    #: Image that serves the registered model (the inference container).
    inference_image_uri: str
    #: Roles the jobs run as; the pipeline may pass only these (and the transform's model role), only to SageMaker.
    job_roles: Sequence[SageMakerExecutionRole]
    #: Failures are published here (KMS-encrypted topic).
    topic: sns.ITopic
    #: Encrypts the execution log group.
    log_key: kms.IKey
    #: Default: PendingManualApproval (a person approves before any release). ``Approved`` releases at once.
    approval_status: str = "PendingManualApproval"
    #: After registration: score a dataset in a batch transform. Default: register only. (Endpoints
    #: take approved models through a ModelRelease and CloudFormation, never from the pipeline.)
    deploy: BatchTransform | None = None
    #: After the gate passes: suggest the data-quality baseline a DataQualityMonitor reads. Default: none.
    baseline: DataQualityBaseline | None = None
    #: Start a retraining run on this schedule (EventBridge). Default: none, runs are started by hand.
    schedule: events.Schedule | None = None
    #: An account (e.g. production's) allowed to deploy what this pipeline registers: it may read the
    #: model package group, the model artifacts (bucket policy), their key (key policy) and, with
    #: ``inference_image_repository``, pull the inference image. Default: none.
    deploy_account: str | None = None
    #: The ECR repository of ``inference_image_uri``, so ``deploy_account`` can be granted pulls. CDK
    #: asset images live in the bootstrap repository, which an app cannot grant on. Default: none.
    inference_image_repository: ecr.IRepository | None = None
    #: Register into this existing model package group (a registry another stack or team owns)
    #: instead of a new ``<name_prefix>-models`` group, which is then not created. Its resource
    #: policy is its owner's, so ``deploy_account`` is refused with it. Default: a new group.
    model_package_group_name: str | None = None
    #: Default: 24 hours.
    timeout_hours: int = 24
    #: Key prefixes (e.g. ``"pipeline/prepared/"``) whose data belongs to one run: every job URI and
    #: the gate's report under them get the execution name inserted after the prefix, so overlapping
    #: runs and registered packages never share files. Default: none (locations as in the specs).
    run_scoped_prefixes: Sequence[str] = ()

    def __post_init__(self) -> None:
        errors = PropsErrors("MlPipelineProps")
        errors.image_uri("inference_image_uri", self.inference_image_uri)
        bad_prefixes = check_prefixes(self.run_scoped_prefixes)
        errors.check(
            not bad_prefixes,
            "run_scoped_prefixes",
            bad_prefixes,
            "key prefixes ending in '/', without a leading '/', quotes, braces or backslashes",
        )
        errors.check(
            bool(_PREFIX.fullmatch(self.name_prefix)),
            "name_prefix",
            self.name_prefix,
            "1-14 letters, digits and '-' (job names append a suffix and the execution name)",
        )
        errors.one_of("approval_status", self.approval_status, _APPROVAL)
        errors.int_range("timeout_hours", self.timeout_hours, 1, 24 * 365)
        errors.check(len(self.job_roles) >= 1, "job_roles", len(self.job_roles), "at least one execution role")
        if self.deploy is not None:
            errors.check(
                isinstance(self.deploy, BatchTransform),
                "deploy",
                type(self.deploy).__name__,
                "a BatchTransform or None (endpoints take approved models through a ModelRelease)",
            )
            errors.check(
                self.approval_status == "Approved",
                "deploy",
                type(self.deploy).__name__,
                "None unless approval_status is 'Approved' (a PendingManualApproval model waits for a person)",
            )
        if self.baseline is not None:
            scoped = [p for p in self.run_scoped_prefixes if self.baseline.output_prefix.startswith(p)]
            errors.check(
                not scoped,
                "baseline.output_prefix",
                self.baseline.output_prefix,
                f"a prefix outside run_scoped_prefixes {scoped} (the monitoring schedule reads one fixed location)",
            )
        if self.model_package_group_name is not None:
            # A name, not an ARN: the pipeline's grants are ARNs built from it in this account and region.
            errors.pattern(
                "model_package_group_name",
                self.model_package_group_name,
                r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
                "the group's name (1-63 letters, digits and '-'), not its ARN",
            )
            errors.check(
                self.deploy_account is None,
                "deploy_account",
                self.deploy_account,
                "None with an existing model_package_group_name (share the group through its own resource policy)",
            )
        if self.deploy_account is not None:
            errors.pattern("deploy_account", self.deploy_account, r"\d{12}", "a 12-digit AWS account ID")
        if self.schedule is not None:
            errors.pattern("schedule", self.schedule.expression_string, EVENTBRIDGE_SCHEDULE, EVENTBRIDGE_SCHEDULE_RULE)
        errors.raise_if_any()

    @property
    def resolved_model_package_group_name(self) -> str:
        """``model_package_group_name``, or ``<name_prefix>-models`` (the group the pipeline then creates)."""
        return self.model_package_group_name or f"{self.name_prefix}-models"


class MlPipeline(Construct):
    """A state machine that prepares data, trains (or tunes), evaluates, gates on a metric and registers.

    Every task retries throttling and capacity errors with backoff; every failure publishes to the
    topic and ends in ``Fail`` with the cause. The machine logs ALL events to a KMS-encrypted log
    group, traces with X-Ray, times out, and its role can pass only the roles it uses, only to
    SageMaker, and create only jobs and models whose names start with ``name_prefix``.
    Executions must keep Step Functions' default (UUID) names: job names append them.
    """

    def __init__(self, scope: Construct, construct_id: str, props: MlPipelineProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        p = props.name_prefix
        #: The group the pipeline creates; None when it registers into an existing one.
        self.model_package_group: sagemaker.CfnModelPackageGroup | None = None
        if props.model_package_group_name is None:
            self.model_package_group = sagemaker.CfnModelPackageGroup(
                self,
                "ModelPackageGroup",
                model_package_group_name=f"{p}-models",
                model_package_group_description=f"Models registered by the {p} pipeline",
                model_package_group_policy=self._group_policy(props),
            )
            self.model_package_group.apply_removal_policy(RemovalPolicy.RETAIN)
        if props.deploy_account is not None:
            self._share_with(props.deploy_account, props)
        self.role, self.policy = machine_role(self, f"{p} pipeline: its jobs, report, registry, topic")
        for note in self._notes(props):
            Annotations.of(self).add_warning_v2("sagemaker-platform:volume-key-skipped", note)
        grants = PipelineGrants(
            stack=Stack.of(self), name_prefix=p, model_package_group=props.resolved_model_package_group_name
        )
        flow = PipelineFlow(self, props, grants)
        self.state_machine, self.log_group = logged_machine(
            self, flow.definition, self.role, self.policy, props.log_key, Duration.hours(props.timeout_hours)
        )
        if self.model_package_group is not None:
            flow.register_state.node.add_dependency(self.model_package_group)
        self.policy.add_statements(*grants.statements())
        acknowledge_wildcard_resources(
            self.policy,
            grants.wildcard_arns,
            reason=(
                "Job and model names are made at run time from the execution name under this pipeline's prefix; "
                "model package versions are numbered by SageMaker inside this pipeline's group."
            ),
        )
        self.schedule_rule = (
            starting_rule(
                self,
                "Schedule",
                self.state_machine,
                description=f"Retrain: start the {p} pipeline",
                schedule=props.schedule,
            )
            if props.schedule is not None
            else None
        )

    @property
    def model_package_group_name(self) -> str:
        """Where the pipeline registers (``<name_prefix>-models`` unless given), what a ModelRelease releases from."""
        return self.props.resolved_model_package_group_name

    @property
    def artifacts(self) -> tuple[s3.IBucket, str]:
        """(bucket, key prefix) of the model artifacts the pipeline's training writes."""
        training = self.props.train.training if isinstance(self.props.train, TuningJobSpec) else self.props.train
        return training.output_bucket, training.output_prefix

    @property
    def state_machine_arn(self) -> str:
        return self.state_machine.state_machine_arn

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``states:StartExecution`` on this pipeline."""
        return self.state_machine.grant_start_execution(grantee)

    def _share_with(self, account: str, props: MlPipelineProps) -> None:
        """Let ``account`` read the artifacts, decrypt them and pull the image of what is registered here.

        The group's policy only covers SageMaker's own API: a model created in another account from a
        package also reads the artifact from S3, decrypts it with the output key and pulls the image.
        What this app cannot grant (imported resources) is named in a warning.
        """
        principal = iam.AccountPrincipal(account)
        training = props.train.training if isinstance(props.train, TuningJobSpec) else props.train
        bucket = training.output_bucket
        missing: list[str] = []
        added = bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DeployAccountReadsModelArtifacts",
                principals=[principal],
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{training.output_prefix}*")],
            )
        )
        if not added.statement_added:
            missing.append(f"s3:GetObject on the artifacts under '{training.output_prefix}' (the bucket is imported)")
        if not training.security.output_key.grant_decrypt(principal).success:
            missing.append("kms:Decrypt with the artifacts' output key (the key is imported)")
        repository = props.inference_image_repository
        if repository is None:
            missing.append("pulls of inference_image_uri (set inference_image_repository to grant them)")
        elif not repository.grant_pull(principal).success:
            missing.append("pulls from inference_image_repository (the repository is imported)")
        if missing:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:deploy-account-access",
                f"MlPipeline {self.node.id}: deploy_account {account} can read the model package group but this app "
                f"cannot grant it: {'; '.join(missing)}. Grant these where the resources live, or models created "
                "there from the packages fail.",
            )

    @staticmethod
    def _notes(props: MlPipelineProps) -> list[str]:
        """What the job requests leave out and why (volume keys on NVMe instance types), once each."""
        specs: list[Any] = [props.prepare, props.train, props.evaluate]
        if props.baseline is not None:
            specs.append(props.baseline)
        if isinstance(props.deploy, BatchTransform):
            specs.append(props.deploy.spec)
        return list(dict.fromkeys(note for spec in specs for note in spec.notes))

    def _group_policy(self, props: MlPipelineProps) -> dict[str, Any] | None:
        if props.deploy_account is None:
            return None
        # The group's resource policy: the deploy account may read (not change) what is registered here.
        stack, group = Stack.of(self), f"{props.name_prefix}-models"
        resources = [
            stack.format_arn(service="sagemaker", resource="model-package-group", resource_name=group),
            stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group}/*"),
        ]
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DeployAccountReadsModels",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{stack.partition}:iam::{props.deploy_account}:root"},
                    "Action": [
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                    ],
                    "Resource": resources,
                }
            ],
        }
