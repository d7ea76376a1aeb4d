"""The contract modules: every path follows SM_BASE_DIR at call time; importing does nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from container_helpers import subprocess_env
from sm_inference import contract as inference
from sm_processing import contract as processing
from sm_training import contract as training


def test_training_paths_follow_base_dir_set_after_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SM_BASE_DIR", str(tmp_path))
    assert training.hyperparameters_path() == tmp_path / "input/config/hyperparameters.json"
    assert training.inputdataconfig_path() == tmp_path / "input/config/inputdataconfig.json"
    assert training.resourceconfig_path() == tmp_path / "input/config/resourceconfig.json"
    assert training.channel_dir("train") == tmp_path / "input/data/train"
    assert training.pipe_path("train", 3) == tmp_path / "input/data/train_3"
    assert training.model_dir() == tmp_path / "model"
    assert training.checkpoint_dir() == tmp_path / "checkpoints"
    assert training.failure_path() == tmp_path / "output/failure"
    assert training.output_data_dir() == tmp_path / "output/data"
    monkeypatch.delenv("SM_BASE_DIR")
    assert training.model_dir() == Path("/opt/ml/model")


def test_training_overrides_and_checkpoint_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SM_BASE_DIR", str(tmp_path))
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("SM_NUM_CPUS", "3")
    assert training.channel_dir("train") == tmp_path / "elsewhere"
    assert training.channel_dir("validation") == tmp_path / "input/data/validation"
    assert training.model_dir() == tmp_path / "m"
    assert training.num_cpus() == 3
    config = tmp_path / "input/config"
    config.mkdir(parents=True)
    (config / "checkpointconfig.json").write_text(json.dumps({"LocalPath": "/opt/ml/spot-checkpoints"}))
    # Absolute container paths from config files are rebased onto the tree.
    assert training.checkpoint_dir() == tmp_path / "spot-checkpoints"


def test_processing_paths_come_from_the_job_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SM_BASE_DIR", str(tmp_path))
    assert processing.input_dir("raw") == tmp_path / "processing/input/raw"
    assert processing.output_dir_for("train") == tmp_path / "processing/output/train"
    assert processing.model_dir() == tmp_path / "processing/model"
    assert processing.evaluation_dir() == tmp_path / "processing/evaluation"
    assert processing.message_path() == tmp_path / "output/message"
    (tmp_path / "config").mkdir()
    processing.processingjobconfig_path().write_text(
        json.dumps(
            {
                "ProcessingJobName": "job-1",
                "ProcessingInputs": [{"InputName": "raw", "S3Input": {"LocalPath": "/opt/ml/processing/in/csv"}}],
                "ProcessingOutputConfig": {
                    "Outputs": [{"OutputName": "evaluation", "S3Output": {"LocalPath": "/opt/ml/processing/ev"}}]
                },
            }
        )
    )
    assert processing.input_dir("raw") == tmp_path / "processing/in/csv"
    assert processing.evaluation_dir() == tmp_path / "processing/ev"
    assert processing.output_dir_for("train") == tmp_path / "processing/output/train"
    assert processing.job_name() == "job-1"


def test_inference_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SM_BASE_DIR", str(tmp_path))
    for name in ("SAGEMAKER_BIND_TO_PORT", "SAGEMAKER_MODEL_SERVER_WORKERS", "SAGEMAKER_MULTI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    settings = inference.Settings.from_env()
    assert settings.port == 8080
    assert settings.workers >= 1
    assert settings.max_payload_bytes == 6 * 1024 * 1024
    assert settings.model_dir == tmp_path / "model"
    assert not settings.multi_model
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "9099")
    monkeypatch.setenv("SAGEMAKER_MODEL_SERVER_WORKERS", "3")
    monkeypatch.setenv("SAGEMAKER_MULTI_MODEL", "true")
    settings = inference.Settings.from_env()
    assert (settings.port, settings.workers, settings.multi_model) == (9099, 3, True)


def test_fails_on_invalid_inference_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "eighty")
    with pytest.raises(ValueError, match="SAGEMAKER_BIND_TO_PORT='eighty' must be an integer"):
        inference.Settings.from_env()
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "8080")
    monkeypatch.setenv("SAGEMAKER_MODEL_SERVER_WORKERS", "0")
    with pytest.raises(ValueError, match="SAGEMAKER_MODEL_SERVER_WORKERS"):
        inference.Settings.from_env()


def test_importing_every_module_touches_nothing(tmp_path: Path) -> None:
    base = tmp_path / "never-created"
    modules = [
        "sm_training.train",
        "sm_processing.cli",
        "sm_inference.app",
        "sm_inference.server",
        "sm_inference.registry",
    ]
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    result = subprocess.run(
        [sys.executable, "-c", code, *modules],
        env=subprocess_env(base),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not base.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
