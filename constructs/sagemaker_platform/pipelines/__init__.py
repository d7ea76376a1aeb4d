"""Step Functions ML pipelines composed from job specs, and the releases that take their models to endpoints."""

from sagemaker_platform.pipelines.baseline import DataQualityBaseline
from sagemaker_platform.pipelines.ml_pipeline import MlPipeline, MlPipelineProps, QualityGate
from sagemaker_platform.pipelines.release import (
    RELEASE_DETAIL_TYPE,
    RELEASE_SOURCE,
    SEED,
    ModelRelease,
    ModelReleaseProps,
    approval_pattern,
)
from sagemaker_platform.pipelines.targets import BatchTransform
from sagemaker_platform.pipelines.tasks import RETRYABLE, TaskFactory

__all__ = [
    "RELEASE_DETAIL_TYPE",
    "RELEASE_SOURCE",
    "RETRYABLE",
    "SEED",
    "BatchTransform",
    "DataQualityBaseline",
    "MlPipeline",
    "MlPipelineProps",
    "ModelRelease",
    "ModelReleaseProps",
    "QualityGate",
    "TaskFactory",
    "approval_pattern",
]
