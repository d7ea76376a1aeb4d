"""``SageMakerPlatform-EX1``: combinations of SageMaker resources that SageMaker documents it refuses.

The library's own props refuse these when an endpoint is declared (``serving.exclusions``); this
rule finds them in what reaches the template, so L1 resources a user writes and escape hatches are
held to the same exclusions. References between resources are followed inside one template
(``Ref`` and ``Fn::GetAtt``); a resource named across stacks, or by a literal name, is not followed.

* Serverless Inference: an endpoint config with a ``ServerlessConfig`` variant has exactly one
  production variant, no shadow variant, no data capture and no async inference; its model has
  no ``VpcConfig``, no network isolation, one container and no multi-model mode; no Model
  Monitor schedule watches its endpoint.
* Shadow variants: not with async inference (and not serverless, above).
* Rolling deployments: an endpoint whose ``DeploymentConfig`` has a ``RollingUpdatePolicy`` serves
  a config with one production variant, not serverless.
"""

from __future__ import annotations

from typing import Any

#: One finding: (logical ID, property path, value, allowed).
Finding = tuple[str, str, object, str]

_MONITORS = (
    "AWS::SageMaker::MonitoringSchedule",
    "AWS::SageMaker::DataQualityJobDefinition",
    "AWS::SageMaker::ModelQualityJobDefinition",
    "AWS::SageMaker::ModelBiasJobDefinition",
    "AWS::SageMaker::ModelExplainabilityJobDefinition",
)


def referenced(value: object) -> str | None:
    """The logical ID a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and isinstance(att[0], str):
            return att[0]
        if isinstance(att, str):
            return att.split(".", 1)[0]
    return None


def _props(resources: dict[str, Any], logical_id: str | None, resource_type: str) -> dict[str, Any] | None:
    resource = resources.get(logical_id or "")
    if isinstance(resource, dict) and resource.get("Type") == resource_type:
        props = resource.get("Properties") or {}
        return props if isinstance(props, dict) else None
    return None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _containers(model: dict[str, Any]) -> list[dict[str, Any]]:
    found = [c for c in _list(model.get("Containers")) if isinstance(c, dict)]
    primary = model.get("PrimaryContainer")
    return found + ([primary] if isinstance(primary, dict) else [])


def template_exclusion_findings(template: dict[str, Any]) -> list[Finding]:
    """Every documented SageMaker exclusion the template's SageMaker resources run into."""
    resources = template.get("Resources") or {}
    if not isinstance(resources, dict):
        return []
    findings: list[Finding] = []
    serverless_configs: set[str] = set()
    for logical_id, resource in sorted(resources.items()):
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::SageMaker::EndpointConfig":
            continue
        props = resource.get("Properties") or {}
        production = [v for v in _list(props.get("ProductionVariants")) if isinstance(v, dict)]
        shadow = [v for v in _list(props.get("ShadowProductionVariants")) if isinstance(v, dict)]
        if shadow and props.get("AsyncInferenceConfig") is not None:
            findings.append(
                (logical_id, "ShadowProductionVariants", [v.get("VariantName") for v in shadow],
                 "no shadow variants with AsyncInferenceConfig (shadow tests support no async endpoints)")
            )  # fmt: skip
        serverless = [v for v in (*production, *shadow) if v.get("ServerlessConfig") is not None]
        if not serverless:
            continue
        serverless_configs.add(logical_id)
        names = [v.get("VariantName") for v in (*production, *shadow)]
        if len(production) != 1 or shadow:
            findings.append(
                (logical_id, "ProductionVariants", names, "exactly one production variant and no shadow variant "
                 "with a ServerlessConfig (Serverless Inference supports neither multiple variants nor shadow tests)")
            )  # fmt: skip
        capture = props.get("DataCaptureConfig")
        if isinstance(capture, dict) and capture.get("EnableCapture", True) is not False:
            findings.append(
                (logical_id, "DataCaptureConfig", "enabled",
                 "no DataCaptureConfig with a ServerlessConfig variant (Serverless Inference captures no data)")
            )  # fmt: skip
        if props.get("AsyncInferenceConfig") is not None:
            findings.append(
                (logical_id, "AsyncInferenceConfig", "set",
                 "no AsyncInferenceConfig with a ServerlessConfig variant (an endpoint is serverless or async)")
            )  # fmt: skip
        for index, variant in enumerate(production):
            if variant.get("ServerlessConfig") is None:
                continue
            model_id = referenced(variant.get("ModelName"))
            model = _props(resources, model_id, "AWS::SageMaker::Model")
            if model is None:
                continue
            where = f"ProductionVariants.{index}.ModelName"
            for problem in _serverless_model_problems(model):
                findings.append((logical_id, where, model_id, problem))
    for logical_id, resource in sorted(resources.items()):
        if not isinstance(resource, dict):
            continue
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::SageMaker::Endpoint":
            findings.extend(_rolling_findings(resources, logical_id, props, serverless_configs))
        elif resource.get("Type") in _MONITORS:
            findings.extend(_monitor_findings(resources, logical_id, props, serverless_configs))
    return findings


def _serverless_model_problems(model: dict[str, Any]) -> list[str]:
    problems = []
    if model.get("VpcConfig") is not None:
        problems.append("a model without VpcConfig (Serverless Inference refuses VPC configuration)")
    if model.get("EnableNetworkIsolation") not in (None, False):
        problems.append("a model without EnableNetworkIsolation (Serverless Inference refuses network isolation)")
    containers = _containers(model)
    if len(containers) > 1:
        problems.append("a model with one container (Serverless Inference supports no inference pipelines)")
    if any(c.get("Mode") == "MultiModel" for c in containers):
        problems.append("a single-model container (Serverless Inference supports no multi-model endpoints)")
    return problems


def _rolling_findings(
    resources: dict[str, Any], logical_id: str, props: dict[str, Any], serverless_configs: set[str]
) -> list[Finding]:
    deployment = props.get("DeploymentConfig")
    if not isinstance(deployment, dict) or deployment.get("RollingUpdatePolicy") is None:
        return []
    config_id = referenced(props.get("EndpointConfigName"))
    config = _props(resources, config_id, "AWS::SageMaker::EndpointConfig")
    if config is None:
        return []
    count = len(_list(config.get("ProductionVariants")))
    if config_id in serverless_configs or count != 1:
        what = "serverless" if config_id in serverless_configs else f"{count} production variants"
        return [
            (logical_id, "DeploymentConfig.RollingUpdatePolicy", f"{config_id} ({what})",
             "a config with one instance-backed production variant (rolling deployments refuse serverless and "
             "multi-variant endpoints); use BlueGreenUpdatePolicy")
        ]  # fmt: skip
    return []


def _monitor_findings(
    resources: dict[str, Any], logical_id: str, props: dict[str, Any], serverless_configs: set[str]
) -> list[Finding]:
    paths = ["EndpointName"] + [
        f"{key}.EndpointInput.EndpointName"
        for key in ("DataQualityJobInput", "ModelQualityJobInput", "ModelBiasJobInput", "ModelExplainabilityJobInput")
    ]
    findings: list[Finding] = []
    for path in paths:
        node: Any = props
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        endpoint = _props(resources, referenced(node), "AWS::SageMaker::Endpoint")
        if endpoint is not None and referenced(endpoint.get("EndpointConfigName")) in serverless_configs:
            findings.append(
                (logical_id, path, referenced(node), "an instance-backed endpoint (Model Monitor cannot watch a "
                 "serverless endpoint: it captures no data)")
            )  # fmt: skip
    return findings
