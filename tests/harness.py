"""Shared test harness: build apps once, run the referees, normalize templates for snapshots."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack, Stage

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: The S3 prefix list ID test networks limit HTTPS egress to (eu-west-1's, as the reference cdk.json
#: gives it), so that test apps show the configuration the library asks for.
S3_PREFIX_LIST = "pl-6da54004"

_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def cdk_context() -> dict[str, Any]:
    """The committed ``cdk.json`` context (stage config plus feature flags)."""
    context: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
    return context


def make_app(outdir: Path | str | None = None, *, stage_assets: bool = False, **context: Any) -> App:
    """An App with the project's feature flags.

    CDK's built-in CloudFormation validation is switched off (~2 s per process): cfn-lint runs
    over every template of the reference app instead, in ``test_reference_app.py``. Asset staging
    is off too (templates are the same; copying the container folders into every test's cloud
    assembly cost 0.2-0.4 s per synth, see BENCHMARKS.md).
    """
    flags = {k: v for k, v in cdk_context().items() if k.startswith("@aws-cdk") or k.startswith("aws:")}
    return App(
        outdir=str(outdir) if outdir else None,
        context={**flags, "aws:cdk:disable-asset-staging": not stage_assets, **context},
        builtin_cloud_formation_validation=False,
    )


@dataclass
class SynthResult:
    """A synthesized reference app: its stages, output directory and nag outcome."""

    app: App
    stages: list[Stage]
    outdir: Path
    error: str | None

    @property
    def stacks(self) -> list[Stack]:
        return [c for s in self.stages for c in s.node.children if isinstance(c, Stack)]

    def template_paths(self) -> list[Path]:
        return sorted(self.outdir.glob("assembly-*/*.template.json"))

    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report


def synth_reference_app(
    outdir: Path, context: dict[str, Any] | None = None, *, stage_assets: bool = False
) -> SynthResult:
    """Build ``app.py``'s app into ``outdir`` with the nag packs, keeping any validation failure."""
    import app as app_module

    app = make_app(outdir, stage_assets=stage_assets, **(context if context is not None else cdk_context()))
    stages = app_module.build_app(app)
    error = None
    try:
        app.synth()
    except RuntimeError as err:  # ValidationFailed: the report on disk says why
        error = str(err)
    return SynthResult(app=app, stages=list(stages), outdir=outdir, error=error)


def synth_with_packs(app: App) -> str | None:
    """Attach the nag packs to ``app`` and synthesize it: the validation failure's message, or None.

    The cloud assembly, ``validation-report.json`` included, is written either way, so tests can
    read what failed.
    """
    from sagemaker_platform import add_nag_packs

    add_nag_packs(app)
    try:
        app.synth()
    except RuntimeError as err:  # ValidationFailed: the report on disk says why
        return str(err)
    return None


def violations(report: dict[str, Any]) -> list[str]:
    """Every unacknowledged finding in a validation report, as 'pack rule at path' lines."""
    lines = []
    for plugin in report.get("pluginReports", []):
        for v in plugin.get("violations", []):
            for c in v.get("violatingConstructs", []):
                lines.append(
                    f"{plugin['pluginName']}: {v['ruleName']} at {c['constructPath']}: {v['description'][:160]}"
                )
    return sorted(lines)


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """Drop bootstrap-version noise and asset hashes so snapshots change only with the template."""
    text = _ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    out: dict[str, Any] = json.loads(text)
    out.get("Parameters", {}).pop("BootstrapVersion", None)
    if not out.get("Parameters"):
        out.pop("Parameters", None)
    out.get("Rules", {}).pop("CheckBootstrapVersion", None)
    if not out.get("Rules"):
        out.pop("Rules", None)
    return out


def venv_tool(name: str) -> str | None:
    """A console script installed next to this interpreter, or on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def checkov_bin() -> str | None:
    """checkov lives in its own environment (its pins clash with ours): ``.venv-checkov``."""
    override = os.environ.get("CHECKOV_BIN")
    if override:
        return override
    candidate = REPO / ".venv-checkov" / "bin" / "checkov"
    return str(candidate) if candidate.exists() else None


def require_tool(tool: str | None, name: str) -> str:
    """The tool's path; a missing tool fails the test in CI (every referee must run) and skips it elsewhere."""
    import pytest

    if tool:
        return tool
    if IN_CI:
        pytest.fail(f"{name} is missing; `make test` installs it (CI must run every referee)")
    pytest.skip(f"{name} is not installed; run `make test` to install it")


def cdk_cli() -> str:
    """The CDK CLI pinned in package.json (``npm ci`` puts it in node_modules)."""
    cdk = REPO / "node_modules" / ".bin" / "cdk"
    return require_tool(str(cdk) if cdk.exists() else None, "the pinned CDK CLI (node_modules)")


def offline_env(home: Path, *, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment with no AWS credentials or configuration and ``home`` as HOME.

    Variables starting with any of ``drop`` go too (e.g. ``("PYTHON", "VIRTUAL_ENV")``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", *drop))}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(home),
    )
    return env


def run_checkov(*target: str) -> tuple[list[str], int]:
    """Run checkov on ``target`` (``-d DIR`` or ``-f FILE``): its failed checks and how many passed."""
    checkov = require_tool(checkov_bin(), "checkov (.venv-checkov)")
    result = run(
        [checkov, *target, "--framework", "cloudformation", "--skip-download", "--quiet", "--compact", "-o", "json"]
    )
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({Path(c['file_path']).name})"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    return failed, sum(r.get("summary", {}).get("passed", 0) for r in reports)


def run(cmd: list[str], timeout: int = 600, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
