"""Pipelines: Step Functions state machines composed from job specs."""

from sagemaker_platform.pipelines.ml_pipeline import RETRYABLE, MlPipeline, MlPipelineProps, QualityGate

__all__ = ["RETRYABLE", "MlPipeline", "MlPipelineProps", "QualityGate"]
