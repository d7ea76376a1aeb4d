"""Static checks of the container code: hadolint on the Dockerfiles, ruff and mypy --strict."""

from __future__ import annotations

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


@pytest.mark.parametrize("name", NAMES)
def test_dockerfile_passes_hadolint(name: str) -> None:
    result = _run(_tool("hadolint"), "--failure-threshold", "info", str(CONTAINERS / name / "Dockerfile"))
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
