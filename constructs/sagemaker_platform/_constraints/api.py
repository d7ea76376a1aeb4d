"""SageMaker's own constraints, from botocore's service model (``sagemaker_api.json``), checked at synth.

Two ways in:

* :func:`check_field` checks one props field against the shape it becomes in a request
  (``check_field(errors, "compute.instance_type", value, "CreateTrainingJob", "ResourceConfig.InstanceType")``),
  so the error names the props field.
* :func:`request_problems` walks a whole rendered request: every member known to the operation,
  required members present, types, enums, lengths, ranges and patterns. The job specs and the
  pipelines' task states run it on everything they render, as a backstop with request paths.

Unresolved values are skipped: CDK tokens, CloudFormation intrinsics (``{"Ref": ...}``,
``{"Fn::...": ...}``), Step Functions paths (members ending in ``.$``) and JSONata (``{% ... %}``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from sagemaker_platform._validation import PropsErrors, is_token

#: Enum shapes of the instance types each use accepts (they differ: an ml.c5.large training job does not exist).
INSTANCE_TYPE_SHAPES = {
    "training": "TrainingInstanceType",
    "processing": "ProcessingInstanceType",
    "transform": "TransformInstanceType",
    "hosting": "ProductionVariantInstanceType",
    "notebook": "InstanceType",
}
_LONG_ENUM = 12


@functools.cache
def _model() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("sagemaker_api.json").read_text()
    model: dict[str, Any] = json.loads(text)
    return model


def source() -> str:
    """Which botocore and API version the table was generated from."""
    return str(_model()["source"])


def regions() -> tuple[str, ...]:
    """Every region where SageMaker has an API endpoint, in every partition."""
    return tuple(_model()["regions"])


def shape(name: str) -> dict[str, Any]:
    """The shape ``name`` of the service model."""
    found: dict[str, Any] = _model()["shapes"][name]
    return found


def operation_shape(operation: str) -> str:
    """The input shape of ``operation`` (``CreateTrainingJob`` -> ``CreateTrainingJobRequest``)."""
    operations: dict[str, str] = _model()["operations"]
    if operation not in operations:
        raise KeyError(f"no SageMaker operation {operation!r} in the constraint table; known: {sorted(operations)}")
    return operations[operation]


def operations() -> list[str]:
    """Every operation the table covers."""
    return sorted(_model()["operations"])


def shape_at(operation: str, path: str) -> str:
    """The shape name at ``path`` (members joined by ``.``; ``[]`` steps into a list or map value)."""
    name = operation_shape(operation)
    for step in path.split("."):
        while step.endswith("[]"):
            step = step[:-2]
            if step:
                name = shape(name)["members"][step]
                step = ""
            name = _element(shape(name))
        if step:
            name = shape(name)["members"][step]
    return name


def _element(spec: dict[str, Any]) -> str:
    return str(spec.get("member") or spec["value"])


def instance_types(use: str) -> tuple[str, ...]:
    """Every instance type SageMaker accepts for ``use`` (``training``, ``processing``, ``transform``, ``hosting``)."""
    return tuple(shape(INSTANCE_TYPE_SHAPES[use])["enum"])


def is_unresolved(value: Any) -> bool:
    """A value only the deployment or the run knows: a CDK token, an intrinsic or JSONata."""
    if is_token(value):
        return True
    if isinstance(value, str):
        return value.startswith("{%") and value.endswith("%}")
    if isinstance(value, dict) and len(value) == 1:
        key = str(next(iter(value)))
        return key == "Ref" or key.startswith("Fn::")
    return False


def allowed(name: str, value: Any = None) -> str:
    """What shape ``name`` accepts, in words, from the model."""
    spec = shape(name)
    kind = spec["type"]
    if kind == "string":
        if "enum" in spec:
            return _enum_words(spec["enum"], value)
        parts = [_length_words(spec, "characters")]
        if "pattern" in spec:
            parts.append(f"matching {spec['pattern']}")
        return "a string " + " ".join(p for p in parts if p)
    if kind in ("integer", "long"):
        return "an integer" + _range_words(spec)
    if kind in ("double", "float"):
        return "a finite number" + _range_words(spec)
    if kind == "boolean":
        return "True or False"
    if kind == "list":
        return "a list" + (f" {_length_words(spec, 'items')}" if "min" in spec or "max" in spec else "")
    if kind == "map":
        return "a mapping" + (f" {_length_words(spec, 'entries')}" if "min" in spec or "max" in spec else "")
    if kind == "structure":
        return "a structure with members " + ", ".join(spec.get("members", {}))
    return str(kind)


def _enum_words(options: list[str], value: Any) -> str:
    if len(options) <= _LONG_ENUM:
        return "one of " + ", ".join(repr(o) for o in options)
    # Long enums (instance types): the near misses, then how many there are.
    family = value.rsplit(".", 1)[0] + "." if isinstance(value, str) and value.count(".") >= 2 else None
    near = [o for o in options if family and o.startswith(family)][:_LONG_ENUM]
    shown = near or options[:_LONG_ENUM]
    lead = "the same family: " if near else "for example "
    return f"one of {len(options)} values, {lead}" + ", ".join(repr(o) for o in shown)


def _length_words(spec: dict[str, Any], unit: str) -> str:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        return f"of {low} to {high} {unit}"
    if low is not None:
        return f"of at least {low} {unit}"
    if high is not None:
        return f"of at most {high} {unit}"
    return ""


def _range_words(spec: dict[str, Any]) -> str:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def value_problems(name: str, value: Any, path: str = "") -> Iterator[tuple[str, Any, str]]:
    """Every way ``value`` breaks shape ``name``, as (path, value, allowed) triples."""
    if is_unresolved(value):
        return
    spec = shape(name)
    kind = spec["type"]
    checker = _CHECKS.get(kind)
    if checker is not None:
        yield from checker(name, spec, value, path)


def _string(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    if not isinstance(value, str):
        yield path, value, allowed(name, value)
        return
    ok = "enum" not in spec or value in spec["enum"]
    ok = ok and spec.get("min", 0) <= len(value) <= spec.get("max", math.inf)
    # AWS matches the whole value against the pattern (its errors say "failed to satisfy constraint").
    ok = ok and ("pattern" not in spec or re.fullmatch(spec["pattern"], value, re.DOTALL) is not None)
    if not ok:
        yield path, value, allowed(name, value)


def _number(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    integral = spec["type"] in ("integer", "long")
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (isinstance(value, int) if integral else math.isfinite(value))
    ok = ok and spec.get("min", -math.inf) <= value <= spec.get("max", math.inf)
    if not ok:
        yield path, value, allowed(name, value)


def _boolean(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    if not isinstance(value, bool):
        yield path, value, allowed(name, value)


def _list(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    if not isinstance(value, list | tuple):
        yield path, value, allowed(name, value)
        return
    if not spec.get("min", 0) <= len(value) <= spec.get("max", math.inf):
        yield path, len(value), allowed(name, value)
    for i, item in enumerate(value):
        yield from value_problems(spec["member"], item, f"{path}[{i}]")


def _map(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    if not isinstance(value, dict):
        yield path, value, allowed(name, value)
        return
    if not spec.get("min", 0) <= len(value) <= spec.get("max", math.inf):
        yield path, len(value), allowed(name, value)
    for key, item in value.items():
        if isinstance(key, str) and key.endswith(".$"):
            continue
        yield from value_problems(spec["key"], key, f"{path}[{key!r}] (key)")
        yield from value_problems(spec["value"], item, f"{path}[{key!r}]")


def _structure(name: str, spec: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    if not isinstance(value, dict):
        yield path, value, allowed(name, value)
        return
    members: dict[str, str] = spec.get("members", {})
    given = {key.removesuffix(".$"): key for key in value}
    prefix = f"{path}." if path else ""
    for member in given:
        if member not in members:
            yield f"{prefix}{member}", value[given[member]], f"a member of {name}: " + ", ".join(members)
    for member in spec.get("required", []):
        if member not in given:
            yield f"{prefix}{member}", "(missing)", f"required by {name}: {allowed(members[member])}"
    if spec.get("union") and len(given) != 1:
        yield path or name, sorted(given), f"exactly one member of {name}: " + ", ".join(members)
    for member, key in given.items():
        if member in members and not key.endswith(".$"):
            yield from value_problems(members[member], value[key], f"{prefix}{member}")


_CHECKS = {
    "string": _string,
    "integer": _number,
    "long": _number,
    "double": _number,
    "float": _number,
    "boolean": _boolean,
    "list": _list,
    "map": _map,
    "structure": _structure,
}


def request_problems(operation: str, request: Any) -> list[tuple[str, Any, str]]:
    """Every way ``request`` breaks ``operation``'s input shape, as (request path, value, allowed)."""
    return list(value_problems(operation_shape(operation), request))


