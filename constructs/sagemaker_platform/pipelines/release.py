"""Model releases: an approval records the approved model package, and CloudFormation deploys it.

The standard SageMaker MLOps pattern, with CloudFormation in charge of every endpoint:

1. A pipeline registers a model package; a person (or, in dev, the pipeline) approves it.
2. SageMaker emits "SageMaker Model Package State Change"; a rule starts this construct's state
   machine, which writes the package's ARN into an SSM parameter (the *release*), then tells the
   delivery ("Model Release Recorded" on an event bus; a delivery pipeline starts on it).
3. The endpoint's stack resolves the parameter when it is deployed (a CloudFormation parameter of
   type ``AWS::SSM::Parameter::Value<String>``, see ``ContainerSpec.released``): its model is the
   released package, created and swapped in by CloudFormation with the endpoint's own blue/green
   guardrails and auto-rollback.

Nothing outside CloudFormation ever changes an endpoint, so the stack and the live endpoint cannot
drift apart. The parameter starts as :data:`SEED`: until a first release the endpoint serves its
seed model. Approving an older version again releases it (the last approval wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.pipelines._machines import logged_machine, machine_role, starting_rule
from sagemaker_platform.serving.model import SEED as SEED
from sagemaker_platform.serving.model import ReleaseSource

if TYPE_CHECKING:
    from sagemaker_platform.pipelines.ml_pipeline import MlPipeline

#: The event a release announces, for delivery pipelines to start on.
RELEASE_SOURCE = "sagemaker-platform.release"
RELEASE_DETAIL_TYPE = "Model Release Recorded"
_PARAMETER = re.compile(r"/[a-zA-Z0-9_.\-]+(/[a-zA-Z0-9_.\-]+){0,14}")
_BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._\-/]{1,256}")
_RETRY = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 5, "BackoffRate": 2}]


@dataclass(frozen=True, kw_only=True)
class ModelReleaseProps:
    """Properties of :class:`ModelRelease`."""

    #: The group whose approved versions are released (``MlPipeline.model_package_group_name``).
    model_package_group_name: str
    #: The SSM parameter recording the release, e.g. ``/sagemaker-platform/dev/churn/challenger``.
    parameter_name: str
    #: Where the group's packages keep their artifacts: models serving a release may read them.
    artifacts_bucket: s3.IBucket
    artifacts_prefix: str
    #: A failed release is published here.
    topic: sns.ITopic
    #: Encrypts the release state machine's log group.
    log_key: kms.IKey
    #: Release every approval (Approved and Completed versions of the group). Default: True. With
    #: False the parameter changes only by hand, e.g. to promote a challenger's package to champion.
    release_on_approval: bool = True
    #: The bus told of each release, e.g. the delivery pipeline account's default bus. Default:
    #: this account's default bus.
    delivery_event_bus_arn: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("ModelReleaseProps")
        errors.pattern(
            "model_package_group_name",
            self.model_package_group_name,
            r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            "1-63 letters, digits and '-', starting and ending with a letter or digit",
        )
        name = self.parameter_name
        errors.check(
            isinstance(name, str) and bool(_PARAMETER.fullmatch(name)) and len(name) <= 1011
            and not re.match(r"/(aws|ssm)", name, re.IGNORECASE),
            "parameter_name",
            name,
            "an SSM parameter path such as '/sagemaker-platform/dev/churn/challenger': '/'-separated letters, "
            "digits, '_', '.', '-', at most 15 levels, not under /aws or /ssm",
        )  # fmt: skip
        errors.check(
            self.artifacts_prefix.endswith("/") and not self.artifacts_prefix.startswith(("/", "s3://")),
            "artifacts_prefix",
            self.artifacts_prefix,
            "a key prefix ending in '/', without a leading '/' (pass the bucket apart)",
        )
        if self.delivery_event_bus_arn is not None:
            errors.pattern(
                "delivery_event_bus_arn",
                self.delivery_event_bus_arn,
                _BUS_ARN.pattern,
                "an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)",
            )
        errors.raise_if_any()

    @staticmethod
    def for_pipeline(pipeline: MlPipeline, *, parameter_name: str, **kwargs: Any) -> ModelReleaseProps:
        """Release what ``pipeline`` registers: its group, its artifacts, its topic and log key."""
        bucket, prefix = pipeline.artifacts
        defaults: dict[str, Any] = {
            "model_package_group_name": pipeline.model_package_group_name,
            "artifacts_bucket": bucket,
            "artifacts_prefix": prefix,
            "topic": pipeline.props.topic,
            "log_key": pipeline.props.log_key,
        }
        return ModelReleaseProps(parameter_name=parameter_name, **{**defaults, **kwargs})


class ModelRelease(Construct):
    """The release parameter of one model (``Parameter``, RETAIN) and, by default, what writes it on approval.

    CloudFormation creates the parameter with :data:`SEED` and never writes it again (its template
    value stays ``seed``); afterwards only releases change it: the state machine on approval, or
    whoever is granted ``grant_release``. Stacks that serve the release read it when they deploy.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ModelReleaseProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=props.parameter_name,
            string_value=SEED,
            description=f"Released model package of {props.model_package_group_name} ('{SEED}': none yet)",
        )
        self.parameter.apply_removal_policy(RemovalPolicy.RETAIN)
        stack = Stack.of(self)
        self.event_bus_arn = props.delivery_event_bus_arn or stack.format_arn(
            service="events", resource="event-bus", resource_name="default"
        )
        self.state_machine: sfn.StateMachine | None = None
        self.rule: events.Rule | None = None
        if props.release_on_approval:
            self._release_on_approval(props)

    @property
    def parameter_name(self) -> str:
        return self.props.parameter_name

    @property
    def source(self) -> ReleaseSource:
        """What a model serving this release needs: the parameter, and the artifacts it may read."""
        return ReleaseSource(
            parameter_name=self.props.parameter_name,
            artifacts_bucket=self.props.artifacts_bucket,
            artifacts_prefix=self.props.artifacts_prefix,
            owner=Stack.of(self),
        )

    def grant_release(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow writing the release by hand (``ssm:PutParameter``), e.g. a promotion job."""
        return self.parameter.grant_write(grantee)

    def _release_on_approval(self, props: ModelReleaseProps) -> None:
        group, stack = props.model_package_group_name, Stack.of(self)
        role, policy = machine_role(self, f"Release approved {group} packages: the parameter, the event, the topic")
        cause = "States.Format('{}: {}', $.error.Error, $.error.Cause)"
        failed = sfn.Fail(self, "Failed", error="ReleaseFailed", cause_path=cause)
        notify = sfn.CustomState(self, "NotifyFailure", state_json={
            "Type": "Task",
            "Resource": f"arn:{stack.partition}:states:::sns:publish",
            "Parameters": {
                "TopicArn": props.topic.topic_arn,
                "Subject": f"{group} release failed",
                "Message.$": "States.Format('Release of {} failed with {}: {}', $.detail.ModelPackageArn, "
                             "$.error.Error, $.error.Cause)",
            },
            "ResultPath": "$.notification",
            "Retry": _RETRY,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notificationError", "Next": "Failed"}],
        }).next(failed)  # fmt: skip

        def task(name: str, resource: str, parameters: dict[str, Any]) -> sfn.CustomState:
            state = sfn.CustomState(self, name, state_json={
                "Type": "Task", "Resource": f"arn:{stack.partition}:states:::{resource}", "Parameters": parameters,
                "ResultPath": f"$.{name[0].lower() + name[1:]}", "Retry": _RETRY,
            })  # fmt: skip
            state.add_catch(notify, errors=["States.ALL"], result_path="$.error")
            return state

        record = task("Record", "aws-sdk:ssm:putParameter", {
            "Name": props.parameter_name, "Value.$": "$.detail.ModelPackageArn", "Type": "String", "Overwrite": True,
        })  # fmt: skip
        announce = task("Announce", "events:putEvents", {"Entries": [{
            "EventBusName": self.event_bus_arn,
            "Source": RELEASE_SOURCE,
            "DetailType": RELEASE_DETAIL_TYPE,
            "Detail": {
                "parameterName": props.parameter_name,
                "modelPackageArn.$": "$.detail.ModelPackageArn",
                "modelPackageGroupName": group,
            },
        }]})  # fmt: skip
        definition = record.next(announce).next(sfn.Succeed(self, "Released"))
        self.state_machine, self.log_group = logged_machine(
            self, definition, role, policy, props.log_key, Duration.minutes(15)
        )
        policy.add_statements(
            iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[self.parameter.parameter_arn]),
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.event_bus_arn]),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[props.topic.topic_arn]),
        )
        key = props.topic.master_key
        if key is not None:
            policy.add_statements(
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
            )
        self.rule = starting_rule(
            self,
            "OnApproval",
            self.state_machine,
            description=f"Release approved versions of {group}",
            event_pattern=approval_pattern(group),
        )


def approval_pattern(group: str) -> events.EventPattern:
    """SageMaker's event for a version of ``group`` that is (or became) Approved and is complete."""
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=["SageMaker Model Package State Change"],
        detail={
            "ModelPackageGroupName": [group],
            "ModelApprovalStatus": ["Approved"],
            "ModelPackageStatus": ["Completed"],
        },
    )
