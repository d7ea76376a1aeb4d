"""Register cdk-nag packs and acknowledge findings at the narrowest scope, always with a reason."""

from __future__ import annotations

import json
import re
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Aspects, CfnResource, Stack, Stage, Validations
from constructs import IConstruct, IValidation

#: Names of the packs ``add_nag_packs`` registers, as they appear in validation reports.
NAG_PACK_NAMES = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "SageMakerPlatform", "SageMakerPlatform-Schemas")
#: The cfn-guard plugin's name in validation reports; acknowledge its findings as
#: ``"cdk-validator-cfnguard::<guard rule name>"``, the ID its report prints.
CFN_GUARD_PLUGIN = "cdk-validator-cfnguard"

# A rule ID such as "AwsSolutions-IAM5", optionally with one finding: "AwsSolutions-IAM5[Resource::*]",
# or a plugin's rule as its report names it: "CloudFormation-Validate::F3031",
# "cdk-validator-cfnguard::kms_create_grant_aws_service_check".
_RULE_ID = re.compile(r"([A-Za-z0-9.-]+::[A-Za-z0-9._-]+|[A-Za-z0-9.]+-[A-Za-z0-9]+)(\[.+\])?")
_MIN_REASON = 20


def add_nag_packs(
    scope: IConstruct, *, verbose: bool = False, audit_trail: bool = False, control_tower: bool = False
) -> None:
    """Run the AWS Solutions, HIPAA Security and NIST 800-53 rev 5 packs on every template under ``scope``.

    ``scope`` must be an ``App`` or ``Stage``; call this after the stages are added. Any
    unacknowledged finding fails synthesis, and the report is written to ``validation-report.json``
    in the cloud assembly. With ``audit_trail``, every acknowledgment and its reason is also
    written into the acknowledged resource's template metadata (``cdk_nag.rules_to_suppress``)
    for auditors. It is off by default because CDK adds a stack-wide acknowledgment of its own
    to every resource, which costs template size.

    With ``control_tower``, cfn-guard also runs AWS Control Tower's proactive-control rules
    (AWS's ``cdklabs.cdk-validator-cfnguard`` plugin, installed with ``sagemaker-platform[guard]``).
    Its findings are acknowledged like any other: ``"cdk-validator-cfnguard::<rule name>"``, as
    the report prints it. The library acknowledges, on its own resources, only what the rules
    cannot see (a key passed across stacks) or what AWS does not support (SSE-KMS on an
    access-log bucket), each with its reason.
    """
    # Imported here: cdk-nag loads its own jsii assembly (about 0.3 s), which constructs that only
    # acknowledge findings do not need; and the feature store package imports this module.
    from cdk_nag import (
        AwsSolutionsChecks,
        HIPAASecurityChecks,
        NIST80053R5Checks,
        WriteNagSuppressionsToCloudFormationAspect,
    )

    from sagemaker_platform.compliance.schemas import ResourceSchemaChecks
    from sagemaker_platform.featurestore.compliance import FeatureStoreChecks

    Validations.of(scope).add_plugins(
        # One pack writing the audit trail is enough: it copies every acknowledgment on the resource.
        AwsSolutionsChecks(scope, verbose=verbose, write_suppressions_to_cloud_formation=audit_trail),
        HIPAASecurityChecks(scope, verbose=verbose),
        NIST80053R5Checks(scope, verbose=verbose),
        # Our own rules, where cdk-nag has none (SageMakerPlatform-FS1: feature store encryption;
        # SageMakerPlatform-CFN1: SageMaker resources against CloudFormation's schemas).
        FeatureStoreChecks(),
        ResourceSchemaChecks(),
    )
    if control_tower:
        Validations.of(scope).add_plugins(_control_tower_rules())
    if audit_trail:
        # Aspects do not cross Stage boundaries: give every nested stage the audit-trail aspect too.
        for child in scope.node.find_all():
            if child is not scope and isinstance(child, Stage):
                Aspects.of(child).add(WriteNagSuppressionsToCloudFormationAspect())


