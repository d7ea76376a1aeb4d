"""One entry of a model fleet: a model and its single-variant endpoint, scaled and alarmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sagemaker_platform._validation import PropsErrors, is_token
from sagemaker_platform.serving.alarms import AlarmSettings
from sagemaker_platform.serving.deployment import BlueGreenDeployment, RollingDeployment
from sagemaker_platform.serving.image import ModelImage
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE, ContainerSpec, ModelArtifact
from sagemaker_platform.serving.variants import INSTANCE_TYPE, is_burstable


@dataclass(frozen=True, kw_only=True)
class FleetMember:
    """A model served by one autoscaled, alarmed endpoint named ``name``.

    Give either ``image`` (plus optional ``model_data``) or ``containers``.
    """

    #: The endpoint's name and the member's construct ID (SageMaker's name rule; unique in the fleet).
    name: str
    #: The image of a single-container model. Default: none (then ``containers`` is required).
    image: ModelImage | None = None
    #: ``model.tar.gz`` for ``image``. Default: none (the image carries the model).
    model_data: ModelArtifact | None = None
    #: Full container specs instead of ``image``/``model_data`` (serial pipelines, model packages). Default: none.
    containers: Sequence[ContainerSpec] = field(default_factory=tuple)
    #: Default: ``ml.m5.large``. Burstable ``ml.t*`` types cannot autoscale and are rejected.
    instance_type: str = "ml.m5.large"
    #: Instances at first deploy. Default: 1.
    initial_instance_count: int = 1
    #: Autoscaling bounds. Default: 1 to 2 instances.
    min_capacity: int = 1
    max_capacity: int = 2
    #: Target tracking on ``SageMakerVariantInvocationsPerInstance`` (per minute). Default: 1000.
    invocations_per_instance: float = 1000
    #: Auto-rollback alarm on 5xx errors. Default: > 5 errors/min in 2 of 3 minutes; None: no alarm.
    rollback_5xx: AlarmSettings | None = field(default_factory=lambda: AlarmSettings(threshold=5))
    #: Auto-rollback alarm on p99 ModelLatency (microseconds). Default: > 1 s; None: no alarm.
    rollback_latency_us: AlarmSettings | None = field(default_factory=lambda: AlarmSettings(threshold=1_000_000))
    #: Default: blue/green canary of 10% with 5-minute bake, rolled back by the alarms above.
    deployment: BlueGreenDeployment | RollingDeployment | None = field(default_factory=BlueGreenDeployment)

    def __post_init__(self) -> None:
        errors = PropsErrors(f"FleetMember({self.name!r})")
        if is_token(self.name):
            errors.add("name", self.name, "a literal name, not a token (it is also the member's construct ID)")
        errors.pattern("name", self.name, NAME_PATTERN, NAME_RULE)
        errors.check(
            (self.image is None) != (not self.containers),
            "image/containers",
            "both" if self.image is not None else "neither",
            "exactly one of image (with optional model_data) and containers",
        )
        errors.check(
            self.model_data is None or self.image is not None,
            "model_data",
            "set",
            "None unless image is given (put model data in the ContainerSpec)",
        )
        errors.check(
            bool(INSTANCE_TYPE.fullmatch(self.instance_type)) and not is_burstable(self.instance_type),
            "instance_type",
            self.instance_type,
            "a non-burstable instance type such as 'ml.m5.large' (ml.t* cannot autoscale)",
        )
        errors.int_range("initial_instance_count", self.initial_instance_count, 1)
        errors.int_range("min_capacity", self.min_capacity, 1)
        errors.int_range("max_capacity", self.max_capacity, 1)
        counts = (self.min_capacity, self.initial_instance_count, self.max_capacity)
        if all(isinstance(c, int) for c in counts):
            errors.check(
                self.min_capacity <= self.initial_instance_count <= self.max_capacity,
                "min_capacity <= initial_instance_count <= max_capacity",
                counts,
                "min <= initial <= max",
            )
        errors.check(
            isinstance(self.invocations_per_instance, int | float) and self.invocations_per_instance > 0,
            "invocations_per_instance",
            self.invocations_per_instance,
            "a number > 0",
        )
        errors.raise_if_any()

    @property
    def container_specs(self) -> tuple[ContainerSpec, ...]:
        """The model's containers, whichever way they were given."""
        if self.image is not None:
            return (ContainerSpec(image=self.image, model_data=self.model_data),)
        return tuple(self.containers)
