"""Feature store stack: two example feature groups, the role that ingests into them, and alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from sagemaker_platform import BucketAccess, SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.featurestore import (
    Feature,
    FeatureGroup,
    FeatureGroupAlarmProps,
    FeatureGroupProps,
    Ttl,
)
from sagemaker_platform.foundations import ManagedPolicyGrantee
from stacks.config import StageConfig
from stacks.foundation_stack import FoundationStack

#: p99 GetRecord latency above which the online store is too slow for inference (microseconds).
ONLINE_LATENCY_THRESHOLD_US = 50_000


class FeatureStoreStack(Stack):
    """Feature groups of the reference platform. Construct IDs and group names are API: both are create-only."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, foundation: FoundationStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data = foundation.data_bucket.bucket
        # Online + offline: per-customer aggregates looked up at inference, history kept for training.
        self.customers = FeatureGroup(
            self,
            "Customers",
            FeatureGroupProps(
                feature_group_name=f"{config.name}-customers",
                description="Customer aggregates: online for scoring, offline for training",
                features=(
                    Feature.string("customer_id"),
                    Feature.string("event_time"),
                    Feature.integral("orders_30d"),
                    Feature.fractional("spend_30d"),
                    Feature.fractional("avg_basket_90d"),
                    Feature.string("segment"),
                ),
                record_identifier="customer_id",
                event_time="event_time",
                online_store_key=foundation.keys.feature_store,
                offline_store_bucket=data,
                ttl=Ttl(value=90),
            ),
        )
        # Offline-only Iceberg table: every transaction, for point-in-time training sets.
        self.transactions = FeatureGroup(
            self,
            "Transactions",
            FeatureGroupProps(
                feature_group_name=f"{config.name}-transactions",
                description="Transactions with fraud labels, offline only",
                features=(
                    Feature.string("transaction_id"),
                    Feature.fractional("event_time"),
                    Feature.string("customer_id"),
                    Feature.fractional("amount"),
                    Feature.string("merchant_category"),
                    Feature.integral("is_fraud"),
                ),
                record_identifier="transaction_id",
                event_time="event_time",
                online_store=False,
                offline_store_bucket=data,
            ),
        )
        # The processing job running `process ingest`: reads prepared/ and puts records.
        self.ingest_role = SageMakerExecutionRole(
            self,
            "IngestRole",
            SageMakerExecutionRoleProps(
                description="Feature ingestion job: reads prepared features, writes the feature groups",
                buckets=(BucketAccess(bucket=data, prefix="prepared/"),),
                vpc=foundation.network.vpc,
            ),
        )
        grantee = ManagedPolicyGrantee(self.ingest_role.role, self.ingest_role.policy)
        for group in (self.customers, self.transactions):
            group.grant_ingest(grantee)
        topic = foundation.alerts.topic
        self.customers.add_throttling_alarm(FeatureGroupAlarmProps(topic=topic, threshold=0), operation="PutRecord")
        self.customers.add_throttling_alarm(FeatureGroupAlarmProps(topic=topic, threshold=0), operation="GetRecord")
        self.customers.add_latency_alarm(
            FeatureGroupAlarmProps(topic=topic, threshold=ONLINE_LATENCY_THRESHOLD_US), operation="GetRecord"
        )
