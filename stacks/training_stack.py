"""Training pipeline stack: the library's containers as prepare, train, evaluate; releases approved models.

The pipeline registers; approval releases. An approved version's ARN goes into the challenger's
release parameter, and the serving stack's next deploy (started by the release's event) swaps it in
through CloudFormation. Dev approves at registration; prod waits for a person.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from sagemaker_platform import BucketAccess, ModelImage, SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.foundations import JobNetwork
from sagemaker_platform.jobs import (
    Channel,
    JobCompute,
    JobSecurity,
    MetricDefinition,
    ProcessingInput,
    ProcessingJobSpec,
    ProcessingOutput,
    SpotTraining,
    TrainingJobSpec,
)
from sagemaker_platform.pipelines import (
    DataQualityBaseline,
    MlPipeline,
    MlPipelineProps,
    ModelRelease,
    ModelReleaseProps,
    QualityGate,
)
from stacks.config import StageConfig
from stacks.foundation_stack import FoundationStack

#: Where each step reads and writes, under the data and model buckets.
RAW, PREPARED, EVALUATION = "raw/", "pipeline/prepared/", "pipeline/evaluation/"
MODELS, CHECKPOINTS = "pipeline/models/", "pipeline/checkpoints/"
#: Where the data-quality baseline lives: written by every run that passes the gate, read by the monitor.
BASELINE = "model-monitor/baseline/"
_PROCESSING = "/opt/ml/processing"


def release_parameter(stage: str, channel: str) -> str:
    """The SSM parameter recording the churn model released to ``channel`` (champion or challenger)."""
    return f"/sagemaker-platform/{stage}/churn/{channel}"


class TrainingStack(Stack):
    """The churn model's pipeline (prepare -> train -> evaluate -> gate -> baseline -> register) and its releases.

    Construct IDs are API: they pin the logical IDs of the log group, the model package group and
    the release parameters.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data, models = foundation.data_bucket.bucket, foundation.model_bucket.bucket
        keys = foundation.keys
        self.job_role = SageMakerExecutionRole(
            self,
            "JobRole",
            SageMakerExecutionRoleProps(
                description="Training pipeline jobs: read raw data, write prepared data, models and evaluations",
                buckets=(
                    BucketAccess(bucket=data, prefix=RAW),
                    BucketAccess(bucket=data, prefix=PREPARED, write=True),
                    BucketAccess(bucket=data, prefix=EVALUATION, write=True),
                    BucketAccess(bucket=data, prefix=BASELINE, write=True),
                    BucketAccess(bucket=models, prefix=MODELS, write=True),
                    BucketAccess(bucket=models, prefix=CHECKPOINTS, write=True),
                ),
                keys=(keys.data, keys.models),
                vpc=foundation.network.vpc,
            ),
        )
        # The library's own images (containers/ in this checkout, package data in an installed wheel).
        images = {
            name: image.bind(Construct(self, f"{name.title()}Image"), self.job_role)
            for name, image in (
                ("processing", ModelImage.platform_processing()),
                ("training", ModelImage.platform_training()),
            )
        }
        security = JobSecurity(
            network=JobNetwork.from_isolated_network(foundation.network), volume_key=keys.models, output_key=keys.data
        )
        common: dict[str, Any] = {"role_arn": self.job_role.role_arn, "security": security}
        splits = ("train", "validation", "test")
        prepare = ProcessingJobSpec(
            image_uri=images["processing"].image_uri,
            entrypoint=["process", "prepare"],
            # The features of the train split, without the label: the baseline's dataset.
            arguments=["--label-column", "0", "--features-output", "features"],
            inputs=[ProcessingInput(name="raw", bucket=data, prefix=RAW, local_path=f"{_PROCESSING}/input/raw")],
            outputs=[
                ProcessingOutput(name=s, bucket=data, prefix=f"{PREPARED}{s}/", local_path=f"{_PROCESSING}/output/{s}")
                for s in (*splits, "features")
            ],
            **common,
        )
        train = TrainingJobSpec(
            image_uri=images["training"].image_uri,
            channels=[
                Channel(name=s, bucket=data, prefix=f"{PREPARED}{s}/", content_type="text/csv") for s in splits[:2]
            ],
            output_bucket=models,
            output_prefix=MODELS,
            compute=JobCompute(instance_type=config.training_instance_type),
            hyperparameters={
                "objective": "binary:logistic",
                "eval_metric": "auc",
                "num_round": 200,
                "early_stopping_rounds": 10,
                "max_depth": 5,
                "eta": 0.2,
            },
            metric_definitions=[
                MetricDefinition(name=f"{c}:auc", regex=rf"{c}:auc=([0-9.]+)") for c in ("train", "validation")
            ],
            max_runtime_s=4 * 3600,
            spot=SpotTraining(checkpoint_bucket=models, checkpoint_prefix=CHECKPOINTS, max_wait_s=8 * 3600)
            if config.training_spot
            else None,
            security=JobSecurity(network=security.network, volume_key=keys.models, output_key=keys.models),
            role_arn=self.job_role.role_arn,
        )
        evaluate = ProcessingJobSpec(
            image_uri=images["processing"].image_uri,
            entrypoint=["process", "evaluate"],
            inputs=[
                ProcessingInput(
                    name="test", bucket=data, prefix=f"{PREPARED}test/", local_path=f"{_PROCESSING}/input/test"
                )
            ],
            outputs=[
                ProcessingOutput(
                    name="evaluation", bucket=data, prefix=EVALUATION, local_path=f"{_PROCESSING}/evaluation"
                )
            ],
            **common,
        )
        schedule_days = config.training_schedule_days
        self.pipeline = MlPipeline(
            self,
            "Pipeline",
            MlPipelineProps(
                name_prefix=f"churn-{config.name}"[:14].rstrip("-"),
                prepare=prepare,
                train=train,
                evaluate=evaluate,
                gate=QualityGate(
                    report_bucket=data,
                    report_key=f"{EVALUATION}evaluation.json",
                    metric="metrics.auc",
                    threshold=config.training_quality_threshold,
                ),
                baseline=DataQualityBaseline(
                    dataset_bucket=data,
                    dataset_prefix=f"{PREPARED}features/",
                    output_bucket=data,
                    output_prefix=BASELINE,
                    role=self.job_role,
                    security=security,
                ),
                inference_image_uri=ModelImage.platform_inference()
                .bind(Construct(self, "InferenceImage"), self.job_role)
                .image_uri,
                job_roles=[self.job_role],
                topic=foundation.alerts.topic,
                log_key=keys.logs,
                approval_status=config.training_approval,
                schedule=events.Schedule.rate(Duration.days(schedule_days)) if schedule_days else None,
                # Each run prepares, evaluates and reports under its own execution name.
                run_scoped_prefixes=(PREPARED, EVALUATION),
            ),
        )
        # Approvals release to the A/B endpoint's challenger (10% of traffic); the champion changes
        # only when a person promotes a package (see the README).
        self.challenger_release = ModelRelease(
            self,
            "ChallengerRelease",
            ModelReleaseProps.for_pipeline(self.pipeline, parameter_name=release_parameter(config.name, "challenger")),
        )
        self.champion_release = ModelRelease(
            self,
            "ChampionRelease",
            ModelReleaseProps.for_pipeline(
                self.pipeline, parameter_name=release_parameter(config.name, "champion"), release_on_approval=False
            ),
        )
