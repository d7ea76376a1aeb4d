"""Referees that run as separate programs: checkov, and the pinned CDK CLI synthesizing offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.harness import IN_CI, REPO, SynthResult, require_tool, run, run_checkov
from tests.test_reference_app import STACKS

pytestmark = pytest.mark.slow


def test_checkov_finds_no_failed_checks(reference: SynthResult) -> None:
    failed, passed = run_checkov("-d", str(reference.outdir))
    assert not failed, "checkov failed checks (fix, or skip in template metadata with a reason):\n" + "\n".join(failed)
    assert passed > 100, f"checkov scanned too little ({passed} passed checks): is it reading the templates?"


def _offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(tmp_path),
    )
    return env


def _cdk_cli() -> str:
    cdk = REPO / "node_modules" / ".bin" / "cdk"
    return require_tool(str(cdk) if cdk.exists() else None, "the pinned CDK CLI (node_modules)")


def _no_network_prefix() -> list[str]:
    # A network namespace of its own proves synth needs no network at all, not just no credentials.
    unshare = shutil.which("unshare")
    if unshare and run([unshare, "-n", "true"]).returncode == 0:
        return [unshare, "-n"]
    if IN_CI:
        pytest.fail("`unshare -n` must work in CI (CI runs as root)")
    return []


def test_cli_synth_works_offline_without_credentials(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    cmd = [*_no_network_prefix(), _cdk_cli(), "synth", "**", "--quiet", "--no-notices", "-o", str(out)]
    result = run(cmd, cwd=REPO, env=_offline_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    templates = sorted(p.name for p in out.glob("assembly-*/*.template.json") if ".nested." not in p.name)
    assert len(templates) == len(STACKS), templates
    assert "Need to perform AWS calls" not in result.stderr


def test_cli_synth_fails_on_a_nag_finding(tmp_path: Path) -> None:
    # Guards the README's synth command: stacks live in stages, and the CLI only reports findings
    # of the stacks it selected, so `cdk synth` without '**' would pass with findings.
    app_py = tmp_path / "bad_app.py"
    app_py.write_text(
        "import app as a\nfrom aws_cdk import App, aws_s3 as s3\n"
        "x = App()\nstages = a.build_app(x)\ns3.Bucket(stages[0].foundation, 'UnsafeBucket')\nx.synth()\n"
    )
    env = {**_offline_env(tmp_path), "PYTHONPATH": str(REPO)}
    import sys

    cmd = [
        _cdk_cli(),
        "synth",
        "**",
        "--quiet",
        "--no-notices",
        "-o",
        str(tmp_path / "out"),
        "--app",
        f"{sys.executable} {app_py}",
    ]
    result = run(cmd, cwd=REPO, env=env)
    assert result.returncode != 0, "a nag finding must fail `cdk synth '**'`"
    assert "UnsafeBucket" in result.stdout + result.stderr
