#!/usr/bin/env python3
"""A retraining pipeline that registers into a model registry another team owns.

The governance team owns the model package group ``acme-churn-models`` (its approvals, its
resource policy); this app adds the pipeline that feeds it: prepare, train (XGBoost, spot with
checkpoints), evaluate, gate on the test AUC, register as PendingManualApproval. The three steps
run the library's own processing and training images (shipped in the package, built as CDK image
assets), in the platform's isolated network, with customer-managed keys.
"""

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform import (
    AccessLogsBucket,
    AlarmFactory,
    BucketAccess,
    Channel,
    IsolatedNetwork,
    IsolatedNetworkProps,
    JobCompute,
    JobNetwork,
    JobSecurity,
    MetricDefinition,
    MlPipeline,
    MlPipelineProps,
    ModelImage,
    NotificationTopic,
    NotificationTopicProps,
    PipelineMonitoring,
    PipelineMonitoringProps,
    PlatformKeys,
    ProcessingInput,
    ProcessingJobSpec,
    ProcessingOutput,
    QualityGate,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
    SpotTraining,
    TrainingJobSpec,
    add_nag_packs,
    availability_zones_context,
)

#: Where it deploys (replace with yours).
ACCOUNT, REGION, ZONES = "111111111111", "eu-west-1", ["eu-west-1a", "eu-west-1b"]

#: The existing registry: registered into, never created or changed by this app.
REGISTRY = "acme-churn-models"
PROCESSING = "/opt/ml/processing"


class TrainingStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        keys = PlatformKeys(self, "Keys")  # construct IDs are API: keep them stable
        access_logs = AccessLogsBucket(self, "AccessLogs")
        data = SecureBucket(
            self, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=access_logs.bucket)
        )
        models = SecureBucket(
            self, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=access_logs.bucket)
        )
        network = IsolatedNetwork(
            self,
            "Network",
            IsolatedNetworkProps(
                flow_logs_key=keys.logs,
                availability_zones=ZONES,
                s3_prefix_list_id="pl-6da54004",  # eu-west-1's S3 prefix list; look yours up (see the README)
            ),
        )
        for bucket in (data, models):
            network.allow_bucket(bucket.bucket)
        alerts = NotificationTopic(self, "Alerts", NotificationTopicProps(encryption_key=keys.notifications))
        role = SageMakerExecutionRole(
            self,
            "JobRole",
            SageMakerExecutionRoleProps(
                description="Churn pipeline jobs: read raw data, write prepared data, models and the report",
                buckets=(
                    BucketAccess(bucket=data.bucket, prefix="raw/"),
                    BucketAccess(bucket=data.bucket, prefix="prepared/", write=True),
                    BucketAccess(bucket=data.bucket, prefix="evaluation/", write=True),
                    BucketAccess(bucket=models.bucket, prefix="models/", write=True),
                    BucketAccess(bucket=models.bucket, prefix="checkpoints/", write=True),
                ),
                keys=(keys.data, keys.models),
                vpc=network.vpc,
            ),
        )
        security = JobSecurity(network=JobNetwork.of(network), volume_key=keys.models, output_key=keys.data)
        processing = ModelImage.platform_processing().bind(Construct(self, "ProcessingImage"), role).image_uri
        training = ModelImage.platform_training().bind(Construct(self, "TrainingImage"), role).image_uri
        splits = ("train", "validation", "test")
        prepare = ProcessingJobSpec(
            image_uri=processing,
            entrypoint=["process", "prepare"],
            inputs=[
                ProcessingInput(name="raw", bucket=data.bucket, prefix="raw/", local_path=f"{PROCESSING}/input/raw")
            ],
            outputs=[
                ProcessingOutput(
                    name=s, bucket=data.bucket, prefix=f"prepared/{s}/", local_path=f"{PROCESSING}/output/{s}"
                )
                for s in splits
            ],
            role_arn=role.role_arn,
            security=security,
        )
        train = TrainingJobSpec(
            image_uri=training,
            channels=[
                Channel(name=s, bucket=data.bucket, prefix=f"prepared/{s}/", content_type="text/csv")
                for s in splits[:2]
            ],
            output_bucket=models.bucket,
            output_prefix="models/",
            compute=JobCompute(instance_type="ml.m5.xlarge"),
            hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": 200, "max_depth": 5},
            metric_definitions=[MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")],
            max_runtime_s=4 * 3600,
            spot=SpotTraining(checkpoint_bucket=models.bucket, checkpoint_prefix="checkpoints/", max_wait_s=8 * 3600),
            role_arn=role.role_arn,
            security=JobSecurity(network=security.network, volume_key=keys.models, output_key=keys.models),
        )
        evaluate = ProcessingJobSpec(
            image_uri=processing,
            entrypoint=["process", "evaluate"],
            inputs=[
                ProcessingInput(
                    name="test", bucket=data.bucket, prefix="prepared/test/", local_path=f"{PROCESSING}/input/test"
                )
            ],
            outputs=[
                ProcessingOutput(
                    name="evaluation", bucket=data.bucket, prefix="evaluation/", local_path=f"{PROCESSING}/evaluation"
                )
            ],
            role_arn=role.role_arn,
            security=security,
        )
        pipeline = MlPipeline(
            self,
            "Pipeline",
            MlPipelineProps(
                name_prefix="churn",
                prepare=prepare,
                train=train,
                evaluate=evaluate,
                gate=QualityGate(
                    report_bucket=data.bucket,
                    report_key="evaluation/evaluation.json",
                    metric="metrics.auc",
                    threshold=0.8,
                ),
                inference_image_uri=ModelImage.platform_inference()
                .bind(Construct(self, "InferenceImage"), role)
                .image_uri,
                job_roles=[role],
                topic=alerts.topic,
                log_key=keys.logs,
                model_package_group_name=REGISTRY,
                run_scoped_prefixes=("prepared/", "evaluation/"),
            ),
        )
        PipelineMonitoring(
            self,
            "PipelineMonitoring",
            PipelineMonitoringProps(
                state_machine=pipeline.state_machine, pipeline_name="churn", alarms=AlarmFactory(alerts.topic)
            ),
        )


# The zones CDK would otherwise look up for an account-bound VPC: synth stays offline.
app = cdk.App(context=availability_zones_context(account=ACCOUNT, region=REGION, zones=ZONES))
TrainingStack(app, "ChurnTraining", env=cdk.Environment(account=ACCOUNT, region=REGION))
add_nag_packs(app)
app.synth()
