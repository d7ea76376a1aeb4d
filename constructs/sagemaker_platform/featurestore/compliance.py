"""Our own rule, cdk-nag has none for Feature Store: both stores encrypted with a customer key.

:func:`check_feature_group_encryption` is a pure function over a synthesized template.
:class:`FeatureStoreChecks` runs it as a CDK validation plugin next to the cdk-nag packs, so a
finding fails synthesis, shows up in ``validation-report.json``, and is acknowledged the same
way as a cdk-nag finding: ``acknowledge(group, "SageMakerPlatform-FS1", reason=...)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
)
from aws_cdk import aws_sagemaker as sagemaker
from constructs import IConstruct

from sagemaker_platform.compliance.acknowledged import PACK_NAME, is_acknowledged

RULE_ID = f"{PACK_NAME}-FS1"
FEATURE_GROUP_TYPE = "AWS::SageMaker::FeatureGroup"
_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")
_EXPLANATION = (
    "Without a KmsKeyId Feature Store encrypts with an AWS owned key, and an alias/aws/* key is AWS "
    "managed: neither can be rotated, disabled, audited or restricted by a key policy you control."
)


@dataclass(frozen=True)
class Finding:
    """One store of one feature group that is not encrypted with a customer-managed key."""

    logical_id: str
    location: str
    message: str


def check_feature_group_encryption(template: dict[str, Any]) -> list[Finding]:
    """Every enabled online store and every offline store must name a customer-managed KMS key.

    Compliant: a ``Ref``/``Fn::GetAtt`` of an ``AWS::KMS::Key`` in the template, or a literal key
    ID or ARN. Non-compliant: no key, an empty key, an ``alias/aws/*`` (AWS managed) alias, or a
    reference to something in the template that is not a key. Other intrinsics (imports,
    parameters) are taken on trust: they are checked where the key is defined.
    """
    resources: dict[str, Any] = template.get("Resources") or {}
    findings: list[Finding] = []
    for logical_id, resource in sorted(resources.items()):
        if resource.get("Type") != FEATURE_GROUP_TYPE:
            continue
        properties = resource.get("Properties") or {}
        online = properties.get("OnlineStoreConfig") or {}
        if online.get("EnableOnlineStore") in (True, "true", "True"):
            key = (online.get("SecurityConfig") or {}).get("KmsKeyId")
            problem = _key_problem(key, resources)
            if problem:
                findings.append(
                    Finding(
                        logical_id, "Properties/OnlineStoreConfig/SecurityConfig/KmsKeyId", f"online store {problem}"
                    )
                )
        offline = properties.get("OfflineStoreConfig")
        if offline:
            key = (offline.get("S3StorageConfig") or {}).get("KmsKeyId")
            problem = _key_problem(key, resources)
            if problem:
                findings.append(
                    Finding(
                        logical_id, "Properties/OfflineStoreConfig/S3StorageConfig/KmsKeyId", f"offline store {problem}"
                    )
                )
    return findings


def _key_problem(key: Any, resources: dict[str, Any]) -> str | None:
    if key is None or key == "":
        return "has no KmsKeyId (encrypted with an AWS owned key)"
    if isinstance(key, str):
        return "uses an AWS managed key alias" if _AWS_MANAGED_ALIAS.search(key) else None
    if isinstance(key, dict) and len(key) == 1:
        ((fn, arg),) = key.items()
        target = arg[0] if fn == "Fn::GetAtt" and isinstance(arg, list) and arg else arg if fn == "Ref" else None
        if isinstance(target, str) and target in resources:
            rtype = resources[target].get("Type")
            if rtype == "AWS::KMS::Key":
                return None
            if rtype == "AWS::KMS::Alias":
                name = str((resources[target].get("Properties") or {}).get("AliasName", ""))
                return "uses an AWS managed key alias" if name.startswith("alias/aws/") else None
            return f"has a KmsKeyId that refers to {target} ({rtype}), not a KMS key"
    return None


@jsii.implements(IPolicyValidationPlugin)
class FeatureStoreChecks:
    """The ``SageMakerPlatform`` validation plugin: ``SageMakerPlatform-FS1`` over every template.

    Register it where the nag packs are registered: ``Validations.of(app).add_plugins(FeatureStoreChecks())``.
    """

    @property
    def name(self) -> str:
        return PACK_NAME

    @property
    def rule_ids(self) -> list[str]:
        return [RULE_ID]

    @property
    def version(self) -> str:
        return "0.1.0"

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        app = getattr(context, "app_construct", None)
        constructs = _feature_group_constructs(app) if app is not None else {}
        resources: list[PolicyViolatingResource] = []
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text())
            locations: dict[str, list[str]] = {}
            for finding in check_feature_group_encryption(template):
                locations.setdefault(finding.logical_id, []).append(finding.location)
            for logical_id, paths in locations.items():
                construct = constructs.get((Path(template_path).name, logical_id))
                if construct is not None and is_acknowledged(construct, RULE_ID):
                    continue
                resources.append(
                    PolicyViolatingResource(
                        locations=paths,
                        resource_logical_id=logical_id,
                        template_path=template_path,
                        construct_path=construct.node.path if construct is not None else None,
                    )
                )
        violations = []
        if resources:
            violations.append(
                PolicyViolation(
                    rule_name=RULE_ID,
                    description="Feature group stores must be encrypted with a customer-managed KMS key. "
                    + _EXPLANATION,
                    fix="Set online_store_key and offline_store_key (FeatureGroupProps) to customer-managed keys.",
                    severity="error",
                    violating_resources=resources,
                )
            )
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def _feature_group_constructs(app: IConstruct) -> dict[tuple[str, str], IConstruct]:
    """(template file name, logical ID) -> the CfnResource of every feature group in the app."""
    found: dict[tuple[str, str], IConstruct] = {}
    for node in app.node.find_all():
        # By class, not by cfn_resource_type: reading the type of every resource is a jsii round trip each.
        if isinstance(node, sagemaker.CfnFeatureGroup):
            stack = Stack.of(node)
            found[(stack.template_file, str(stack.resolve(node.logical_id)))] = node
    return found
