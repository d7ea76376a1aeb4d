"""Print a short summary of a synthesized cloud assembly: stacks, resources, referee results.

Usage: ``python -m stacks.summary cdk.out``
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "SageMakerPlatform")


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


def cfn_lint_line(templates: list[Path]) -> str:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    if not cfn_lint:
        return "cfn-lint: not installed"
    result = subprocess.run(
        [cfn_lint, "--format", "parseable", *map(str, templates)], capture_output=True, text=True, check=False
    )
    levels = Counter(line.split(":")[5][0] for line in result.stdout.splitlines() if line.count(":") >= 6)
    return f"cfn-lint: {levels.get('E', 0)} errors, {levels.get('W', 0)} warnings, {levels.get('I', 0)} informational"


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
    print(cfn_lint_line([p for _, p in stack_templates(outdir)]))
    print(f"templates: {outdir.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
