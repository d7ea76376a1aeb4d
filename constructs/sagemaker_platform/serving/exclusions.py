"""Combinations SageMaker documents it refuses or ignores, checked when an endpoint's props are made.

* Serverless Inference (its documented exclusions): no VPC configuration, no network isolation
  (the variant's model must be built with ``ModelProps(serverless=True)``), no data capture and
  so no Model Monitor, no multiple production variants, no shadow variants, no multi-model
  endpoints, no inference pipelines (both refused by ``ModelProps``), no async inference, and no
  GPUs (a serverless variant has no instance type at all).
* Shadow tests: no serverless and no async endpoints.
* Deployment guardrails: rolling deployments refuse serverless and multi-variant endpoints;
  with Inf1 instances SageMaker ignores the guardrails and shifts all traffic at once
  (:func:`guardrail_fallbacks` says so, the endpoint warns).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.serving.deployment import RollingDeployment
from sagemaker_platform.serving.variants import VariantSpec

if TYPE_CHECKING:
    from sagemaker_platform.serving.endpoint import EndpointProps


def check_exclusions(props: EndpointProps, errors: PropsErrors) -> None:
    """Record every documented SageMaker exclusion ``props`` runs into."""
    production, shadow = list(props.production_variants), list(props.shadow_variants)
    serverless = [v for v in (*production, *shadow) if v.serverless is not None]
    if serverless:
        names = [v.variant_name for v in serverless]
        errors.check(
            len(production) == 1 and not shadow,
            "production_variants/shadow_variants",
            [v.variant_name for v in (*production, *shadow)],
            "exactly one production variant and no shadow variant on a serverless endpoint (Serverless "
            "Inference supports neither multiple variants nor shadow tests)",
        )
        errors.check(
            props.data_capture is None,
            "data_capture",
            "DataCaptureSettings",
            f"None with serverless variants {names} (Serverless Inference captures no data, so Model Monitor "
            "cannot watch it either)",
        )
        for variant in serverless:
            errors.check(
                bool(getattr(variant.model.props, "serverless", False)),
                f"VariantSpec({variant.variant_name!r}).model",
                variant.model.node.path,
                "a Model built with ModelProps(serverless=True): Serverless Inference refuses VPC configuration "
                "and network isolation, which other models always have",
            )
    if isinstance(props.deployment, RollingDeployment):
        errors.check(
            len(production) == 1,
            "deployment",
            "RollingDeployment",
            f"a BlueGreenDeployment or None with {len(production)} production variants (rolling deployments "
            "refuse multi-variant endpoints)",
        )


def guardrail_fallbacks(variants: Sequence[VariantSpec]) -> list[str]:
    """Variants whose instances make SageMaker skip the deployment guardrails (all traffic at once, no bake)."""
    return [
        v.variant_name
        for v in variants
        if v.effective_instance_type is not None and v.effective_instance_type.startswith("ml.inf1.")
    ]
