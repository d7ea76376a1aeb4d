"""Job descriptions: validation that names the field, defaults, and boto3-style requests converted to jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagemaker_platform.local import (
    Channel,
    Container,
    ProcessingInput,
    ProcessingJob,
    ServingJob,
    TrainingJob,
    processing_job_from_request,
    resolve_uri,
    training_job_from_request,
)
from tests.local.helpers import WORKSPACE

TRAINING = WORKSPACE.container("training")
PROCESSING = WORKSPACE.container("processing")


def test_training_job_defaults_follow_sagemaker_and_the_secure_posture(tmp_path: Path) -> None:
    job = TrainingJob(name="job-1", container=TRAINING)
    assert job.network_isolation is True
    assert job.instance_count == 1
    assert job.command() == (None, ("train",))  # docker run IMAGE train
    assert TrainingJob(name="j", container=TRAINING, entrypoint=["python3", "x.py"]).command() == (
        ("python3", "x.py"),
        (),
    )


def test_processing_job_runs_the_images_entrypoint_with_its_arguments() -> None:
    job = ProcessingJob(name="prep", container=PROCESSING, arguments=["prepare", "--seed", "1"])
    assert job.command() == (None, ("prepare", "--seed", "1"))
    assert ProcessingInput(name="raw", source=Path(".")).local_path.as_posix() == "/opt/ml/processing/input/raw"


def test_fails_with_every_problem_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as error:
        TrainingJob(
            name="bad name!",
            container=TRAINING,
            instance_count=2,
            environment={"1BAD": "x"},
            max_runtime_seconds=0,
        )
    message = str(error.value)
    for expected in ("name: got 'bad name!'", "instance_count: got 2", "environment key: got '1BAD'", "max_runtime"):
        assert expected in message
    assert "algo-1" in message  # says why more instances are refused


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "bad/name"}, r"name: got 'bad/name'"),
        ({"input_mode": "Stream"}, r"input_mode: got 'Stream'; allowed: File or FastFile or Pipe"),
        ({"source": Path("/nonexistent/data")}, r"source: got '/nonexistent/data'"),
    ],
)
def test_fails_on_a_bad_channel(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    settings: dict[str, object] = {"name": "train", "source": tmp_path, **kwargs}
    with pytest.raises(ValueError, match=match):
        Channel(**settings)  # type: ignore[arg-type]


def test_fails_on_duplicate_channels(tmp_path: Path) -> None:
    channels = [Channel(name="train", source=tmp_path), Channel(name="train", source=tmp_path)]
    with pytest.raises(ValueError, match=r"channels: got \['train', 'train'\]; allowed: unique channel names"):
        TrainingJob(name="job", container=TRAINING, channels=channels)


def test_fails_on_a_processing_path_outside_opt_ml_processing(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"inputs\['raw'\] local path: got '/opt/data'; allowed: an absolute path under"
    ):
        ProcessingJob(
            name="p",
            container=PROCESSING,
            inputs=[ProcessingInput(name="raw", source=tmp_path, destination="/opt/data")],
        )


def test_fails_on_a_container_that_is_neither_or_both(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of directory"):
        Container()
    with pytest.raises(ValueError, match="exactly one of directory"):
        Container(directory=TRAINING.directory, image="localhost/x:1")
    with pytest.raises(ValueError, match="a folder with a Dockerfile"):
        Container(directory=tmp_path)


def test_fails_to_serve_with_network_isolation(tmp_path: Path) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    with pytest.raises(ValueError, match="network_isolation: got True; allowed: False"):
        ServingJob(name="m", container=WORKSPACE.container("inference"), model=model, network_isolation=True)


def test_resolve_uri_maps_file_uris_and_s3_prefixes(tmp_path: Path) -> None:
    assert resolve_uri((tmp_path / "a b").as_uri()) == tmp_path / "a b"
    data = {"s3://bucket/data": tmp_path / "data", "s3://bucket/data/train": tmp_path / "t"}
    assert resolve_uri("s3://bucket/data/train/part-1.csv", data) == tmp_path / "t" / "part-1.csv"
    assert resolve_uri("s3://bucket/data/validation", data) == tmp_path / "data" / "validation"
    with pytest.raises(ValueError, match="has no local path"):
        resolve_uri("s3://bucket/database", data)


def test_training_request_converts_to_a_job(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "validation").mkdir()
    request = {
        "TrainingJobName": "xgb-1",
        "AlgorithmSpecification": {"TrainingImage": "123.dkr.ecr/xgb:1", "TrainingInputMode": "File"},
        "HyperParameters": {"num_round": "10"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3Uri": "s3://b/p/train", "S3DataType": "S3Prefix"}},
                "ContentType": "text/csv",
            },
            {
                "ChannelName": "validation",
                "DataSource": {"S3DataSource": {"S3Uri": (tmp_path / "validation").as_uri()}},
                "InputMode": "Pipe",
            },
        ],
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "EnableNetworkIsolation": True,
        "Environment": {"A": "1"},
    }
    job = training_job_from_request(request, container=TRAINING, data={"s3://b/p": tmp_path})
    assert job.name == "xgb-1" and job.hyperparameters == {"num_round": "10"}
    assert [(c.name, c.source, c.input_mode, c.content_type) for c in job.channels] == [
        ("train", tmp_path / "train", "File", "text/csv"),
        ("validation", tmp_path / "validation", "Pipe", None),
    ]
    assert job.network_isolation and job.max_runtime_seconds == 600 and job.environment == {"A": "1"}


def test_fails_on_request_fields_local_mode_cannot_honour(tmp_path: Path) -> None:
    request = {
        "TrainingJobName": "xgb-1",
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3Uri": "s3://elsewhere/x", "S3DataType": "ManifestFile"}},
                "CompressionType": "Gzip",
            }
        ],
    }
    with pytest.raises(ValueError) as error:
        training_job_from_request(request, container=TRAINING)
    message = str(error.value)
    assert "S3DataType: got 'ManifestFile'" in message
    assert "CompressionType: got 'Gzip'" in message
    assert "'s3://elsewhere/x' has no local path" in message


def test_processing_request_converts_to_a_job(tmp_path: Path) -> None:
    request = {
        "ProcessingJobName": "prep-1",
        "AppSpecification": {"ImageUri": "x", "ContainerArguments": ["prepare", "--seed", "2"]},
        "ProcessingInputs": [
            {"InputName": "raw", "S3Input": {"S3Uri": tmp_path.as_uri(), "LocalPath": "/opt/ml/processing/input/raw"}}
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "train",
                    "S3Output": {"S3Uri": "s3://b/out/train", "LocalPath": "/opt/ml/processing/output/train"},
                }
            ]
        },
        "NetworkConfig": {"EnableNetworkIsolation": True},
    }
    job = processing_job_from_request(request, container=PROCESSING, data={"s3://b/out": tmp_path / "out"})
    assert job.command() == (None, ("prepare", "--seed", "2"))
    assert job.inputs[0].source == tmp_path and job.outputs[0].destination == tmp_path / "out" / "train"
    assert job.network_isolation is True
