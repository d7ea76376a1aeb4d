"""Compliance wiring: cdk-nag 3.x packs as validation plugins, scoped acknowledgments, checkov skips."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.compliance.nag": (
        "CFN_GUARD_PLUGIN",
        "NAG_PACK_NAMES",
        "acknowledge",
        "acknowledge_wildcard_resources",
        "add_nag_packs",
        "nag_resource_id",
        "skip_checkov",
    ),
    "sagemaker_platform.compliance.rules": (
        "job_request_findings",
        "state_machine_definitions",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.compliance.nag import CFN_GUARD_PLUGIN as CFN_GUARD_PLUGIN
    from sagemaker_platform.compliance.nag import NAG_PACK_NAMES as NAG_PACK_NAMES
    from sagemaker_platform.compliance.nag import acknowledge as acknowledge
    from sagemaker_platform.compliance.nag import acknowledge_wildcard_resources as acknowledge_wildcard_resources
    from sagemaker_platform.compliance.nag import add_nag_packs as add_nag_packs
    from sagemaker_platform.compliance.nag import nag_resource_id as nag_resource_id
    from sagemaker_platform.compliance.nag import skip_checkov as skip_checkov
    from sagemaker_platform.compliance.rules import job_request_findings as job_request_findings
    from sagemaker_platform.compliance.rules import state_machine_definitions as state_machine_definitions
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
