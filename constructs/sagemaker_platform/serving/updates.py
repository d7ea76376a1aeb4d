"""An endpoint's update as SageMaker API requests: a new config that swaps one variant's model, then UpdateEndpoint.

A pipeline that deploys a freshly trained model must keep everything else the endpoint was built with
(other variants, shadow variants, data capture, async settings, the volume key, the deployment
guardrails and their rollback alarms). These requests are derived from the endpoint construct itself,
so the two cannot drift apart in code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagemaker_platform.serving.endpoint import Endpoint

#: Where the API spells a name differently from CloudFormation's property (after the first letter).
_API_SPELLING = {"VolumeSizeInGb": "VolumeSizeInGB", "MemorySizeInMb": "MemorySizeInMB"}


def to_api(value: Any) -> Any:
    """CloudFormation-style (camelCase jsii) keys to the SageMaker API's PascalCase, recursively."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = key[:1].upper() + key[1:]
            out[_API_SPELLING.get(name, name)] = to_api(item)
        return out
    if isinstance(value, list):
        return [to_api(v) for v in value]
    return value


def endpoint_update_requests(
    endpoint: Endpoint, *, variant_name: str, model_name_expression: str, config_name_expression: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """CreateEndpointConfig and UpdateEndpoint parameters for a Step Functions task.

    ``variant_name`` (a production variant) serves the model named by ``model_name_expression``; every
    other setting is the endpoint's own. Both expressions are JSONPaths or intrinsic functions that
    name the model and the new config at run time.
    """
    endpoint.production_variant(variant_name)  # raises a ValueError naming the variants if unknown
    rendered = endpoint.rendered_config
    variants = []
    for variant in to_api(rendered["production_variants"]):
        if variant["VariantName"] == variant_name:
            variant = {k: v for k, v in variant.items() if k != "ModelName"} | {"ModelName.$": model_name_expression}
        variants.append(variant)
    config: dict[str, Any] = {"EndpointConfigName.$": config_name_expression, "ProductionVariants": variants}
    optional = {
        "ShadowProductionVariants": rendered["shadow_production_variants"],
        "DataCaptureConfig": rendered["data_capture_config"],
        "AsyncInferenceConfig": rendered["async_inference_config"],
        "KmsKeyId": rendered["kms_key_id"],
    }
    config.update({k: to_api(v) for k, v in optional.items() if v is not None})
    update: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointConfigName.$": config_name_expression,
    }
    if endpoint.rendered_deployment is not None:
        update["DeploymentConfig"] = to_api(endpoint.rendered_deployment)
    # The pipeline swaps models only: instance counts (often autoscaled) and weights stay as they are.
    update["RetainAllVariantProperties"] = True
    return config, update
