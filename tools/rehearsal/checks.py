"""Our own checks of what the emulator deploys but does not model: SageMaker's update semantics and refusals.

moto creates endpoints, models and state machines but does not reproduce how SageMaker updates an
endpoint, which requests it refuses, or how CloudWatch treats a monitoring job that never ran. Each
check reads the deployed resources (properties as the emulator resolved them) and names the
resource and the consequence on real AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from sagemaker_platform.compliance.rules import definition_states
from sagemaker_platform.serving.variants import has_instance_storage
from tools.rehearsal.emulator import Deployed

#: SageMaker calls that change an endpoint (a state machine making them fights CloudFormation).
_ENDPOINT_MUTATIONS = re.compile(
    r":states:::(aws-sdk:)?sagemaker:(updateEndpoint|updateEndpointWeightsAndCapacities|deleteEndpoint|createEndpoint)\b"
)
_CREATES = re.compile(r":states:::(aws-sdk:)?sagemaker:create(Model|EndpointConfig)\b")
_DATA_METRICS = "aws/sagemaker/Endpoints/data-metrics"


def _resources(deployed: Sequence[Deployed], kind: str) -> Iterator[tuple[Deployed, str, dict[str, Any]]]:
    for stack in deployed:
        for logical_id, resource_type, properties in stack.resources:
            if resource_type == kind:
                yield stack, logical_id, properties


def _definitions(deployed: Sequence[Deployed]) -> Iterator[tuple[Deployed, str, dict[str, Any]]]:
    for stack, logical_id, properties in _resources(deployed, "AWS::StepFunctions::StateMachine"):
        raw = properties.get("DefinitionString") or properties.get("Definition")
        if isinstance(raw, str):
            yield stack, logical_id, json.loads(raw)
        elif isinstance(raw, dict):
            yield stack, logical_id, raw


def endpoint_ownership(deployed: Sequence[Deployed]) -> list[str]:
    """No state machine may change an endpoint CloudFormation owns, or leave the models it makes behind."""
    owned = {
        str(p.get("EndpointName")): s.artifact.display_name
        for s, _, p in _resources(deployed, "AWS::SageMaker::Endpoint")
    }
    problems = []
    for stack, logical_id, definition in _definitions(deployed):
        creates, deletes = [], []
        for name, state in definition_states(definition):
            resource = str(state.get("Resource", ""))
            parameters = state.get("Parameters", {})
            if _ENDPOINT_MUTATIONS.search(resource):
                target = str(parameters.get("EndpointName", parameters.get("EndpointName.$", "?")))
                owner = owned.get(target)
                if owner is not None or target.startswith("$") or "States." in target:
                    problems.append(
                        f"{stack.artifact.display_name} {logical_id} state {name!r} calls "
                        f"{resource.rsplit(':', 1)[-1]} on endpoint {target}, which {owner or 'CloudFormation'} owns: "
                        "the stack's next deploy puts its own config back (drift), and what the state machine created "
                        "is never cleaned up"
                    )
            if _CREATES.search(resource):
                creates.append(name)
            if re.search(r":sagemaker:delete(Model|EndpointConfig)\b", resource):
                deletes.append(name)
        if creates and not deletes:
            problems.append(
                f"{stack.artifact.display_name} {logical_id}: states {creates} create SageMaker models or endpoint "
                "configs that no state deletes: every run leaves them behind"
            )
    return problems


def retained_weights(deployed: Sequence[Deployed]) -> list[str]:
    """An endpoint that retains variant properties must still take its weights from its config."""
    problems = []
    for stack, logical_id, p in _resources(deployed, "AWS::SageMaker::Endpoint"):
        if str(p.get("RetainAllVariantProperties")).lower() != "true":
            continue
        excluded = {e.get("VariantPropertyType") for e in p.get("ExcludeRetainedVariantProperties", [])}
        if "DesiredWeight" not in excluded:
            problems.append(
                f"{stack.artifact.display_name} {logical_id}: RetainAllVariantProperties keeps the live variant "
                "weights on every update, so a weight changed in code never reaches the endpoint; exclude DesiredWeight"
            )
    return problems


def instance_storage_keys(deployed: Sequence[Deployed]) -> list[str]:
    """SageMaker refuses a volume KMS key on instance types with NVMe instance storage."""
    problems = []

    def check(where: str, instance_type: Any, key: Any) -> None:
        if isinstance(instance_type, str) and key and has_instance_storage(instance_type):
            problems.append(
                f"{where}: a volume KMS key on {instance_type}, which has NVMe instance storage: SageMaker refuses it"
            )

    for stack, logical_id, p in _resources(deployed, "AWS::SageMaker::EndpointConfig"):
        for variant in [*p.get("ProductionVariants", []), *p.get("ShadowProductionVariants", [])]:
            check(f"{stack.artifact.display_name} {logical_id}", variant.get("InstanceType"), p.get("KmsKeyId"))
    for stack, logical_id, p in _resources(deployed, "AWS::SageMaker::DataQualityJobDefinition"):
        cluster = p.get("JobResources", {}).get("ClusterConfig", {})
        check(f"{stack.artifact.display_name} {logical_id}", cluster.get("InstanceType"), cluster.get("VolumeKmsKeyId"))
    for stack, logical_id, definition in _definitions(deployed):
        for name, state in definition_states(definition):
            params = state.get("Parameters", {})
            for section in (
                params.get("ResourceConfig"),
                params.get("TrainingJobDefinition", {}).get("ResourceConfig"),
                params.get("ProcessingResources", {}).get("ClusterConfig"),
                params.get("TransformResources"),
            ):
                if isinstance(section, dict):
                    check(f"{stack.artifact.display_name} {logical_id} state {name!r}", section.get("InstanceType"),
                          section.get("VolumeKmsKeyId"))  # fmt: skip
    return problems


def monitoring_runs_alarm(deployed: Sequence[Deployed], alarms: list[dict[str, Any]]) -> list[str]:
    """A data-quality schedule whose job fails (or never runs) must page someone, not go quiet."""
    problems = []
    for stack, logical_id, p in _resources(deployed, "AWS::SageMaker::MonitoringSchedule"):
        name = str(p.get("MonitoringScheduleName"))
        watching = [
            a for a in alarms
            if a.get("TreatMissingData") == "breaching" and _DATA_METRICS in json.dumps(a, default=str)
            and name in json.dumps(a.get("Dimensions", a.get("Metrics", [])))
        ]  # fmt: skip
        if not watching:
            problems.append(
                f"{stack.artifact.display_name} {logical_id}: no alarm on schedule {name}'s metrics treats missing "
                "data as breaching, so a monitoring job that fails (no baseline, no captures) or never runs alarms "
                "nobody"
            )
    return problems


def notification_retries(deployed: Sequence[Deployed]) -> list[str]:
    """A failure notice is the only one a failed run sends: it must retry, and its own failure must still fail."""
    problems = []
    for stack, logical_id, definition in _definitions(deployed):
        for name, state in definition_states(definition):
            publishes = str(state.get("Resource", "")).endswith(":states:::sns:publish")
            if publishes and not (state.get("Retry") and state.get("Catch")):
                problems.append(
                    f"{stack.artifact.display_name} {logical_id} state {name!r}: an SNS notice without Retry and "
                    "Catch is lost to one throttled call"
                )
    return problems


def baseline_producers(deployed: Sequence[Deployed]) -> list[str]:
    """Every data-quality baseline a monitoring schedule reads must be written by something deployed."""
    outputs: set[str] = set()
    for _, _, definition in _definitions(deployed):
        for _, state in definition_states(definition):
            for output in state.get("Parameters", {}).get("ProcessingOutputConfig", {}).get("Outputs", []):
                uri = output.get("S3Output", {}).get("S3Uri")
                if isinstance(uri, str):
                    outputs.add(uri.rstrip("/") + "/")
    problems = []
    for stack, logical_id, p in _resources(deployed, "AWS::SageMaker::DataQualityJobDefinition"):
        config = p.get("DataQualityBaselineConfig", {})
        for kind in ("ConstraintsResource", "StatisticsResource"):
            uri = config.get(kind, {}).get("S3Uri")
            if isinstance(uri, str) and uri.rsplit("/", 1)[0] + "/" not in outputs:
                problems.append(
                    f"{stack.artifact.display_name} {logical_id}: {kind} {uri} is written by no deployed pipeline "
                    "(no processing job outputs to its folder): every monitoring run fails for want of a baseline"
                )
    return problems
