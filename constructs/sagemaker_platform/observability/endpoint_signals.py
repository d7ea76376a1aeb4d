"""What an endpoint is watched for: signals, where each applies, their thresholds, the variants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from aws_cdk import aws_cloudwatch as cw

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability import _defaults
from sagemaker_platform.observability.alarm_factory import Thresholds
from sagemaker_platform.observability.instances import gpu_count, has_nvidia_gpu, vcpu_count
from sagemaker_platform.observability.metrics import EndpointMetrics
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE

if TYPE_CHECKING:
    from sagemaker_platform.serving.variants import VariantSpec


class EndpointSignal(Enum):
    """One alarm source of an endpoint. The value names the alarm (construct ID and alarm name)."""

    INVOCATION_5XX = "Invocation5XXErrors"
    INVOCATION_4XX_RATE = "Invocation4XXRate"
    MODEL_LATENCY = "ModelLatency"
    OVERHEAD_LATENCY = "OverheadLatency"
    CPU = "CPUUtilization"
    MEMORY = "MemoryUtilization"
    DISK = "DiskUtilization"
    GPU = "GPUUtilization"
    GPU_MEMORY = "GPUMemoryUtilization"
    MODEL_SETUP_TIME = "ModelSetupTime"
    BACKLOG_AGE = "ApproximateAgeOfOldestRequest"
    BACKLOG_SIZE = "ApproximateBacklogSize"

    @property
    def endpoint_wide(self) -> bool:
        """True for the async backlog signals, which have no VariantName dimension."""
        return self in (EndpointSignal.BACKLOG_AGE, EndpointSignal.BACKLOG_SIZE)


_INVOCATION = (
    EndpointSignal.INVOCATION_5XX,
    EndpointSignal.INVOCATION_4XX_RATE,
    EndpointSignal.MODEL_LATENCY,
    EndpointSignal.OVERHEAD_LATENCY,
)
_INSTANCE = (EndpointSignal.CPU, EndpointSignal.MEMORY, EndpointSignal.DISK)
_GPU = (EndpointSignal.GPU, EndpointSignal.GPU_MEMORY)
_DESCRIPTIONS = {
    EndpointSignal.INVOCATION_5XX: "5xx errors per minute",
    EndpointSignal.INVOCATION_4XX_RATE: "4xx responses, percent of invocations",
    EndpointSignal.MODEL_LATENCY: "p99 model latency (microseconds)",
    EndpointSignal.OVERHEAD_LATENCY: "p99 SageMaker overhead latency (microseconds)",
    EndpointSignal.CPU: "CPU utilization, percent of all vCPUs",
    EndpointSignal.MEMORY: "memory utilization (percent)",
    EndpointSignal.DISK: "disk utilization (percent)",
    EndpointSignal.GPU: "GPU utilization, percent of all GPUs",
    EndpointSignal.GPU_MEMORY: "GPU memory utilization, percent of all GPUs",
    EndpointSignal.MODEL_SETUP_TIME: "p99 serverless model setup time (microseconds)",
    EndpointSignal.BACKLOG_AGE: "age of the oldest queued async request (seconds)",
    EndpointSignal.BACKLOG_SIZE: "queued async requests",
}


def describe(signal: EndpointSignal) -> str:
    """What the signal's alarm watches, with its unit."""
    return _DESCRIPTIONS[signal]


