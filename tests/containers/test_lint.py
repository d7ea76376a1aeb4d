"""Static checks of the container code: hadolint on the Dockerfiles, ruff and mypy --strict."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS = ROOT / "containers"
NAMES = ("training", "processing", "inference")


def _tool(name: str) -> str:
    """A tool installed next to this interpreter (a venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -r containers/requirements-dev.txt")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize("dockerfile", [f"{name}/Dockerfile" for name in NAMES] + ["build/python-build.Dockerfile"])
def test_dockerfile_passes_hadolint(dockerfile: str) -> None:
    result = _run(_tool("hadolint"), "--failure-threshold", "info", str(CONTAINERS / dockerfile))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_requirements_are_exact_pins(name: str) -> None:
    lines = [
        line.strip()
        for line in (CONTAINERS / name / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines and all("==" in line for line in lines), lines
    assert not any(line.startswith("xgboost==") for line in lines), "use xgboost-cpu, not the CUDA build"


def test_ruff_is_clean() -> None:
    result = _run(_tool("ruff"), "check", "containers", "tests/containers")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    sources = [str(CONTAINERS / name / "src") for name in NAMES]
    result = _run(_tool("mypy"), "--strict", "--python-version", "3.11", *sources)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_build_context_holds_only_what_git_tracks(name: str) -> None:
    # An image asset is staged from the working tree: a file git ignores (a wheelhouse, a local
    # base image's name) would build here and nowhere else. Every COPY source must be tracked too.
    directory = CONTAINERS / name
    tracked = set(_run("git", "ls-files", "--", str(directory)).stdout.split())
    present = {
        str(p.relative_to(ROOT))
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
        and ".mypy_cache" not in p.parts and ".ruff_cache" not in p.parts
    }  # fmt: skip
    assert present <= tracked, f"untracked files in the build context: {sorted(present - tracked)}"
    dockerfile = (directory / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, flags=re.MULTILINE):
        assert any(t.startswith(f"containers/{name}/{source.rstrip('/')}") for t in tracked), source
    # The default base is one CodeBuild and any Docker engine can pull: an official image, no registry host.
    (default_base,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11[\w.-]*-bookworm(@sha256:[0-9a-f]{64})?", default_base), default_base
