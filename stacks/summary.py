"""Print a short summary of a synthesized cloud assembly: stacks, resources, referee results.

Usage: ``python -m stacks.summary cdk.out``
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "SageMakerPlatform", "SageMakerPlatform-Schemas")
GUARD_PLUGIN = "cdk-validator-cfnguard"


def stack_templates(outdir: Path) -> list[tuple[str, Path]]:
    """(display name, template path) of every stack, following nested (stage) assemblies."""
    found: list[tuple[str, Path]] = []
    manifest: dict[str, Any] = json.loads((outdir / "manifest.json").read_text())
    for artifact in manifest.get("artifacts", {}).values():
        props = artifact.get("properties", {})
        if artifact["type"] == "aws:cloudformation:stack":
            name = artifact.get("displayName", props.get("stackName", "?"))
            found.append((name, outdir / props["templateFile"]))
        elif artifact["type"] == "cdk:cloud-assembly":
            found.extend(stack_templates(outdir / props["directoryName"]))
    # Nested stacks (a fleet's shards) are assets of their parent; their resources count as much.
    for nested in outdir.glob("*.nested.template.json"):
        found.append((f"{nested.name.removesuffix('.nested.template.json')} (nested)", nested))
    return sorted(found)


def nag_line(outdir: Path) -> str:
    report_path = outdir / "validation-report.json"
    if not report_path.exists():
        return "cdk-nag: no validation report (were the packs registered?)"
    report = json.loads(report_path.read_text())
    open_findings = sum(
        len(v["violatingConstructs"])
        for p in report.get("pluginReports", [])
        if p["pluginName"] in PACKS
        for v in p["violations"]
    )
    return f"cdk-nag ({', '.join(PACKS)}): {open_findings} unacknowledged findings"


def guard_line(outdir: Path) -> str:
    """cfn-guard's Control Tower rules: open and acknowledged findings, from the validation report."""
    report_path = outdir / "validation-report.json"
    guard = [
        p
        for p in (json.loads(report_path.read_text()).get("pluginReports", []) if report_path.exists() else [])
        if p["pluginName"] == GUARD_PLUGIN
    ]
    if not guard:
        return "cfn-guard (Control Tower rules): not run (add_nag_packs(app, control_tower=True))"
    open_findings = sum(len(v["violatingConstructs"]) for p in guard for v in p["violations"])
    acknowledged = sum(len(v["violatingConstructs"]) for p in guard for v in p.get("suppressedViolations", []))
    return f"cfn-guard (Control Tower rules): {open_findings} unacknowledged findings, {acknowledged} acknowledged"


def cfn_lint_line(templates: list[Path]) -> str:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    if not cfn_lint:
        return "cfn-lint: not installed"
    result = subprocess.run(
        [cfn_lint, "--format", "parseable", *map(str, templates)], capture_output=True, text=True, check=False
    )
    levels = Counter(line.split(":")[5][0] for line in result.stdout.splitlines() if line.count(":") >= 6)
    return f"cfn-lint: {levels.get('E', 0)} errors, {levels.get('W', 0)} warnings, {levels.get('I', 0)} informational"


_ASSETS = "cdk-hnb659fds-assets-"


def _render(node: Any, stack: str) -> str:
    """A template value as text: cross-stack bucket references as ``<LogicalId of Stack>``."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(_render(v, stack) for v in node)
    if isinstance(node, dict) and "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return str(separator).join(_render(v, stack) for v in parts)
    if isinstance(node, dict) and "Fn::GetStackOutput" in node:
        spec = node["Fn::GetStackOutput"]
        name = re.sub(r"^PublishOutput(Ref|FnGetAtt)", "", spec["OutputName"])[:-8]
        return f"<{name} of {spec['StackName']}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{node['Ref']} of {stack}>"
    if isinstance(node, dict) and "Fn::Sub" in node:
        return str(node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0])
    return "<...>"


def required_inputs(outdir: Path) -> tuple[list[str], list[str]]:
    """What a team must provide: (before the first deploy, before a pipeline's first run).

    Before deploying: model artifacts that models read from anywhere but the deploy's own assets.
    Before a run: S3 inputs of a pipeline's jobs that no earlier state of the same pipeline writes.
    """
    before_deploy, before_run = [], []
    for name, path in stack_templates(outdir):
        template = json.loads(path.read_text())
        stack = name.replace("/", "-")
        for logical_id, resource in sorted(template.get("Resources", {}).items()):
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::SageMaker::Model":
                for container in [props.get("PrimaryContainer"), *props.get("Containers", [])]:
                    url = _render((container or {}).get("ModelDataUrl", ""), stack)
                    if url and _ASSETS not in url:
                        before_deploy.append(f"{url} (model {logical_id} of {name})")
            elif resource["Type"] == "AWS::StepFunctions::StateMachine":
                before_run += _pipeline_inputs(_render(props.get("DefinitionString", ""), stack), name, logical_id)
    return sorted(set(before_deploy)), before_run


def _pipeline_inputs(definition: str, name: str, logical_id: str) -> list[str]:
    try:
        states = json.loads(definition).get("States", {})
    except json.JSONDecodeError:
        return []
    written: list[str] = []
    needed = []
    for state_name, state in states.items():
        params = state.get("Parameters", {})
        for entry in params.get("ProcessingInputs", []):
            uri = entry.get("S3Input", {}).get("S3Uri")
            if isinstance(uri, str) and not any(uri.startswith(w) for w in written):
                needed.append(f"{uri} ({state_name} of {name} {logical_id} reads it)")
        for channel in params.get("InputDataConfig", []):
            uri = channel.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri")
            if isinstance(uri, str) and not any(uri.startswith(w) for w in written):
                needed.append(f"{uri} ({state_name} of {name} {logical_id} reads it)")
        for output in params.get("ProcessingOutputConfig", {}).get("Outputs", []):
            uri = output.get("S3Output", {}).get("S3Uri")
            if isinstance(uri, str):
                written.append(uri)
    return needed


def main(argv: list[str]) -> int:
    outdir = Path(argv[1] if len(argv) > 1 else "cdk.out")
    rows = []
    for name, path in stack_templates(outdir):
        template = json.loads(path.read_text())
        rows.append((name, len(template.get("Resources", {})), path.stat().st_size / 1024))
    width = max([len("Stack")] + [len(r[0]) for r in rows])
    print(f"\n{'Stack':<{width}}  Resources  Template KB")
    for name, count, size in rows:
        print(f"{name:<{width}}  {count:>9}  {size:>11.1f}")
    print(f"{'total':<{width}}  {sum(r[1] for r in rows):>9}")
    print()
    print(nag_line(outdir))
    print(guard_line(outdir))
    print(cfn_lint_line([p for _, p in stack_templates(outdir)]))
    before_deploy, before_run = required_inputs(outdir)
    print()
    nothing = " nothing (the deploy publishes every model and image)"
    print("Provide before the first deploy:" + ("" if before_deploy else nothing))
    for line in before_deploy:
        print(f"  {line}")
    print("Provide before a pipeline's first run:" + ("" if before_run else " nothing"))
    for line in before_run:
        print(f"  {line}")
    print(f"templates: {outdir.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
