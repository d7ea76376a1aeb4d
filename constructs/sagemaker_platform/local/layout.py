"""Lay out the /opt/ml tree SageMaker prepares around a container, under a local base folder.

Everything a container sees at ``/opt/ml/...`` lives at ``<base>/...``: process mode points
``SM_BASE_DIR`` at ``<base>``, podman mode mounts ``<base>`` at ``/opt/ml``.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from sagemaker_platform.local.job import ProcessingJob, ServingJob, TrainingJob

CONTAINER_ROOT = PurePosixPath("/opt/ml")
HOST = "algo-1"


def host_path(base: Path, container_path: PurePosixPath | str) -> Path:
    """Where ``/opt/ml/...`` lives under ``base``."""
    return base / PurePosixPath(container_path).relative_to(CONTAINER_ROOT)


def stringify(value: object) -> str:
    """A hyperparameter value as SageMaker passes it: strings as they are, booleans as JSON, others via str/JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def resource_config(hosts: int = 1) -> dict[str, Any]:
    """resourceconfig.json of host ``algo-1`` in a cluster of ``algo-1..N``."""
    names = [f"algo-{i}" for i in range(1, hosts + 1)]
    return {
        "current_host": HOST,
        "current_instance_type": "local",
        "current_group_name": "homogeneousCluster",
        "hosts": names,
        "instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": names}],
        "network_interface_name": "eth0",
    }


def _write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def copy_into(source: Path, target: Path) -> None:
    """Copy a file into folder ``target``, or a folder's contents onto ``target`` (as an S3 prefix download)."""
    target.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target / source.name)


def channel_files(source: Path) -> list[Path]:
    """The files of a channel in a stable order: the file itself, or every file under the folder."""
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file())


def pipe_path(base: Path, channel: str, epoch: int) -> Path:
    """The FIFO of a Pipe-mode channel for one pass: ``input/data/<channel>_<epoch>``."""
    return base / "input" / "data" / f"{channel}_{epoch}"


def write_training_tree(job: TrainingJob, base: Path) -> None:
    """Write input/config/*.json, copy File/FastFile channels, create the first FIFO of Pipe channels."""
    config = base / "input" / "config"
    _write_json(config / "hyperparameters.json", {k: stringify(v) for k, v in job.hyperparameters.items()})
    channels: dict[str, dict[str, str]] = {}
    for channel in job.channels:
        entry = {
            "TrainingInputMode": channel.input_mode,
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        }
        if channel.content_type:
            entry["ContentType"] = channel.content_type
        channels[channel.name] = entry
        if channel.input_mode == "Pipe":
            pipe = pipe_path(base, channel.name, 0)
            pipe.parent.mkdir(parents=True, exist_ok=True)
            os.mkfifo(pipe)
        else:
            copy_into(channel.source, base / "input" / "data" / channel.name)
    _write_json(config / "inputdataconfig.json", channels)
    _write_json(config / "resourceconfig.json", resource_config(job.instance_count))
    if job.checkpoints is not None:
        _write_json(config / "checkpointconfig.json", {"LocalPath": str(CONTAINER_ROOT / "checkpoints")})
        if job.checkpoints.is_dir():
            copy_into(job.checkpoints, base / "checkpoints")
    for folder in ("model", "output/data", "checkpoints", "code"):
        (base / folder).mkdir(parents=True, exist_ok=True)


def processing_job_config(job: ProcessingJob, image: str) -> dict[str, Any]:
    """processingjobconfig.json: the CreateProcessingJob request as run, with file:// URIs."""
    entry, arguments = job.command()
    app: dict[str, Any] = {"ImageUri": image}
    if entry is not None:
        app["ContainerEntrypoint"] = list(entry)
    if arguments:
        app["ContainerArguments"] = list(arguments)
    return {
        "ProcessingJobName": job.name,
        "AppSpecification": app,
        "Environment": dict(job.environment),
        "NetworkConfig": {"EnableNetworkIsolation": job.network_isolation},
        "ProcessingInputs": [
            {
                "InputName": item.name,
                "S3Input": {
                    "LocalPath": str(item.local_path),
                    "S3Uri": item.source.resolve().as_uri(),
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
            for item in job.inputs
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": item.name,
                    "S3Output": {
                        "LocalPath": str(item.local_path),
                        "S3Uri": item.destination.resolve().as_uri(),
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for item in job.outputs
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": job.instance_count, "InstanceType": "local", "VolumeSizeInGB": 1}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": job.max_runtime_seconds},
    }


def write_processing_tree(job: ProcessingJob, base: Path, image: str) -> None:
    """Write config/*.json, copy the inputs to their LocalPaths, create the output folders."""
    _write_json(base / "config" / "processingjobconfig.json", processing_job_config(job, image))
    _write_json(base / "config" / "resourceconfig.json", resource_config(job.instance_count))
    for item in job.inputs:
        copy_into(item.source, host_path(base, item.local_path))
    for output in job.outputs:
        host_path(base, output.local_path).mkdir(parents=True, exist_ok=True)
    (base / "output").mkdir(parents=True, exist_ok=True)


def collect_processing_outputs(job: ProcessingJob, base: Path) -> dict[str, Path]:
    """Copy every output's LocalPath to its destination (S3UploadMode EndOfJob); returns name -> destination."""
    collected = {}
    for output in job.outputs:
        copy_into(host_path(base, output.local_path), output.destination)
        collected[output.name] = output.destination
    return collected


def write_serving_tree(job: ServingJob, base: Path) -> None:
    """Put the model into ``model/``: a model.tar.gz is extracted (refusing unsafe members), a folder copied."""
    model_dir = base / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    if job.model.is_dir():
        copy_into(job.model, model_dir)
        return
    with tarfile.open(job.model, "r:*") as archive:
        # The "data" filter refuses absolute paths, '..', links out of the folder and device files.
        archive.extractall(model_dir, filter="data")


def package(folder: Path, target: Path) -> Path:
    """Tar and gzip the contents of ``folder`` (members relative to it, sorted) into ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    members: Iterable[Path] = sorted(folder.rglob("*"))
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as archive:
        for path in members:
            info = archive.gettarinfo(str(path), arcname=path.relative_to(folder).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            elif info.isdir() or info.issym():
                archive.addfile(info)
    partial.replace(target)
    return target


def read_text(path: Path, limit: int = 1024) -> str | None:
    """The first ``limit`` characters of a contract file (failure, message), or None when absent or empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None
    return text[:limit].strip() or None
