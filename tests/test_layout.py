"""Project layout and toolchain guards: the traps that break every later issue if they slip."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import constructs
import pytest
from setuptools import find_packages

import sagemaker_platform
from tests.harness import REPO, run


def test_constructs_dir_is_a_source_root_not_a_package() -> None:
    assert not (REPO / "constructs" / "__init__.py").exists(), (
        "constructs/__init__.py would shadow the `constructs` library that aws-cdk-lib imports; "
        "constructs/ is only the source root of sagemaker_platform"
    )


def test_import_constructs_resolves_to_the_library_outside_the_repo() -> None:
    location = Path(constructs.__file__).resolve()
    assert REPO / "constructs" not in location.parents, f"`import constructs` resolved to the source root: {location}"
    assert "site-packages" in location.parts, f"`import constructs` did not come from an installed package: {location}"
    assert hasattr(constructs, "Construct")


def test_library_is_importable_and_typed() -> None:
    package_dir = Path(sagemaker_platform.__file__).resolve().parent
    assert package_dir == REPO / "constructs" / "sagemaker_platform"
    assert (package_dir / "py.typed").exists()
    for name in sagemaker_platform.__all__:
        assert getattr(sagemaker_platform, name) is not None


def test_pyproject_builds_only_sagemaker_platform_with_the_required_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    find = project["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(where=str(REPO / find["where"][0]), include=find["include"])
    assert packages and all(p == "sagemaker_platform" or p.startswith("sagemaker_platform.") for p in packages)
    deps = project["project"]["dependencies"]
    assert deps == ["aws-cdk-lib>=2.275,<3", "constructs>=10.8,<11", "cdk-nag>=3,<4"]
    dev = project["project"]["optional-dependencies"]["dev"]
    for pin in ("aws-cdk-lib==2.275.0", "constructs==10.8.1", "cdk-nag==3.0.2"):
        assert pin in dev


def test_cdk_cli_is_pinned_exactly() -> None:
    package = json.loads((REPO / "package.json").read_text())
    assert package["devDependencies"]["aws-cdk"] == "2.1148.1"
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == "2.1148.1"


def test_cdk_json_runs_the_project_env_without_telemetry_and_with_recommended_flags() -> None:
    cdk = json.loads((REPO / "cdk.json").read_text())
    assert cdk["app"].startswith(".venv/bin/python ")
    assert cdk["versionReporting"] is False
    assert cdk["context"]["cli-telemetry"] is False
    flags = [k for k in cdk["context"] if k.startswith("@aws-cdk")]
    assert len(flags) >= 80, "keep the recommended feature flags from `cdk init`"
    assert cdk["context"]["@aws-cdk/aws-ec2:restrictDefaultSecurityGroup"] is True


def test_no_registry_host_is_written_into_the_repo() -> None:
    hosts = re.compile(r"registry\.npmjs\.org|pypi\.org|files\.pythonhosted|deb\.debian\.org")
    # Every file git would commit (tracked or not ignored); virtualenvs and caches are ignored.
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO)
    assert listed.returncode == 0, listed.stderr
    for name in listed.stdout.splitlines():
        path = REPO / name
        if path.is_file() and path.stat().st_size < 2_000_000:
            assert not hosts.search(path.read_text(errors="ignore")), f"registry host written in {path}"


def test_readme_commands_are_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make synth" in readme and "make test" in readme
    assert re.search(r"^make test$", ci, re.MULTILINE), ".ci/run must call exactly the README's test command"


def test_synth_target_selects_every_stack_in_every_stage() -> None:
    # Without '**' the CLI selects no stage stacks and ignores their nag findings.
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"cdk synth '\*\*'", makefile)


@pytest.mark.slow
def test_ruff_and_mypy_strict_are_clean() -> None:
    from tests.harness import run, venv_tool

    ruff, mypy = venv_tool("ruff"), venv_tool("mypy")
    assert ruff and mypy, "ruff and mypy are dev dependencies"
    lint = run([ruff, "check", "constructs", "stacks", "tests", "tools", "scripts", "benchmarks", "app.py"], cwd=REPO)
    assert lint.returncode == 0, lint.stdout
    # Strict, configured in pyproject.toml. Its incremental cache (keyed by file content) lives in the
    # user's cache, not the checkout, so a fresh clone re-checks only what differs: about 2 s instead of
    # 2.5 minutes on a 2-core machine (BENCHMARKS.md).
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sagemaker-platform" / "mypy"
    types = run([mypy], cwd=REPO, env={**os.environ, "MYPY_CACHE_DIR": os.environ.get("MYPY_CACHE_DIR", str(cache))})
    assert types.returncode == 0, types.stdout


def test_required_top_level_layout_exists() -> None:
    for entry in ("app.py", "cdk.json", "pyproject.toml", "constructs", "stacks", "containers", "tests", "README.md"):
        assert (REPO / entry).exists(), f"the project layout requires {entry} at the top level"
