"""The SageMaker training contract: every /opt/ml path and environment variable this image reads.

Everything is a function evaluated at call time, so a test (or the local-mode runner) can
point ``SM_BASE_DIR`` at a temporary folder after import. Nothing here touches the file system
except the JSON readers, which only read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sm_training.errors import UserError

DEFAULT_BASE_DIR = "/opt/ml"

#: Overrides the root of the whole tree (ours; SageMaker itself always uses /opt/ml).
ENV_BASE_DIR = "SM_BASE_DIR"
#: Variables the SageMaker training toolkit defines; honoured as overrides when set.
ENV_MODEL_DIR = "SM_MODEL_DIR"
ENV_OUTPUT_DATA_DIR = "SM_OUTPUT_DATA_DIR"
ENV_CHANNEL_PREFIX = "SM_CHANNEL_"
ENV_NUM_CPUS = "SM_NUM_CPUS"
#: Ours: where checkpoints go when checkpointconfig.json does not say.
ENV_CHECKPOINT_DIR = "SM_CHECKPOINT_DIR"
#: Set by SageMaker on every training container.
ENV_TRAINING_JOB_NAME = "TRAINING_JOB_NAME"


def base_dir() -> Path:
    """Root of the contract tree: ``$SM_BASE_DIR`` or ``/opt/ml``."""
    return Path(os.environ.get(ENV_BASE_DIR) or DEFAULT_BASE_DIR)


def rebase(path: str) -> Path:
    """Map an absolute ``/opt/ml/...`` path from a config file onto the configured base dir.

    SageMaker writes absolute container paths into its config files; under local mode the tree
    lives elsewhere, so those paths must follow the base dir rather than point at the host's /opt/ml.
    """
    p = Path(path)
    try:
        return base_dir() / p.relative_to(DEFAULT_BASE_DIR)
    except ValueError:
        return p


def input_dir() -> Path:
    """``/opt/ml/input``."""
    return base_dir() / "input"


def config_dir() -> Path:
    """``/opt/ml/input/config``: the JSON files SageMaker writes before ``train`` starts."""
    return input_dir() / "config"


def hyperparameters_path() -> Path:
    """``/opt/ml/input/config/hyperparameters.json`` (every value is a string)."""
    return config_dir() / "hyperparameters.json"


def inputdataconfig_path() -> Path:
    """``/opt/ml/input/config/inputdataconfig.json`` (one entry per channel)."""
    return config_dir() / "inputdataconfig.json"


def resourceconfig_path() -> Path:
    """``/opt/ml/input/config/resourceconfig.json`` (current host and all hosts)."""
    return config_dir() / "resourceconfig.json"


def checkpointconfig_path() -> Path:
    """``/opt/ml/input/config/checkpointconfig.json`` (present when checkpointing is configured)."""
    return config_dir() / "checkpointconfig.json"


def data_dir() -> Path:
    """``/opt/ml/input/data``."""
    return input_dir() / "data"


def channel_dir(channel: str) -> Path:
    """Directory of a File/FastFile-mode channel: ``$SM_CHANNEL_<NAME>`` or ``input/data/<name>``."""
    override = os.environ.get(ENV_CHANNEL_PREFIX + channel.upper())
    return Path(override) if override else data_dir() / channel


def pipe_path(channel: str, epoch: int) -> Path:
    """FIFO of a Pipe-mode channel for one pass over the data: ``input/data/<channel>_<epoch>``."""
    return data_dir() / f"{channel}_{epoch}"


def model_dir() -> Path:
    """Where the final model goes: ``$SM_MODEL_DIR`` or ``/opt/ml/model``."""
    override = os.environ.get(ENV_MODEL_DIR)
    return Path(override) if override else base_dir() / "model"


def output_dir() -> Path:
    """``/opt/ml/output``."""
    return base_dir() / "output"


def output_data_dir() -> Path:
    """Extra job outputs: ``$SM_OUTPUT_DATA_DIR`` or ``/opt/ml/output/data``."""
    override = os.environ.get(ENV_OUTPUT_DATA_DIR)
    return Path(override) if override else output_dir() / "data"


def failure_path() -> Path:
    """``/opt/ml/output/failure``: SageMaker shows its first 1024 characters as the failure reason."""
    return output_dir() / "failure"


def checkpoint_dir() -> Path:
    """Checkpoint directory, synced to S3 by SageMaker for managed spot training.

    Order: ``$SM_CHECKPOINT_DIR``, then ``LocalPath`` from checkpointconfig.json (rebased),
    then ``/opt/ml/checkpoints``.
    """
    override = os.environ.get(ENV_CHECKPOINT_DIR)
    if override:
        return Path(override)
    config = read_json(checkpointconfig_path(), default={})
    local = config.get("LocalPath") if isinstance(config, dict) else None
    if isinstance(local, str) and local:
        return rebase(local)
    return base_dir() / "checkpoints"


def num_cpus() -> int:
    """CPUs to use: ``$SM_NUM_CPUS`` or what this process may run on."""
    value = os.environ.get(ENV_NUM_CPUS, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) or 1


def training_job_name() -> str:
    """The job name SageMaker sets, or ``local`` outside SageMaker."""
    return os.environ.get(ENV_TRAINING_JOB_NAME, "local")


def read_json(path: Path, default: Any = None) -> Any:
    """Parse a JSON config file, returning ``default`` when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from exc
