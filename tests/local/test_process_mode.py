"""Process mode for real: the example pipeline, serving, network isolation, failures and stops.

The containers' entrypoints run as subprocesses of this interpreter under bwrap (network
isolation is the default), against trees in temporary folders.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from sagemaker_platform.local import (
    Channel,
    Container,
    JobFailed,
    Probe,
    ProcessRunner,
    ServingJob,
    TrainingJob,
    run_training,
    serve,
)
from tests.local.helpers import (
    NETPROBE,
    THREADS,
    WORKSPACE,
    Listener,
    Pipeline,
    Recorder,
    csv_body,
    decode,
    json_body,
    model_file,
    npy_body,
)

pytestmark = pytest.mark.slow

CSV, JSON, NPY = "text/csv", "application/json", "application/x-npy"


@pytest.fixture(scope="module")
def pipeline(process_pipeline: Pipeline) -> Pipeline:
    return process_pipeline


def test_pipeline_prepares_trains_and_evaluates(pipeline: Pipeline) -> None:
    for split in ("train", "validation", "test"):
        assert (pipeline.base / split / f"{split}.csv").stat().st_size > 0
    train = pipeline.results["train"]
    assert train.runner == "process" and train.succeeded and train.message is None
    log = train.log.read_text()
    assert "validation:auc=" in log  # the validation channel arrived through its FIFO
    assert "[29]" in log  # num_round=30 arrived as the string "30"
    metrics = pipeline.evaluation["binary_classification_metrics"]
    assert 0.5 < metrics["auc"]["value"] <= 1.0
    assert "prepared" in (pipeline.base / "logs" / "prepare" / "message").read_text()


def test_served_predictions_equal_the_model_called_in_process(
    pipeline: Pipeline, process_runner: ProcessRunner, tmp_path: Path
) -> None:
    booster = xgb.Booster(model_file=str(model_file(pipeline.model, tmp_path / "model")))
    rows = np.loadtxt(pipeline.base / "test" / "test.csv", delimiter=",", dtype=np.float32)[:25, 1:]
    expected = booster.inplace_predict(rows)
    job = ServingJob(
        name="serve",
        container=WORKSPACE.container("inference"),
        model=pipeline.model,
        environment={**THREADS, "SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
    )
    progress = Recorder()
    with serve(job, process_runner, progress=progress, probe=Probe(csv_body(rows[:1]))) as endpoint:
        for content_type, body in ((CSV, csv_body(rows)), (JSON, json_body(rows)), (NPY, npy_body(rows))):
            answer = endpoint.invoke(body, content_type)
            assert answer.status == 200, answer.body
            np.testing.assert_array_equal(decode(answer.content_type, answer.body), expected)
        single = endpoint.invoke(csv_body(rows[3:4]), CSV, accept=JSON)
        assert single.content_type.startswith(JSON)
        np.testing.assert_array_equal(decode(JSON, single.body), expected[3:4])
        assert endpoint.invoke(b"1,2", CSV).status == 400  # wrong width: the contract's 4xx
        port, work = endpoint.port, endpoint.work
    assert endpoint.exit_code == 0, endpoint.output()  # SIGTERM drained and exited cleanly
    assert not work.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    assert any("ready at http://127.0.0.1:" in step for step in progress.steps)


def _probe_job(name: str, host: str, port: int, isolated: bool) -> TrainingJob:
    return TrainingJob(
        name=name,
        container=Container(directory=NETPROBE),
        hyperparameters={"host": host, "port": port, "token": name},
        network_isolation=isolated,
    )


def test_network_isolation_cuts_the_job_off_from_the_host(process_runner: ProcessRunner, tmp_path: Path) -> None:
    with Listener("127.0.0.1") as listener:
        isolated = run_training(
            _probe_job("isolated", "127.0.0.1", listener.port, True), process_runner, output=tmp_path / "isolated"
        )
        connected = run_training(
            _probe_job("connected", "127.0.0.1", listener.port, False), process_runner, output=tmp_path / "connected"
        )
    assert isolated.exit_code == 1 and isolated.model is None
    assert isolated.message is not None and "could not connect to 127.0.0.1" in isolated.message
    assert "job isolated: hostname algo-1, algo-1 -> 127.0.0.1" in isolated.log.read_text()
    assert connected.succeeded, connected.log.read_text()
    assert listener.tokens == ["connected"]


def test_a_bad_hyperparameter_fails_the_job_with_its_name(process_runner: ProcessRunner, tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("1,0.5\n0,0.1\n")
    job = TrainingJob(
        name="bad-hp",
        container=WORKSPACE.container("training"),
        hyperparameters={"num_round": 5, "max_depth": "deep"},
        channels=[Channel(name="train", source=train)],
        environment=THREADS,
    )
    result = run_training(job, process_runner, output=tmp_path / "out")
    assert result.exit_code == 1 and result.model is None
    assert result.message is not None and result.message.startswith("UserError:") and "max_depth" in result.message
    assert "max_depth" in (tmp_path / "out" / "failure").read_text()
    with pytest.raises(JobFailed, match=r"job bad-hp failed with exit code 1: UserError: .*max_depth"):
        result.check()
    # A rerun into the same output folder leaves nothing of the failed run behind.
    fixed = run_training(replace(job, hyperparameters={"num_round": 5}), process_runner, output=tmp_path / "out")
    assert fixed.succeeded and fixed.model is not None and fixed.model.exists()
    assert not (tmp_path / "out" / "failure").exists()
    assert "UserError" not in fixed.log.read_text()


def test_max_runtime_stops_the_job_with_sigterm_and_keeps_its_checkpoints(
    process_runner: ProcessRunner, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(3000, 10))
    data = np.column_stack([(features[:, 0] > 0).astype(int), features])
    np.savetxt(tmp_path / "train.csv", data, delimiter=",", fmt="%.6g")
    job = TrainingJob(
        name="long",
        container=WORKSPACE.container("training"),
        hyperparameters={"num_round": 100000, "max_depth": 6, "checkpoint_frequency": 1000},
        channels=[Channel(name="train", source=tmp_path / "train.csv")],
        checkpoints=tmp_path / "checkpoints",
        environment=THREADS,
        max_runtime_seconds=4,
    )
    progress = Recorder()
    result = run_training(job, process_runner, output=tmp_path / "out", progress=progress, stop_grace_seconds=30)
    assert result.timed_out and not result.succeeded
    assert result.exit_code == 0, result.log.read_text()  # the container caught SIGTERM and checkpointed
    assert any((tmp_path / "checkpoints").iterdir())
    assert result.seconds < 30
    with pytest.raises(JobFailed, match="maximum runtime"):
        result.check()
    assert any("maximum runtime of 4s reached" in step for step in progress.steps)