def check_request(owner: str, operation: str, request: Any) -> None:
    """Raise one ``ValueError`` naming ``owner`` and every request path SageMaker would refuse."""
    problems = request_problems(operation, request)
    if problems:
        errors = PropsErrors(f"{owner} (SageMaker {operation} request)")
        for path, value, words in problems:
            errors.add(path, value, words)
        errors.raise_if_any()


def check_field(errors: PropsErrors, field: str, value: Any, operation: str, path: str) -> None:
    """Record a problem on ``field`` unless ``value`` fits the shape at ``operation``'s ``path``."""
    name = shape_at(operation, path)
    for sub_path, bad, words in value_problems(name, value):
        errors.add(field + (sub_path if sub_path.startswith("[") else f".{sub_path}" if sub_path else ""), bad, words)


def check_instance_type(errors: PropsErrors, field: str, value: Any, use: str) -> None:
    """Record a problem unless ``value`` is an instance type SageMaker offers for ``use``."""
    if is_unresolved(value):
        return
    if value not in instance_types(use):
        errors.add(field, value, f"a {use} instance type" + instance_type_words(use, value))


def instance_type_words(use: str, value: Any) -> str:
    """What to tell someone who gave ``value`` for ``use``: a hint, then the near misses from the model."""
    options = instance_types(use)
    hint = f" (did you mean 'ml.{value}'?)" if isinstance(value, str) and f"ml.{value}" in options else ""
    return f"{hint}: " + _enum_words(list(options), value)


def check_fields(errors: PropsErrors, operation: str, fields: dict[str, tuple[str, Any]]) -> None:
    """:func:`check_field` for each ``props field -> (request path, value)`` of one operation."""
    for field, (path, value) in fields.items():
        check_field(errors, field, value, operation, path)
