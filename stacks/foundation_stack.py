"""Foundation stack: keys, buckets, isolated network and the default SageMaker execution role."""

from __future__ import annotations

from typing import Any

from aws_cdk import DefaultStackSynthesizer, Fn, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import (
    AccessLogsBucket,
    BucketAccess,
    IsolatedNetwork,
    IsolatedNetworkProps,
    PlatformKeys,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
)
from sagemaker_platform._defaults import DEFAULT_INTERFACE_ENDPOINTS
from sagemaker_platform.compliance import CFN_GUARD_PLUGIN
from sagemaker_platform.observability import NotificationTopic, NotificationTopicProps
from stacks.config import StageConfig

#: Control Tower's CT.CLOUDWATCH.PR.2 asks log groups to keep events at least a year.
_CONTROL_TOWER_LOG_DAYS = 365


class FoundationStack(Stack):
    """Everything else in a stage builds on: construct IDs here are API (they pin logical IDs)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.keys = PlatformKeys(self, "Keys")
        self.access_logs = AccessLogsBucket(self, "AccessLogs")
        self.alerts = NotificationTopic(self, "Alerts", NotificationTopicProps(encryption_key=self.keys.notifications))
        self.data_bucket = SecureBucket(
            self,
            "DataBucket",
            SecureBucketProps(encryption_key=self.keys.data, access_logs_bucket=self.access_logs.bucket),
        )
        self.model_bucket = SecureBucket(
            self,
            "ModelBucket",
            SecureBucketProps(encryption_key=self.keys.models, access_logs_bucket=self.access_logs.bucket),
        )
        self.network = IsolatedNetwork(
            self,
            "Network",
            IsolatedNetworkProps(
                flow_logs_key=self.keys.logs,
                cidr=config.vpc_cidr,
                subnet_cidr_mask=config.subnet_cidr_mask,
                max_azs=config.max_azs,
                availability_zones=config.availability_zones,
                s3_prefix_list_id=config.s3_prefix_list_id,
                interface_endpoints=config.interface_endpoints or DEFAULT_INTERFACE_ENDPOINTS,
                flow_log_retention=config.log_retention,
            ),
        )
        assert self.network.flow_log_group is not None  # the stage's network creates its VPC, with flow logs
        if config.log_retention_days < _CONTROL_TOWER_LOG_DAYS:
            acknowledge(
                self.network.flow_log_group,
                f"{CFN_GUARD_PLUGIN}::cloudwatch_log_group_retention_period_check",
                reason=(
                    f"Stage {config.name} keeps flow logs {config.log_retention_days} days (cdk.json "
                    f"logRetentionDays) to limit cost; stages holding production data keep them a year or more."
                ),
            )
        # The CDK bootstrap bucket holds file assets the stage serves (the seed model): SageMaker
        # downloads a model in the VPC through the S3 endpoint, whose policy names every bucket.
        qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER
        assets_name = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace("${Qualifier}", qualifier)
        self.assets_bucket = s3.Bucket.from_bucket_name(self, "AssetsBucket", Fn.sub(assets_name))
        for bucket in (self.data_bucket.bucket, self.model_bucket.bucket, self.assets_bucket):
            self.network.allow_bucket(bucket)
        self.job_role = SageMakerExecutionRole(
            self,
            "JobRole",
            SageMakerExecutionRoleProps(
                description="Default SageMaker job role: reads data, writes model artifacts",
                buckets=(
                    BucketAccess(bucket=self.data_bucket.bucket),
                    BucketAccess(bucket=self.model_bucket.bucket, write=True),
                ),
                keys=(self.keys.models,),
                vpc=self.network.vpc,
            ),
        )
