"""Generate the library's constraint tables from botocore's SageMaker service model and cfn-lint's schemas.

Run: ``.venv/bin/python tests/tools/generate_constraints.py`` (offline; needs the dev pins of
botocore and cfn-lint). ``tests/test_constraints.py`` compares the checked-in tables with the
installed packages, so they cannot drift silently when a pin moves.

The library reads only the tables, never botocore or cfn-lint: synthesis stays deterministic
whatever versions a user's machine has installed, and neither package is a runtime dependency.

* ``sagemaker_api.json``: the input shapes of every SageMaker operation the library renders a
  request for or calls from a state machine, with every shape they reach (types, required
  members, enums, lengths, ranges, patterns), and the regions where SageMaker has an API
  endpoint (from botocore's endpoint data). Documentation is dropped.
* ``cloudformation.json``: the ``AWS::SageMaker::*`` resource schemas the library synthesizes, as
  cfn-lint bundles them for us-east-1 (properties, definitions, required), descriptions dropped.

Patterns written for Java's regex engine are translated where Python's ``re`` has an exact
equivalent; the few that use Unicode property classes (``\\p{L}``: free-text fields such as tag
values and descriptions) have none and are listed under ``unchecked_patterns`` instead: their
length limits are still checked.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[2] / "constructs" / "sagemaker_platform" / "_constraints"

#: Operations whose requests the library renders (job specs, state machine tasks) or whose shapes
#: its resources share (a CfnEndpointConfig is a CreateEndpointConfig request in CloudFormation).
OPERATIONS = (
    "CreateTrainingJob",
    "CreateProcessingJob",
    "CreateHyperParameterTuningJob",
    "CreateTransformJob",
    "CreateModel",
    "DeleteModel",
    "CreateModelPackage",
    "CreateModelPackageGroup",
    "DescribeTrainingJob",
    "DescribeHyperParameterTuningJob",
    "DescribeModelPackage",
    "ListModelPackages",
    "CreateEndpointConfig",
    "CreateEndpoint",
    "CreateDataQualityJobDefinition",
    "CreateMonitoringSchedule",
    "CreateFeatureGroup",
    "CreateNotebookInstance",
)

#: CloudFormation resource types the library synthesizes.
RESOURCE_TYPES = (
    "AWS::SageMaker::DataQualityJobDefinition",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::FeatureGroup",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::SageMaker::MonitoringSchedule",
)

#: Java regex constructs with an exact Python equivalent.
_JAVA_TO_PYTHON = (
    (r"\p{Alnum}", "A-Za-z0-9"),
    # A UTF-16 surrogate-pair range is Java's way of writing the supplementary planes.
    (r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF"),
)
_SCHEMA_KEYS = {
    "type",
    "properties",
    "definitions",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "$ref",
    "oneOf",
    "anyOf",
    "uniqueItems",
}


def python_pattern(pattern: str) -> str | None:
    """``pattern`` for Python's ``re``, or None when it has no exact equivalent."""
    for java, python in _JAVA_TO_PYTHON:
        pattern = pattern.replace(java, python)
    try:
        re.compile(pattern)
    except re.error:
        return None
    return pattern


def collect_api() -> dict[str, Any]:
    import botocore
    import botocore.loaders

    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    shapes: dict[str, Any] = model["shapes"]
    reached: dict[str, Any] = {}
    unchecked: set[str] = set()

    def visit(name: str) -> None:
        if name in reached:
            return
        raw = shapes[name]
        shape = {k: v for k, v in raw.items() if k not in ("documentation", "sensitive", "box")}
        reached[name] = shape
        if "pattern" in shape:
            translated = python_pattern(shape["pattern"])
            if translated is None:
                unchecked.add(name)
                del shape["pattern"]
            else:
                shape["pattern"] = translated
        if "members" in shape:
            shape["members"] = {member: spec["shape"] for member, spec in shape["members"].items()}
            for member in shape["members"].values():
                visit(member)
        for part in ("member", "key", "value"):
            if part in shape:
                shape[part] = shape[part]["shape"]
                visit(shape[part])

    operations = {}
    for operation in OPERATIONS:
        operations[operation] = model["operations"][operation]["input"]["shape"]
        visit(operations[operation])
    return {
        "source": f"botocore {botocore.__version__}, sagemaker {model['metadata']['apiVersion']}",
        "regions": sagemaker_regions(),
        "operations": operations,
        "shapes": dict(sorted(reached.items())),
        "unchecked_patterns": sorted(unchecked),
    }


def sagemaker_regions() -> list[str]:
    """Regions (of every partition) where botocore knows a SageMaker API endpoint, FIPS variants left out."""
    import botocore.loaders

    endpoints = botocore.loaders.Loader().load_data("endpoints")
    found: set[str] = set()
    for partition in endpoints["partitions"]:
        offered = partition["services"].get("api.sagemaker", {}).get("endpoints", {})
        found.update(r for r in offered if r in partition["regions"])
    return sorted(found)


def _prune(node: Any, unchecked: set[str], where: str) -> Any:
    if isinstance(node, list):
        return [_prune(v, unchecked, where) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "definitions"):
            out[key] = {k: _prune(v, unchecked, f"{where}.{k}") for k, v in value.items()}
        elif key == "pattern":
            translated = python_pattern(value)
            if translated is None:
                unchecked.add(where)
            else:
                out[key] = translated
        elif key in _SCHEMA_KEYS:
            out[key] = _prune(value, unchecked, where)
    return out


def collect_cloudformation() -> dict[str, Any]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    from cfnlint.version import __version__ as cfn_lint_version

    resources = {}
    unchecked: set[str] = set()
    for type_name in RESOURCE_TYPES:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema
        resources[type_name] = _prune(
            {k: schema[k] for k in ("properties", "definitions", "required", "additionalProperties") if k in schema},
            unchecked,
            type_name,
        )
    return {
        "source": f"cfn-lint {cfn_lint_version} (us-east-1 provider schemas)",
        "resources": resources,
        "unchecked_patterns": sorted(unchecked),
    }


def write(path: Path, table: dict[str, Any]) -> None:
    path.write_text(json.dumps(table, indent=None, sort_keys=True, separators=(",", ":")) + "\n")


def main() -> int:
    write(OUT / "sagemaker_api.json", collect_api())
    write(OUT / "cloudformation.json", collect_cloudformation())
    print(f"wrote {OUT}/sagemaker_api.json and cloudformation.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
