#!/usr/bin/env python3
"""A real-time endpoint in a VPC your network team owns, and a Lambda function that calls it.

Nothing here creates a network: the VPC, its private subnets (with their route tables) and two
security groups already exist and are imported by ID (no context lookups, so synth needs no AWS
credentials). The model is SageMaker's built-in XGBoost image serving a model.tar.gz that a
training job already wrote to an existing, KMS-encrypted bucket. Replace the IDs below with yours.
"""

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import (
    AlarmFactory,
    ContainerSpec,
    Endpoint,
    EndpointMonitoring,
    EndpointMonitoringProps,
    EndpointProps,
    JobNetwork,
    ManagedPolicyGrantee,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    MonitoredVariant,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    VariantSpec,
    acknowledge_wildcard_resources,
    add_nag_packs,
)

#: What the network team gave you.
VPC_ID = "vpc-0a1b2c3d4e5f60718"
AZS = ["eu-west-1a", "eu-west-1b"]
PRIVATE_SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"]
ROUTE_TABLES = ["rtb-0a1b2c3d4e5f60718", "rtb-0b2c3d4e5f6071829"]
#: Allows HTTPS to the VPC's interface endpoints (sagemaker.runtime, sts, logs, ecr) and S3.
SAGEMAKER_SG = "sg-0a1b2c3d4e5f60718"
#: The caller's group: HTTPS to the sagemaker.runtime interface endpoint.
CALLER_SG = "sg-0b2c3d4e5f6071829"
#: Where the training job wrote the model, and the key that encrypts it.
MODEL_BUCKET = "acme-ml-models-eu-west-1"
ENDPOINT_NAME = "churn"
MODEL_KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class ServingStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=VPC_ID,
            availability_zones=AZS,
            private_subnet_ids=PRIVATE_SUBNETS,
            private_subnet_route_table_ids=ROUTE_TABLES,
        )
        network = JobNetwork.from_vpc(
            vpc,
            security_groups=[
                ec2.SecurityGroup.from_security_group_id(self, "SageMakerSg", SAGEMAKER_SG, mutable=False)
            ],
        )
        model_key = kms.Key.from_key_arn(self, "ModelKey", MODEL_KEY_ARN)
        models = s3.Bucket.from_bucket_attributes(self, "Models", bucket_name=MODEL_BUCKET, encryption_key=model_key)
        # Keys for what this stack creates itself: the endpoint's volumes, the alert topic, the log group.
        keys = PlatformKeys(self, "Keys")
        alerts = NotificationTopic(self, "Alerts", NotificationTopicProps(encryption_key=keys.notifications))

        model = Model(
            self,
            "Churn",
            ModelProps(
                containers=[
                    ContainerSpec(
                        image=ModelImage.from_builtin("xgboost:1.7-1"),
                        model_data=ModelArtifact(bucket=models, key="churn/model.tar.gz"),
                    )
                ],
                network=network,
                model_key=model_key,
            ),
        )
        # Monitoring first, addressed by the endpoint's name: its CRITICAL alarms are the endpoint's
        # auto-rollback alarms, so they must exist before it (see EndpointMonitoring's docstring).
        variants = [
            VariantSpec(variant_name="live", model=model, instance_type="ml.m5.large", initial_instance_count=2)
        ]
        monitoring = EndpointMonitoring(
            self,
            "Monitoring",
            EndpointMonitoringProps(
                endpoint_name=ENDPOINT_NAME,
                variants=[MonitoredVariant.from_spec(v) for v in variants],
                alarms=AlarmFactory(alerts.topic),
            ),
        )
        endpoint = Endpoint(
            self,
            "Endpoint",
            EndpointProps(
                endpoint_name=ENDPOINT_NAME,
                production_variants=variants,
                rollback_5xx=None,
                rollback_latency_us=None,
                extra_rollback_alarms=monitoring.rollback_alarms,
                alarm_topic=alerts.topic,
                volume_key=keys.models,
            ),
        )
        monitoring.check_endpoint(endpoint)
        endpoint.scale_variant("live", min_capacity=2, max_capacity=6).scale_on_invocations(300)
        self._caller(vpc, endpoint, keys)

    def _caller(self, vpc: ec2.IVpc, endpoint: Endpoint, keys: PlatformKeys) -> None:
        """A Lambda function in the same subnets, allowed to invoke only this endpoint."""
        role = iam.Role(self, "CallerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        # Every grant goes into one customer-managed policy: inline policies fail the HIPAA and NIST packs.
        grantee = ManagedPolicyGrantee.for_role(self, "CallerPolicy", role, description="Invoke the churn endpoint")
        log_group = logs.LogGroup(
            self,
            "CallerLogs",
            encryption_key=keys.logs,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        dead_letters = sqs.Queue(
            self,
            "CallerDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=keys.notifications,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        function = lambda_.Function(
            self,
            "Caller",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(Path(__file__).parent / "invoke")),
            role=role.without_policy_updates(),  # so CDK's own grants cannot land in an inline policy
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[ec2.SecurityGroup.from_security_group_id(self, "CallerSg", CALLER_SG, mutable=False)],
            environment={"ENDPOINT_NAME": endpoint.endpoint_name},
            environment_encryption=keys.data,
            log_group=log_group,
            dead_letter_queue=dead_letters,
            reserved_concurrent_executions=10,
            timeout=cdk.Duration.seconds(30),
            tracing=lambda_.Tracing.ACTIVE,
        )
        endpoint.grant_invoke(grantee)
        log_group.grant_write(grantee)
        # Written out rather than dead_letters.grant_send_messages(), whose key grant uses wildcards
        # (kms:GenerateDataKey*, kms:ReEncrypt*) that AwsSolutions-IAM5 flags.
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])
        )
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[keys.notifications.key_arn])
        )
        keys.data.grant_decrypt(grantee)
        grantee.add_to_principal_policy(
            # What a function in a VPC needs for its network interfaces (EC2 has no ARNs for them before they exist).
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
        )
        acknowledge_wildcard_resources(
            grantee.policy,
            ["*", f"{log_group.log_group_arn}"],
            reason="EC2 network-interface and X-Ray actions have no resource-level permissions; a log group ARN "
            "ends in ':*' to cover its streams.",
        )
        # Lambda checks the role's network-interface permissions when it creates a function in a VPC.
        function.node.add_dependency(grantee.policy)
        # CDK's Function also depends on its role, which its GetAtt already orders (cfn-lint's W3005).
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, cdk.CfnResource)
        cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})


app = cdk.App()
ServingStack(app, "ChurnServing", env=cdk.Environment(account="111111111111", region="eu-west-1"))
add_nag_packs(app)
app.synth()
