"""Serving: image sources, models, endpoints with variants, guardrails and autoscaling."""

from sagemaker_platform.serving.alarms import AlarmSettings
from sagemaker_platform.serving.autoscaling import VariantScaling
from sagemaker_platform.serving.deployment import BlueGreenDeployment, RollingDeployment, TrafficShift
from sagemaker_platform.serving.endpoint import Endpoint, EndpointProps, ImportedEndpoint
from sagemaker_platform.serving.image import ModelImage
from sagemaker_platform.serving.model import (
    ContainerSpec,
    InferenceMode,
    Model,
    ModelArtifact,
    ModelProps,
    ReleaseSource,
)
from sagemaker_platform.serving.variants import (
    AsyncInferenceSettings,
    DataCaptureSettings,
    ServerlessSettings,
    VariantSpec,
    has_instance_storage,
    is_burstable,
)

__all__ = [
    "AlarmSettings",
    "AsyncInferenceSettings",
    "BlueGreenDeployment",
    "ContainerSpec",
    "DataCaptureSettings",
    "Endpoint",
    "EndpointProps",
    "ImportedEndpoint",
    "InferenceMode",
    "Model",
    "ModelArtifact",
    "ModelImage",
    "ModelProps",
    "ReleaseSource",
    "RollingDeployment",
    "ServerlessSettings",
    "TrafficShift",
    "VariantScaling",
    "VariantSpec",
    "has_instance_storage",
    "is_burstable",
]
