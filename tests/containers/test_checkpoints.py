"""Managed spot: SIGTERM checkpoints and exits 0; a restart resumes to the very same model."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from container_helpers import subprocess_env, write_csv, write_training_tree

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow

# Row and column sampling on, and a checkpoint interval the interruption will not line up with.
HPS = {
    "num_round": "150",
    "objective": "binary:logistic",
    "max_depth": "6",
    "eta": "0.1",
    "subsample": "0.8",
    "colsample_bytree": "0.7",
    "seed": "11",
    "checkpoint_frequency": "7",
    "eval_metric": "auc",
}


@pytest.fixture(scope="module")
def big_dataset() -> tuple[Any, Any]:
    from sm_processing.synthetic import make_classification

    return make_classification(20_000, seed=3)


def _tree(base: Path, data: tuple[Any, Any]) -> Path:
    x, y = data
    write_csv(base / "input/data/train/train.csv", y[:16_000], x[:16_000])
    write_csv(base / "input/data/validation/validation.csv", y[16_000:], x[16_000:])
    write_training_tree(base, HPS)
    return base


def _start(base: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sm_training", "train"],
        env=subprocess_env(base),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_checkpoints_and_resume_matches_an_uninterrupted_run(
    tmp_path: Path, big_dataset: tuple[Any, Any]
) -> None:
    reference = _tree(tmp_path / "reference", big_dataset)
    full = _start(reference)
    interrupted = _tree(tmp_path / "interrupted", big_dataset)
    first = _start(interrupted)
    assert first.stdout is not None
    seen = []
    for line in first.stdout:
        seen.append(line)
        if line.startswith("[17] "):  # between the checkpoints at 14 and 21 rounds
            first.send_signal(signal.SIGTERM)
            break
    rest = first.stdout.read()
    assert first.wait(timeout=60) == 0, "".join(seen) + rest
    stopped = re.search(r"SIGTERM: saved checkpoint xgboost-checkpoint\.(\d+)\.ubj, exiting", rest)
    assert stopped, rest
    stopped_at = int(stopped.group(1))
    assert 18 <= stopped_at < 150
    assert not (interrupted / "model").exists()
    assert not (interrupted / "output/failure").exists()

    second = _start(interrupted)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    assert f"resuming from checkpoint xgboost-checkpoint.{stopped_at:08d}.ubj at round {stopped_at}" in out
    assert f"[{stopped_at}] " in out and f"[{stopped_at - 1}] " not in out

    full_out, _ = full.communicate(timeout=120)
    assert full.returncode == 0, full_out
    ours = (interrupted / "model/xgboost-model.json").read_bytes()
    assert ours == (reference / "model/xgboost-model.json").read_bytes()
    # The sampling really was on: a different seed gives a different model.
    assert b'"num_trees":"150"' in ours


def test_resume_does_not_depend_on_the_seed_being_ignored(tmp_path: Path, big_dataset: tuple[Any, Any]) -> None:
    """Guard for the test above: with another seed the model differs, so equality is meaningful."""
    x, y = big_dataset
    models = []
    for seed in ("1", "2"):
        base = tmp_path / seed
        write_csv(base / "input/data/train/train.csv", y[:4000], x[:4000])
        write_training_tree(base, {**HPS, "num_round": "5", "seed": seed})
        process = _start(base)
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0, out
        models.append((base / "model/xgboost-model.json").read_bytes())
    assert models[0] != models[1]


def _wait_until_blocked_opening_a_fifo(process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    """Until the process sits in open() of a FIFO with no writer: a fixed sleep is too short on a loaded
    machine (the signal then arrives before the handler is installed, while numpy and xgboost import)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the job exited before it opened the channel's FIFO"
        try:
            if Path(f"/proc/{process.pid}/wchan").read_text().strip() == "wait_for_partner":
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the job did not block on the FIFO within {timeout_s} s")


def test_sigterm_while_waiting_for_pipe_data_exits_cleanly(base_dir: Path) -> None:
    (base_dir / "input/data").mkdir(parents=True)
    os.mkfifo(base_dir / "input/data/train_0")  # nobody ever writes: open() blocks
    write_training_tree(base_dir, HPS, {"train": {"TrainingInputMode": "Pipe", "ContentType": "text/csv"}})
    process = _start(base_dir)
    _wait_until_blocked_opening_a_fifo(process)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert "SIGTERM before training started; nothing to checkpoint" in out
    assert not (base_dir / "checkpoints").exists()


def test_latest_checkpoint_skips_a_truncated_one(tmp_path: Path) -> None:
    from sm_training import checkpoints

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    data = xgb.DMatrix(x, (x[:, 0] > 0).astype(np.float32))
    booster = xgb.Booster({"objective": "binary:logistic"}, [data])
    for i in range(4):
        booster.update(data, i)
        if i % 2:
            checkpoints.save(tmp_path, booster)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "xgboost-checkpoint.00000002.ubj",
        "xgboost-checkpoint.00000004.ubj",
    ]
    newest = tmp_path / "xgboost-checkpoint.00000004.ubj"
    newest.write_bytes(newest.read_bytes()[:50])
    found = checkpoints.latest(tmp_path)
    assert found is not None
    assert found[0].name == "xgboost-checkpoint.00000002.ubj"
    assert xgb.Booster(model_file=found[1]).num_boosted_rounds() == 2
    assert checkpoints.latest(tmp_path / "missing") is None
