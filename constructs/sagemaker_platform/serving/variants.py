"""Typed production, shadow and serverless variants, data capture and async inference settings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors, is_token
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE, Model

INSTANCE_TYPE = re.compile(r"ml\.([a-z][a-z0-9-]*)\.(medium|large|[0-9]*xlarge)")
# Families with local NVMe instance storage: SageMaker rejects a volume KMS key for them.
_INSTANCE_STORAGE_FAMILIES = re.compile(r".*\d[a-z]*d[a-z]*n?$|g5|g6|g6e|g5g|p4de?|p5e?|p5en|trn1n?|trn2|inf2|gr6")


def has_instance_storage(instance_type: str) -> bool:
    """True for instance types with NVMe instance storage (``ml.g4dn.*``, ``ml.g5.*``, ``ml.r5d.*``, ...)."""
    match = INSTANCE_TYPE.fullmatch(instance_type)
    return bool(match and _INSTANCE_STORAGE_FAMILIES.fullmatch(match.group(1)))


def is_burstable(instance_type: str) -> bool:
    """True for ``ml.t*`` instance types, which SageMaker cannot autoscale."""
    match = INSTANCE_TYPE.fullmatch(instance_type)
    return bool(match and match.group(1).startswith("t"))


@dataclass(frozen=True, kw_only=True)
class ServerlessSettings:
    """Serverless inference for a variant (no instances to manage; cold starts apply)."""

    #: 1024 to 6144 MB in steps of 1024.
    memory_size_mb: int = 2048
    #: 1 to 200 concurrent invocations.
    max_concurrency: int = 5
    #: Pre-warmed capacity, 1 to ``max_concurrency``. Default: none.
    provisioned_concurrency: int | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("ServerlessSettings")
        errors.one_of("memory_size_mb", self.memory_size_mb, [1024, 2048, 3072, 4096, 5120, 6144])
        errors.int_range("max_concurrency", self.max_concurrency, 1, 200)
        if self.provisioned_concurrency is not None:
            high = self.max_concurrency if isinstance(self.max_concurrency, int) else 200
            errors.int_range("provisioned_concurrency", self.provisioned_concurrency, 1, min(200, high))
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"memorySizeInMb": self.memory_size_mb, "maxConcurrency": self.max_concurrency}
        if self.provisioned_concurrency is not None:
            out["provisionedConcurrency"] = self.provisioned_concurrency
        return out


@dataclass(frozen=True, kw_only=True)
class VariantSpec:
    """A production or shadow variant: a model on instances or serverless."""

    variant_name: str
    model: Model
    #: Relative share of traffic (production) or of copied traffic (shadow). Default: 1.
    initial_weight: float = 1.0
    #: Default: ``ml.m5.large``. Not with ``serverless``.
    instance_type: str | None = None
    #: Default: 1. Not with ``serverless``.
    initial_instance_count: int | None = None
    #: ML storage volume per instance, 1-512 GB. Default: SageMaker's default for the type.
    volume_size_gb: int | None = None
    #: 60-3600 s. Default: SageMaker's default.
    container_startup_health_check_timeout_s: int | None = None
    #: 60-3600 s. Default: SageMaker's default.
    model_data_download_timeout_s: int | None = None
    #: Serverless instead of instances. Default: instances.
    serverless: ServerlessSettings | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors(f"VariantSpec({self.variant_name!r})")
        errors.pattern("variant_name", self.variant_name, NAME_PATTERN, NAME_RULE)
        variant = "ProductionVariants[]"
        api.check_field(
            errors, "initial_weight", self.initial_weight, "CreateEndpointConfig", f"{variant}.InitialVariantWeight"
        )
        if self.serverless is not None:
            for name in ("instance_type", "initial_instance_count", "volume_size_gb"):
                errors.check(
                    getattr(self, name) is None,
                    name,
                    getattr(self, name),
                    "None with serverless (serverless and instance settings cannot be mixed in a variant)",
                )
        if self.instance_type is not None:
            api.check_instance_type(errors, "instance_type", self.instance_type, "hosting")
        for name, member in (
            ("initial_instance_count", "InitialInstanceCount"),
            ("volume_size_gb", "VolumeSizeInGB"),
            ("container_startup_health_check_timeout_s", "ContainerStartupHealthCheckTimeoutInSeconds"),
            ("model_data_download_timeout_s", "ModelDataDownloadTimeoutInSeconds"),
        ):
            if getattr(self, name) is not None:
                api.check_field(errors, name, getattr(self, name), "CreateEndpointConfig", f"{variant}.{member}")
        errors.raise_if_any()

    @property
    def effective_instance_type(self) -> str | None:
        return None if self.serverless else (self.instance_type or "ml.m5.large")

    @property
    def effective_instance_count(self) -> int | None:
        return None if self.serverless else (self.initial_instance_count or 1)

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "variantName": self.variant_name,
            "modelName": self.model.model_name,
            "initialVariantWeight": self.initial_weight,
        }
        if self.serverless is not None:
            out["serverlessConfig"] = self.serverless.render()
        else:
            out["instanceType"] = self.effective_instance_type
            out["initialInstanceCount"] = self.effective_instance_count
            if self.volume_size_gb is not None:
                out["volumeSizeInGb"] = self.volume_size_gb
        if self.container_startup_health_check_timeout_s is not None:
            out["containerStartupHealthCheckTimeoutInSeconds"] = self.container_startup_health_check_timeout_s
        if self.model_data_download_timeout_s is not None:
            out["modelDataDownloadTimeoutInSeconds"] = self.model_data_download_timeout_s
        return out


@dataclass(frozen=True, kw_only=True)
class DataCaptureSettings:
    """Capture requests and responses to S3 (for Model Monitor and debugging), KMS-encrypted."""

    bucket: s3.IBucket
    #: Default: ``"data-capture/"``.
    prefix: str = "data-capture/"
    #: 0-100. Default: 100.
    sampling_percentage: int = 100
    #: Default: capture input and output.
    capture_input: bool = True
    capture_output: bool = True
    #: Content types recorded as CSV / JSON text rather than base64. Default: text/csv, application/json.
    csv_content_types: Sequence[str] = ("text/csv",)
    json_content_types: Sequence[str] = ("application/json",)

    def __post_init__(self) -> None:
        errors = PropsErrors("DataCaptureSettings")
        errors.int_range("sampling_percentage", self.sampling_percentage, 0, 100)
        errors.check(
            self.capture_input or self.capture_output,
            "capture_input/capture_output",
            False,
            "capture at least one of input and output",
        )
        errors.check(not self.prefix.startswith("/"), "prefix", self.prefix, "a key prefix without a leading '/'")
        for name in ("csv_content_types", "json_content_types"):
            errors.check(len(getattr(self, name)) <= 10, name, list(getattr(self, name)), "at most 10 content types")
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class AsyncInferenceSettings:
    """Asynchronous inference: requests queue, results land in S3, SNS says when."""

    output_bucket: s3.IBucket
    #: Default: ``"async/output/"`` and ``"async/failures/"``.
    output_prefix: str = "async/output/"
    failure_prefix: str = "async/failures/"
    #: Topics notified on success / error. Default: none.
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    #: 1-1000 concurrent invocations per instance. Default: SageMaker decides.
    max_concurrent_invocations_per_instance: int | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("AsyncInferenceSettings")
        if self.max_concurrent_invocations_per_instance is not None:
            errors.int_range(
                "max_concurrent_invocations_per_instance", self.max_concurrent_invocations_per_instance, 1, 1000
            )
        for name in ("output_prefix", "failure_prefix"):
            value = getattr(self, name)
            errors.check(
                is_token(value) or (value.endswith("/") and not value.startswith("/")),
                name,
                value,
                "a key prefix such as 'async/output/' (ends with '/', no leading '/')",
            )
        errors.raise_if_any()


def validate_variants(
    production: Sequence[VariantSpec], shadow: Sequence[VariantSpec], asynchronous: bool, errors: PropsErrors
) -> None:
    """Checks across variants: counts, unique names, weights, async/serverless exclusions."""
    errors.check(1 <= len(production) <= 10, "production_variants", len(production), "1 to 10 variants")
    # Variant names are case-sensitive (CloudWatch dimensions and UpdateEndpointWeightsAndCapacities use them as given).
    names = [v.variant_name for v in (*production, *shadow)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    errors.check(not dupes, "variant_name", dupes, "names unique across production and shadow variants")
    if production:
        errors.check(
            any(v.initial_weight > 0 for v in production),
            "production_variants[*].initial_weight",
            [v.initial_weight for v in production],
            "weights >= 0, at least one > 0",
        )
    if asynchronous:
        serverless = [v.variant_name for v in (*production, *shadow) if v.serverless]
        errors.check(not serverless, "async_inference", serverless, "no serverless variants (async needs instances)")
        errors.check(
            len(production) == 1 and not shadow,
            "production_variants",
            len(production),
            "exactly one production variant and no shadow variants with async inference",
        )
    if shadow:
        # SageMaker: with ShadowProductionVariants, exactly one production and one shadow variant.
        errors.check(
            len(production) == 1,
            "production_variants",
            len(production),
            "exactly one production variant when a shadow variant is used",
        )
        errors.check(len(shadow) == 1, "shadow_variants", len(shadow), "exactly one shadow variant")
