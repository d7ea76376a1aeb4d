"""boto3-style CreateTrainingJob / CreateProcessingJob request dicts -> local job descriptions.

The same request the job spec renders for SageMaker runs locally: S3 URIs become local paths
through ``file://`` URIs (as in the SageMaker SDK's local mode) or a prefix map
``{"s3://bucket/prefix": Path(...)}``; the image URI becomes the ``container`` given. Fields local
mode cannot honour (more than one instance, manifests, compressed or RecordIO channels) are
refused with one error that lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse

from sagemaker_platform.local.job import (
    Channel,
    Container,
    InputMode,
    Problems,
    ProcessingInput,
    ProcessingJob,
    ProcessingOutput,
    TrainingJob,
)


def resolve_uri(uri: str, data: Mapping[str, Path] | None = None) -> Path:
    """A local path for ``uri``: ``file://`` as is, else the longest matching prefix of ``data``."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    for prefix in sorted(data or {}, key=len, reverse=True):
        if uri == prefix or uri.startswith(prefix.rstrip("/") + "/"):
            rest = uri[len(prefix) :].strip("/")
            base = (data or {})[prefix]
            return base / rest if rest else base
    raise ValueError(f"{uri!r} has no local path: use a file:// URI or map its prefix in data={{...}}")


def _get(mapping: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    value: Any = mapping
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def _resolve(problems: Problems, field: str, uri: object, data: Mapping[str, Path] | None) -> Path:
    try:
        return resolve_uri(str(uri), data)
    except ValueError as exc:
        problems.items.append(f"{field}: {exc}")
        return Path("/nonexistent")


def _channel(
    problems: Problems, entry: Mapping[str, Any], default_mode: str, data: Mapping[str, Path] | None
) -> dict[str, Any]:
    name = str(entry.get("ChannelName", ""))
    source = _get(entry, "DataSource", "S3DataSource", default={})
    uri = source.get("S3Uri") or _get(entry, "DataSource", "FileSystemDataSource", "DirectoryPath")
    field = f"InputDataConfig[{name}]"
    problems.check(
        source.get("S3DataType", "S3Prefix") == "S3Prefix", f"{field}.S3DataType", source.get("S3DataType"), "S3Prefix"
    )
    problems.check(
        entry.get("CompressionType", "None") == "None", f"{field}.CompressionType", entry.get("CompressionType"), "None"
    )
    wrapper = entry.get("RecordWrapperType", "None")
    problems.check(wrapper == "None", f"{field}.RecordWrapperType", wrapper, "None")
    mode = str(entry.get("InputMode") or default_mode)
    return {
        "name": name,
        "source": _resolve(problems, f"{field}.S3Uri", uri, data),
        "input_mode": cast(InputMode, mode),
        "content_type": entry.get("ContentType"),
    }


def training_job_from_request(
    request: Mapping[str, Any],
    *,
    container: Container,
    data: Mapping[str, Path] | None = None,
    checkpoints: Path | None = None,
) -> TrainingJob:
    """A TrainingJob from a CreateTrainingJob request; ``container`` stands for TrainingImage."""
    problems = Problems("CreateTrainingJob request")
    algorithm = request.get("AlgorithmSpecification") or {}
    default_mode = str(algorithm.get("TrainingInputMode", "File"))
    specs = [_channel(problems, entry, default_mode, data) for entry in request.get("InputDataConfig") or []]
    problems.raise_if_any()
    channels = [Channel(**spec) for spec in specs]
    stopping = request.get("StoppingCondition") or {}
    return TrainingJob(
        name=str(request.get("TrainingJobName", "")),
        container=container,
        hyperparameters=dict(request.get("HyperParameters") or {}),
        channels=channels,
        entrypoint=algorithm.get("ContainerEntrypoint"),
        arguments=algorithm.get("ContainerArguments"),
        instance_count=int(_get(request, "ResourceConfig", "InstanceCount", default=1)),
        network_isolation=bool(request.get("EnableNetworkIsolation", False)),
        environment=dict(request.get("Environment") or {}),
        checkpoints=checkpoints,
        max_runtime_seconds=int(stopping.get("MaxRuntimeInSeconds", 3600)),
    )


def processing_job_from_request(
    request: Mapping[str, Any], *, container: Container, data: Mapping[str, Path] | None = None
) -> ProcessingJob:
    """A ProcessingJob from a CreateProcessingJob request; ``container`` stands for AppSpecification.ImageUri."""
    problems = Problems("CreateProcessingJob request")
    inputs = []
    for entry in request.get("ProcessingInputs") or []:
        name = str(entry.get("InputName", ""))
        s3 = entry.get("S3Input") or {}
        problems.check(
            "S3Input" in entry, f"ProcessingInputs[{name}]", sorted(entry), "an S3Input (no dataset definitions)"
        )
        mode = s3.get("S3InputMode", "File")
        problems.check(mode == "File", f"ProcessingInputs[{name}].S3InputMode", mode, "File")
        source = _resolve(problems, f"ProcessingInputs[{name}].S3Uri", s3.get("S3Uri"), data)
        inputs.append(ProcessingInput(name=name, source=source, destination=s3.get("LocalPath")))
    outputs = []
    for entry in _get(request, "ProcessingOutputConfig", "Outputs", default=[]) or []:
        name = str(entry.get("OutputName", ""))
        s3 = entry.get("S3Output") or {}
        destination = _resolve(problems, f"Outputs[{name}].S3Uri", s3.get("S3Uri"), data)
        outputs.append(ProcessingOutput(name=name, destination=destination, source=s3.get("LocalPath")))
    problems.raise_if_any()
    app = request.get("AppSpecification") or {}
    return ProcessingJob(
        name=str(request.get("ProcessingJobName", "")),
        container=container,
        arguments=list(app.get("ContainerArguments") or []),
        entrypoint=app.get("ContainerEntrypoint"),
        inputs=inputs,
        outputs=outputs,
        instance_count=int(_get(request, "ProcessingResources", "ClusterConfig", "InstanceCount", default=1)),
        network_isolation=bool(_get(request, "NetworkConfig", "EnableNetworkIsolation", default=False)),
        environment=dict(request.get("Environment") or {}),
        max_runtime_seconds=int(_get(request, "StoppingCondition", "MaxRuntimeInSeconds", default=3600)),
    )
