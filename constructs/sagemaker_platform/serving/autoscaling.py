"""Autoscaling for endpoint variants: target tracking, step, scheduled, async scale-to-zero."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.serving.variants import VariantSpec, is_burstable

if TYPE_CHECKING:
    from sagemaker_platform.serving.endpoint import Endpoint

_INSTANCE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
_PROVISIONED_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"


def _validate(variant: VariantSpec, min_capacity: int, max_capacity: int, allow_zero: bool = False) -> None:
    errors = PropsErrors(f"autoscaling of variant {variant.variant_name!r}")
    errors.int_range("min_capacity", min_capacity, 0 if allow_zero else 1)
    errors.int_range("max_capacity", max_capacity, 1)
    if variant.effective_instance_type is not None:
        errors.check(
            not is_burstable(variant.effective_instance_type),
            "instance_type",
            variant.effective_instance_type,
            "a non-burstable type: SageMaker cannot autoscale ml.t* variants",
        )
        desired = variant.effective_instance_count
        errors.check(
            min_capacity <= (desired or 0) <= max_capacity,
            "min_capacity <= initial_instance_count <= max_capacity",
            (min_capacity, desired, max_capacity),
            "min <= desired <= max",
        )
    elif variant.serverless is not None:
        provisioned = variant.serverless.provisioned_concurrency
        errors.check(
            provisioned is not None,
            "serverless.provisioned_concurrency",
            provisioned,
            "a provisioned concurrency to scale (serverless scales on-demand capacity by itself)",
        )
        if provisioned is not None:
            errors.check(
                min_capacity <= provisioned <= max_capacity,
                "min <= provisioned_concurrency <= max",
                (min_capacity, provisioned, max_capacity),
                "min <= provisioned <= max",
            )
            errors.check(
                max_capacity <= variant.serverless.max_concurrency,
                "max_capacity",
                max_capacity,
                f"at most the variant's max_concurrency ({variant.serverless.max_concurrency})",
            )
    errors.raise_if_any()


class VariantScaling(Construct):
    """The scalable target of one variant, with methods to add scaling policies."""

    def __init__(
        self,
        endpoint: Endpoint,
        variant: VariantSpec,
        *,
        min_capacity: int,
        max_capacity: int,
        allow_zero: bool = False,
    ) -> None:
        _validate(variant, min_capacity, max_capacity, allow_zero)  # before any construct exists
        super().__init__(endpoint, f"{variant.variant_name}Scaling")
        self.endpoint = endpoint
        self.variant = variant
        dimension = _PROVISIONED_DIMENSION if variant.serverless else _INSTANCE_DIMENSION
        self.target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{endpoint.endpoint_name}/variant/{variant.variant_name}",
            scalable_dimension=dimension,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.target.node.add_dependency(endpoint.resource)

    def scale_on_invocations(
        self, target_per_instance: float, *, scale_in_cooldown_s: int = 300, scale_out_cooldown_s: int = 60
    ) -> None:
        """Track ``SageMakerVariantInvocationsPerInstance`` (invocations per instance per minute)."""
        _positive("target_per_instance", target_per_instance)
        self.target.scale_to_track_metric(
            "Invocations",
            target_value=target_per_instance,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=Duration.seconds(scale_in_cooldown_s),
            scale_out_cooldown=Duration.seconds(scale_out_cooldown_s),
        )

    def scale_on_cpu(
        self, target_percent: float, *, scale_in_cooldown_s: int = 300, scale_out_cooldown_s: int = 60
    ) -> None:
        """Track the variant's average CPUUtilization (percent summed over cores)."""
        _positive("target_percent", target_percent)
        self.target.scale_to_track_metric(
            "Cpu",
            target_value=target_percent,
            custom_metric=self.endpoint.metric("CPUUtilization", self.variant.variant_name),
            scale_in_cooldown=Duration.seconds(scale_in_cooldown_s),
            scale_out_cooldown=Duration.seconds(scale_out_cooldown_s),
        )

    def scale_on_metric(
        self, construct_id: str, metric: cw.IMetric, steps: Sequence[appscaling.ScalingInterval]
    ) -> None:
        """Step scaling on any metric (``steps`` as in ``ScalableTarget.scale_on_metric``)."""
        if len(steps) < 2:
            raise ValueError(
                f"VariantScaling.scale_on_metric({construct_id}): steps: got {len(steps)}; allowed: 2 or more"
            )
        self.target.scale_on_metric(
            construct_id,
            metric=metric,
            scaling_steps=list(steps),
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        )

    def scale_on_schedule(
        self,
        construct_id: str,
        schedule: appscaling.Schedule,
        *,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
    ) -> None:
        """Change the capacity bounds on a schedule (e.g. nights and weekends)."""
        if min_capacity is None and max_capacity is None:
            raise ValueError(
                f"scale_on_schedule({construct_id}): min_capacity/max_capacity: got None; allowed: at least one"
            )
        if min_capacity is not None and max_capacity is not None and min_capacity > max_capacity:
            raise ValueError(
                f"scale_on_schedule({construct_id}): min_capacity: got {min_capacity}; allowed: <= max_capacity "
                f"({max_capacity})"
            )
        self.target.scale_on_schedule(
            construct_id, schedule=schedule, min_capacity=min_capacity, max_capacity=max_capacity
        )


def async_scale_to_zero(
    endpoint: Endpoint, variant: VariantSpec, *, max_capacity: int, backlog_per_instance: float
) -> VariantScaling:
    """Scale an async endpoint on its backlog, to zero when idle and back to one when work arrives."""
    _positive("backlog_per_instance", backlog_per_instance)
    scaling = VariantScaling(endpoint, variant, min_capacity=0, max_capacity=max_capacity, allow_zero=True)
    scaling.target.scale_to_track_metric(
        "Backlog",
        target_value=backlog_per_instance,
        custom_metric=endpoint.metric_async("ApproximateBacklogSizePerInstance"),
        scale_in_cooldown=Duration.minutes(10),
        scale_out_cooldown=Duration.minutes(1),
    )
    # Target tracking cannot scale out from zero instances: step up when requests wait without capacity.
    scaling.target.scale_on_metric(
        "WakeUp",
        metric=endpoint.metric_async("HasBacklogWithoutCapacity"),
        scaling_steps=[
            appscaling.ScalingInterval(upper=0.5, change=0),
            appscaling.ScalingInterval(lower=0.5, change=1),
        ],
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown=Duration.minutes(2),
    )
    return scaling


def _positive(name: str, value: float) -> None:
    if not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"autoscaling: {name}: got {value!r}; allowed: a number > 0")
