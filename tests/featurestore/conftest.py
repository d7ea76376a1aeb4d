"""The feature store test app, synthesized once per session with every referee attached.

Two feature groups as the reference stage will have them: ``customers`` (online + offline) and
``transactions`` (offline-only Iceberg, provisioned writes), an ingestion role, an online reader,
an offline analyst and two alarms, all granted through customer-managed policies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from sagemaker_platform import (
    AccessLogsBucket,
    BucketAccess,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
    add_nag_packs,
)
from sagemaker_platform.compliance import NAG_PACK_NAMES
from sagemaker_platform.featurestore import (
    Feature,
    FeatureGroup,
    FeatureGroupAlarmProps,
    FeatureGroupProps,
    FeatureStoreChecks,
    ThroughputMode,
    Ttl,
)
from sagemaker_platform.foundations import ManagedPolicyGrantee
from tests.harness import make_app

CUSTOMER_FEATURES = (
    Feature.string("customer_id"),
    Feature.string("event_time"),
    Feature.integral("orders_30d"),
    Feature.fractional("spend_30d"),
    Feature.string("segment"),
)
TRANSACTION_FEATURES = (
    Feature.string("transaction_id"),
    Feature.fractional("event_time"),
    Feature.string("customer_id"),
    Feature.fractional("amount"),
    Feature.integral("is_fraud"),
)


@dataclass
class FeatureStoreApp:
    app: App
    stack: Stack
    keys: PlatformKeys
    data: SecureBucket
    customers: FeatureGroup
    transactions: FeatureGroup
    outdir: Path
    error: str | None

    @property
    def template(self) -> Template:
        return Template.from_stack(self.stack)

    def template_paths(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def build_feature_store_stack(app: App, construct_id: str = "FeatureStore") -> tuple[Stack, dict[str, object]]:
    """The stack under test; returns it with its parts by name."""
    stack = Stack(app, construct_id)
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA, KeyPurpose.FEATURE_STORE)))
    logs = AccessLogsBucket(stack, "AccessLogs")
    data = SecureBucket(stack, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs.bucket))
    customers = FeatureGroup(
        stack,
        "Customers",
        FeatureGroupProps(
            feature_group_name="customers",
            description="Customer aggregates for fraud scoring",
            features=CUSTOMER_FEATURES,
            record_identifier="customer_id",
            event_time="event_time",
            online_store_key=keys.feature_store,
            offline_store_bucket=data.bucket,
            ttl=Ttl(value=30),
        ),
    )
    transactions = FeatureGroup(
        stack,
        "Transactions",
        FeatureGroupProps(
            feature_group_name="transactions",
            features=TRANSACTION_FEATURES,
            record_identifier="transaction_id",
            event_time="event_time",
            online_store=False,
            offline_store_bucket=data.bucket,
            throughput_mode=ThroughputMode.PROVISIONED,
            provisioned_write_capacity_units=50,
        ),
    )
    ingest = SageMakerExecutionRole(
        stack,
        "IngestRole",
        SageMakerExecutionRoleProps(
            description="Processing job that ingests prepared features",
            buckets=(BucketAccess(bucket=data.bucket, prefix="prepared/"),),
        ),
    )
    for group in (customers, transactions):
        group.grant_ingest(ManagedPolicyGrantee(ingest.role, ingest.policy))
    reader_role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    reader_policy = iam.ManagedPolicy(stack, "ReaderPolicy", roles=[reader_role])
    customers.grant_read(ManagedPolicyGrantee(reader_role, reader_policy))
    analyst_role = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    analyst_policy = iam.ManagedPolicy(stack, "AnalystPolicy", roles=[analyst_role])
    transactions.grant_query_offline(ManagedPolicyGrantee(analyst_role, analyst_policy), results_bucket=data.bucket)
    alarms_key = kms.Key(stack, "AlarmsKey", enable_key_rotation=True)
    alarms_key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    topic = sns.Topic(stack, "Alarms", master_key=alarms_key, enforce_ssl=True)
    customers.add_throttling_alarm(FeatureGroupAlarmProps(topic=topic, threshold=0))
    customers.add_latency_alarm(FeatureGroupAlarmProps(topic=topic, threshold=50_000))
    return stack, {
        "keys": keys,
        "data": data,
        "customers": customers,
        "transactions": transactions,
        "ingest": ingest,
        "topic": topic,
    }


def add_referees(app: App) -> None:
    """The three nag packs and our Feature Store rule, registered once."""
    add_nag_packs(app)
    if "SageMakerPlatform" not in NAG_PACK_NAMES:  # until add_nag_packs registers our rule itself
        Validations.of(app).add_plugins(FeatureStoreChecks())


@pytest.fixture(scope="session")
def fs_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeatureStoreApp]:
    """Synthesized once: three nag packs, our Feature Store rule, then cfn-lint and checkov read ``outdir``."""
    outdir = tmp_path_factory.mktemp("featurestore") / "cdk.out"
    app = make_app(outdir)
    stack, parts = build_feature_store_stack(app)
    add_referees(app)
    error = None
    try:
        app.synth()
    except RuntimeError as err:  # ValidationFailed: the report on disk says why
        error = str(err)
    yield FeatureStoreApp(
        app=app,
        stack=stack,
        keys=parts["keys"],  # type: ignore[arg-type]
        data=parts["data"],  # type: ignore[arg-type]
        customers=parts["customers"],  # type: ignore[arg-type]
        transactions=parts["transactions"],  # type: ignore[arg-type]
        outdir=outdir,
        error=error,
    )
