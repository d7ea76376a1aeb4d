"""The AWS emulator: moto in this process, bootstrapped as ``cdk bootstrap`` would, deploying as the CLI would.

moto's CloudFormation engine creates what it models and only accepts the rest (see ``MODELLED``);
three things it cannot do are done here, each said in the report:

- ``Fn::GetStackOutput`` (CDK's weak cross-stack references): replaced by the producing stack's
  output before the template (and its nested templates) reach moto; a missing output is a finding.
- Custom resources: moto would run their Lambda handler in Docker. The rehearsal checks that the
  handler function was created (its code object exists) and answers SUCCESS for it.
- Stack rules (``CheckBootstrapVersion``): checked against the bootstrap version written here.
- Event targets moto cannot deliver to (a state machine, a CodePipeline): ``event_deliveries``
  records what a matching rule would have started, so the rehearsal can start it itself.
- Updates of SSM-typed parameters: CloudFormation resolves ``AWS::SSM::Parameter::Value<...>``
  parameters at every deploy and updates what uses a changed value (and what uses those); moto only
  compares the template and the parameters as passed (names). ``parameter_updates`` adds that rule.
"""

from __future__ import annotations

import copy
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.rehearsal.assembly import BOOTSTRAP_VERSION, QUALIFIER, FileAsset, StackArtifact

#: Capabilities the CLI passes to every deployment.
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class Deployed:
    """One stack as the emulator holds it after deployment."""

    artifact: StackArtifact
    account: str
    status: str
    reason: str | None
    outputs: dict[str, str]
    #: (logical ID, type, properties as the emulator resolved them)
    resources: list[tuple[str, str, dict[str, Any]]]
    #: Resource types moto does not model (a stand-in, or nothing, stood for them), with their count.
    accepted_only: dict[str, int] = field(default_factory=dict)
    #: Custom resources answered by the rehearsal instead of their handler.
    answered: list[str] = field(default_factory=list)
    seconds: float = 0.0


def bootstrap_bucket(account: str, region: str) -> str:
    return f"cdk-{QUALIFIER}-assets-{account}-{region}"


def bootstrap_repository(account: str, region: str) -> str:
    return f"cdk-{QUALIFIER}-container-assets-{account}-{region}"


class _CustomResources:
    """Answers custom resources after checking their handler exists (moto would run it in Docker)."""

    def __init__(self) -> None:
        self.answered: list[str] = []
        self.lock = threading.Lock()

    def install(self) -> Any:
        from moto.awslambda.models import lambda_backends
        from moto.cloudformation.custom_model import CustomModel
        from moto.cloudformation.models import cloudformation_backends

        answered, lock = self.answered, self.lock

        def create(
            cls: type[CustomModel],
            /,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> CustomModel:
            token = cloudformation_json["Properties"]["ServiceToken"]
            # Raises (the stack fails) when the handler function does not exist.
            lambda_backends[account_id][region_name].get_function(token)
            resource = CustomModel(region_name, "rehearsal", kwargs["LogicalId"], resource_name)  # type: ignore[abstract]
            stack = cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
            stack.add_custom_resource(resource)
            resource.set_data({})
            with lock:
                answered.append(f"{kwargs['LogicalId']} ({kwargs['ResourceType']})")
            return resource

        original = CustomModel.create_from_cloudformation_json
        CustomModel.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]
        return original


