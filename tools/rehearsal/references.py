"""What a deployed resource refers to (S3 objects and locations, images, parameters), checked when it is deployed.

CloudFormation creates a SageMaker model whether or not its ``ModelDataUrl`` exists; the endpoint
then fails to create and the stack rolls back an hour later. So after each stack is deployed, every
reference in its resources' properties (as the emulator resolved them) is classified and checked:

- ``object``: must exist now (``ModelDataUrl``, nested ``TemplateURL``, Lambda code).
- ``location``: a place that is written later (outputs, captures, prefixes); its bucket must exist.
- ``image``: an ECR image, which must be in its repository now; SageMaker's own images (the
  accounts of ``builtin_images.json``) are AWS's to provide.
- ``parameter``: an SSM parameter a template resolves (parameter types, ``{{resolve:ssm:...}}``).

References inside state machine definitions are the jobs' run-time inputs and outputs: their images
must exist when the stack is deployed; their S3 URIs are run-time data (``runtime``), only listed.
A data-quality baseline is read when a monitoring job runs, not when its definition is created
(``runtime`` too): ``checks.baseline_producers`` checks that something deployed writes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_S3_URI = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?")
_S3_URL = re.compile(r"https://s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?/([^/]+)/(.+)")
_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9._/-]+)(?::([\w.-]+)|@(sha256:[0-9a-f]{64}))"
)
_SSM_DYNAMIC = re.compile(r"\{\{resolve:ssm:([^:}]+)(?::\d+)?\}\}")
#: Property paths whose S3 value must be an existing object when the resource is created.
_OBJECT_PATHS = (re.compile(r"(^|\.)ModelDataUrl$"), re.compile(r"^TemplateURL$"))
#: Property paths read when a job runs, not when the resource is created.
_RUNTIME_PATHS = (re.compile(r"(^|\.)(ConstraintsResource|StatisticsResource)\.S3Uri$"),)


@dataclass(frozen=True)
class Reference:
    """One reference of one resource, and whether what it names exists when checked."""

    stack: str
    logical_id: str
    resource_type: str
    path: str
    value: str
    kind: str
    exists: bool
    note: str = ""

    @property
    def problem(self) -> str:
        what = {"object": "object", "location": "bucket", "image": "image", "parameter": "parameter"}[self.kind]
        return (
            f"{self.stack} {self.logical_id} ({self.resource_type}) {self.path}: {self.value} refers to a {what} "
            f"that does not exist when the stack is deployed{': ' + self.note if self.note else ''}"
        )


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "", path)


class Checker:
    """Checks references in one emulated account, through its clients."""

    def __init__(self, clients: Any, aws_image_accounts: set[str]) -> None:
        self.s3, self.ecr, self.ssm = clients("s3"), clients("ecr"), clients("ssm")
        self.aws_image_accounts = aws_image_accounts

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self.s3.head_bucket(Bucket=bucket)
            return True
        except Exception:
            return False

    def object_exists(self, bucket: str, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
            return True
        except Exception:
            return False

    def image_exists(self, match: re.Match[str]) -> tuple[bool, str]:
        account, _, repository, tag, digest = match.groups()
        if account in self.aws_image_accounts:
            return True, "a SageMaker image AWS provides"
        image = {"imageTag": tag} if tag else {"imageDigest": digest}
        try:
            self.ecr.describe_images(repositoryName=repository, imageIds=[image])
            return True, ""
        except Exception:
            return False, f"repository {repository} has no image {tag or digest}"

    def parameter_exists(self, name: str) -> bool:
        try:
            self.ssm.get_parameter(Name=name)
            return True
        except Exception:
            return False

    def template_parameters(self, stack: str, template: dict[str, Any]) -> list[Reference]:
        """SSM parameters the template resolves at deploy time: they must exist before it is deployed."""
        found = []
        for name, spec in template.get("Parameters", {}).items():
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::") and spec.get("Default"):
                value = spec["Default"]
                found.append(
                    Reference(stack, name, "Parameter", "Default", value, "parameter", self.parameter_exists(value))
                )
        for value in sorted(set(_SSM_DYNAMIC.findall(json.dumps(template)))):
            found.append(Reference(stack, "-", "dynamic reference", "{{resolve:ssm}}", value, "parameter",
                                   self.parameter_exists(value)))  # fmt: skip
        return found

    def resource(self, stack: str, logical_id: str, kind: str, properties: dict[str, Any]) -> list[Reference]:
        """Every reference of one resource, checked now."""
        found: list[Reference] = []
        runtime = kind == "AWS::StepFunctions::StateMachine"
        for path, value in _strings(properties):
            if runtime and path.startswith("Definition"):
                found += self._in_definition(stack, logical_id, kind, path, value)
                continue
            found += self._classify(stack, logical_id, kind, path, value)
        code = properties.get("Code") if kind == "AWS::Lambda::Function" else None
        if isinstance(code, dict) and "S3Bucket" in code and "S3Key" in code:
            bucket, key = code["S3Bucket"], code["S3Key"]
            found.append(Reference(stack, logical_id, kind, "Code", f"s3://{bucket}/{key}", "object",
                                   self.object_exists(bucket, key)))  # fmt: skip
        return found

    def _classify(self, stack: str, logical_id: str, kind: str, path: str, value: str) -> list[Reference]:
        refs = []
        for match in _IMAGE.finditer(value):
            exists, note = self.image_exists(match)
            refs.append(Reference(stack, logical_id, kind, path, match.group(0), "image", exists, note))
        uri, url = _S3_URI.fullmatch(value), _S3_URL.fullmatch(value)
        if uri or url:
            bucket, key = (uri.group(1), (uri.group(2) or "/")[1:]) if uri else (url.group(3), url.group(4))  # type: ignore[union-attr]
            wants_object = key and not key.endswith("/") and any(p.search(_generic(path)) for p in _OBJECT_PATHS)
            if any(p.search(_generic(path)) for p in _RUNTIME_PATHS):
                refs.append(Reference(stack, logical_id, kind, path, value, "runtime", True, "read when a job runs"))
            elif wants_object:
                refs.append(Reference(stack, logical_id, kind, path, value, "object", self.object_exists(bucket, key)))
            else:
                refs.append(Reference(stack, logical_id, kind, path, value, "location", self.bucket_exists(bucket)))
        return refs

    def _in_definition(self, stack: str, logical_id: str, kind: str, path: str, value: str) -> list[Reference]:
        refs = []
        for match in _IMAGE.finditer(value):
            exists, note = self.image_exists(match)
            refs.append(Reference(stack, logical_id, kind, "Definition", match.group(0), "image", exists, note))
        for match in re.finditer(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/[^\"'{}\s]*", value):
            refs.append(Reference(stack, logical_id, kind, "Definition", match.group(0), "runtime", True))
        return refs
