"""Run training and processing jobs: lay out the tree, start the container, stream its log, collect results.

What a job leaves in its ``output`` folder, as SageMaker leaves it in S3:
``model.tar.gz`` (training, on success), ``output.tar.gz`` (training, when ``/opt/ml/output/data``
has files), ``failure`` or ``message`` (the contract file, when written) and ``job.log``
(everything the container printed). Processing outputs are copied to their destinations on success.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_platform.local.errors import JobFailed
from sagemaker_platform.local.job import ProcessingJob, TrainingJob
from sagemaker_platform.local.layout import (
    collect_processing_outputs,
    copy_into,
    package,
    read_text,
    write_processing_tree,
    write_training_tree,
)
from sagemaker_platform.local.pipes import PipeFeeder
from sagemaker_platform.local.progress import Progress, Silent
from sagemaker_platform.local.runners import Launch, Runner, Started


@dataclass(frozen=True)
class JobResult:
    """How a job ended and where its results are."""

    name: str
    runner: str
    exit_code: int
    seconds: float
    output: Path
    log: Path
    #: The failure reason (training ``output/failure``) or exit message (processing ``output/message``).
    message: str | None = None
    model: Path | None = None
    output_data: Path | None = None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        """True when the container exited 0 within its maximum runtime."""
        return self.exit_code == 0 and not self.timed_out

    def check(self) -> JobResult:
        """Return self, or raise JobFailed with the failure reason."""
        if not self.succeeded:
            reason = self.message or ("stopped at its maximum runtime" if self.timed_out else None)
            raise JobFailed(self.name, self.exit_code, reason)
        return self


#: What a job writes into its output folder; a rerun removes the previous run's first.
RESULT_FILES = ("model.tar.gz", "output.tar.gz", "failure", "message", "job.log")


def fresh_output(output: Path) -> Path:
    """Create ``output`` without the results of an earlier run; returns the (empty) job.log."""
    output.mkdir(parents=True, exist_ok=True)
    for name in RESULT_FILES:
        (output / name).unlink(missing_ok=True)
    log = output / "job.log"
    log.write_bytes(b"")
    return log


@contextlib.contextmanager
def workdir(name: str, keep: bool = False) -> Iterator[Path]:
    """A temporary folder for one job's tree (removed afterwards unless ``keep``)."""
    folder = Path(tempfile.mkdtemp(prefix=f"sm-local-{name}-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def pump(started: Started, source: str, log: Path, progress: Progress) -> threading.Thread:
    """Copy the container's output to ``log`` and ``progress`` line by line, in a thread."""

    def copy() -> None:
        with log.open("ab") as handle:
            for raw in iter(started.output.readline, b""):
                handle.write(raw)
                handle.flush()
                progress.log(source, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    thread = threading.Thread(target=copy, name=f"log-{source}", daemon=True)
    thread.start()
    return thread


def stop(started: Started, grace: float) -> int | None:
    """SIGTERM, wait ``grace`` seconds, then SIGKILL; returns the exit code (None if even that failed)."""
    started.terminate()
    try:
        return started.wait(grace)
    except subprocess.TimeoutExpired:
        started.kill()
        return started.poll()


def execute(
    runner: Runner, launch: Launch, progress: Progress, log: Path, max_runtime: float, grace: float
) -> tuple[int, bool, float]:
    """Start ``launch`` and wait for it within ``max_runtime``: (exit code, timed out, seconds)."""
    began = time.monotonic()
    started = runner.start(launch)
    reader = pump(started, launch.name, log, progress)
    timed_out = False
    try:
        try:
            code = started.wait(max_runtime)
        except subprocess.TimeoutExpired:
            timed_out = True
            progress.step(f"{launch.name}: maximum runtime of {max_runtime:.0f}s reached, sending SIGTERM")
            stopped = stop(started, grace)
            code = stopped if stopped is not None else -9
    except BaseException:  # Ctrl-C or an error here: never leave the container running
        stop(started, grace=min(grace, 10))
        raise
    finally:
        reader.join(timeout=10)
        started.release()
    return code, timed_out, time.monotonic() - began


def _launch(job: TrainingJob | ProcessingJob, image: str, tree: Path, scratch: Path, name_variable: str) -> Launch:
    """What every job hands its runner; ``name_variable`` is how SageMaker tells the container its job name."""
    entrypoint, arguments = job.command()
    return Launch(
        name=job.name,
        container=job.container,
        image=image,
        entrypoint=entrypoint,
        arguments=arguments,
        tree=tree,
        scratch=scratch,
        environment={name_variable: job.name, **job.environment},
        network_isolation=job.network_isolation,
    )


def run_training(
    job: TrainingJob,
    runner: Runner,
    *,
    output: Path,
    progress: Progress | None = None,
    keep_tree: bool = False,
    stop_grace_seconds: float = 30.0,
) -> JobResult:
    """Run a training job; ``output`` receives model.tar.gz, output.tar.gz, failure and job.log."""
    progress = progress or Silent()
    image = runner.prepare(job.container, progress.step)
    log = fresh_output(output)
    with workdir(job.name, keep_tree) as work:
        tree = work / "opt-ml"
        write_training_tree(job, tree)
        pipes = [(channel.name, channel.source) for channel in job.channels if channel.input_mode == "Pipe"]
        feeder = PipeFeeder(tree, pipes).start()
        isolation = "network isolated" if job.network_isolation else "with network"
        progress.step(f"{job.name}: training with {image} ({runner.name} mode, {isolation})")
        launch = _launch(job, image, tree, work, "TRAINING_JOB_NAME")
        try:
            code, timed_out, seconds = execute(
                runner, launch, progress, log, job.max_runtime_seconds, stop_grace_seconds
            )
        finally:
            feeder.stop()
        failure_file = tree / "output" / "failure"
        failure = read_text(failure_file)
        if failure_file.is_file():
            shutil.copyfile(failure_file, output / "failure")
        model = package(tree / "model", output / "model.tar.gz") if code == 0 and not timed_out else None
        data = tree / "output" / "data"
        has_data = data.is_dir() and any(p.is_file() for p in data.rglob("*"))
        output_data = package(data, output / "output.tar.gz") if has_data else None
        if job.checkpoints is not None:
            copy_into(tree / "checkpoints", job.checkpoints)
    result = JobResult(
        name=job.name,
        runner=runner.name,
        exit_code=code,
        seconds=seconds,
        output=output,
        log=log,
        message=failure,
        model=model,
        output_data=output_data,
        timed_out=timed_out,
    )
    _report(result, progress)
    return result


def run_processing(
    job: ProcessingJob,
    runner: Runner,
    *,
    output: Path,
    progress: Progress | None = None,
    keep_tree: bool = False,
    stop_grace_seconds: float = 30.0,
) -> JobResult:
    """Run a processing job; outputs go to their destinations, ``output`` receives message and job.log."""
    progress = progress or Silent()
    image = runner.prepare(job.container, progress.step)
    log = fresh_output(output)
    with workdir(job.name, keep_tree) as work:
        tree = work / "opt-ml"
        write_processing_tree(job, tree, image)
        isolation = "network isolated" if job.network_isolation else "with network"
        progress.step(f"{job.name}: processing with {image} ({runner.name} mode, {isolation})")
        launch = _launch(job, image, tree, work, "PROCESSING_JOB_NAME")
        code, timed_out, seconds = execute(runner, launch, progress, log, job.max_runtime_seconds, stop_grace_seconds)
        message = read_text(tree / "output" / "message")
        if message is not None:
            (output / "message").write_text(message + "\n", encoding="utf-8")
        outputs = collect_processing_outputs(job, tree) if code == 0 and not timed_out else {}
    result = JobResult(
        name=job.name,
        runner=runner.name,
        exit_code=code,
        seconds=seconds,
        output=output,
        log=log,
        message=message,
        outputs=outputs,
        timed_out=timed_out,
    )
    _report(result, progress)
    return result


def _report(result: JobResult, progress: Progress) -> None:
    if result.succeeded:
        made = [str(p) for p in (result.model, result.output_data) if p is not None]
        made += [f"{name} -> {path}" for name, path in result.outputs.items()]
        progress.step(f"{result.name}: completed in {result.seconds:.1f}s" + (f"; {', '.join(made)}" if made else ""))
    else:
        why = "timed out" if result.timed_out else f"exit code {result.exit_code}"
        progress.step(f"{result.name}: FAILED ({why}) after {result.seconds:.1f}s: {result.message or 'no reason'}")