def _references(node: Any) -> set[str]:
    """Logical IDs a template fragment uses through ``Ref`` or ``Fn::GetAtt``."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".", 1)[0])
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


@contextmanager
def parameter_updates() -> Iterator[None]:
    """moto's stack updates also update what uses an SSM-typed parameter whose value changed, as CloudFormation does."""
    from moto.cloudformation import parsing

    original = parsing.ResourceMap.build_resource_diff

    def build_resource_diff(self: Any, other_template: dict[str, Any], parameters: Any = None) -> dict[str, Any]:
        actions: dict[str, Any] = original(self, other_template, parameters)
        changed = {
            name
            for name, spec in other_template.get("Parameters", {}).items()
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value")
            and spec.get("Default")
            and self.resolved_parameters.get(name) != self.parse_ssm_parameter(spec["Default"], spec["Type"])
        }
        if not changed:
            return actions
        new, old = other_template["Resources"], self._resource_json_map
        modify = set(actions["Modify"])
        frontier = {n for n in new if n in old and _references(new[n]) & changed}
        while frontier - modify:  # and what uses those: a replaced model gets a new name
            modify |= frontier
            frontier = {n for n in new if n in old and _references(new[n]) & modify}
        actions["Modify"] = [n for n in new if n in modify]  # template order: producers first
        return actions

    parsing.ResourceMap.build_resource_diff = build_resource_diff  # type: ignore[method-assign]
    try:
        yield
    finally:
        parsing.ResourceMap.build_resource_diff = original  # type: ignore[method-assign]


#: (rule name, target ARN, event) for every event a rule matched and moto could not deliver itself.
DELIVERIES: list[tuple[str, str, dict[str, Any]]] = []
_MOTO_DELIVERS = ("logs", "sqs", "events")


@contextmanager
def event_deliveries() -> Iterator[None]:
    """Rules still deliver what moto can (logs, queues, other buses); the rest is recorded in ``DELIVERIES``."""
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        delivered = [t for t in self.targets if t["Arn"].split(":")[2] in _MOTO_DELIVERS]
        for target in self.targets:
            if target not in delivered:
                DELIVERIES.append((self.name, target["Arn"], dict(original_event)))
        if delivered:
            targets, self.targets = self.targets, delivered
            try:
                original(self, original_event, transform_input)
            finally:
                self.targets = targets

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    try:
        yield
    finally:
        Rule.send_to_targets = original  # type: ignore[method-assign]


@contextmanager
def emulated_aws() -> Iterator[None]:
    """moto for this process (its Step Functions interpreter on), with fake credentials."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    os.environ.update(AWS_ACCESS_KEY_ID="rehearsal", AWS_SECRET_ACCESS_KEY="rehearsal")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from moto import mock_aws

    try:
        DELIVERIES.clear()
        with (
            mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
            parameter_updates(),
            event_deliveries(),
        ):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Account:
    """Clients acting in one emulated account and region (credentials of an assumed role there)."""

    def __init__(self, account: str, region: str) -> None:
        import boto3  # type: ignore[import-untyped]

        self.account, self.region = account, region
        role = f"arn:aws:iam::{account}:role/cdk-{QUALIFIER}-deploy-role-{account}-{region}"
        credentials = boto3.client("sts", region_name=region).assume_role(RoleArn=role, RoleSessionName="rehearsal")[
            "Credentials"
        ]
        self.session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)

    def bootstrap(self) -> None:
        """What the stacks use of ``cdk bootstrap``: the assets bucket and repository, the version parameter."""
        s3 = self.client("s3")
        bucket = bootstrap_bucket(self.account, self.region)
        if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
            self.client("ecr").create_repository(repositoryName=bootstrap_repository(self.account, self.region))
            self.client("ssm").put_parameter(
                Name=f"/cdk-bootstrap/{QUALIFIER}/version", Value=BOOTSTRAP_VERSION, Type="String"
            )


def zip_directory(directory: Path) -> bytes:
    """A directory asset as cdk-assets publishes it: a zip of its files, sorted, with fixed times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def resolve_stack_outputs(node: Any, outputs: dict[tuple[str, str], str], missing: list[str]) -> Any:
    """``Fn::GetStackOutput`` replaced by the producing stack's output (what CloudFormation does on deploy)."""
    if isinstance(node, list):
        return [resolve_stack_outputs(v, outputs, missing) for v in node]
    if isinstance(node, dict):
        if set(node) == {"Fn::GetStackOutput"}:
            spec = node["Fn::GetStackOutput"]
            key = (spec["StackName"], spec["OutputName"])
            if key not in outputs:
                missing.append(f"{key[0]}.{key[1]}")
                return f"<missing output {key[0]}.{key[1]}>"
            return outputs[key]
        return {k: resolve_stack_outputs(v, outputs, missing) for k, v in node.items()}
    return node


