"""What an ML pipeline's state machine may do: its own jobs, report, registry, transform model, topic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from sagemaker_platform.foundations.roles import SAGEMAKER_SERVICE
from sagemaker_platform.pipelines.tasks import JOB_KINDS

#: The EventBridge rules Step Functions manages to learn that a ``.sync`` job finished.
_SYNC_RULES = {
    "ProcessingJob": "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    "TrainingJob": "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "HyperParameterTuningJob": "StepFunctionsGetEventsForSageMakerTuningJobsRule",
    "TransformJob": "StepFunctionsGetEventsForSageMakerTransformJobsRule",
}


@dataclass
class PipelineGrants:
    """Collects the resources a pipeline touches, then renders least-privilege statements."""

    stack: Stack
    name_prefix: str
    #: The model package group the pipeline registers into.
    model_package_group: str
    #: Job kinds the pipeline starts, as in ``JOB_KINDS`` (e.g. ``"TrainingJob"``).
    job_kinds: set[str] = field(default_factory=set)
    pass_roles: dict[str, str] = field(default_factory=dict)
    read_objects: list[str] = field(default_factory=list)
    #: Object ARNs with a '*' for the execution name (run-scoped prefixes).
    run_scoped_objects: list[str] = field(default_factory=list)
    decrypt_keys: dict[str, str] = field(default_factory=dict)
    grant_keys: dict[str, str] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    creates_models: bool = False
    deletes_models: bool = False

    def arn(self, resource: str, name: str) -> str:
        return self.stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

    def pass_role(self, role_arn: str) -> None:
        self.pass_roles[role_arn] = role_arn

    def key(self, key: kms.IKey | None, *, for_resources: bool = False) -> None:
        """Decrypt/encrypt with ``key``; ``for_resources`` adds the grants SageMaker makes for volumes."""
        if key is not None:
            self.decrypt_keys[key.key_arn] = key.key_arn
            if for_resources:
                self.grant_keys[key.key_arn] = key.key_arn

    @property
    def wildcard_arns(self) -> list[str]:
        """ARNs ending in ``*``: names made at run time under this pipeline's prefix."""
        p = self.name_prefix
        arns = [self.arn(JOB_KINDS[kind], f"{p}-*") for kind in sorted(self.job_kinds)]
        arns.append(self.arn("model-package", f"{self.model_package_group}/*"))
        arns += self.run_scoped_objects
        if self.creates_models:
            arns.append(self.arn("model", f"{p}-*"))
        return arns

    def statements(self) -> Sequence[iam.PolicyStatement]:
        p = self.name_prefix
        kinds = sorted(self.job_kinds)
        jobs = [f"sagemaker:{verb}{kind}" for kind in kinds for verb in ("Create", "Describe", "Stop")]
        out = [
            iam.PolicyStatement(
                actions=[*jobs, "sagemaker:AddTags", "sagemaker:ListTags"],
                resources=[self.arn(JOB_KINDS[kind], f"{p}-*") for kind in kinds],
            ),
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    self.stack.format_arn(service="events", resource="rule", resource_name=_SYNC_RULES[kind])
                    for kind in kinds
                ],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=list(self.pass_roles.values()),
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=self.read_objects),
            iam.PolicyStatement(
                actions=["sagemaker:CreateModelPackage"],
                resources=[
                    self.arn("model-package-group", self.model_package_group),
                    self.arn("model-package", f"{self.model_package_group}/*"),
                ],
            ),
            iam.PolicyStatement(actions=["sns:Publish"], resources=self.topics),
        ]
        if self.creates_models:
            actions = ["sagemaker:CreateModel"] + (["sagemaker:DeleteModel"] if self.deletes_models else [])
            out.append(iam.PolicyStatement(actions=actions, resources=[self.arn("model", f"{p}-*")]))
        if self.decrypt_keys:
            out.append(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    resources=list(self.decrypt_keys.values()),
                )
            )
        if self.grant_keys:
            # SageMaker encrypts endpoint volumes with a grant made on the caller's behalf.
            out.append(
                iam.PolicyStatement(
                    actions=["kms:CreateGrant"],
                    resources=list(self.grant_keys.values()),
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )
        return out
