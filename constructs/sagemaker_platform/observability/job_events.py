"""Failed and stopped SageMaker jobs, as readable SNS messages: EventBridge rules with input transformers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability.topic import allow_service_publishers

_STATUSES = ("Failed", "Stopped", "Completed")
#: A job-name prefix as jobs.common allows it (1-20 characters), optionally ending with '-' so that
#: "churn-" matches "churn-train-..." but not "churnx-...".
_PREFIX = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}-?")


class JobType(Enum):
    """A SageMaker job kind: its EventBridge detail-type, name and status fields, console page."""

    TRAINING = ("Training", "TrainingJobName", "TrainingJobStatus", "jobs")
    PROCESSING = ("Processing", "ProcessingJobName", "ProcessingJobStatus", "processing-jobs")
    TRANSFORM = ("Transform", "TransformJobName", "TransformJobStatus", "transform-jobs")
    TUNING = (
        "HyperParameter Tuning",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus",
        "hyper-tuning-jobs",
    )

    @property
    def detail_type(self) -> str:
        """E.g. ``"SageMaker Training Job State Change"``."""
        return f"SageMaker {self.value[0]} Job State Change"

    @property
    def name_field(self) -> str:
        return self.value[1]

    @property
    def status_field(self) -> str:
        return self.value[2]

    @property
    def console_page(self) -> str:
        return self.value[3]


@dataclass(frozen=True, kw_only=True)
class JobFailureEventsProps:
    """Properties of :class:`JobFailureEvents`."""

    #: Receives one message per matching job state change (a KMS-encrypted topic).
    topic: sns.ITopic
    #: Only jobs whose names start with one of these, e.g. ``f"{name_prefix}-"`` of an ``MlPipeline``.
    job_name_prefixes: Sequence[str]
    #: Default: training, processing, transform and tuning jobs.
    job_types: Sequence[JobType] = tuple(JobType)
    #: Default: Failed and Stopped (a stop is a spot interruption or a person; either way, someone should know).
    statuses: Sequence[str] = ("Failed", "Stopped")

    def __post_init__(self) -> None:
        errors = PropsErrors("JobFailureEventsProps")
        errors.check(
            self.topic.master_key is not None,
            "topic",
            self.topic.node.path,
            "a topic encrypted with a customer-managed KMS key (e.g. NotificationTopic(...).topic)",
        )
        errors.check(len(self.job_name_prefixes) >= 1, "job_name_prefixes", [], "at least one job name prefix")
        for i, prefix in enumerate(self.job_name_prefixes):
            errors.check(
                isinstance(prefix, str) and bool(_PREFIX.fullmatch(prefix)),
                f"job_name_prefixes[{i}]",
                prefix,
                "1-20 letters, digits and '-' starting with a letter or digit, optionally ending with '-'",
            )
        errors.check(
            len(set(self.job_name_prefixes)) == len(self.job_name_prefixes),
            "job_name_prefixes",
            list(self.job_name_prefixes),
            "each prefix once",
        )
        errors.check(len(self.job_types) >= 1, "job_types", [], "at least one JobType")
        errors.check(
            len(set(self.job_types)) == len(self.job_types),
            "job_types",
            [t.name for t in self.job_types],
            "each JobType once",
        )
        errors.check(len(self.statuses) >= 1, "statuses", [], f"at least one of {list(_STATUSES)}")
        for status in self.statuses:
            errors.one_of("statuses", status, _STATUSES)
        errors.raise_if_any()


class JobFailureEvents(Construct):
    """One EventBridge rule per job type: matching jobs reach the topic as a sentence, not raw JSON.

    A message reads ``SageMaker training job churn-train-7f3a is Failed (account 123456789012,
    eu-west-1, 2024-05-01T10:00:00Z). Reason: AlgorithmError: ... Console: https://...``. The topic
    must let EventBridge publish (``NotificationTopic`` does; for other owned topics this construct
    adds the statement) and its key must let ``events.amazonaws.com`` use it (``PlatformKeys.notifications``
    does).
    """

    def __init__(self, scope: Construct, construct_id: str, props: JobFailureEventsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        allow_service_publishers(props.topic)
        self.rules: dict[JobType, events.Rule] = {}
        for job_type in props.job_types:
            label = job_type.value[0].lower()
            self.rules[job_type] = events.Rule(
                self,
                f"{job_type.name.title()}Rule",
                description=f"{'/'.join(props.statuses)} {label} jobs named "
                f"{', '.join(p + '*' for p in props.job_name_prefixes)}: notify",
                event_pattern=events.EventPattern(
                    source=["aws.sagemaker"],
                    detail_type=[job_type.detail_type],
                    detail={
                        job_type.name_field: [{"prefix": p} for p in props.job_name_prefixes],
                        job_type.status_field: list(props.statuses),
                    },
                ),
                targets=[_TopicTarget(props.topic, self._message(job_type))],
            )

    @staticmethod
    def _message(job_type: JobType) -> events.RuleTargetInput:
        def path(p: str) -> str:
            return events.EventField.from_path(p)

        name = path(f"$.detail.{job_type.name_field}")
        region = path("$.region")
        console = f"https://console.aws.amazon.com/sagemaker/home?region={region}#/{job_type.console_page}/{name}"
        return events.RuleTargetInput.from_text(
            f"SageMaker {job_type.value[0].lower()} job {name} is {path(f'$.detail.{job_type.status_field}')} "
            f"(account {path('$.account')}, {region}, {path('$.time')}). "
            f"Reason: {path('$.detail.FailureReason')} Console: {console}"
        )


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """An SNS target that leaves the topic policy to :func:`allow_service_publishers`.

    CDK's ``targets.SnsTopic`` adds an ``events.amazonaws.com`` statement without any condition;
    the statement the topic already has is limited to this account's rules.
    """

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self.topic = topic
        self.message = message

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self.topic.topic_arn, input=self.message, target_resource=self.topic)
