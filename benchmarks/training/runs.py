"""The timed runs of the training benchmark: the baseline, our entrypoint, local mode, and channel reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from benchmarks.common import ROOT
from sagemaker_platform.local import Channel, InputMode, ProcessRunner, TrainingJob, Workspace, run_training
from sagemaker_platform.local.pipes import PipeFeeder

TRAINING_SRC = ROOT / "containers" / "training" / "src"
FEATURES = 20
#: Every variant runs with this environment. OpenMP threads that spin while waiting turn other jobs'
#: load on a shared machine into 2-5x swings of XGBoost's wall time; passive waiting keeps the
#: comparison about our code. It applies to the baseline and our entrypoint alike.
JOB_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}


@dataclass(frozen=True)
class Job:
    """The data and hyperparameters every variant trains on, and its scratch folder."""

    data: Path
    rows: int
    hyperparameters: dict[str, str]
    scratch: Path

    @property
    def csv_bytes(self) -> int:
        """Size of the training CSV."""
        return self.data.stat().st_size


def make_data(path: Path, rows: int, seed: int = 11) -> Path:
    """A headerless CSV, label first, of a noisy linear binary problem (same bytes every run)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    y = ((x @ rng.normal(size=FEATURES) + rng.logistic(size=rows)) > 0).astype(np.float32)
    table = pa.table([pa.array(y)] + [pa.array(x[:, i]) for i in range(FEATURES)], names=list(map(str, range(21))))
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(include_header=False))
    return path


def _env(base: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{TRAINING_SRC}:{ROOT}", "PYTHONUNBUFFERED": "1", **JOB_ENVIRONMENT}
    if base is not None:
        env["SM_BASE_DIR"] = str(base)
    return env


def _timed(argv: list[str], env: dict[str, str], log: Path) -> float:
    """Wall seconds of one process, which must exit 0."""
    began = time.perf_counter()
    with log.open("wb") as out:
        code = subprocess.run(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    seconds = time.perf_counter() - began
    if code != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} exited with {code}; see {log}")
    return seconds


def direct(job: Job) -> float:
    """``xgboost.train`` in a fresh process (``benchmarks.training.direct``)."""
    model = job.scratch / "direct-model.json"
    argv = [sys.executable, "-m", "benchmarks.training.direct", str(job.data), str(model)]
    return _timed([*argv, json.dumps(job.hyperparameters)], _env(), job.scratch / "direct.log")


def entrypoint_tree(job: Job) -> Path:
    """An /opt/ml tree for running the entrypoint directly (File-mode train channel)."""
    base = job.scratch / "opt-ml"
    shutil.rmtree(base, ignore_errors=True)
    (base / "input" / "data" / "train").mkdir(parents=True)
    shutil.copyfile(job.data, base / "input" / "data" / "train" / job.data.name)
    config = base / "input" / "config"
    config.mkdir()
    (config / "hyperparameters.json").write_text(json.dumps(job.hyperparameters), encoding="utf-8")
    channel = {"train": {"TrainingInputMode": "File", "ContentType": "text/csv"}}
    (config / "inputdataconfig.json").write_text(json.dumps(channel), encoding="utf-8")
    return base


def entrypoint(job: Job, base: Path) -> float:
    """Our ``train`` entrypoint as a plain process on a prepared tree (no local mode around it)."""
    # A checkpoint left by the previous run would be resumed from: start from scratch every time.
    shutil.rmtree(base / "checkpoints", ignore_errors=True)
    shutil.rmtree(base / "model", ignore_errors=True)
    argv = [sys.executable, str(ROOT / "containers" / "training" / "bin" / "train")]
    return _timed(argv, _env(base), job.scratch / "entrypoint.log")


def local_mode(job: Job, input_mode: InputMode) -> float:
    """``sagemaker_platform.local.run_training`` in process mode: tree, copy or FIFO, bwrap, model.tar.gz."""
    workspace = Workspace.discover(ROOT)
    spec = TrainingJob(
        name=f"bench-train-{input_mode.lower()}",
        container=workspace.container("training"),
        hyperparameters=job.hyperparameters,
        environment=JOB_ENVIRONMENT,
        channels=[Channel(name="train", source=job.data, input_mode=input_mode, content_type="text/csv")],
    )
    began = time.perf_counter()
    run_training(spec, ProcessRunner(install_missing=True), output=job.scratch / f"local-{input_mode}").check()
    return time.perf_counter() - began


def same_trees(job: Job, base: Path) -> bool:
    """Whether the baseline and the entrypoint produced the same predictions (same parameters in effect)."""
    import xgboost as xgb

    rows = np.loadtxt(job.data, delimiter=",", max_rows=2000, dtype=np.float32)[:, 1:]
    ours = xgb.Booster(model_file=str(base / "model" / "xgboost-model.json"))
    theirs = xgb.Booster(model_file=str(job.scratch / "direct-model.json"))
    return bool(np.allclose(ours.inplace_predict(rows), theirs.inplace_predict(rows), rtol=1e-6, atol=1e-7))


def channel_read(job: Job, base: Path, mode: str, how: str) -> float:
    """MB/s of reading the train channel in File or Pipe mode (bytes only, or the entrypoint's loader)."""
    env = _env(base)
    argv = [sys.executable, "-m", "benchmarks.training.pipe_read", mode, how]
    feeder = PipeFeeder(base, [("train", job.data)], max_epochs=1).start() if mode == "Pipe" else None
    try:
        result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=600)
    finally:
        if feeder is not None:
            feeder.stop()
            (base / "input" / "data" / "train_0").unlink(missing_ok=True)
    report = json.loads(result.stdout)
    if report.get("bytes", job.csv_bytes) != job.csv_bytes or report.get("rows", job.rows) != job.rows:
        raise RuntimeError(f"{mode} mode read {report} from {job.csv_bytes} bytes, {job.rows} rows")
    return job.csv_bytes / 1e6 / float(report["seconds"])
