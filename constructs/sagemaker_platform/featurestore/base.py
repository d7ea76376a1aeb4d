"""Behaviour shared by owned and imported feature groups: grants, metrics and alarms."""

from __future__ import annotations

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform.compliance import acknowledge_wildcard_resources
from sagemaker_platform.featurestore.alarms import FeatureGroupAlarmProps, make_alarm
from sagemaker_platform.featurestore.metrics import feature_group_metric
from sagemaker_platform.foundations.grantee import acknowledgment_scope

_INGEST_ACTIONS = ["sagemaker:PutRecord", "sagemaker:DeleteRecord", "sagemaker:DescribeFeatureGroup"]
_READ_ACTIONS = ["sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:DescribeFeatureGroup"]
_GLUE_READ_ACTIONS = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"]
_ATHENA_ACTIONS = [
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
]


class FeatureGroupBase(Construct):
    """A feature group's identity and stores; subclasses set the attributes in their constructor."""

    feature_group_name: str
    #: Key of the online store, or None when the group has no online store.
    online_store_key: kms.IKey | None = None
    #: Bucket, key and prefix (ending in ``/``) of the offline store, or None without one.
    offline_store_bucket: s3.IBucket | None = None
    offline_store_key: kms.IKey | None = None
    offline_store_prefix: str | None = None
    #: Glue database and table of the offline store.
    glue_database: str | None = None
    glue_table_name: str | None = None

    @property
    def feature_group_arn(self) -> str:
        """``arn:<partition>:sagemaker:<region>:<account>:feature-group/<name>``."""
        return self._arn(self.feature_group_name)

    def _arns(self) -> list[str]:
        # SageMaker lowercases many resource names in ARNs (moto's feature group ARNs do too), and
        # IAM compares ARNs case-sensitively: a mixed-case name is granted under both spellings.
        arns = [self.feature_group_arn]
        name = self.feature_group_name
        if not Token.is_unresolved(name) and name.lower() != name:
            arns.append(self._arn(name.lower()))
        return arns

    def _arn(self, name: str) -> str:
        return Stack.of(self).format_arn(service="sagemaker", resource="feature-group", resource_name=name)

    def grant_ingest(self, grantee: iam.IGrantable) -> iam.Grant:
        """PutRecord and DeleteRecord on this group (and DescribeFeatureGroup, to map columns to features)."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=_INGEST_ACTIONS, resource_arns=self._arns())
        return self._with_online_key(grant, grantee)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """GetRecord and BatchGetRecord on this group (and DescribeFeatureGroup)."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=_READ_ACTIONS, resource_arns=self._arns())
        return self._with_online_key(grant, grantee)

    def _with_online_key(self, grant: iam.Grant, grantee: iam.IGrantable) -> iam.Grant:
        # Every data-plane call on an online store encrypted with a customer key needs kms:Decrypt on it.
        if self.online_store_key is None:
            return grant
        return grant.combine(self.online_store_key.grant_decrypt(grantee))

    def grant_query_offline(
        self,
        grantee: iam.IGrantable,
        *,
        athena_workgroup: str = "primary",
        results_bucket: s3.IBucket | None = None,
        results_prefix: str = "athena-results/",
    ) -> iam.Grant:
        """Query the offline store with Athena: Glue read on this group's table, S3 read on its prefix.

        Also lets ``grantee`` run queries in ``athena_workgroup`` and, when ``results_bucket`` is
        given, write query results under ``results_prefix`` there (Athena needs a results location).
        """
        bucket, key, prefix = self.offline_store_bucket, self.offline_store_key, self.offline_store_prefix
        if bucket is None or prefix is None or self.glue_database is None or self.glue_table_name is None:
            raise ValueError(
                f"{self.node.path}: grant_query_offline needs an offline store with a known bucket, prefix "
                "and Glue table; this feature group has none"
            )
        stack = Stack.of(self)
        glue = glue_arns(stack, self.glue_database, self.glue_table_name)
        workgroup = stack.format_arn(service="athena", resource="workgroup", resource_name=athena_workgroup)
        objects = bucket.arn_for_objects(f"{prefix}*")
        listing = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=_GLUE_READ_ACTIONS, resource_arns=glue)
        for actions, resources, conditions in (
            (_ATHENA_ACTIONS, [workgroup], None),
            (["s3:GetObject"], [objects], None),
            # s3:prefix exists only on listing requests: GetBucketLocation must not carry the condition.
            (["s3:ListBucket"], [bucket.bucket_arn], listing),
            (["s3:GetBucketLocation"], [bucket.bucket_arn], None),
        ):
            grant = grant.combine(
                iam.Grant.add_to_principal(
                    grantee=grantee, actions=actions, resource_arns=resources, conditions=conditions
                )
            )
        if key is not None:
            grant = grant.combine(key.grant_decrypt(grantee))
        wildcards = [objects]
        if results_bucket is not None:
            grant = grant.combine(self._grant_results(grantee, results_bucket, results_prefix))
            wildcards.append(results_bucket.arn_for_objects(f"{results_prefix}*"))
        scope = acknowledgment_scope(grantee)
        if scope is not None:
            acknowledge_wildcard_resources(
                scope,
                wildcards,
                reason="Offline-store objects and query results have data-dependent keys under a fixed prefix "
                "of this feature group; the bucket and prefix are fixed.",
            )
        return grant

    @staticmethod
    def _grant_results(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: str) -> iam.Grant:
        # What Athena needs at a query results location, spelled out (CDK's grant_read_write uses
        # action wildcards such as s3:GetObject* and kms:GenerateDataKey*).
        grant = (
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resource_arns=[bucket.arn_for_objects(f"{prefix}*")],
            )
            .combine(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["s3:ListBucket"],
                    resource_arns=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                )
            )
            .combine(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                    resource_arns=[bucket.bucket_arn],
                )
            )
        )
        if bucket.encryption_key is not None:
            grant = grant.combine(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resource_arns=[bucket.encryption_key.key_arn],
                )
            )
        return grant

    # --- metrics ----------------------------------------------------------------------------------

    def metric(
        self, metric_name: str, operation: str, *, statistic: str | None = None, period: Duration | None = None
    ) -> cw.Metric:
        """Any Feature Store runtime metric of this group for ``operation`` (PutRecord, GetRecord, DeleteRecord)."""
        return feature_group_metric(metric_name, self.feature_group_name, operation, statistic=statistic, period=period)

    def metric_latency(self, operation: str = "GetRecord", *, statistic: str = "p99") -> cw.Metric:
        """``Latency`` in microseconds. Default statistic: p99 over one minute."""
        return self.metric("Latency", operation, statistic=statistic)

    def metric_throttled_requests(self, operation: str = "PutRecord") -> cw.Metric:
        """``ThrottledRequests``: 1 per throttled request. Default statistic: Sum over one minute."""
        return self.metric("ThrottledRequests", operation)

    def metric_invocations(self, operation: str = "GetRecord") -> cw.Metric:
        """``Invocations``. Default statistic: Sum over one minute."""
        return self.metric("Invocations", operation)

    def metric_operation_4xx_errors(self, operation: str = "GetRecord") -> cw.Metric:
        """``Operation4XXErrors``. Default statistic: Sum over one minute."""
        return self.metric("Operation4XXErrors", operation)

    def metric_operation_5xx_errors(self, operation: str = "GetRecord") -> cw.Metric:
        """``Operation5XXErrors``. Default statistic: Sum over one minute."""
        return self.metric("Operation5XXErrors", operation)

    # --- alarms -----------------------------------------------------------------------------------

    def add_throttling_alarm(self, props: FeatureGroupAlarmProps, operation: str = "PutRecord") -> cw.Alarm:
        """Alarm when more than ``props.threshold`` requests of ``operation`` are throttled per minute."""
        return make_alarm(
            self,
            f"{operation}ThrottlingAlarm",
            metric=self.metric_throttled_requests(operation),
            props=props,
            description=f"Feature group {self.feature_group_name}: {operation} requests are being throttled",
        )

    def add_latency_alarm(self, props: FeatureGroupAlarmProps, operation: str = "GetRecord") -> cw.Alarm:
        """Alarm when the p99 ``Latency`` of ``operation`` exceeds ``props.threshold`` microseconds."""
        return make_alarm(
            self,
            f"{operation}LatencyAlarm",
            metric=self.metric_latency(operation),
            props=props,
            description=f"Feature group {self.feature_group_name}: p99 {operation} latency above "
            f"{props.threshold:g} microseconds",
        )


def glue_arns(stack: Stack, database: str, table: str) -> list[str]:
    """The catalog, database and table ARNs IAM needs for one Glue table of this account and region."""
    return [
        stack.format_arn(service="glue", resource="catalog"),
        stack.format_arn(service="glue", resource="database", resource_name=database),
        stack.format_arn(service="glue", resource="table", resource_name=f"{database}/{table}"),
    ]
