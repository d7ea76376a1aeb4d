"""Step Functions ML pipelines composed from job specs, and the releases that take their models to endpoints."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.pipelines.baseline": ("DataQualityBaseline",),
    "sagemaker_platform.pipelines.ml_pipeline": (
        "MlPipeline",
        "MlPipelineProps",
        "QualityGate",
    ),
    "sagemaker_platform.pipelines.release": (
        "RELEASE_DETAIL_TYPE",
        "RELEASE_SOURCE",
        "SEED",
        "ModelRelease",
        "ModelReleaseProps",
        "approval_pattern",
    ),
    "sagemaker_platform.pipelines.targets": ("BatchTransform",),
    "sagemaker_platform.pipelines.tasks": (
        "RETRYABLE",
        "TaskFactory",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.pipelines.baseline import DataQualityBaseline as DataQualityBaseline
    from sagemaker_platform.pipelines.ml_pipeline import MlPipeline as MlPipeline
    from sagemaker_platform.pipelines.ml_pipeline import MlPipelineProps as MlPipelineProps
    from sagemaker_platform.pipelines.ml_pipeline import QualityGate as QualityGate
    from sagemaker_platform.pipelines.release import RELEASE_DETAIL_TYPE as RELEASE_DETAIL_TYPE
    from sagemaker_platform.pipelines.release import RELEASE_SOURCE as RELEASE_SOURCE
    from sagemaker_platform.pipelines.release import SEED as SEED
    from sagemaker_platform.pipelines.release import ModelRelease as ModelRelease
    from sagemaker_platform.pipelines.release import ModelReleaseProps as ModelReleaseProps
    from sagemaker_platform.pipelines.release import approval_pattern as approval_pattern
    from sagemaker_platform.pipelines.targets import BatchTransform as BatchTransform
    from sagemaker_platform.pipelines.tasks import RETRYABLE as RETRYABLE
    from sagemaker_platform.pipelines.tasks import TaskFactory as TaskFactory
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
