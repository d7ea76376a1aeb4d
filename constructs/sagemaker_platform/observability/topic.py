"""An SNS topic for alarms and job events: KMS-encrypted, SSL-only, open to this account's alarms and rules."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors

_GRANTED_ATTRIBUTE = "_sagemaker_platform_publishers_allowed"


@dataclass(frozen=True, kw_only=True)
class NotificationTopicProps:
    """Properties of :class:`NotificationTopic`."""

    #: Key whose policy lets CloudWatch and EventBridge publish (``PlatformKeys.notifications``).
    encryption_key: kms.IKey
    #: Shown in notifications. Default: "sagemaker-platform alerts".
    display_name: str = "sagemaker-platform alerts"

    def __post_init__(self) -> None:
        errors = PropsErrors("NotificationTopicProps")
        errors.check(0 < len(self.display_name) <= 100, "display_name", self.display_name, "1-100 characters")
        errors.raise_if_any()


class NotificationTopic(Construct):
    """Where alarms and failure events go. Subscribe people or systems to :attr:`topic`.

    The topic policy denies publishing without TLS and allows exactly two service publishers:
    CloudWatch alarms and EventBridge rules of this account and region. A topic policy replaces
    SNS's default policy, so without these statements alarms and rules could not publish at all.
    The key must let the same two services use it (``PlatformKeys.notifications`` does).
    """

    def __init__(self, scope: Construct, construct_id: str, props: NotificationTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "Resource", master_key=props.encryption_key, enforce_ssl=True, display_name=props.display_name
        )
        allow_service_publishers(self.topic)


def allow_service_publishers(topic: sns.ITopic) -> None:
    """Let this account's CloudWatch alarms and EventBridge rules publish to ``topic`` (once per topic).

    Each service gets ``sns:Publish`` with an ``aws:SourceArn`` condition on its own ARNs in the
    topic's account and region (the confused-deputy guard AWS documents for both). Imported topics
    have no policy to change here; their owner must allow the same.
    """
    if getattr(topic, _GRANTED_ATTRIBUTE, False):
        return
    stack = Stack.of(topic)
    sources = {
        "AllowCloudWatchAlarmsOfThisAccount": (
            "cloudwatch.amazonaws.com",
            stack.format_arn(
                service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
            ),
        ),
        "AllowEventBridgeRulesOfThisAccount": (
            "events.amazonaws.com",
            stack.format_arn(service="events", resource="rule", resource_name="*"),
        ),
    }
    for sid, (service, source_arn) in sources.items():
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": source_arn}},
            )
        )
    setattr(topic, _GRANTED_ATTRIBUTE, True)
