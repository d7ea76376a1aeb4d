"""Step Functions ML pipelines composed from job specs."""

from sagemaker_platform.pipelines.ml_pipeline import MlPipeline, MlPipelineProps, QualityGate
from sagemaker_platform.pipelines.targets import BatchTransform, EndpointDeployment
from sagemaker_platform.pipelines.tasks import RETRYABLE, TaskFactory

__all__ = [
    "RETRYABLE",
    "BatchTransform",
    "EndpointDeployment",
    "MlPipeline",
    "MlPipelineProps",
    "QualityGate",
    "TaskFactory",
]
