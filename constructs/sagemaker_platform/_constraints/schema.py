"""CloudFormation's resource schemas for the SageMaker types the library synthesizes (``cloudformation.json``).

:func:`schema_problems` checks a resource's ``Properties`` as they appear in the template against
the schema cfn-lint bundles: types, enums, patterns, lengths, ranges, required and unknown
properties. Intrinsics (``Ref``, ``Fn::*``) are skipped; CloudFormation's own leniency is kept
(numbers and booleans may be strings). Patterns are searched, as JSON Schema defines them.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from sagemaker_platform._constraints.api import is_unresolved

Problem = tuple[str, Any, str]


@functools.cache
def _table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(resources.files(__package__).joinpath("cloudformation.json").read_text())
    return table


def resource_types() -> list[str]:
    """The resource types the table covers."""
    return sorted(_table()["resources"])


def source() -> str:
    """Which cfn-lint the table was generated from."""
    return str(_table()["source"])


def schema_problems(type_name: str, properties: Any) -> list[Problem]:
    """Every way ``properties`` breaks ``type_name``'s schema, as (property path, value, allowed)."""
    schema = _table()["resources"].get(type_name)
    if schema is None:
        return []
    return list(_walk(schema, schema, properties if properties is not None else {}, ""))


def _walk(root: dict[str, Any], node: dict[str, Any], value: Any, path: str) -> Iterator[Problem]:
    if is_unresolved(value):
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        yield from _walk(root, root["definitions"][name], value, path)
        return
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            branches = [list(_walk(root, branch, value, path)) for branch in node[combinator]]
            if branches and all(branches):
                yield min(branches, key=len)[0]
    kinds = node.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is(kind, value) for kind in kinds):
            yield path, value, "a value of type " + " or ".join(kinds)
            return
    yield from _scalar(node, value, path)
    if isinstance(value, dict):
        yield from _object(root, node, value, path)
    if isinstance(value, list):
        if not node.get("minItems", 0) <= len(value) <= node.get("maxItems", math.inf):
            yield path, len(value), f"{node.get('minItems', 0)} to {node.get('maxItems', 'any number of')} items"
        if isinstance(node.get("items"), dict):
            for i, item in enumerate(value):
                yield from _walk(root, node["items"], item, f"{path}[{i}]")


def _scalar(node: dict[str, Any], value: Any, path: str) -> Iterator[Problem]:
    if "enum" in node and value not in node["enum"] and str(value) not in map(str, node["enum"]):
        yield path, value, "one of " + ", ".join(repr(e) for e in node["enum"])
    if isinstance(value, str):
        low, high = node.get("minLength", 0), node.get("maxLength", math.inf)
        if not low <= len(value) <= high:
            yield path, value, f"a string of {low} to {high} characters"
        if "pattern" in node and re.search(node["pattern"], value) is None:
            yield path, value, f"a string matching {node['pattern']}"
    number = _number(value)
    if number is not None and not node.get("minimum", -math.inf) <= number <= node.get("maximum", math.inf):
        yield path, value, f"a number from {node.get('minimum', '-inf')} to {node.get('maximum', 'inf')}"


def _object(root: dict[str, Any], node: dict[str, Any], value: dict[str, Any], path: str) -> Iterator[Problem]:
    props: dict[str, Any] = node.get("properties", {})
    prefix = f"{path}." if path else ""
    for name in node.get("required", []):
        if name not in value:
            yield f"{prefix}{name}", "(missing)", "a value: the schema requires it"
    for name, item in value.items():
        if name in props:
            yield from _walk(root, props[name], item, f"{prefix}{name}")
        elif node.get("additionalProperties") is False and props:
            yield f"{prefix}{name}", item, "a property of the schema: " + ", ".join(sorted(props))


def _is(kind: str, value: Any) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false", "True", "False")
    if kind == "integer":
        number = _number(value)
        return number is not None and float(number).is_integer()
    if kind == "number":
        return _number(value) is not None
    if kind == "string":
        # CloudFormation turns numbers and booleans in string properties into strings.
        return isinstance(value, str | int | float)
    return True


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None
