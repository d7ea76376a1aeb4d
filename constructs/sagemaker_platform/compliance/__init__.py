"""Compliance wiring: cdk-nag 3.x packs as validation plugins, scoped acknowledgments, checkov skips."""

from sagemaker_platform.compliance.nag import (
    NAG_PACK_NAMES,
    acknowledge,
    acknowledge_wildcard_resources,
    add_nag_packs,
    nag_resource_id,
    skip_checkov,
)

__all__ = [
    "NAG_PACK_NAMES",
    "acknowledge",
    "acknowledge_wildcard_resources",
    "add_nag_packs",
    "nag_resource_id",
    "skip_checkov",
]