def _control_tower_rules() -> Any:
    try:
        from cdklabs.cdk_validator_cfnguard import CfnGuardValidator
    except ImportError as err:
        raise ValueError(
            "add_nag_packs: control_tower: got True; allowed: True only with the cfn-guard plugin installed "
            "(pip install 'sagemaker-platform[guard]', which installs cdklabs.cdk-validator-cfnguard)"
        ) from err
    return CfnGuardValidator(control_tower_rules_enabled=True)


def acknowledge(scope: IConstruct, *rule_ids: str, reason: str) -> None:
    """Acknowledge nag findings on ``scope`` and its children, with a reason a reviewer would accept.

    Pass the narrowest scope that owns the finding (the resource, not its stack) and, for rules
    that report several findings on one resource, the finding itself:
    ``acknowledge(role, "AwsSolutions-IAM5[Resource::*]", reason="...")``. The ID may be given as
    synthesis and ``cdk synth`` print it under the finding ("Acknowledge with
    'AwsSolutions::AwsSolutions-IAM5[Resource::*]'"), with the pack's name in front, or without it.
    """
    problems = [r for r in rule_ids if not _RULE_ID.fullmatch(r)]
    if not rule_ids or problems:
        raise ValueError(
            f"acknowledge: rule_ids: got {list(rule_ids)!r}; allowed: one or more rule IDs such as "
            "'AwsSolutions-IAM5' or 'AwsSolutions-IAM5[Resource::*]'"
        )
    _check_reason(reason)
    Validations.of(scope).acknowledge(*(Acknowledgment(id=r, reason=reason) for r in rule_ids))


def _check_reason(reason: str) -> None:
    if len(reason.strip()) < _MIN_REASON:
        raise ValueError(
            f"acknowledge: reason: got {reason!r}; allowed: an explanation of at least "
            f"{_MIN_REASON} characters saying why the finding is acceptable here"
        )


def skip_checkov(resource: CfnResource, check_id: str, reason: str) -> None:
    """Record a checkov skip in the resource's template metadata, where checkov reads it."""
    if not re.fullmatch(r"CKV2?_AWS_\d+", check_id):
        raise ValueError(f"skip_checkov: check_id: got {check_id!r}; allowed: a checkov AWS check such as 'CKV_AWS_18'")
    if len(reason.strip()) < _MIN_REASON:
        raise ValueError(f"skip_checkov: reason: got {reason!r}; allowed: at least {_MIN_REASON} characters")
    existing: Any = resource.get_metadata("checkov") or {}
    skips = [s for s in existing.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {"skip": sorted(skips, key=lambda s: str(s["id"]))})


def nag_resource_id(scope: IConstruct, value: str) -> str:
    """Render a (possibly tokenized) ARN the way cdk-nag names it in finding IDs.

    ``Ref`` becomes ``<Name>``, ``Fn::GetAtt`` becomes ``<LogicalId.Attr>`` and ``Fn::Join`` is
    joined, so ``acknowledge(policy, "AwsSolutions-IAM5[Resource::" + nag_resource_id(...) + "]")``
    matches the finding exactly, whatever the stack's environment.
    """
    return _render(Stack.of(scope).resolve(value))


def acknowledge_wildcard_resources(scope: IConstruct, resources: list[str], *, reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly these wildcard resources on ``scope``.

    The finding IDs are computed when the construct tree is validated, after CDK has resolved
    cross-stack references (a bucket ARN from another stack renders as ``Fn::GetStackOutput``).
    """
    _check_reason(reason)
    scope.node.add_validation(_LateWildcardAcknowledgment(scope, list(resources), reason))


@jsii.implements(IValidation)
class _LateWildcardAcknowledgment:
    def __init__(self, scope: IConstruct, resources: list[str], reason: str) -> None:
        self.scope, self.resources, self.reason = scope, resources, reason

    def validate(self) -> list[str]:
        ids = sorted({f"AwsSolutions-IAM5[Resource::{nag_resource_id(self.scope, r)}]" for r in self.resources})
        acknowledge(self.scope, *ids, reason=self.reason)
        return []


def _render(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Join":
            return str(arg[0]).join(_render(part) for part in arg[1])
    # cdk-nag prints any other intrinsic (Fn::GetStackOutput, Fn::ImportValue, ...) as compact JSON.
    return json.dumps(node, separators=(",", ":"))
