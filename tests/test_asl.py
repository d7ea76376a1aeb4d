"""Every synthesized state machine is valid Amazon States Language, by a validator we did not write.

``asl-validator`` (npm, pinned in package.json) checks the definition against the ASL schema,
transition targets, reachability, JSONPaths and resource ARNs. Definitions are checked as deployed:
CloudFormation intrinsics resolved (``tests.sfn_interpreter.Resolver``), ``.sync`` left as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests import sfn_interpreter as si
from tests.harness import SynthResult, require_tool, run
from tests.pipeline_apps import SHAPES, PipelineApp

pytestmark = pytest.mark.slow  # runs the validator as a Node subprocess

VALIDATOR = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "asl-validator"


def validate(definitions: dict[str, str], workdir: Path) -> tuple[int, str]:
    """Run the validator over named definitions; its exit code and report."""
    tool = require_tool(str(VALIDATOR) if VALIDATOR.is_file() else None, "asl-validator (npm ci)")
    args = [tool]
    for name, text in sorted(definitions.items()):
        path = workdir / f"{name}.asl.json"
        path.write_text(text)
        args += ["--json-path", str(path)]
    result = run(args, timeout=120)
    return result.returncode, result.stdout + result.stderr


def machines(templates: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Resolved definitions of every state machine in ``templates`` (by stack name; references resolved across them)."""
    exports = si.exports_of(templates)
    out = {}
    for stack_name, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine":
                out[f"{stack_name}-{logical_id}"] = si.resolved_definition(template, logical_id, exports)
    return out


@pytest.mark.parametrize("shape", SHAPES)
def test_pipeline_definitions_are_valid(shape: str, pipeline_app: Callable[[str], PipelineApp], tmp_path: Path) -> None:
    code, report = validate(machines({"Pipeline": pipeline_app(shape).template}), tmp_path)
    assert code == 0, report
    assert "is valid" in report


def test_the_validator_rejects_a_broken_definition(pipeline_app: Callable[[str], PipelineApp], tmp_path: Path) -> None:
    (text,) = machines({"Pipeline": pipeline_app("register").template}).values()
    broken = json.loads(text)
    broken["States"]["Prepare"]["Next"] = "Nowhere"
    code, report = validate({"broken": json.dumps(broken)}, tmp_path)
    assert code != 0
    assert "Missing 'StartAt'|'Next'|'Default' target: Nowhere" in report


def test_every_reference_state_machine_is_valid(reference: SynthResult, tmp_path: Path) -> None:
    templates = {s.stack_name: Template.from_stack(s).to_json() for s in reference.stacks}
    definitions = machines(templates)
    assert definitions, "the reference app has state machines (the training pipelines)"
    code, report = validate(definitions, tmp_path)
    assert code == 0, report
    assert report.count("is valid") == len(definitions)
