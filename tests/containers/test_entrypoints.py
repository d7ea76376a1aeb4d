"""The image entrypoints (bin/train, bin/serve, bin/process) run as executables found on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from container_helpers import ROOT, subprocess_env, write_training_tree

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow


def _run(script: str, base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(base)
    # In the image python3 is the system interpreter with PYTHONPATH set; here it is this venv's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    path = ROOT / "containers" / script
    assert os.access(path, os.X_OK), f"{path} is not executable"
    return subprocess.run([str(path), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_train_script_runs_the_training_contract(tmp_path: Path) -> None:
    write_training_tree(tmp_path, {"num_round": "0"})
    result = _run("training/bin/train", tmp_path)
    assert result.returncode == 1
    assert "num_round='0' is invalid" in (tmp_path / "output/failure").read_text()


def test_process_script_lists_its_jobs(tmp_path: Path) -> None:
    result = _run("processing/bin/process", tmp_path, "--help")
    assert result.returncode == 0
    assert "{prepare,evaluate,generate,ingest}" in result.stdout


def test_serve_script_refuses_unknown_arguments(tmp_path: Path) -> None:
    result = _run("inference/bin/serve", tmp_path, "train")
    assert result.returncode == 2
    assert "usage: serve" in result.stderr
