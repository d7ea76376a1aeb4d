"""What local mode runs: training, processing and serving jobs as frozen, validated dataclasses.

The fields are a subset of the SageMaker CreateTrainingJob / CreateProcessingJob / CreateModel
requests, named after them, with local paths where SageMaker has S3 URIs;
``sagemaker_platform.local.requests`` converts boto3-style request dicts into these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

InputMode = Literal["File", "FastFile", "Pipe"]
INPUT_MODES: tuple[InputMode, ...] = ("File", "FastFile", "Pipe")

#: SageMaker's name rule for jobs, channels, processing inputs and outputs (63 characters).
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9\.\-_]+$")
_ENV_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
#: SageMaker requires every processing LocalPath to live under this folder.
PROCESSING_ROOT = PurePosixPath("/opt/ml/processing")


class Problems:
    """Collects every problem of one job description and raises them as one ``ValueError``."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.items: list[str] = []

    def check(self, ok: bool, name: str, value: object, allowed: str) -> None:
        """Record that ``name`` got ``value`` unless ``ok``; ``allowed`` says what is accepted."""
        if not ok:
            self.items.append(f"{name}: got {value!r}; allowed: {allowed}")

    def raise_if_any(self) -> None:
        """Raise one ``ValueError`` listing every recorded problem."""
        if self.items:
            raise ValueError(f"{self.owner} is invalid:\n  " + "\n  ".join(self.items))


@dataclass(frozen=True, kw_only=True)
class Container:
    """The code a job runs: a container folder of this repository or an image podman already has.

    Attributes:
        directory: A folder with a ``Dockerfile``, ``bin/`` and ``src/`` (e.g. ``containers/training``).
            Process mode runs its ``bin/`` entrypoints with ``src/`` on ``PYTHONPATH``; podman mode
            builds the image from it. Default: none, then ``image`` is required.
        image: A local image reference for podman mode (``localhost/name:tag``). Default: none,
            the image is built from ``directory``. Process mode cannot run a bare image.
    """

    directory: Path | None = None
    image: str | None = None

    def __post_init__(self) -> None:
        problems = Problems("Container")
        problems.check(
            (self.directory is None) != (self.image is None),
            "directory/image",
            (self.directory, self.image),
            "exactly one of directory (a container folder) or image (a local image reference)",
        )
        if self.directory is not None:
            problems.check(
                (self.directory / "Dockerfile").is_file(),
                "directory",
                str(self.directory),
                "a folder with a Dockerfile",
            )
        problems.raise_if_any()

    @property
    def label(self) -> str:
        """A short name for progress messages."""
        return self.directory.name if self.directory is not None else str(self.image)


@dataclass(frozen=True, kw_only=True)
class Channel:
    """One training input channel (InputDataConfig entry).

    Attributes:
        name: The channel name (``train``, ``validation``): data lands in ``/opt/ml/input/data/<name>``.
        source: A local file or folder; a folder's files are all part of the channel.
        input_mode: ``File`` and ``FastFile`` copy the data into the channel folder; ``Pipe`` streams
            it through the FIFO ``/opt/ml/input/data/<name>_<epoch>``. Default: ``File``.
        content_type: The channel's ContentType (``text/csv``, ``application/x-parquet``). Default: none.
    """

    name: str
    source: Path
    input_mode: InputMode = "File"
    content_type: str | None = None

    def __post_init__(self) -> None:
        problems = Problems(f"Channel {self.name!r}")
        problems.check(
            bool(_CHANNEL.match(self.name)) and len(self.name) <= 64,
            "name",
            self.name,
            "1-64 letters, digits, '.', '-' or '_'",
        )
        problems.check(self.input_mode in INPUT_MODES, "input_mode", self.input_mode, " or ".join(INPUT_MODES))
        problems.check(self.source.exists(), "source", str(self.source), "an existing local file or folder")
        problems.raise_if_any()


