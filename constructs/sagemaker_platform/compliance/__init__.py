"""Compliance wiring: cdk-nag 3.x packs as validation plugins, scoped acknowledgments, checkov skips."""

from sagemaker_platform.compliance.nag import (
    CFN_GUARD_PLUGIN,
    NAG_PACK_NAMES,
    acknowledge,
    acknowledge_wildcard_resources,
    add_nag_packs,
    nag_resource_id,
    skip_checkov,
)
from sagemaker_platform.compliance.rules import job_request_findings, state_machine_definitions

__all__ = [
    "CFN_GUARD_PLUGIN",
    "NAG_PACK_NAMES",
    "acknowledge",
    "acknowledge_wildcard_resources",
    "add_nag_packs",
    "job_request_findings",
    "nag_resource_id",
    "skip_checkov",
    "state_machine_definitions",
]
