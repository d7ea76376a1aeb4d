"""Our own compliance rules, for what cdk-nag cannot see: SageMaker job requests inside state machines.

Each rule is a pure function from a synthesized CloudFormation template (a dict) to findings
(strings naming the resource, the state and the problem). An empty list means compliant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from sagemaker_platform.serving.variants import has_instance_storage

_TOKEN = "__TOKEN__"
_JOB_TASK = re.compile(
    r"arn:[^:]*:states:::sagemaker:create(TrainingJob|ProcessingJob|HyperParameterTuningJob|TransformJob|Model)"
    r"(\.\w+)?$"
)


def state_machine_definitions(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical ID, parsed definition) of every state machine; intrinsics become ``__TOKEN__``."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        props = resource.get("Properties", {})
        raw = props.get("DefinitionString") or props.get("Definition")
        if isinstance(raw, dict) and "Fn::Join" in raw:
            sep, parts = raw["Fn::Join"]
            raw = sep.join(p if isinstance(p, str) else _TOKEN for p in parts)
        yield logical_id, raw if isinstance(raw, dict) else json.loads(raw)


def definition_states(definition: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, state) of every state of a definition, inside Parallel branches and Map processors too."""
    for name, state in definition.get("States", {}).items():
        yield f"{path}{name}", state
        for branch in state.get("Branches", []):
            yield from definition_states(branch, f"{path}{name}/")
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from definition_states(state[key], f"{path}{name}/")


def _get(params: dict[str, Any], dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part, node.get(f"{part}.$"))
    return node


_TRAINING = {
    "VpcConfig.Subnets": "a VpcConfig with subnets",
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
    "ResourceConfig.VolumeKmsKeyId": "a volume KMS key",
    "OutputDataConfig.KmsKeyId": "an output KMS key",
}
_REQUIRED: dict[str, dict[str, Any]] = {
    "TrainingJob": _TRAINING,
    "HyperParameterTuningJob": {f"TrainingJobDefinition.{k}": v for k, v in _TRAINING.items()},
    "ProcessingJob": {
        "NetworkConfig.VpcConfig.Subnets": "a VpcConfig with subnets",
        "NetworkConfig.EnableNetworkIsolation": True,
        "NetworkConfig.EnableInterContainerTrafficEncryption": True,
        "ProcessingResources.ClusterConfig.VolumeKmsKeyId": "a volume KMS key",
    },
    # Transform jobs take VPC and isolation from their model; encryption is theirs to set.
    "TransformJob": {
        "TransformOutput.KmsKeyId": "an output KMS key",
        "TransformResources.VolumeKmsKeyId": "a volume KMS key",
    },
    # Models a pipeline creates for deployment or batch transform.
    "Model": {"VpcConfig.Subnets": "a VpcConfig with subnets", "EnableNetworkIsolation": True},
}
#: Where each job kind names its instance type: a volume key is refused (not missing) on NVMe types.
_INSTANCE_TYPE = {
    "TrainingJob": "ResourceConfig.InstanceType",
    "HyperParameterTuningJob": "TrainingJobDefinition.ResourceConfig.InstanceType",
    "ProcessingJob": "ProcessingResources.ClusterConfig.InstanceType",
    "TransformJob": "TransformResources.InstanceType",
}


def job_request_findings(template: dict[str, Any]) -> list[str]:
    """Every SageMaker job a state machine starts must run in a VPC, isolated, encrypted.

    Training and tuning: VpcConfig, network isolation, inter-container encryption, volume and output
    keys. Processing: the same in NetworkConfig/ClusterConfig, plus an output key when it has
    outputs. Transform: output and volume keys. Models created by a pipeline: VpcConfig and network
    isolation. No volume key is required (SageMaker refuses one) on instance types with NVMe
    instance storage, which the instance's hardware encrypts.
    """
    findings: list[str] = []
    for logical_id, definition in state_machine_definitions(template):
        for state_name, state in definition_states(definition):
            match = _JOB_TASK.match(str(state.get("Resource", "")))
            if not match:
                continue
            kind, params = match.group(1), state.get("Parameters", {})
            required = dict(_REQUIRED[kind])
            instance_type = _get(params, _INSTANCE_TYPE.get(kind, ""))
            if isinstance(instance_type, str) and has_instance_storage(instance_type):
                # SageMaker refuses VolumeKmsKeyId here; the instance's hardware encrypts its storage.
                required = {k: v for k, v in required.items() if not k.endswith("VolumeKmsKeyId")}
            if kind == "ProcessingJob" and "ProcessingOutputConfig" in params:
                required["ProcessingOutputConfig.KmsKeyId"] = "an output KMS key"
            for key, expected in required.items():
                value = _get(params, key)
                ok = value is True if expected is True else value not in (None, "", [])
                if not ok:
                    wanted = "true" if expected is True else expected
                    findings.append(
                        f"{logical_id} state {state_name!r} (create{kind}): {key} must be {wanted}, got {value!r}"
                    )
    return findings
