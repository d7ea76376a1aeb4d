"""Run synthesized state machines in moto's Step Functions interpreter, against moto's SageMaker, S3 and SNS.

A template's ``DefinitionString`` holds CloudFormation intrinsics (``Ref``, ``Fn::GetAtt``, imports).
``concrete_definition`` resolves them the way a deployment would, with deterministic physical names
derived from logical IDs, so a test knows which bucket, topic or endpoint the machine will call.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)

from tools.rehearsal.interpreter import sync_rewritten, text_bodies

ACCOUNT = "123456789012"
REGION = "us-east-1"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
# moto answers ".sync" SageMaker integrations with "Unsupported sync callback procedure": definitions
# are rewritten to the request-response form (tools.rehearsal.interpreter explains why that is sound).


_INTRINSICS = {
    "Fn::GetAtt", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::ImportValue", "Fn::GetStackOutput", "Fn::Sub",
    "Fn::FindInMap",
}  # fmt: skip


def _digest(logical_id: str) -> str:
    return hashlib.sha256(logical_id.encode()).hexdigest()[:17]


def physical_ref(logical_id: str, resource_type: str) -> str:
    """What ``Ref`` returns for a resource, made up deterministically from its logical ID."""
    service = resource_type.split("::")[1].lower()
    if resource_type == "AWS::SNS::Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}"
    if resource_type == "AWS::S3::Bucket":
        return logical_id.lower()[:63]
    if resource_type == "AWS::EC2::Subnet":
        return f"subnet-{_digest(logical_id)}"
    if resource_type == "AWS::SageMaker::Endpoint":
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{logical_id.lower()}"
    if resource_type == "AWS::StepFunctions::StateMachine":
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{logical_id}"
    return f"{service}-{logical_id}"


def physical_attribute(logical_id: str, resource_type: str, attribute: str) -> str:
    """What ``Fn::GetAtt`` returns, made up the same way."""
    service = resource_type.split("::")[1].lower()
    if attribute == "Arn":
        if resource_type == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        if resource_type == "AWS::KMS::Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{logical_id}"
        if resource_type == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{logical_id.lower()[:63]}"
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{logical_id}"
    if attribute == "GroupId":
        return f"sg-{_digest(logical_id)}"
    return f"{logical_id}-{attribute}"


class Resolver:
    """Resolves intrinsics in one template; imports resolve through the exports of other templates."""

    def __init__(self, template: dict[str, Any], exports: dict[Any, Any] | None = None) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.mappings: dict[str, Any] = template.get("Mappings", {})
        self.exports = exports or {}

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            unknown = [k for k in node if k.startswith("Fn::") and k not in _INTRINSICS]
            if unknown:
                raise ValueError(f"Resolver: no rule for {unknown[0]}")
            ((key, value),) = node.items()
            if key == "Ref":
                return PSEUDO[value] if value in PSEUDO else physical_ref(value, self.resources[value]["Type"])
            if key == "Fn::GetAtt":
                logical_id, attribute = value if isinstance(value, list) else value.split(".", 1)
                return physical_attribute(logical_id, self.resources[logical_id]["Type"], attribute)
            if key == "Fn::Join":
                separator, parts = value
                return separator.join(str(self(p)) for p in self(parts))
            if key == "Fn::Select":
                index, items = value
                return self(items)[int(self(index))]
            if key == "Fn::Split":
                separator, text = value
                return str(self(text)).split(separator)
            if key == "Fn::FindInMap":
                mapping, top, second = self(value)
                return self.mappings[mapping][top][second]
            if key == "Fn::ImportValue":
                return self.exports[self(value)]
            if key == "Fn::GetStackOutput":  # CDK's cross-stack references within one stage
                return self.exports[(value["StackName"], value["OutputName"])]
            if key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub(m.group(1), variables)), text)
        return {k: self(v) for k, v in node.items()}

    def _sub(self, name: str, variables: dict[str, Any]) -> Any:
        if name in variables:
            return self(variables[name])
        if "." in name:
            return self({"Fn::GetAtt": name.split(".", 1)})
        return self({"Ref": name})


def exports_of(templates: dict[str, dict[str, Any]]) -> dict[Any, Any]:
    """Resolved stack outputs by stack name: for ``Fn::ImportValue`` (export name) and ``Fn::GetStackOutput``."""
    exports: dict[Any, Any] = {}
    for stack_name, template in templates.items():
        resolve = Resolver(template)
        for output_name, output in template.get("Outputs", {}).items():
            value = resolve(output["Value"])
            exports[(stack_name, output_name)] = value
            if "Export" in output:
                exports[resolve(output["Export"]["Name"])] = value
    return exports


def resolved_definition(template: dict[str, Any], logical_id: str, exports: dict[Any, Any] | None = None) -> str:
    """The state machine's definition as deployed: intrinsics resolved, nothing else changed."""
    raw = template["Resources"][logical_id]["Properties"]["DefinitionString"]
    text = Resolver(template, exports)(raw)
    json.loads(text)  # a resolution mistake shows here, not as an interpreter error
    return str(text)


def concrete_definition(template: dict[str, Any], logical_id: str, exports: dict[Any, Any] | None = None) -> str:
    """The definition as deployed, with ``.sync`` integrations rewritten for moto (see ``_SYNC``)."""
    return sync_rewritten(resolved_definition(template, logical_id, exports))


def run_to_completion(
    definition: str, *, name: str = "run", timeout_s: float = 60, execution_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create the machine in moto, start one execution named ``name`` (with ``execution_input``), wait for it."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name=f"machine-{name}", definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )["stateMachineArn"]
    start: dict[str, Any] = {"stateMachineArn": machine, "name": name}
    if execution_input is not None:
        start["input"] = json.dumps(execution_input)
    execution = sfn.start_execution(**start)["executionArn"]
    deadline = time.monotonic() + timeout_s
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
            described["history"] = events
            described["states"] = [
                e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
            ]
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {name} still RUNNING after {timeout_s} s")
        time.sleep(0.05)


def record_put_events(monkeypatch: Any, into: list[dict[str, Any]]) -> None:
    """Keep every PutEvents call the interpreter makes (``{"Entries": [...]}``) in ``into``."""
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events

    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        into.append({"Entries": events})
        return original(self, events)

    monkeypatch.setattr(EventsBackend, "put_events", put_events)


def install_text_bodies(monkeypatch: Any) -> None:
    """Return S3 GetObject bodies as text, as Step Functions does (moto 5.2.5 leaves the stream object)."""
    original = StateTaskServiceAwsSdk._eval_service_task
    monkeypatch.setattr(StateTaskServiceAwsSdk, "_eval_service_task", text_bodies(original))


def record_retry_waits(monkeypatch: Any) -> list[float]:
    """Make the interpreter's Retry waits instant, recording each interval (seconds) it would have slept."""
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    waits: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=waits.append))
    return waits


@contextmanager
def interpreter(monkeypatch: Any) -> Iterator[None]:
    """moto with its Step Functions interpreter on, fake credentials, and the harness's patches above."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    install_text_bodies(monkeypatch)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield
