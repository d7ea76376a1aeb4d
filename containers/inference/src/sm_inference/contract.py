"""The SageMaker hosting contract: every /opt/ml path and SAGEMAKER_* variable the server reads.

All values are read at call time (the server reads them once at start-up, in ``Settings.from_env``),
so tests and the local-mode runner can point ``SM_BASE_DIR`` at a temporary folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_DIR = "/opt/ml"
DEFAULT_PORT = 8080
#: The real-time InvokeEndpoint payload limit.
DEFAULT_MAX_PAYLOAD_MB = 6

#: Overrides the root of the whole tree (ours; SageMaker itself always uses /opt/ml).
ENV_BASE_DIR = "SM_BASE_DIR"
#: Ours: where the single model lives when not ``<base>/model``.
ENV_MODEL_DIR = "SM_MODEL_DIR"
#: Ours: the address to bind (SageMaker needs 0.0.0.0; tests use 127.0.0.1).
ENV_BIND_HOST = "SM_BIND_HOST"
#: Set by SageMaker for inference pipelines; 8080 otherwise.
ENV_PORT = "SAGEMAKER_BIND_TO_PORT"
ENV_WORKERS = "SAGEMAKER_MODEL_SERVER_WORKERS"
#: Seconds a worker may spend draining in-flight requests after SIGTERM.
ENV_TIMEOUT = "SAGEMAKER_MODEL_SERVER_TIMEOUT"
#: "true" turns on the multi-model endpoint API (/models...).
ENV_MULTI_MODEL = "SAGEMAKER_MULTI_MODEL"
#: Batch transform settings, reported back on GET /execution-parameters.
ENV_MAX_PAYLOAD_MB = "SAGEMAKER_MAX_PAYLOAD_IN_MB"
ENV_BATCH_STRATEGY = "SAGEMAKER_BATCH_STRATEGY"
ENV_MAX_CONCURRENT = "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"


def base_dir() -> Path:
    """Root of the contract tree: ``$SM_BASE_DIR`` or ``/opt/ml``."""
    return Path(os.environ.get(ENV_BASE_DIR) or DEFAULT_BASE_DIR)


def model_dir() -> Path:
    """Where SageMaker extracts model.tar.gz: ``$SM_MODEL_DIR`` or ``/opt/ml/model``."""
    override = os.environ.get(ENV_MODEL_DIR)
    return Path(override) if override else base_dir() / "model"


def rebase(path: str) -> Path:
    """Map an absolute ``/opt/ml/...`` path (e.g. an MME model url) onto the base dir."""
    p = Path(path)
    try:
        return base_dir() / p.relative_to(DEFAULT_BASE_DIR)
    except ValueError:
        return p


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} must be an integer in [{low}, {high}]") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={raw!r} must be an integer in [{low}, {high}]")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the server takes from its environment, validated once at start-up."""

    host: str
    port: int
    workers: int
    timeout: int
    multi_model: bool
    max_payload_bytes: int
    batch_strategy: str
    max_concurrent_transforms: int
    model_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        """Read and validate the environment; raises ValueError naming the variable."""
        cores = len(os.sched_getaffinity(0)) or 1
        payload_mb = _int(ENV_MAX_PAYLOAD_MB, DEFAULT_MAX_PAYLOAD_MB, 1, 100)
        return cls(
            host=os.environ.get(ENV_BIND_HOST, "0.0.0.0"),  # SageMaker requires it
            port=_int(ENV_PORT, DEFAULT_PORT, 1, 65535),
            workers=_int(ENV_WORKERS, cores, 1, 256),
            timeout=_int(ENV_TIMEOUT, 60, 1, 3600),
            multi_model=os.environ.get(ENV_MULTI_MODEL, "").strip().lower() in ("1", "true", "yes"),
            max_payload_bytes=payload_mb * 1024 * 1024,
            batch_strategy=os.environ.get(ENV_BATCH_STRATEGY, "MULTI_RECORD"),
            max_concurrent_transforms=_int(ENV_MAX_CONCURRENT, cores, 1, 1024),
            model_dir=model_dir(),
        )
