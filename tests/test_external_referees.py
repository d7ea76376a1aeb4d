"""Referees that run as separate programs: checkov, and the pinned CDK CLI synthesizing offline."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.harness import IN_CI, REPO, SynthResult, cdk_cli, offline_env, run, run_checkov
from tests.test_reference_app import STACKS

pytestmark = pytest.mark.slow


def test_checkov_finds_no_failed_checks(reference: SynthResult) -> None:
    failed, passed = run_checkov("-d", str(reference.outdir))
    assert not failed, "checkov failed checks (fix, or skip in template metadata with a reason):\n" + "\n".join(failed)
    assert passed > 100, f"checkov scanned too little ({passed} passed checks): is it reading the templates?"


def _no_network_prefix() -> list[str]:
    # A network namespace of its own proves synth needs no network at all, not just no credentials.
    unshare = shutil.which("unshare")
    if unshare and run([unshare, "-n", "true"]).returncode == 0:
        return [unshare, "-n"]
    if IN_CI:
        pytest.fail("`unshare -n` must work in CI (CI runs as root)")
    return []


def test_cli_synth_works_offline_and_gives_the_same_templates_as_any_other_synth(
    reference: SynthResult, tmp_path: Path
) -> None:
    # The README's synth command, in a network namespace of its own, without credentials. Its templates
    # must equal the session's in-process synth's: two synths in two processes, one through the CLI, so
    # synthesis is deterministic and depends on nothing but the code and cdk.json. The CLI alone adds
    # metadata (construct paths, asset paths), which also changes the nested templates' content hashes
    # in their parents' TemplateURL; the nested templates themselves are compared in full.
    out = tmp_path / "cdk.out"
    cmd = [*_no_network_prefix(), cdk_cli(), "synth", "**", "--quiet", "--no-notices", "-o", str(out)]
    result = run(cmd, cwd=REPO, env=offline_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    templates = sorted(p.name for p in out.glob("assembly-*/*.template.json") if ".nested." not in p.name)
    assert len(templates) == len(STACKS), templates
    assert "Need to perform AWS calls" not in result.stderr
    first = {p.relative_to(reference.outdir): _comparable(p) for p in reference.template_paths()}
    second = {p.relative_to(out): _comparable(p) for p in sorted(out.glob("assembly-*/*.template.json"))}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], f"{name} differs between two synths"


_NESTED_TEMPLATE = re.compile(r"[0-9a-f]{64}(\.json)")


def _comparable(template: Path) -> str:
    """The template without the CLI's metadata (aws:cdk:path, aws:asset:*) and nested-template hashes."""
    body = json.loads(template.read_text())
    for resource in body.get("Resources", {}).values():
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict):
            for key in [k for k in metadata if k == "aws:cdk:path" or k.startswith("aws:asset:")]:
                del metadata[key]
            if not metadata:
                del resource["Metadata"]
    return _NESTED_TEMPLATE.sub(r"<nested template>\1", json.dumps(body, indent=1, sort_keys=True))


def test_cli_synth_fails_on_a_nag_finding(tmp_path: Path) -> None:
    # Guards the README's synth command: stacks live in stages, and the CLI only reports findings
    # of the stacks it selected, so `cdk synth` without '**' would pass with findings. A stage as
    # small as can be shows it (test_reference_app proves the packs see every stack of the real app).
    app_py = tmp_path / "bad_app.py"
    app_py.write_text(
        "from aws_cdk import App, Stack, Stage, aws_s3 as s3\nfrom sagemaker_platform import add_nag_packs\n"
        "x = App()\ns3.Bucket(Stack(Stage(x, 'Dev'), 'Foundation'), 'UnsafeBucket')\nadd_nag_packs(x)\nx.synth()\n"
    )
    env = {**offline_env(tmp_path), "PYTHONPATH": f"{REPO / 'constructs'}{os.pathsep}{REPO}"}
    import sys

    cmd = [
        cdk_cli(),
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
