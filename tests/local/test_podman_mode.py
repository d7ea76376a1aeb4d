"""Podman mode for real: the images built from containers/, run with /opt/ml mounted, as SageMaker runs them.

Runs wherever podman is installed (CI installs it); the images are built once and then found by
the digest of their build context.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from sagemaker_platform.local import (
    Channel,
    Container,
    PodmanRunner,
    Probe,
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
    run_pipeline,
)

pytestmark = pytest.mark.slow

CSV, JSON, NPY = "text/csv", "application/json", "application/x-npy"


@pytest.fixture(scope="module")
def pipeline(podman_runner: PodmanRunner, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return run_pipeline(podman_runner, tmp_path_factory.mktemp("podman-pipeline"), Recorder())


def test_pipeline_runs_in_the_images_with_the_results_of_process_mode(
    pipeline: Pipeline, process_pipeline: Pipeline
) -> None:
    train = pipeline.results["train"]
    assert train.runner == "podman" and train.succeeded
    log = train.log.read_text()
    assert "validation:auc=" in log and "saved model to /opt/ml/model/" in log
    # Same contract, same seeds, same pinned packages: the same data and the same evaluation.
    for split in ("train", "validation", "test"):
        name = f"{split}/{split}.csv"
        assert (pipeline.base / name).read_bytes() == (process_pipeline.base / name).read_bytes()
    assert pipeline.evaluation == process_pipeline.evaluation


def test_served_predictions_equal_the_model_called_in_process(
    pipeline: Pipeline, podman_runner: PodmanRunner, tmp_path: Path
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
    with serve(job, podman_runner, probe=Probe(csv_body(rows[:1]))) as endpoint:
        for content_type, body in ((CSV, csv_body(rows)), (JSON, json_body(rows)), (NPY, npy_body(rows))):
            answer = endpoint.invoke(body, content_type)
            assert answer.status == 200, answer.body
            np.testing.assert_array_equal(decode(answer.content_type, answer.body), expected)
        answer = endpoint.invoke(npy_body(rows[:2]), NPY, accept=CSV)
        np.testing.assert_array_equal(decode(answer.content_type, answer.body), expected[:2])
        assert endpoint.invoke(b"not,numbers", CSV).status == 400
    assert endpoint.exit_code == 0, endpoint.output()
    left = podman_runner.engine.run("ps", "--all", "--quiet", "--filter", "name=smlocal-serve").stdout.split()
    assert left == []  # --rm removed the stopped container


def test_network_none_cuts_the_job_off_from_the_host(
    podman_runner: PodmanRunner, netprobe_image: str, tmp_path: Path
) -> None:
    probe = Container(directory=NETPROBE)
    # The host is reachable from the default network on its bridge address, so listen on all of them.
    with Listener("0.0.0.0") as listener:
        jobs = {
            name: TrainingJob(
                name=name,
                container=probe,
                hyperparameters={"host": "host.containers.internal", "port": listener.port, "token": name},
                network_isolation=isolated,
            )
            for name, isolated in (("isolated", True), ("connected", False))
        }
        results = {name: run_training(job, podman_runner, output=tmp_path / name) for name, job in jobs.items()}
    assert results["isolated"].exit_code == 1
    assert "could not connect to host.containers.internal" in (results["isolated"].message or "")
    assert "job isolated: hostname algo-1, algo-1 -> 127.0.0.1" in results["isolated"].log.read_text()
    assert results["connected"].succeeded, results["connected"].log.read_text()
    assert listener.tokens == ["connected"]


def test_a_bad_hyperparameter_fails_the_container_with_its_name(podman_runner: PodmanRunner, tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("1,0.5\n0,0.1\n")
    job = TrainingJob(
        name="bad-hp",
        container=WORKSPACE.container("training"),
        hyperparameters={"num_round": 0},
        channels=[Channel(name="train", source=train)],
        environment=THREADS,
    )
    result = run_training(job, podman_runner, output=tmp_path / "out")
    assert result.exit_code == 1 and result.model is None
    assert (result.message or "").startswith("UserError:") and "num_round" in (result.message or "")