@dataclass(frozen=True, kw_only=True)
class MonitoredVariant:
    """A production variant as monitoring sees it: its name and what it runs on.

    Build it from the same :class:`VariantSpec` the endpoint gets (:meth:`from_spec`), before the
    endpoint exists.
    """

    variant_name: str
    #: Default: ``ml.m5.large`` (the endpoint's default). Not with ``serverless``.
    instance_type: str | None = None
    #: Serverless variants get a ModelSetupTime alarm and no instance alarms. Default: instances.
    serverless: bool = False
    #: Divides CPUUtilization to percent of the instance. Default: from the instance size.
    vcpus: int | None = None
    #: Divides the GPU metrics to percent of the instance. Default: from the instance type (0 without GPUs).
    gpus: int | None = None

    @staticmethod
    def from_spec(spec: VariantSpec) -> MonitoredVariant:
        """The variant ``spec`` describes (its name, instance type, or serverless)."""
        return MonitoredVariant(
            variant_name=spec.variant_name,
            instance_type=spec.effective_instance_type,
            serverless=spec.serverless is not None,
        )

    @property
    def effective_instance_type(self) -> str | None:
        """None for serverless variants, else the instance type or the endpoint's default."""
        return None if self.serverless else (self.instance_type or "ml.m5.large")

    @property
    def effective_vcpus(self) -> int | None:
        instance = self.effective_instance_type
        return self.vcpus or (vcpu_count(instance) if instance else None)

    @property
    def effective_gpus(self) -> int:
        instance = self.effective_instance_type
        if self.gpus is not None:
            return self.gpus
        return gpu_count(instance) if instance else 0

    def signals(self) -> tuple[EndpointSignal, ...]:
        """The per-variant signals that apply: invocation signals always, then instance or serverless ones."""
        if self.serverless:
            return (*_INVOCATION, EndpointSignal.MODEL_SETUP_TIME)
        gpu = _GPU if self.effective_gpus > 0 else ()
        return (*_INVOCATION, *_INSTANCE, *gpu)

    def metric(self, signal: EndpointSignal, endpoint_name: str) -> cw.IMetric:
        """The metric ``signal`` alarms on, for this variant of ``endpoint_name``."""
        m = EndpointMetrics(endpoint_name=endpoint_name, variant_name=self.variant_name)
        by_signal: dict[EndpointSignal, Callable[[], cw.IMetric]] = {
            EndpointSignal.INVOCATION_5XX: m.invocation_5xx_errors,
            EndpointSignal.INVOCATION_4XX_RATE: m.invocation_4xx_rate,
            EndpointSignal.MODEL_LATENCY: m.model_latency,
            EndpointSignal.OVERHEAD_LATENCY: m.overhead_latency,
            EndpointSignal.MEMORY: m.memory_utilization,
            EndpointSignal.DISK: m.disk_utilization,
            EndpointSignal.MODEL_SETUP_TIME: m.model_setup_time,
            EndpointSignal.BACKLOG_AGE: m.backlog_age,
            EndpointSignal.BACKLOG_SIZE: m.backlog_size,
        }
        if signal is EndpointSignal.CPU:
            return m.cpu_utilization(self.effective_vcpus)
        if signal is EndpointSignal.GPU:
            return m.gpu_utilization(self.effective_gpus)
        if signal is EndpointSignal.GPU_MEMORY:
            return m.gpu_memory_utilization(self.effective_gpus)
        return by_signal[signal]()

    def check(self, errors: PropsErrors, field_name: str) -> None:
        """Record this variant's problems under ``field_name`` (e.g. ``"variants[0]"``)."""
        errors.pattern(f"{field_name}.variant_name", self.variant_name, NAME_PATTERN, NAME_RULE)
        if self.serverless:
            errors.check(
                self.instance_type is None and self.vcpus is None and self.gpus is None,
                f"{field_name}.instance_type/vcpus/gpus",
                [self.instance_type, self.vcpus, self.gpus],
                "None for a serverless variant (it has no instances)",
            )
        elif self.instance_type is not None:
            api.check_instance_type(errors, f"{field_name}.instance_type", self.instance_type, "hosting")
        if self.vcpus is not None:
            errors.int_range(f"{field_name}.vcpus", self.vcpus, 1)
        if self.gpus is not None:
            errors.int_range(f"{field_name}.gpus", self.gpus, 0)
            instance = self.effective_instance_type
            if instance and isinstance(self.gpus, int) and self.gpus > 0:
                errors.check(
                    has_nvidia_gpu(instance),
                    f"{field_name}.gpus",
                    self.gpus,
                    f"0 or None on {instance} (GPU metrics exist for ml.g* and ml.p* types only)",
                )


@dataclass(frozen=True, kw_only=True)
class EndpointThresholds:
    """Thresholds per signal; None switches a signal's alarms off. Defaults: see ``observability._defaults``."""

    invocation_5xx: Thresholds | None = field(default_factory=_defaults.invocation_5xx)
    invocation_4xx_rate: Thresholds | None = field(default_factory=_defaults.invocation_4xx_rate)
    model_latency_us: Thresholds | None = field(default_factory=_defaults.model_latency_us)
    overhead_latency_us: Thresholds | None = field(default_factory=_defaults.overhead_latency_us)
    cpu_percent: Thresholds | None = field(default_factory=_defaults.cpu_percent)
    memory_percent: Thresholds | None = field(default_factory=_defaults.memory_percent)
    disk_percent: Thresholds | None = field(default_factory=_defaults.disk_percent)
    gpu_percent: Thresholds | None = field(default_factory=_defaults.gpu_percent)
    gpu_memory_percent: Thresholds | None = field(default_factory=_defaults.gpu_memory_percent)
    model_setup_time_us: Thresholds | None = field(default_factory=_defaults.model_setup_time_us)
    backlog_age_s: Thresholds | None = field(default_factory=_defaults.backlog_age_s)
    backlog_size: Thresholds | None = field(default_factory=_defaults.backlog_size)

    def field_name(self, signal: EndpointSignal) -> str:
        """The field holding ``signal``'s thresholds."""
        return _FIELDS[signal]

    def for_signal(self, signal: EndpointSignal) -> Thresholds | None:
        """``signal``'s thresholds, or None when switched off."""
        value: Thresholds | None = getattr(self, _FIELDS[signal])
        return value


_FIELDS = {
    EndpointSignal.INVOCATION_5XX: "invocation_5xx",
    EndpointSignal.INVOCATION_4XX_RATE: "invocation_4xx_rate",
    EndpointSignal.MODEL_LATENCY: "model_latency_us",
    EndpointSignal.OVERHEAD_LATENCY: "overhead_latency_us",
    EndpointSignal.CPU: "cpu_percent",
    EndpointSignal.MEMORY: "memory_percent",
    EndpointSignal.DISK: "disk_percent",
    EndpointSignal.GPU: "gpu_percent",
    EndpointSignal.GPU_MEMORY: "gpu_memory_percent",
    EndpointSignal.MODEL_SETUP_TIME: "model_setup_time_us",
    EndpointSignal.BACKLOG_AGE: "backlog_age_s",
    EndpointSignal.BACKLOG_SIZE: "backlog_size",
}
