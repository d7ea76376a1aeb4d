"""The examples in examples/ synthesize from a freshly built wheel in a clean virtualenv, nag- and cfn-lint-clean.

Each example is what a platform team copies: its own app.py, a cdk.json exactly as `cdk init`
writes it (every recommended feature flag, nothing of this repository's), and requirements.txt
naming the library. Nothing here imports the library from the source tree: the wheel is built
from a copy of the sources and installed with its pinned dependencies into a new virtualenv
(its dependencies, pinned to the versions the repository tests with, come from pip's configured
index, normally its cache: unlike tests/packaging.py's installs, this one shares nothing with the
development virtualenv).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from tests.harness import IN_CI, REPO, cdk_cli, offline_env, run, venv_tool, violations
from tests.packaging import build_tools_missing, build_wheel, copy_build_inputs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("examples")]

EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "app.py").is_file())


def _dev_pins() -> list[str]:
    """The exact CDK, constructs and cdk-nag versions the repository tests with."""
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    return [pin for pin in dev if pin.split("==")[0] in ("aws-cdk-lib", "constructs", "cdk-nag")]


class CleanInstall:
    """A new virtualenv with only the built wheel and its dependencies."""

    def __init__(self, base: Path) -> None:
        self.wheel = build_wheel(copy_build_inputs(base / "source"), base / "dist")
        self.venv = base / "venv"
        created = run([sys.executable, "-m", "venv", str(self.venv)])
        assert created.returncode == 0, created.stderr
        self.python = self.venv / "bin" / "python"
        constraints = base / "constraints.txt"
        constraints.write_text("\n".join(_dev_pins()) + "\n")
        installed = run(
            [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(self.wheel),
             "-c", str(constraints)],
            timeout=900,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stdout + installed.stderr

    def env(self, home: Path) -> dict[str, str]:
        """No PYTHONPATH (the source tree must not leak in), the venv first on PATH, no AWS credentials."""
        env = offline_env(home, drop=("PYTHON", "VIRTUAL_ENV"))
        env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            CDK_DISABLE_CLI_TELEMETRY="true",
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        )
        return env


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> CleanInstall:
    missing = build_tools_missing()
    if missing:
        if IN_CI:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    return CleanInstall(tmp_path_factory.mktemp("clean-install"))


def test_the_library_comes_from_the_wheel_not_the_source_tree(clean: CleanInstall, tmp_path: Path) -> None:
    where = run([str(clean.python), "-c", "import sagemaker_platform; print(sagemaker_platform.__file__)"],
                cwd=tmp_path, env=clean.env(tmp_path))  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(clean.venv), where.stdout


@pytest.fixture(scope="module")
def synthesized(clean: CleanInstall, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example, copied out of the repository and synthesized with `cdk synth`, by name."""
    outs: dict[str, Path] = {}
    for name in EXAMPLES:
        base = tmp_path_factory.mktemp(name)
        app = base / "app"
        shutil.copytree(REPO / "examples" / name, app, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
        cmd = [cdk_cli(), "synth", "--quiet", "--no-notices", "-o", str(base / "cdk.out")]
        result = run(cmd, cwd=app, env=clean.env(base), timeout=900)
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
        outs[name] = base / "cdk.out"
    return outs


def test_there_are_the_three_documented_examples() -> None:
    assert EXAMPLES == ["existing-vpc-endpoint", "feature-group-ingestion", "training-pipeline-registry"]
    readme = (REPO / "README.md").read_text()
    for name in EXAMPLES:
        assert f"examples/{name}" in readme, f"the README links examples/{name}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_nag_clean_without_warnings(synthesized: dict[str, Path], name: str) -> None:
    out = synthesized[name]
    report = json.loads((out / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    warnings = [
        f"{path}: {entry['data']}"
        for artifact in json.loads((out / "manifest.json").read_text())["artifacts"].values()
        for path, entries in artifact.get("metadata", {}).items()
        for entry in entries
        if entry["type"] in ("aws:cdk:warning", "aws:cdk:error")
    ]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_cfn_lint_clean(synthesized: dict[str, Path], name: str) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    templates = sorted(str(p) for p in synthesized[name].glob("*.template.json"))
    assert templates
    result = run([cfn_lint, "--format", "parseable", *templates])
    assert result.returncode == 0, result.stdout


def test_every_example_has_the_cdk_json_cdk_init_writes(tmp_path: Path) -> None:
    made = run([cdk_cli(), "init", "app", "--language", "python", "--generate-only"], cwd=tmp_path,
               env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    expected = json.loads((tmp_path / "cdk.json").read_text())
    for name in EXAMPLES:
        assert json.loads((REPO / "examples" / name / "cdk.json").read_text()) == expected, name
