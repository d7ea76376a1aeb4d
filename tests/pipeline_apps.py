"""Small apps holding an MlPipeline in its three shapes: register only, register and release, tune and transform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events

from sagemaker_platform import (
    AccessLogsBucket,
    BucketAccess,
    IsolatedNetwork,
    IsolatedNetworkProps,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SageMakerExecutionRole,
    SageMakerExecutionRoleProps,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.compliance import state_machine_definitions
from sagemaker_platform.foundations import JobNetwork
from sagemaker_platform.jobs import (
    Channel,
    ContinuousRange,
    JobSecurity,
    MetricDefinition,
    ProcessingInput,
    ProcessingJobSpec,
    ProcessingOutput,
    TrainingJobSpec,
    TransformJobSpec,
    TuningJobSpec,
)
from sagemaker_platform.pipelines import (
    BatchTransform,
    DataQualityBaseline,
    MlPipeline,
    MlPipelineProps,
    ModelRelease,
    ModelReleaseProps,
    QualityGate,
)
from tests.harness import S3_PREFIX_LIST, make_app, synth_with_packs

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sm@sha256:" + "c" * 64
SHAPES = ("register", "release", "tune-transform")
#: The release shape's parameter.
RELEASE_PARAMETER = "/test/churn/challenger"


class PipelineApp:
    """One synthesized app with one pipeline; ``shape`` picks training vs tuning, a release or a transform."""

    def __init__(self, outdir: Path, shape: str = "register") -> None:
        self.app = make_app(outdir)
        self.stack = Stack(self.app, "Pipeline")
        s = self.stack
        self.keys = keys = PlatformKeys(s, "Keys")
        self.data = data = SecureBucket(
            s,
            "Data",
            SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(s, "Logs").bucket),
        ).bucket
        net = IsolatedNetwork(
            s,
            "Net",
            IsolatedNetworkProps(
                s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs, interface_endpoints=["sts"]
            ),
        )
        role = SageMakerExecutionRole(
            s,
            "JobRole",
            SageMakerExecutionRoleProps(
                description="pipeline jobs",
                buckets=(BucketAccess(bucket=data, write=True),),
                keys=(keys.models,),
                vpc=net.vpc,
            ),
        )
        security = JobSecurity(
            network=JobNetwork.from_isolated_network(net), volume_key=keys.models, output_key=keys.models
        )
        self.topic = NotificationTopic(s, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
        out = "/opt/ml/processing/output"
        training = TrainingJobSpec(
            image_uri=IMAGE,
            role_arn=role.role_arn,
            security=security,
            output_bucket=data,
            output_prefix="models/",
            channels=[Channel(name="train", bucket=data, prefix="prepared/train/")],
            metric_definitions=[MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")],
        )
        extra: dict[str, Any] = {}
        self.release: ModelRelease | None = None
        if shape == "release":
            extra = {
                "approval_status": "Approved",
                "schedule": events.Schedule.rate(Duration.days(7)),
                "deploy_account": "210987654321",
                "inference_image_repository": ecr.Repository(
                    s,
                    "InferenceRepository",
                    image_scan_on_push=True,
                    image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                    encryption=ecr.RepositoryEncryption.KMS,
                    encryption_key=keys.models,
                ),
                "baseline": DataQualityBaseline(
                    dataset_bucket=data,
                    dataset_prefix="prepared/features/",
                    output_bucket=data,
                    output_prefix="model-monitor/baseline/",
                    role=role,
                    security=security,
                ),
                "run_scoped_prefixes": ("prepared/",),
            }
        elif shape == "existing-registry":
            # Registers into a group another stack owns (not one of SHAPES: only its differences are tested).
            extra = {"model_package_group_name": "team-registry"}
        elif shape == "tune-transform":
            extra = {
                "approval_status": "Approved",
                "deploy": BatchTransform(
                    spec=TransformJobSpec(
                        model_name="replaced-at-run-time",
                        input_bucket=data,
                        input_prefix="score/input/",
                        output_bucket=data,
                        output_prefix="score/output/",
                        key=keys.models,
                    ),
                    model_role=role,
                ),
                # No inference_image_repository: the pipeline warns that pulls are left to grant.
                "deploy_account": "210987654321",
            }
        self.props = MlPipelineProps(
            name_prefix="churn",
            prepare=ProcessingJobSpec(
                image_uri=IMAGE,
                role_arn=role.role_arn,
                security=security,
                entrypoint=["process", "prepare"],
                inputs=[
                    ProcessingInput(name="raw", bucket=data, prefix="raw/", local_path="/opt/ml/processing/input/raw")
                ],
                outputs=[
                    ProcessingOutput(name=n, bucket=data, prefix=f"prepared/{n}/", local_path=f"{out}/{n}")
                    for n in ("train", "validation", "test")
                ],
            ),
            train=training
            if shape != "tune-transform"
            else TuningJobSpec(
                training=training,
                objective_metric="validation:auc",
                continuous_ranges=[ContinuousRange(name="eta", min_value=0.05, max_value=0.5)],
                max_training_jobs=4,
            ),
            evaluate=ProcessingJobSpec(
                image_uri=IMAGE,
                role_arn=role.role_arn,
                security=security,
                entrypoint=["process", "evaluate"],
                inputs=[
                    ProcessingInput(
                        name="test", bucket=data, prefix="prepared/test/", local_path="/opt/ml/processing/input/test"
                    )
                ],
                outputs=[
                    ProcessingOutput(
                        name="evaluation", bucket=data, prefix="evaluation/", local_path="/opt/ml/processing/evaluation"
                    )
                ],
            ),
            gate=QualityGate(
                report_bucket=data, report_key="evaluation/evaluation.json", metric="metrics.auc", threshold=0.8
            ),
            inference_image_uri=IMAGE,
            job_roles=[role],
            topic=self.topic,
            log_key=keys.logs,
            **extra,
        )
        self.pipeline = MlPipeline(s, "Pipeline", self.props)
        if shape == "release":
            self.release = ModelRelease(
                s, "Release", ModelReleaseProps.for_pipeline(self.pipeline, parameter_name=RELEASE_PARAMETER)
            )
        #: The pipeline's own warnings, read before the test app acknowledges them.
        self.warnings = [str(m.data) for m in self.pipeline.node.metadata if m.type == "aws:cdk:warning"]
        if shape == "tune-transform":
            Annotations.of(self.pipeline).acknowledge_warning(
                "sagemaker-platform:deploy-account-access",
                "The test's inference image lives in a repository granted outside this app.",
            )
        self.error = synth_with_packs(self.app)
        self.outdir = outdir
        if not (outdir / "Pipeline.template.json").is_file():
            raise AssertionError(f"synth wrote no template: {self.error}")
        self.template: dict[str, Any] = json.loads((outdir / "Pipeline.template.json").read_text())
        definitions = dict(state_machine_definitions(self.template))
        self.definition_id = self.logical_id(self.pipeline.state_machine)
        self.definition = definitions[self.definition_id]
        #: The release state machine's (release shape only).
        self.release_definition_id = self.logical_id(self.release.state_machine) if self.release else None

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)
