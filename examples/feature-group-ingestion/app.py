#!/usr/bin/env python3
"""A feature group with online and offline stores, and a Lambda function that ingests records into it.

The platform's network (a new VPC with isolated subnets and the SageMaker Feature Store runtime
endpoint) hosts the function; the online store and the offline store (Iceberg, in a KMS-encrypted
bucket) use customer-managed keys. For batch loads, the library's processing image runs
``process ingest --feature-group-name customers`` over a prepared dataset instead (see the README).
"""

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import (
    AccessLogsBucket,
    FeatureGroup,
    FeatureGroupAlarmProps,
    FeatureGroupProps,
    IsolatedNetwork,
    IsolatedNetworkProps,
    ManagedPolicyGrantee,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
    Ttl,
    acknowledge_wildcard_resources,
    add_nag_packs,
    availability_zones_context,
    features_from_dataclass,
)

#: Where it deploys (replace with yours).
ACCOUNT, REGION, ZONES = "111111111111", "eu-west-1", ["eu-west-1a", "eu-west-1b"]


@dataclass
class CustomerRow:
    """One customer's features, as the ingesting code writes them."""

    customer_id: str
    event_time: float
    tenure_months: int
    monthly_spend: float
    plan: str


class FeatureStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        keys = PlatformKeys(self, "Keys")  # construct IDs are API: keep them stable
        logs_bucket = AccessLogsBucket(self, "AccessLogs")
        data = SecureBucket(
            self, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs_bucket.bucket)
        )
        network = IsolatedNetwork(
            self,
            "Network",
            IsolatedNetworkProps(
                flow_logs_key=keys.logs,
                availability_zones=ZONES,
                s3_prefix_list_id="pl-6da54004",  # eu-west-1's S3 prefix list; look yours up (see the README)
                interface_endpoints=["sagemaker.featurestore-runtime", "logs", "sts"],
            ),
        )
        network.allow_bucket(data.bucket)
        alerts = NotificationTopic(self, "Alerts", NotificationTopicProps(encryption_key=keys.notifications))
        customers = FeatureGroup(
            self,
            "Customers",
            FeatureGroupProps(
                feature_group_name="customers",
                features=features_from_dataclass(CustomerRow),
                record_identifier="customer_id",
                event_time="event_time",
                online_store_key=keys.feature_store,
                offline_store_bucket=data.bucket,
                ttl=Ttl(value=90),
            ),
        )
        customers.add_throttling_alarm(FeatureGroupAlarmProps(topic=alerts.topic, threshold=0), operation="PutRecord")
        self._ingest(network, customers, keys)

    def _ingest(self, network: IsolatedNetwork, group: FeatureGroup, keys: PlatformKeys) -> None:
        """A Lambda function in the isolated subnets, allowed to write only this feature group."""
        role = iam.Role(self, "IngestRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        grantee = ManagedPolicyGrantee.for_role(self, "IngestPolicy", role, description="Ingest into customers")
        group_sg = ec2.SecurityGroup(
            self,
            "IngestSg",
            vpc=network.vpc,
            allow_all_outbound=False,
            description="Customer ingestion: HTTPS to the VPC endpoints only",
        )
        group_sg.add_egress_rule(network.endpoints_security_group, ec2.Port.tcp(443), "HTTPS to the VPC endpoints")
        network.allow_endpoint_access_from(group_sg, "HTTPS from the ingestion function")
        log_group = logs.LogGroup(
            self,
            "IngestLogs",
            encryption_key=keys.logs,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        dead_letters = sqs.Queue(
            self,
            "IngestDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=keys.notifications,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        function = lambda_.Function(
            self,
            "Ingest",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(Path(__file__).parent / "ingest")),
            role=role.without_policy_updates(),  # so CDK's own grants cannot land in an inline policy
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[group_sg],
            environment={"FEATURE_GROUP_NAME": group.feature_group_name},
            environment_encryption=keys.data,
            log_group=log_group,
            dead_letter_queue=dead_letters,
            reserved_concurrent_executions=5,
            timeout=cdk.Duration.seconds(60),
            tracing=lambda_.Tracing.ACTIVE,
        )
        group.grant_ingest(grantee)  # PutRecord/DeleteRecord on this group, and its online store key
        log_group.grant_write(grantee)
        keys.data.grant_decrypt(grantee)
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])
        )
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[keys.notifications.key_arn])
        )
        grantee.add_to_principal_policy(
            # A function in a VPC manages its network interfaces; EC2 has no ARNs for them yet.
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                ],
                resources=["*"],
            )
        )
        acknowledge_wildcard_resources(
            grantee.policy,
            ["*", log_group.log_group_arn],
            reason="EC2 network-interface and X-Ray actions have no resource-level permissions; a log group ARN "
            "ends in ':*' to cover its streams.",
        )
        # Lambda checks the role's network-interface permissions when it creates a function in a VPC.
        function.node.add_dependency(grantee.policy)
        # CDK's Function also depends on its role, which its GetAtt already orders (cfn-lint's W3005).
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, cdk.CfnResource)
        cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})


# The zones CDK would otherwise look up for an account-bound VPC: synth stays offline.
app = cdk.App(context=availability_zones_context(account=ACCOUNT, region=REGION, zones=ZONES))
FeatureStack(app, "CustomerFeatures", env=cdk.Environment(account=ACCOUNT, region=REGION))
add_nag_packs(app)
app.synth()
