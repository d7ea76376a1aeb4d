"""Local mode: run a container's train/process/serve entrypoint under the SageMaker /opt/ml contract.

No AWS and no Docker engine: a job description (``TrainingJob``, ``ProcessingJob``, ``ServingJob``)
is laid out as the /opt/ml tree SageMaker would prepare, and run either as a process
(``ProcessRunner``, with ``bwrap --unshare-net`` for network isolation) or as the built image
(``PodmanRunner``). Standard library only; the containers bring their own packages. The containers
are a checkout's ``containers/`` or, without one, those the installed package ships; what local mode
builds and writes goes to the user's cache (``Workspace``). Missing host tools are installed only
when asked for (``install_missing=True``).

    from sagemaker_platform.local import ProcessRunner, TrainingJob, Workspace, run_training

    workspace = Workspace.discover(Path.cwd())  # the checkout here, else the installed package's containers
    job = TrainingJob(name="demo", container=workspace.container("training"),
                      hyperparameters={"num_round": 50}, channels=[Channel(name="train", source=Path("data"))])
    result = run_training(job, ProcessRunner(), output=Path("out")).check()
"""

from sagemaker_platform.local.errors import JobFailed, LocalModeError
from sagemaker_platform.local.execution import JobResult, run_processing, run_training
from sagemaker_platform.local.job import (
    Channel,
    Container,
    InputMode,
    ProcessingInput,
    ProcessingJob,
    ProcessingOutput,
    ServingJob,
    TrainingJob,
)
from sagemaker_platform.local.podman import PodmanRunner
from sagemaker_platform.local.progress import Console, Progress, Silent
from sagemaker_platform.local.requests import processing_job_from_request, resolve_uri, training_job_from_request
from sagemaker_platform.local.runners import ProcessRunner, Runner
from sagemaker_platform.local.serving import LocalEndpoint, Probe, Response, serve
from sagemaker_platform.local.workspace import Workspace

__all__ = [
    "Channel",
    "Console",
    "Container",
    "InputMode",
    "JobFailed",
    "JobResult",
    "LocalEndpoint",
    "LocalModeError",
    "PodmanRunner",
    "Probe",
    "ProcessRunner",
    "ProcessingInput",
    "ProcessingJob",
    "ProcessingOutput",
    "Progress",
    "Response",
    "Runner",
    "ServingJob",
    "Silent",
    "TrainingJob",
    "Workspace",
    "processing_job_from_request",
    "resolve_uri",
    "run_processing",
    "run_training",
    "serve",
    "training_job_from_request",
]
