"""The /opt/ml tree local mode lays out: config files, channel data, Pipe FIFOs, model.tar.gz, processing paths."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import threading
from pathlib import Path

import pytest

from sagemaker_platform.local import Channel, ProcessingInput, ProcessingJob, ProcessingOutput, ServingJob, TrainingJob
from sagemaker_platform.local.layout import (
    collect_processing_outputs,
    package,
    write_processing_tree,
    write_serving_tree,
    write_training_tree,
)
from sagemaker_platform.local.pipes import PipeFeeder
from tests.local.helpers import WORKSPACE


def _read(path: Path) -> object:
    return json.loads(path.read_text())


@pytest.fixture
def channels(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "data" / "train"
    (folder / "part").mkdir(parents=True)
    (folder / "a.csv").write_text("1,2\n")
    (folder / "part" / "b.csv").write_text("0,3\n")
    single = tmp_path / "data" / "validation.csv"
    single.write_text("1,5\n")
    return {"train": folder, "validation": single}


def test_training_tree_has_the_config_files_sagemaker_writes(tmp_path: Path, channels: dict[str, Path]) -> None:
    job = TrainingJob(
        name="tree",
        container=WORKSPACE.container("training"),
        hyperparameters={
            "num_round": 30,
            "eta": 0.25,
            "verbose": True,
            "layers": [1, 2],
            "objective": "binary:logistic",
        },
        channels=[
            Channel(name="train", source=channels["train"], content_type="text/csv"),
            Channel(name="validation", source=channels["validation"], input_mode="FastFile"),
        ],
    )
    base = tmp_path / "opt-ml"
    write_training_tree(job, base)
    config = base / "input" / "config"
    assert _read(config / "hyperparameters.json") == {
        "num_round": "30",
        "eta": "0.25",
        "verbose": "true",
        "layers": "[1, 2]",
        "objective": "binary:logistic",
    }
    assert _read(config / "inputdataconfig.json") == {
        "train": {
            "ContentType": "text/csv",
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        },
        "validation": {
            "TrainingInputMode": "FastFile",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        },
    }
    resources = _read(config / "resourceconfig.json")
    assert isinstance(resources, dict)
    assert resources["current_host"] == "algo-1" and resources["hosts"] == ["algo-1"]
    assert resources["network_interface_name"] == "eth0"
    assert not (config / "checkpointconfig.json").exists()
    data = base / "input" / "data"
    assert (data / "train" / "a.csv").read_text() == "1,2\n"
    assert (data / "train" / "part" / "b.csv").read_text() == "0,3\n"
    assert (data / "validation" / "validation.csv").read_text() == "1,5\n"
    for folder in ("model", "output/data", "checkpoints"):
        assert (base / folder).is_dir()


def test_checkpoints_are_seeded_and_configured(tmp_path: Path) -> None:
    seed = tmp_path / "ckpt"
    seed.mkdir()
    (seed / "round-3.json").write_text("{}")
    job = TrainingJob(name="tree", container=WORKSPACE.container("training"), checkpoints=seed)
    write_training_tree(job, tmp_path / "opt-ml")
    assert _read(tmp_path / "opt-ml" / "input" / "config" / "checkpointconfig.json") == {
        "LocalPath": "/opt/ml/checkpoints"
    }
    assert (tmp_path / "opt-ml" / "checkpoints" / "round-3.json").exists()


def _read_fifo(path: Path, into: list[bytes]) -> None:
    with path.open("rb") as fifo:
        into.append(fifo.read())


def test_pipe_mode_feeds_every_pass_through_a_new_fifo(tmp_path: Path, channels: dict[str, Path]) -> None:
    job = TrainingJob(
        name="tree",
        container=WORKSPACE.container("training"),
        channels=[Channel(name="train", source=channels["train"], input_mode="Pipe")],
    )
    base = tmp_path / "opt-ml"
    write_training_tree(job, base)
    first = base / "input" / "data" / "train_0"
    assert stat.S_ISFIFO(first.stat().st_mode)
    assert not (base / "input" / "data" / "train").exists()  # Pipe mode copies nothing
    feeder = PipeFeeder(base, [("train", channels["train"])]).start()
    try:
        passes: list[bytes] = []
        for epoch in range(2):
            fifo = base / "input" / "data" / f"train_{epoch}"
            for _ in range(100):  # the next FIFO appears once the previous pass was read
                if fifo.exists():
                    break
                threading.Event().wait(0.05)
            reader = threading.Thread(target=_read_fifo, args=(fifo, passes))
            reader.start()
            reader.join(10)
            assert not reader.is_alive(), f"pass {epoch} never ended"
    finally:
        feeder.stop()
    # Files in path order: a.csv, then part/b.csv.
    assert passes == [b"1,2\n0,3\n", b"1,2\n0,3\n"]
    assert feeder.epochs["train"] >= 2 and not feeder.errors


def test_pipe_feeder_stops_when_nobody_reads(tmp_path: Path, channels: dict[str, Path]) -> None:
    fifo = tmp_path / "input" / "data" / "train_0"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    feeder = PipeFeeder(tmp_path, [("train", channels["train"])]).start()
    feeder.stop(timeout=5)
    assert not feeder.running()
    assert feeder.epochs["train"] == 0


def test_model_is_packaged_with_paths_relative_to_the_model_folder(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "extra").mkdir(parents=True)
    (model / "xgboost-model.json").write_text("{}")
    (model / "extra" / "notes.txt").write_text("n")
    archive = package(model, tmp_path / "out" / "model.tar.gz")
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["extra", "extra/notes.txt", "xgboost-model.json"]
        assert {member.uid for member in tar.getmembers()} == {0}
    serving = ServingJob(name="m", container=WORKSPACE.container("inference"), model=archive)
    write_serving_tree(serving, tmp_path / "served")
    assert (tmp_path / "served" / "model" / "extra" / "notes.txt").read_text() == "n"


def test_fails_to_extract_a_model_archive_that_escapes_the_model_folder(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    serving = ServingJob(name="m", container=WORKSPACE.container("inference"), model=archive)
    with pytest.raises(tarfile.OutsideDestinationError):
        write_serving_tree(serving, tmp_path / "served")
    assert not (tmp_path / "served" / "outside.txt").exists()


def test_processing_tree_has_the_job_config_and_the_inputs(tmp_path: Path, channels: dict[str, Path]) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"tar")
    job = ProcessingJob(
        name="evaluate",
        container=WORKSPACE.container("processing"),
        arguments=["evaluate", "--seed", "1"],
        inputs=[
            ProcessingInput(name="test", source=channels["train"]),
            ProcessingInput(name="model", source=model, destination="/opt/ml/processing/model"),
        ],
        outputs=[ProcessingOutput(name="evaluation", destination=tmp_path / "evaluation")],
    )
    base = tmp_path / "opt-ml"
    write_processing_tree(job, base, image="localhost/sagemaker-platform/processing:x")
    config = _read(base / "config" / "processingjobconfig.json")
    assert isinstance(config, dict)
    assert config["ProcessingJobName"] == "evaluate"
    assert config["AppSpecification"] == {
        "ImageUri": "localhost/sagemaker-platform/processing:x",
        "ContainerArguments": ["evaluate", "--seed", "1"],
    }
    assert [i["S3Input"]["LocalPath"] for i in config["ProcessingInputs"]] == [
        "/opt/ml/processing/input/test",
        "/opt/ml/processing/model",
    ]
    assert (
        config["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"]
        == "/opt/ml/processing/output/evaluation"
    )
    assert config["NetworkConfig"] == {"EnableNetworkIsolation": True}
    assert (base / "processing" / "input" / "test" / "part" / "b.csv").exists()
    assert (base / "processing" / "model" / "model.tar.gz").read_bytes() == b"tar"
    resources = _read(base / "config" / "resourceconfig.json")
    assert isinstance(resources, dict) and resources["current_host"] == "algo-1"
    (base / "processing" / "output" / "evaluation" / "evaluation.json").write_text("{}")
    assert collect_processing_outputs(job, base) == {"evaluation": tmp_path / "evaluation"}
    assert (tmp_path / "evaluation" / "evaluation.json").read_text() == "{}"
