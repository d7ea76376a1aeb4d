"""Template-level rules over every SageMaker resource, for L1 code and escape hatches too.

* ``SageMakerPlatform-CFN1``: each resource against CloudFormation's schema. The props of the
  library's constructs are checked against SageMaker's API model where they are given; this rule
  checks what reaches the template, including L1 resources a user writes and property overrides,
  against the resource schemas cfn-lint bundles.
* ``SageMakerPlatform-EX1``: combinations SageMaker documents it refuses (serverless endpoints
  with VPC models, data capture or several variants; shadow tests on async endpoints; rolling
  deployments of multi-variant or serverless endpoints; see ``compliance.exclusions``).

A finding names the construct, the property path, the value and what is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
)
from constructs import IConstruct

from sagemaker_platform._constraints import schema
from sagemaker_platform.compliance.acknowledged import PACK_NAME, is_acknowledged
from sagemaker_platform.compliance.exclusions import template_exclusion_findings

RULE_ID = f"{PACK_NAME}-CFN1"
EXCLUSIONS_RULE_ID = f"{PACK_NAME}-EX1"
_FIXES = {
    RULE_ID: "Change the value (or the props field it comes from) to one the resource schema allows.",
    EXCLUSIONS_RULE_ID: "Change the combination to one SageMaker supports (the finding says what is allowed).",
}


def template_findings(template: dict[str, object]) -> list[tuple[str, str, object, str]]:
    """(logical ID, property path, value, allowed) for every schema problem of a template's SageMaker resources."""
    findings = []
    resources = template.get("Resources") or {}
    assert isinstance(resources, dict)
    for logical_id, resource in sorted(resources.items()):
        if isinstance(resource, dict) and resource.get("Type") in schema.resource_types():
            for path, value, allowed in schema.schema_problems(str(resource["Type"]), resource.get("Properties")):
                findings.append((logical_id, path, value, allowed))
    return findings


@jsii.implements(IPolicyValidationPlugin)
class ResourceSchemaChecks:
    """Runs ``SageMakerPlatform-CFN1`` and ``SageMakerPlatform-EX1`` over every template (``add_nag_packs`` adds it)."""

    @property
    def name(self) -> str:
        return f"{PACK_NAME}-Schemas"

    @property
    def rule_ids(self) -> list[str]:
        return [RULE_ID, EXCLUSIONS_RULE_ID]

    @property
    def version(self) -> str:
        return "0.1.0"

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        app = getattr(context, "app_construct", None)
        constructs = _sagemaker_resources(app) if app is not None else {}
        violations = []
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text())
            findings = [(RULE_ID, *f) for f in template_findings(template)]
            findings += [(EXCLUSIONS_RULE_ID, *f) for f in template_exclusion_findings(template)]
            for rule_id, logical_id, path, value, allowed in findings:
                construct = constructs.get((Path(template_path).name, logical_id))
                if construct is not None and is_acknowledged(construct, rule_id):
                    continue
                where = construct.node.path if construct is not None else logical_id
                violations.append(
                    PolicyViolation(
                        rule_name=rule_id,
                        description=f"{where}: {path or 'Properties'}: got {value!r}; allowed: {allowed}",
                        fix=_FIXES[rule_id],
                        severity="error",
                        violating_resources=[
                            PolicyViolatingResource(
                                locations=[f"Properties/{path.replace('.', '/')}"],
                                resource_logical_id=logical_id,
                                template_path=template_path,
                                construct_path=construct.node.path if construct is not None else None,
                            )
                        ],
                    )
                )
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def _sagemaker_resources(app: IConstruct) -> dict[tuple[str, str], IConstruct]:
    """(template file name, logical ID) -> every SageMaker L1 resource of the app."""
    found: dict[tuple[str, str], IConstruct] = {}
    for node in app.node.find_all():
        # By module, not by cfn_resource_type: reading every resource's type is a jsii round trip each.
        if isinstance(node, CfnResource) and type(node).__module__.startswith("aws_cdk.aws_sagemaker"):
            stack = Stack.of(node)
            found[(stack.template_file, str(stack.resolve(node.logical_id)))] = node
    return found
