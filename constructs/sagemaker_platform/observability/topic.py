"""An SNS topic for alarms and job events: KMS-encrypted, SSL-only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform._validation import PropsErrors


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
    """Where alarms and failure events go. Subscribe people or systems to :attr:`topic`."""

    def __init__(self, scope: Construct, construct_id: str, props: NotificationTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "Resource", master_key=props.encryption_key, enforce_ssl=True, display_name=props.display_name
        )