def _check_common(
    problems: Problems, name: str, environment: Mapping[str, str], instance_count: int, max_runtime: int
) -> None:
    problems.check(bool(_NAME.match(name)), "name", name, "1-63 letters, digits or '-', starting with a letter/digit")
    for key, value in environment.items():
        problems.check(bool(_ENV_KEY.match(key)), "environment key", key, "a name like MY_VARIABLE")
        problems.check(isinstance(value, str), f"environment[{key!r}]", value, "a string")
    # The images here train and process on one instance (the training container refuses more).
    problems.check(
        instance_count == 1,
        "instance_count",
        instance_count,
        "1: local mode runs a single host, algo-1 (the training container refuses more than one)",
    )
    problems.check(max_runtime >= 1, "max_runtime_seconds", max_runtime, "an integer >= 1")


@dataclass(frozen=True, kw_only=True)
class TrainingJob:
    """A training job: ``docker run IMAGE train`` under the /opt/ml training contract.

    Attributes:
        name: The TrainingJobName; names the output folder and log.
        container: What runs.
        hyperparameters: Written to ``hyperparameters.json`` with every value as a string (as
            SageMaker does). Default: none.
        channels: Input channels. Default: none.
        entrypoint: The ContainerEntrypoint. Default: the image's, with ``train`` as its argument.
        arguments: The ContainerArguments. Default: ``["train"]`` when no entrypoint is given.
        instance_count: Hosts ``algo-1..N``; only 1 runs locally. Default: 1.
        network_isolation: EnableNetworkIsolation: no network at all inside the job (podman
            ``--network=none``, or ``bwrap --unshare-net`` in process mode). Default: True.
        environment: Extra environment variables of the container. Default: none.
        checkpoints: A local folder seeded into ``/opt/ml/checkpoints`` before the run and updated
            from it afterwards, like CheckpointConfig's S3 sync. Default: none.
        max_runtime_seconds: StoppingCondition.MaxRuntimeInSeconds: then SIGTERM, and SIGKILL after
            a grace period. Default: 3600.
    """

    name: str
    container: Container
    hyperparameters: Mapping[str, object] = field(default_factory=dict)
    channels: Sequence[Channel] = ()
    entrypoint: Sequence[str] | None = None
    arguments: Sequence[str] | None = None
    instance_count: int = 1
    network_isolation: bool = True
    environment: Mapping[str, str] = field(default_factory=dict)
    checkpoints: Path | None = None
    max_runtime_seconds: int = 3600

    def __post_init__(self) -> None:
        problems = Problems(f"TrainingJob {self.name!r}")
        _check_common(problems, self.name, self.environment, self.instance_count, self.max_runtime_seconds)
        names = [channel.name for channel in self.channels]
        problems.check(len(names) == len(set(names)), "channels", names, "unique channel names")
        for key in self.hyperparameters:
            problems.check(isinstance(key, str) and bool(key), "hyperparameters key", key, "a non-empty string")
        problems.check(self.entrypoint is None or len(self.entrypoint) > 0, "entrypoint", self.entrypoint, "non-empty")
        problems.raise_if_any()

    def command(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """(entrypoint override or None for the image's, arguments) as SageMaker starts the container."""
        entry = tuple(self.entrypoint) if self.entrypoint is not None else None
        if self.arguments is not None:
            return entry, tuple(self.arguments)
        return entry, (() if entry is not None else ("train",))


@dataclass(frozen=True, kw_only=True)
class ProcessingInput:
    """One ProcessingInput: a local file or folder copied to ``destination`` before the job starts.

    Attributes:
        name: The InputName.
        source: A local file (copied into ``destination``) or folder (its contents copied).
        destination: The LocalPath, under ``/opt/ml/processing``. Default: ``/opt/ml/processing/input/<name>``.
    """

    name: str
    source: Path
    destination: str | None = None

    @property
    def local_path(self) -> PurePosixPath:
        """The container path the input is copied to."""
        return PurePosixPath(self.destination) if self.destination else PROCESSING_ROOT / "input" / self.name


@dataclass(frozen=True, kw_only=True)
class ProcessingOutput:
    """One ProcessingOutput: the folder ``source`` is copied to the local ``destination`` after the job.

    Attributes:
        name: The OutputName.
        destination: A local folder that receives the output.
        source: The LocalPath, under ``/opt/ml/processing``. Default: ``/opt/ml/processing/output/<name>``.
    """

    name: str
    destination: Path
    source: str | None = None

    @property
    def local_path(self) -> PurePosixPath:
        """The container path the output is collected from."""
        return PurePosixPath(self.source) if self.source else PROCESSING_ROOT / "output" / self.name


@dataclass(frozen=True, kw_only=True)
class ProcessingJob:
    """A processing job: ``docker run [--entrypoint E] IMAGE ARGS`` under the processing contract.

    Attributes:
        name: The ProcessingJobName.
        container: What runs.
        arguments: AppSpecification.ContainerArguments. Default: none.
        entrypoint: AppSpecification.ContainerEntrypoint. Default: the image's ENTRYPOINT.
        inputs: ProcessingInputs. Default: none.
        outputs: ProcessingOutputConfig.Outputs. Default: none.
        instance_count: Only 1 runs locally. Default: 1.
        network_isolation: NetworkConfig.EnableNetworkIsolation. Default: True.
        environment: Environment. Default: none.
        max_runtime_seconds: StoppingCondition.MaxRuntimeInSeconds. Default: 3600.
    """

    name: str
    container: Container
    arguments: Sequence[str] = ()
    entrypoint: Sequence[str] | None = None
    inputs: Sequence[ProcessingInput] = ()
    outputs: Sequence[ProcessingOutput] = ()
    instance_count: int = 1
    network_isolation: bool = True
    environment: Mapping[str, str] = field(default_factory=dict)
    max_runtime_seconds: int = 3600

    def __post_init__(self) -> None:
        problems = Problems(f"ProcessingJob {self.name!r}")
        _check_common(problems, self.name, self.environment, self.instance_count, self.max_runtime_seconds)
        for kind, items in (("inputs", self.inputs), ("outputs", self.outputs)):
            names = [item.name for item in items]
            problems.check(len(names) == len(set(names)), kind, names, "unique names")
            for item in items:
                path = item.local_path
                problems.check(bool(_NAME.match(item.name)), f"{kind} name", item.name, "letters, digits or '-'")
                problems.check(
                    path.is_absolute() and PROCESSING_ROOT in path.parents and ".." not in path.parts,
                    f"{kind}[{item.name!r}] local path",
                    str(path),
                    f"an absolute path under {PROCESSING_ROOT}/",
                )
        for item in self.inputs:
            problems.check(item.source.exists(), f"inputs[{item.name!r}] source", str(item.source), "an existing path")
        problems.check(self.entrypoint is None or len(self.entrypoint) > 0, "entrypoint", self.entrypoint, "non-empty")
        problems.raise_if_any()

    def command(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """(entrypoint override or None for the image's, arguments)."""
        return (tuple(self.entrypoint) if self.entrypoint is not None else None), tuple(self.arguments)


@dataclass(frozen=True, kw_only=True)
class ServingJob:
    """A model served locally: ``docker run IMAGE serve`` with the model in ``/opt/ml/model``.

    Attributes:
        name: The model name; names the log.
        container: What serves.
        model: ``model.tar.gz`` (extracted into ``/opt/ml/model``, as SageMaker does) or a model folder.
        environment: The container's Environment (``SAGEMAKER_MODEL_SERVER_WORKERS`` ...). Default: none.
        port: The host port of ``/invocations``. Default: 0, a free loopback port.
        network_isolation: Must stay False: an isolated server could not be reached from the host,
            so local mode does not pretend to reproduce it. Default: False.
    """

    name: str
    container: Container
    model: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    port: int = 0
    network_isolation: bool = False

    def __post_init__(self) -> None:
        problems = Problems(f"ServingJob {self.name!r}")
        _check_common(problems, self.name, self.environment, 1, 1)
        problems.check(self.model.exists(), "model", str(self.model), "an existing model.tar.gz or model folder")
        problems.check(0 <= self.port <= 65535, "port", self.port, "0 (any free port) to 65535")
        problems.check(
            not self.network_isolation,
            "network_isolation",
            self.network_isolation,
            "False: a server without a network cannot be invoked from the host in local mode",
        )
        problems.raise_if_any()
