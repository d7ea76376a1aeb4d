"""The SageMaker processing contract: every /opt/ml path and variable this image reads.

Functions are evaluated at call time, so tests and the local-mode runner can point
``SM_BASE_DIR`` at a temporary folder after import. Local paths of named inputs and outputs come
from ``/opt/ml/config/processingjobconfig.json`` when SageMaker wrote one, else from the defaults
under ``/opt/ml/processing``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sm_processing.errors import UserError

DEFAULT_BASE_DIR = "/opt/ml"
#: Overrides the root of the whole tree (ours; SageMaker itself always uses /opt/ml).
ENV_BASE_DIR = "SM_BASE_DIR"
#: Set by SageMaker on processing containers that run on a cluster of one or more instances.
ENV_JOB_NAME = "PROCESSING_JOB_NAME"


def base_dir() -> Path:
    """Root of the contract tree: ``$SM_BASE_DIR`` or ``/opt/ml``."""
    return Path(os.environ.get(ENV_BASE_DIR) or DEFAULT_BASE_DIR)


def rebase(path: str) -> Path:
    """Map an absolute ``/opt/ml/...`` path from a config file onto the configured base dir."""
    p = Path(path)
    try:
        return base_dir() / p.relative_to(DEFAULT_BASE_DIR)
    except ValueError:
        return p


def processing_dir() -> Path:
    """``/opt/ml/processing``: the conventional parent of every input and output."""
    return base_dir() / "processing"


def config_dir() -> Path:
    """``/opt/ml/config``."""
    return base_dir() / "config"


def processingjobconfig_path() -> Path:
    """``/opt/ml/config/processingjobconfig.json`` (the CreateProcessingJob request, as run)."""
    return config_dir() / "processingjobconfig.json"


def resourceconfig_path() -> Path:
    """``/opt/ml/config/resourceconfig.json`` (current host and all hosts)."""
    return config_dir() / "resourceconfig.json"


def output_dir() -> Path:
    """``/opt/ml/output``."""
    return base_dir() / "output"


def message_path() -> Path:
    """``/opt/ml/output/message``: its first 1 KB becomes the job's ExitMessage."""
    return output_dir() / "message"


def job_config() -> dict[str, Any]:
    """processingjobconfig.json as a dict; empty when the file is absent (plain local runs)."""
    path = processingjobconfig_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{path} must hold a JSON object")
    return raw


def _configured_path(kind: str, name: str) -> Path | None:
    """LocalPath of the named input (``kind='input'``) or output in the job config, if any."""
    config = job_config()
    sub: tuple[str, ...]
    if kind == "input":
        entries = config.get("ProcessingInputs") or []
        key, sub = "InputName", ("S3Input", "DatasetDefinition")
    else:
        entries = (config.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        key, sub = "OutputName", ("S3Output",)
    for entry in entries:
        if isinstance(entry, dict) and entry.get(key) == name:
            for section in sub:
                local = (entry.get(section) or {}).get("LocalPath")
                if isinstance(local, str) and local:
                    return rebase(local)
    return None


def input_dir(name: str) -> Path:
    """Local folder of a named input: config's LocalPath or ``processing/input/<name>``."""
    return _configured_path("input", name) or processing_dir() / "input" / name


def output_dir_for(name: str) -> Path:
    """Local folder of a named output: config's LocalPath or ``processing/output/<name>``."""
    return _configured_path("output", name) or processing_dir() / "output" / name


def model_dir() -> Path:
    """The model input (``model.tar.gz`` or an extracted model): default ``processing/model``."""
    return _configured_path("input", "model") or processing_dir() / "model"


def evaluation_dir() -> Path:
    """The evaluation output: default ``processing/evaluation``."""
    return _configured_path("output", "evaluation") or processing_dir() / "evaluation"


def job_name() -> str:
    """The processing job's name from the config or environment, ``local`` otherwise."""
    name = job_config().get("ProcessingJobName") or os.environ.get(ENV_JOB_NAME)
    return str(name) if name else "local"
