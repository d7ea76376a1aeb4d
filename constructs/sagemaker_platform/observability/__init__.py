"""Observability: notification topics (alarms and dashboards grow here)."""

from sagemaker_platform.observability.topic import NotificationTopic, NotificationTopicProps

__all__ = ["NotificationTopic", "NotificationTopicProps"]
