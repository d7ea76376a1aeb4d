"""Shared by the local-mode tests: the example pipeline, request bodies, a TCP listener, a progress recorder."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sagemaker_platform.local import (
    Channel,
    JobResult,
    ProcessingInput,
    ProcessingJob,
    ProcessingOutput,
    Runner,
    TrainingJob,
    Workspace,
    run_processing,
    run_training,
)

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = Workspace(ROOT)
NETPROBE = Path(__file__).resolve().parent / "netprobe"
#: One OpenMP thread per container: two cores shared with other test processes.
THREADS = {"OMP_NUM_THREADS": "1", "SM_NUM_CPUS": "1"}
HYPERPARAMETERS: dict[str, object] = {
    "num_round": 30,
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 4,
    "eta": 0.3,
    "seed": 5,
}


@dataclass
class Recorder:
    """A Progress that keeps every step and log line, for assertions and failure messages."""

    steps: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def step(self, message: str) -> None:
        self.steps.append(message)

    def log(self, source: str, line: str) -> None:
        self.lines.append(f"{source} | {line}")

    def text(self) -> str:
        return "\n".join(self.steps + self.lines)


@dataclass
class Pipeline:
    """What the example pipeline (generate -> prepare -> train -> evaluate) produced."""

    base: Path
    results: dict[str, JobResult]
    evaluation: dict[str, Any]

    @property
    def model(self) -> Path:
        model = self.results["train"].model
        assert model is not None
        return model


def run_pipeline(runner: Runner, base: Path, progress: Recorder) -> Pipeline:
    """generate -> prepare -> train (validation through Pipe mode) -> evaluate, each checked."""
    processing = WORKSPACE.container("processing")
    results: dict[str, JobResult] = {}
    generate = ProcessingJob(
        name="generate",
        container=processing,
        arguments=["generate", "--output", "/opt/ml/processing/output/raw/raw.csv", "--rows", "1500", "--seed", "11"],
        outputs=[ProcessingOutput(name="raw", destination=base / "raw")],
        environment=THREADS,
    )
    results["generate"] = run_processing(generate, runner, output=base / "logs" / "generate", progress=progress).check()
    prepare = ProcessingJob(
        name="prepare",
        container=processing,
        arguments=["prepare", "--seed", "3"],
        inputs=[ProcessingInput(name="raw", source=base / "raw")],
        outputs=[ProcessingOutput(name=split, destination=base / split) for split in ("train", "validation", "test")],
        environment=THREADS,
    )
    results["prepare"] = run_processing(prepare, runner, output=base / "logs" / "prepare", progress=progress).check()
    train = TrainingJob(
        name="train",
        container=WORKSPACE.container("training"),
        hyperparameters=HYPERPARAMETERS,
        channels=[
            Channel(name="train", source=base / "train", content_type="text/csv"),
            Channel(name="validation", source=base / "validation", input_mode="Pipe", content_type="text/csv"),
        ],
        environment=THREADS,
    )
    results["train"] = run_training(train, runner, output=base / "train-output", progress=progress).check()
    evaluate = ProcessingJob(
        name="evaluate",
        container=processing,
        arguments=["evaluate"],
        inputs=[
            ProcessingInput(name="model", source=base / "train-output" / "model.tar.gz"),
            ProcessingInput(name="test", source=base / "test"),
        ],
        outputs=[ProcessingOutput(name="evaluation", destination=base / "evaluation")],
        environment=THREADS,
    )
    results["evaluate"] = run_processing(evaluate, runner, output=base / "logs" / "evaluate", progress=progress).check()
    evaluation = json.loads((base / "evaluation" / "evaluation.json").read_text())
    return Pipeline(base, results, evaluation)


def model_file(archive: Path, target: Path) -> Path:
    """Extract model.tar.gz into ``target`` and return the XGBoost model file."""
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return next(target.glob("xgboost-model.*"))


def csv_body(rows: Any) -> bytes:
    """text/csv as the SageMaker SDK's CSVSerializer writes an array: values joined by ',', rows by newline."""
    return "\n".join(",".join(str(value) for value in row) for row in rows.tolist()).encode()


def json_body(rows: Any) -> bytes:
    """application/json as the SDK's JSONSerializer writes an array: ``json.dumps(array.tolist())``."""
    return json.dumps(rows.tolist()).encode()


def npy_body(rows: Any) -> bytes:
    """application/x-npy as the SDK's NumpySerializer writes an array: ``np.save`` without pickles."""
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, rows, allow_pickle=False)
    return buffer.getvalue()


def decode(content_type: str, body: bytes) -> Any:
    """Predictions of a response as float32, whatever its format."""
    import numpy as np

    media = content_type.split(";")[0].strip()
    if media == "text/csv":
        return np.array([float(line) for line in body.decode().split()], dtype=np.float32)
    if media == "application/json":
        return np.array(json.loads(body)["predictions"], dtype=np.float32)
    if media == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise AssertionError(f"unexpected content type {content_type!r}")


class Listener:
    """A TCP server on the host that records the tokens clients send (bounded waits, closed on exit)."""

    def __init__(self, host: str) -> None:
        self.socket = socket.create_server((host, 0))
        self.socket.settimeout(0.2)
        self.port = int(self.socket.getsockname()[1])
        self.tokens: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.socket.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(5)
                with contextlib.suppress(OSError):
                    self.tokens.append(client.recv(1024).decode())

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        self.socket.close()