def publish_files(account: Account, files: tuple[FileAsset, ...], outputs: dict[tuple[str, str], str]) -> list[str]:
    """Put the stack's file assets into the bootstrap bucket; templates get their outputs resolved."""
    s3, missing = account.client("s3"), list[str]()
    for asset in files:
        if asset.packaging == "zip" or asset.path.is_dir():
            body = zip_directory(asset.path)
        else:
            body = asset.path.read_bytes()
            if asset.path.name.endswith(".template.json"):
                template = json.loads(body)
                body = json.dumps(resolve_stack_outputs(template, outputs, missing)).encode()
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=body)
    return missing


def _resolved_resources(
    account: str, region: str, stack_name: str
) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, int], list[str]]:
    """The stack's resources with their properties as moto resolved them, the types it does not model, nested stacks."""
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import clean_json

    backend = cloudformation_backends[account][region]
    stack = next(s for s in backend.stacks.values() if s.name == stack_name and s.status != "DELETE_COMPLETE")
    resource_map = stack.resource_map
    resources: list[tuple[str, str, dict[str, Any]]] = []
    accepted: dict[str, int] = {}
    nested: list[str] = []
    for logical_id, resource in resource_map._resource_json_map.items():
        kind = resource["Type"]
        parsed = resource_map._parsed_resources.get(logical_id)
        if kind == "AWS::CloudFormation::Stack" and parsed is not None:
            nested.append(parsed.name)
        if parsed is None or type(parsed).__name__.startswith("StandIn"):
            accepted[kind] = accepted.get(kind, 0) + 1
        try:
            properties = clean_json(copy.deepcopy(resource.get("Properties", {})), resource_map)
        except Exception as err:
            properties = {"<unresolved>": f"{type(err).__name__}: {err}"}
        resources.append((logical_id, kind, properties))
    return resources, accepted, nested


def deploy(
    account: Account, artifact: StackArtifact, outputs: dict[tuple[str, str], str], answers: _CustomResources
) -> Deployed:
    """Create (or update) the stack from its template, as ``cdk deploy`` would; never raises for a failed stack."""
    cfn = account.client("cloudformation")
    missing: list[str] = []
    template = resolve_stack_outputs(artifact.template, outputs, missing)
    started = time.monotonic()
    before = len(answers.answered)
    key = f"rehearsal/{artifact.stack_name}.template.json"
    account.client("s3").put_object(
        Bucket=bootstrap_bucket(account.account, account.region), Key=key, Body=json.dumps(template).encode()
    )
    url = f"https://s3.{account.region}.amazonaws.com/{bootstrap_bucket(account.account, account.region)}/{key}"
    existing = {s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}
    try:
        if artifact.stack_name in existing:
            cfn.update_stack(StackName=artifact.stack_name, TemplateURL=url, Capabilities=CAPABILITIES)
        else:
            cfn.create_stack(StackName=artifact.stack_name, TemplateURL=url, Capabilities=CAPABILITIES)
    except Exception as err:
        return Deployed(artifact, account.account, "REFUSED", f"{type(err).__name__}: {err}", {}, [], seconds=0)
    described = cfn.describe_stacks(StackName=artifact.stack_name)["Stacks"][0]
    status, reason = described["StackStatus"], described.get("StackStatusReason")
    if missing:
        status, reason = "FAILED", f"no such stack outputs: {', '.join(sorted(set(missing)))}"
    stack_outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    resources: list[tuple[str, str, dict[str, Any]]] = []
    accepted: dict[str, int] = {}
    pending = [artifact.stack_name]
    while pending:  # the stack, then its nested stacks
        found, types, nested = _resolved_resources(account.account, account.region, pending.pop(0))
        resources += found
        pending += nested
        for kind, count in types.items():
            accepted[kind] = accepted.get(kind, 0) + count
    return Deployed(
        artifact=artifact,
        account=account.account,
        status=status,
        reason=reason,
        outputs=stack_outputs,
        resources=resources,
        accepted_only=accepted,
        answered=answers.answered[before:],
        seconds=time.monotonic() - started,
    )
