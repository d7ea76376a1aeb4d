"""The ``train`` entrypoint end to end as a process: File, FastFile, Parquet and Pipe mode."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xgboost as xgb
from container_helpers import run_module, write_csv, write_training_tree

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow

METRIC_LINE = re.compile(r"^\[(\d+)\] train:logloss=(\d+\.\d+) validation:logloss=(\d+\.\d+)$", re.M)
BASE_HPS = {"num_round": "8", "objective": "binary:logistic", "max_depth": "3", "eval_metric": "logloss"}


def _load(model_dir: Path) -> xgb.Booster:
    return xgb.Booster(model_file=str(next(model_dir.glob("xgboost-model.*"))))


def _write_parquet(path: Path, label: Any, features: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [pa.array(label)] + [pa.array(features[:, i]) for i in range(features.shape[1])]
    pq.write_table(pa.table(columns, names=["label"] + [f"f{i}" for i in range(features.shape[1])]), path)


def test_file_mode_csv_trains_prints_metrics_and_writes_json_model(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    # Two files in the train channel: a channel is every file under its folder.
    write_csv(base_dir / "input/data/train/part-1.csv", y[:800], x[:800])
    write_csv(base_dir / "input/data/train/part-2.csv", y[800:1500], x[800:1500])
    write_csv(base_dir / "input/data/validation/v.csv", y[1500:], x[1500:])
    channels = {"train": {"ContentType": "text/csv", "TrainingInputMode": "File"}, "validation": {}}
    write_training_tree(base_dir, BASE_HPS, channels)
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 0, result.stderr
    rounds = METRIC_LINE.findall(result.stdout)
    assert [int(r[0]) for r in rounds] == list(range(8))
    assert float(rounds[-1][1]) < float(rounds[0][1])  # training loss goes down
    assert "channel train: 1500 rows, 20 features" in result.stdout
    model_file = base_dir / "model/xgboost-model.json"
    assert model_file.read_bytes().startswith(b"{")  # JSON, not a pickle
    booster = _load(base_dir / "model")
    assert booster.num_boosted_rounds() == 8
    assert booster.num_features() == 20
    assert not (base_dir / "output/failure").exists()


def test_training_without_sampling_equals_plain_xgboost(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    write_csv(base_dir / "input/data/train/train.csv", y, x)
    write_training_tree(base_dir, {**BASE_HPS, "seed": "3", "model_format": "ubj"})
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 0, result.stderr
    ours = _load(base_dir / "model")
    assert (base_dir / "model/xgboost-model.ubj").is_file()
    data = np.loadtxt(base_dir / "input/data/train/train.csv", delimiter=",", dtype=np.float32)
    params = {"objective": "binary:logistic", "max_depth": 3, "eval_metric": "logloss", "seed": 3, "nthread": 1}
    plain = xgb.train(params, xgb.QuantileDMatrix(data[:, 1:], data[:, 0]), num_boost_round=8)
    np.testing.assert_array_equal(ours.inplace_predict(data[:, 1:]), plain.inplace_predict(data[:, 1:]))


def test_fastfile_mode_parquet(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    _write_parquet(base_dir / "input/data/train/data.parquet", y[:1500], x[:1500])
    _write_parquet(base_dir / "input/data/validation/data.parquet", y[1500:], x[1500:])
    channels = {
        "train": {"ContentType": "application/x-parquet", "TrainingInputMode": "FastFile"},
        "validation": {"ContentType": "application/x-parquet", "TrainingInputMode": "FastFile"},
    }
    write_training_tree(base_dir, BASE_HPS, channels)
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 0, result.stderr
    assert len(METRIC_LINE.findall(result.stdout)) == 8
    assert _load(base_dir / "model").num_features() == 20


def _feed_fifo(path: Path, payload: bytes, chunk: int = 7919) -> threading.Thread:
    """Play SageMaker's part in Pipe mode: write the channel's bytes into its FIFO, in pieces."""

    def write() -> None:
        with path.open("wb") as fifo:
            for start in range(0, len(payload), chunk):
                fifo.write(payload[start : start + chunk])

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_pipe_mode_streams_csv_from_fifos(base_dir: Path, dataset: Any, tmp_path: Path) -> None:
    x, y = dataset
    train_csv = write_csv(tmp_path / "train.csv", y[:1500], x[:1500])
    valid_csv = write_csv(tmp_path / "valid.csv", y[1500:], x[1500:])
    data_dir = base_dir / "input/data"
    data_dir.mkdir(parents=True)
    for name in ("train_0", "validation_0"):
        os.mkfifo(data_dir / name)
    channels = {
        "train": {"ContentType": "text/csv", "TrainingInputMode": "Pipe"},
        "validation": {"ContentType": "text/csv", "TrainingInputMode": "Pipe"},
    }
    write_training_tree(base_dir, BASE_HPS, channels)
    writers = [
        _feed_fifo(data_dir / "train_0", train_csv.read_bytes()),
        _feed_fifo(data_dir / "validation_0", valid_csv.read_bytes()),
    ]
    result = run_module("sm_training", base_dir, "train", timeout=60)
    for writer in writers:
        writer.join(timeout=5)
    assert result.returncode == 0, result.stderr
    assert "channel train: 1500 rows, 20 features" in result.stdout
    assert "channel validation: 500 rows, 20 features" in result.stdout
    # Same data through File mode gives the same model.
    file_base = tmp_path / "file-mode"
    write_csv(file_base / "input/data/train/t.csv", y[:1500], x[:1500])
    write_csv(file_base / "input/data/validation/v.csv", y[1500:], x[1500:])
    write_training_tree(file_base, BASE_HPS)
    assert run_module("sm_training", file_base, "train").returncode == 0
    assert (base_dir / "model/xgboost-model.json").read_bytes() == (file_base / "model/xgboost-model.json").read_bytes()


def test_pipe_reader_stitches_records_split_across_blocks(
    base_dir: Path, dataset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sm_training import data

    x, y = dataset
    payload = write_csv(tmp_path / "train.csv", y, x).read_bytes()
    monkeypatch.setenv("SM_BASE_DIR", str(base_dir))
    # Small blocks and odd-sized writes put block boundaries in the middle of records.
    monkeypatch.setattr(data, "PIPE_BLOCK_BYTES", 4096)
    (base_dir / "input/data").mkdir(parents=True)
    os.mkfifo(base_dir / "input/data/train_0")
    writer = _feed_fifo(base_dir / "input/data/train_0", payload, chunk=1009)
    features, labels = data.load(data.Channel("train", "csv", "Pipe"))
    writer.join(timeout=5)
    expected = np.loadtxt(tmp_path / "train.csv", delimiter=",", dtype=np.float32)
    np.testing.assert_array_equal(labels, expected[:, 0])
    np.testing.assert_array_equal(features, expected[:, 1:])


@pytest.mark.parametrize(
    ("content", "channels", "expected"),
    [
        (b"1,0.5,abc\n0,0.1,0.2\n", None, "column 3 is not numeric"),
        (b"2,0.5,0.1\n0,0.1,0.2\n", None, "label 2.0 in row 1 must be in [0, 1] for objective=binary:logistic"),
        (b"1,0.5\n0,0.1,0.2\n", None, "malformed CSV"),
        (b"1,0.5,0.1\n", {"train": {"ContentType": "application/x-recordio-protobuf"}}, "is not supported"),
        (b"1,0.5,0.1\n", {"train": {}, "test": {}}, "unexpected channel(s) test"),
        (b"1,0.5,0.1\n", {"train": {"TrainingInputMode": "Pipe"}}, "is in Pipe mode but"),
    ],
)
def test_fails_on_bad_training_data_with_user_error(
    base_dir: Path, content: bytes, channels: dict[str, Any] | None, expected: str
) -> None:
    path = base_dir / "input/data/train/train.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    write_training_tree(base_dir, BASE_HPS, channels)
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 1, result.stdout
    failure = (base_dir / "output/failure").read_text()
    assert failure.startswith("UserError: ")
    assert expected in failure


def test_early_stopping_keeps_the_best_rounds(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    write_csv(base_dir / "input/data/train/t.csv", y[:1500], x[:1500])
    # A validation set whose labels are noise: its loss soon stops improving.
    noise = np.random.default_rng(0).integers(0, 2, 500)
    write_csv(base_dir / "input/data/validation/v.csv", noise, x[1500:])
    hps = {**BASE_HPS, "num_round": "200", "eta": "0.5", "max_depth": "6", "early_stopping_rounds": "3"}
    write_training_tree(base_dir, hps)
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 0, result.stderr
    match = re.search(r"early stopping at round (\d+); best round (\d+)", result.stdout)
    assert match, result.stdout
    stop, best = int(match.group(1)), int(match.group(2))
    assert stop - best == 3
    assert _load(base_dir / "model").num_boosted_rounds() == best + 1


def test_unexpected_failures_are_reported_as_algorithm_errors(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    write_csv(base_dir / "input/data/train/t.csv", y[:200], x[:200])
    write_training_tree(base_dir, {**BASE_HPS, "num_round": "2"})
    blocker = base_dir / "not-a-dir"
    blocker.write_text("")
    result = run_module("sm_training", base_dir, "train", SM_MODEL_DIR=str(blocker / "model"))
    assert result.returncode == 2
    failure = (base_dir / "output/failure").read_text()
    assert failure.startswith("AlgorithmError: ")
    assert "Traceback" in result.stderr  # the details go to the log, the summary to the failure file
