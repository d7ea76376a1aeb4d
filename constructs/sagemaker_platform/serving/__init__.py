"""Serving: image sources, models, endpoints with variants, guardrails and autoscaling."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    # Where the library's own containers are (the wheel's package data, or a checkout's containers/).
    "sagemaker_platform.platform_containers": (
        "PLATFORM_CONTAINERS",
        "platform_container_directory",
    ),
    "sagemaker_platform.serving.alarms": ("AlarmSettings",),
    "sagemaker_platform.serving.autoscaling": ("VariantScaling",),
    "sagemaker_platform.serving.deployment": (
        "BlueGreenDeployment",
        "RollingDeployment",
        "TrafficShift",
    ),
    "sagemaker_platform.serving.endpoint": (
        "Endpoint",
        "EndpointProps",
        "ImportedEndpoint",
    ),
    "sagemaker_platform.serving.image": ("ModelImage",),
    "sagemaker_platform.serving.model": (
        "ContainerSpec",
        "InferenceMode",
        "Model",
        "ModelArtifact",
        "ModelProps",
        "ReleaseSource",
    ),
    "sagemaker_platform.serving.variants": (
        "AsyncInferenceSettings",
        "DataCaptureSettings",
        "ServerlessSettings",
        "VariantSpec",
        "has_instance_storage",
        "is_burstable",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.platform_containers import PLATFORM_CONTAINERS as PLATFORM_CONTAINERS
    from sagemaker_platform.platform_containers import platform_container_directory as platform_container_directory
    from sagemaker_platform.serving.alarms import AlarmSettings as AlarmSettings
    from sagemaker_platform.serving.autoscaling import VariantScaling as VariantScaling
    from sagemaker_platform.serving.deployment import BlueGreenDeployment as BlueGreenDeployment
    from sagemaker_platform.serving.deployment import RollingDeployment as RollingDeployment
    from sagemaker_platform.serving.deployment import TrafficShift as TrafficShift
    from sagemaker_platform.serving.endpoint import Endpoint as Endpoint
    from sagemaker_platform.serving.endpoint import EndpointProps as EndpointProps
    from sagemaker_platform.serving.endpoint import ImportedEndpoint as ImportedEndpoint
    from sagemaker_platform.serving.image import ModelImage as ModelImage
    from sagemaker_platform.serving.model import ContainerSpec as ContainerSpec
    from sagemaker_platform.serving.model import InferenceMode as InferenceMode
    from sagemaker_platform.serving.model import Model as Model
    from sagemaker_platform.serving.model import ModelArtifact as ModelArtifact
    from sagemaker_platform.serving.model import ModelProps as ModelProps
    from sagemaker_platform.serving.model import ReleaseSource as ReleaseSource
    from sagemaker_platform.serving.variants import AsyncInferenceSettings as AsyncInferenceSettings
    from sagemaker_platform.serving.variants import DataCaptureSettings as DataCaptureSettings
    from sagemaker_platform.serving.variants import ServerlessSettings as ServerlessSettings
    from sagemaker_platform.serving.variants import VariantSpec as VariantSpec
    from sagemaker_platform.serving.variants import has_instance_storage as has_instance_storage
    from sagemaker_platform.serving.variants import is_burstable as is_burstable
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
