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

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.local.errors": (
        "JobFailed",
        "LocalModeError",
    ),
    "sagemaker_platform.local.execution": (
        "JobResult",
        "run_processing",
        "run_training",
    ),
    "sagemaker_platform.local.job": (
        "Channel",
        "Container",
        "InputMode",
        "ProcessingInput",
        "ProcessingJob",
        "ProcessingOutput",
        "ServingJob",
        "TrainingJob",
    ),
    "sagemaker_platform.local.podman": ("PodmanRunner",),
    "sagemaker_platform.local.progress": (
        "Console",
        "Progress",
        "Silent",
    ),
    "sagemaker_platform.local.requests": (
        "processing_job_from_request",
        "resolve_uri",
        "training_job_from_request",
    ),
    "sagemaker_platform.local.runners": (
        "ProcessRunner",
        "Runner",
    ),
    "sagemaker_platform.local.serving": (
        "LocalEndpoint",
        "Probe",
        "Response",
        "serve",
    ),
    "sagemaker_platform.local.workspace": ("Workspace",),
}

if TYPE_CHECKING:
    from sagemaker_platform.local.errors import JobFailed as JobFailed
    from sagemaker_platform.local.errors import LocalModeError as LocalModeError
    from sagemaker_platform.local.execution import (
        JobResult as JobResult,
    )
    from sagemaker_platform.local.execution import (
        run_processing as run_processing,
    )
    from sagemaker_platform.local.execution import (
        run_training as run_training,
    )
    from sagemaker_platform.local.job import (
        Channel as Channel,
    )
    from sagemaker_platform.local.job import (
        Container as Container,
    )
    from sagemaker_platform.local.job import (
        InputMode as InputMode,
    )
    from sagemaker_platform.local.job import (
        ProcessingInput as ProcessingInput,
    )
    from sagemaker_platform.local.job import (
        ProcessingJob as ProcessingJob,
    )
    from sagemaker_platform.local.job import (
        ProcessingOutput as ProcessingOutput,
    )
    from sagemaker_platform.local.job import (
        ServingJob as ServingJob,
    )
    from sagemaker_platform.local.job import (
        TrainingJob as TrainingJob,
    )
    from sagemaker_platform.local.podman import PodmanRunner as PodmanRunner
    from sagemaker_platform.local.progress import Console as Console
    from sagemaker_platform.local.progress import Progress as Progress
    from sagemaker_platform.local.progress import Silent as Silent
    from sagemaker_platform.local.requests import (
        processing_job_from_request as processing_job_from_request,
    )
    from sagemaker_platform.local.requests import (
        resolve_uri as resolve_uri,
    )
    from sagemaker_platform.local.requests import (
        training_job_from_request as training_job_from_request,
    )
    from sagemaker_platform.local.runners import ProcessRunner as ProcessRunner
    from sagemaker_platform.local.runners import Runner as Runner
    from sagemaker_platform.local.serving import (
        LocalEndpoint as LocalEndpoint,
    )
    from sagemaker_platform.local.serving import (
        Probe as Probe,
    )
    from sagemaker_platform.local.serving import (
        Response as Response,
    )
    from sagemaker_platform.local.serving import (
        serve as serve,
    )
    from sagemaker_platform.local.workspace import Workspace as Workspace
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
