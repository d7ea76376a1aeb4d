"""``python -m sagemaker_platform.local``: what a user types, what they read, what it exits with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from tests.local.helpers import ROOT, Pipeline, csv_body, model_file

pytestmark = pytest.mark.slow


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sagemaker_platform.local", "--root", str(ROOT), *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=180,
        check=False,
    )


def test_train_reports_progress_and_the_failure_reason(process_pipeline: Pipeline, tmp_path: Path) -> None:
    result = _cli(
        "train",
        "--channel", f"train={process_pipeline.base / 'train'},type=text/csv",
        "--channel", f"validation={process_pipeline.base / 'validation'},mode=Pipe",
        "-H", "num_round=5", "-H", "eta=2.5",
        "--output", str(tmp_path / "out"),
        "--job-name", "cli-bad",
    )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "cli-bad: training with process:" in stderr and "network isolated" in stderr
    assert "FAILED (exit code 1)" in stderr and "eta" in stderr
    assert "eta" in (tmp_path / "out" / "failure").read_text()
    assert result.stdout == b""  # no model to print


def test_serve_invokes_once_and_prints_the_predictions(process_pipeline: Pipeline, tmp_path: Path) -> None:
    rows = np.loadtxt(process_pipeline.base / "test" / "test.csv", delimiter=",", dtype=np.float32)[:5, 1:]
    result = _cli(
        "serve", "--model", str(process_pipeline.model), "--port", "0",
        "--env", "SAGEMAKER_MODEL_SERVER_WORKERS=1", "--invoke", "-",
        stdin=csv_body(rows),
    )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    booster = xgb.Booster(model_file=str(model_file(process_pipeline.model, tmp_path)))
    answered = np.array([float(line) for line in result.stdout.split()], dtype=np.float32)
    np.testing.assert_array_equal(answered, booster.inplace_predict(rows))
    assert "/invocations answered 200" in stderr and "server stopped (exit code 0)" in stderr


def test_fails_readably_on_a_bad_option() -> None:
    result = _cli("train", "--channel", "train", "--job-name", "x")
    assert result.returncode == 2
    assert "error: --channel 'train': expected NAME=PATH" in result.stderr.decode()
