"""``python -m sagemaker_platform.local build|clean|train|process|serve|invoke``: run the containers locally.

Every command prints its steps and the container's output on stderr; results (paths, responses)
go to stdout. The containers are the checkout's (``--root``, or the one at or above the current
folder), else the installed package's. Jobs leave their results under ``--output`` (default: the
checkout's ``.build/local/<job>``, else ``<cache>/jobs/<job>``). Missing host tools (bwrap, podman,
runc, debootstrap) are installed with apt-get only with ``--install-missing``, and announced.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import cast

from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.execution import run_processing, run_training
from sagemaker_platform.local.job import (
    Channel,
    InputMode,
    ProcessingInput,
    ProcessingJob,
    ProcessingOutput,
    ServingJob,
)
from sagemaker_platform.local.job import TrainingJob as TrainingJobSpec
from sagemaker_platform.local.progress import Console
from sagemaker_platform.local.runners import ProcessRunner, Runner
from sagemaker_platform.local.serving import Probe, request, serve
from sagemaker_platform.local.workspace import Workspace


def _pairs(values: Sequence[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise LocalModeError(f"{what} {value!r}: expected KEY=VALUE")
        pairs[key] = rest
    return pairs


def _spec(value: str, what: str, options: Sequence[str]) -> tuple[str, str, dict[str, str]]:
    """``NAME=PATH[,option=value...]`` -> (name, path, options)."""
    head, *extras = value.split(",")
    name, sep, path = head.partition("=")
    if not sep or not name or not path:
        raise LocalModeError(f"{what} {value!r}: expected NAME=PATH[,{'=...,'.join(options)}=...]")
    settings = _pairs(extras, what)
    unknown = sorted(set(settings) - set(options))
    if unknown:
        raise LocalModeError(f"{what} {value!r}: unknown option(s) {', '.join(unknown)}; known: {', '.join(options)}")
    return name, path, settings


def _runner(args: argparse.Namespace, workspace: Workspace, progress: Console) -> Runner:
    if args.mode == "podman":
        from sagemaker_platform.local.podman import PodmanRunner

        return PodmanRunner(workspace, install_missing=args.install_missing, mirror=args.mirror, note=progress.step)
    return ProcessRunner(install_missing=args.install_missing, note=progress.step)


def _job_name(args: argparse.Namespace, kind: str) -> str:
    return str(args.job_name or f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}")


def _results(folder: str | None, workspace: Workspace, name: str) -> Path:
    return Path(folder) if folder else workspace.results(name)


def _train(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    channels = []
    for value in args.channel:
        name, path, options = _spec(value, "--channel", ("mode", "type"))
        mode = cast(InputMode, options.get("mode", "File"))
        channels.append(Channel(name=name, source=Path(path), input_mode=mode, content_type=options.get("type")))
    job = TrainingJobSpec(
        name=_job_name(args, "train"),
        container=workspace.container(args.container),
        hyperparameters=_pairs(args.hyperparameter, "--hyperparameter"),
        channels=channels,
        network_isolation=not args.network,
        environment=_pairs(args.env, "--env"),
        checkpoints=Path(args.checkpoints) if args.checkpoints else None,
        max_runtime_seconds=args.max_runtime,
    )
    output = _results(args.output, workspace, job.name)
    result = run_training(job, _runner(args, workspace, progress), output=output, progress=progress)
    if result.model:
        print(result.model)
    return 0 if result.succeeded else 1


def _process(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    inputs = []
    for value in args.input:
        name, path, options = _spec(value, "--input", ("to",))
        inputs.append(ProcessingInput(name=name, source=Path(path), destination=options.get("to")))
    outputs = []
    for value in args.output:
        name, path, options = _spec(value, "--output", ("from",))
        outputs.append(ProcessingOutput(name=name, destination=Path(path), source=options.get("from")))
    arguments = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    job = ProcessingJob(
        name=_job_name(args, "process"),
        container=workspace.container(args.container),
        arguments=arguments,
        inputs=inputs,
        outputs=outputs,
        network_isolation=not args.network,
        environment=_pairs(args.env, "--env"),
        max_runtime_seconds=args.max_runtime,
    )
    logs = _results(args.logs, workspace, job.name)
    result = run_processing(job, _runner(args, workspace, progress), output=logs, progress=progress)
    for destination in result.outputs.values():
        print(destination)
    return 0 if result.succeeded else 1


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    job = ServingJob(
        name=_job_name(args, "serve"),
        container=workspace.container(args.container),
        model=Path(args.model),
        environment=_pairs(args.env, "--env"),
        port=args.port,
    )
    probe = Probe(Path(args.probe).read_bytes(), args.probe_type) if args.probe else None
    endpoint = serve(
        job, _runner(args, workspace, progress), progress=progress, probe=probe, ready_timeout=args.ready_timeout
    )
    try:
        if args.invoke:
            body = sys.stdin.buffer.read() if args.invoke == "-" else Path(args.invoke).read_bytes()
            answer = endpoint.invoke(body, args.content_type, args.accept)
            progress.step(f"{job.name}: /invocations answered {answer.status} ({answer.content_type})")
            sys.stdout.buffer.write(answer.body)
            sys.stdout.flush()
            return 0 if 200 <= answer.status < 300 else 1
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        progress.step(f"{job.name}: serving at {endpoint.url} until Ctrl-C")
        try:
            while endpoint.started.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 0
    finally:
        code = endpoint.stop()
        progress.step(f"{job.name}: server stopped (exit code {code})")


def _invoke(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    body = sys.stdin.buffer.read() if args.body == "-" else Path(args.body).read_bytes()
    headers = {"Content-Type": args.content_type}
    if args.accept:
        headers["Accept"] = args.accept
    answer = request(args.port, "POST", "/invocations", body, headers, timeout=args.timeout, host=args.host)
    progress.step(f"/invocations answered {answer.status} ({answer.content_type}, {len(answer.body)} bytes)")
    sys.stdout.buffer.write(answer.body)
    sys.stdout.flush()
    return 0 if 200 <= answer.status < 300 else 1


def _build(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    from sagemaker_platform.local.images import ImageBuilder
    from sagemaker_platform.local.podman import PodmanEngine

    engine = PodmanEngine(workspace, install_missing=args.install_missing, note=progress.step)
    builder = ImageBuilder(engine, note=progress.step, mirror=args.mirror)
    names = args.names or ["training", "processing", "inference"]
    for name in names:
        container = workspace.container(name)
        assert container.directory is not None
        print(builder.image(container.directory))
    return 0


def _clean(args: argparse.Namespace, workspace: Workspace, progress: Console) -> int:
    import shutil

    from sagemaker_platform.local.podman import PodmanEngine

    engine = PodmanEngine(workspace, install_missing=False)
    if shutil.which("podman"):
        # With local mode's own configuration: only its storage is reset, never the machine's.
        engine.run("system", "reset", "--force", timeout=600)
        progress.step(f"removed local mode's podman storage in {workspace.storage}")
    if workspace.wheelhouse.is_dir():
        shutil.rmtree(workspace.wheelhouse)
        progress.step(f"removed {workspace.wheelhouse}")
    return 0


def _job_options(parser: argparse.ArgumentParser, container: str) -> None:
    parser.add_argument("--container", default=container, help=f"a container folder's name (default: {container})")
    parser.add_argument("--job-name", help="job name (default: <command>-<timestamp>)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="container environment")
    parser.add_argument("--network", action="store_true", help="turn network isolation off (default: isolated)")
    parser.add_argument("--max-runtime", type=int, default=3600, metavar="SECONDS", help="then SIGTERM (default: 3600)")


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    root = argparse.ArgumentParser(
        prog="python -m sagemaker_platform.local",
        description="Run the containers' train/process/serve entrypoints under the SageMaker /opt/ml contract, "
        "as processes or as podman images. Steps and container output go to stderr, results to stdout.",
    )
    root.add_argument("--mode", choices=("process", "podman"), default="process", help="how to run (default: process)")
    root.add_argument(
        "--root",
        type=Path,
        help="repository checkout whose containers/ to run (default: the checkout at or above the current "
        "folder, else the containers of the installed package)",
    )
    root.add_argument(
        "--cache",
        type=Path,
        help="local mode's state: podman settings and storage, wheelhouse, results without a checkout "
        "(default: $XDG_CACHE_HOME/sagemaker-platform, else ~/.cache/sagemaker-platform)",
    )
    root.add_argument("--quiet", action="store_true", help="show steps only, not the container's output")
    root.add_argument(
        "--install-missing",
        action="store_true",
        help="apt-get install missing host tools (bwrap, podman, runc, debootstrap; root only), announcing each "
        "(default: never install, name the package instead)",
    )
    root.add_argument("--mirror", help="Debian mirror of the base image (default: from the apt sources)")
    commands = root.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build the podman images (base image, wheelhouses, images)")
    build.add_argument("names", nargs="*", help="containers to build (default: all three)")
    build.set_defaults(run=_build)

    clean = commands.add_parser("clean", help="remove local mode's podman storage and the wheelhouses")
    clean.set_defaults(run=_clean)

    train = commands.add_parser("train", help="run a training job")
    _job_options(train, "training")
    train.add_argument("--channel", action="append", default=[], metavar="NAME=PATH[,mode=Pipe][,type=text/csv]")
    train.add_argument("--hyperparameter", "-H", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument("--checkpoints", metavar="DIR", help="checkpoints folder, resumed from and updated")
    train.add_argument(
        "--output",
        metavar="DIR",
        help="model.tar.gz, failure, job.log (default: .build/local/<job> or <cache>/jobs/<job>)",
    )
    train.set_defaults(run=_train)

    process = commands.add_parser("process", help="run a processing job: process [options] -- ARGS")
    _job_options(process, "processing")
    process.add_argument("--input", action="append", default=[], metavar="NAME=PATH[,to=/opt/ml/processing/...]")
    process.add_argument("--output", action="append", default=[], metavar="NAME=DIR[,from=/opt/ml/processing/...]")
    process.add_argument(
        "--logs", metavar="DIR", help="message and job.log (default: .build/local/<job> or <cache>/jobs/<job>)"
    )
    process.add_argument("arguments", nargs=argparse.REMAINDER, help="the container's arguments, after --")
    process.set_defaults(run=_process)

    serving = commands.add_parser("serve", help="serve a model until Ctrl-C, or for one --invoke")
    serving.add_argument("--container", default="inference", help="a container folder's name (default: inference)")
    serving.add_argument("--model", required=True, help="model.tar.gz or a model folder")
    serving.add_argument("--job-name", help="name for logs (default: serve-<timestamp>)")
    serving.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="container environment")
    serving.add_argument("--port", type=int, default=8080, help="host port (default: 8080; 0 picks a free one)")
    serving.add_argument("--probe", metavar="FILE", help="readiness request body that must get a 2xx")
    serving.add_argument("--probe-type", default="text/csv", help="Content-Type of --probe (default: text/csv)")
    serving.add_argument("--ready-timeout", type=float, default=120, metavar="SECONDS")
    serving.add_argument("--invoke", metavar="FILE", help="send this body ('-': stdin), print the answer, stop")
    serving.add_argument("--content-type", default="text/csv")
    serving.add_argument("--accept")
    serving.set_defaults(run=_serve)

    invoke = commands.add_parser("invoke", help="POST a body to a running server's /invocations")
    invoke.add_argument("--host", default="127.0.0.1")
    invoke.add_argument("--port", type=int, default=8080)
    invoke.add_argument("--body", required=True, metavar="FILE", help="request body ('-': stdin)")
    invoke.add_argument("--content-type", default="text/csv")
    invoke.add_argument("--accept")
    invoke.add_argument("--timeout", type=float, default=60)
    invoke.set_defaults(run=_invoke)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors print one readable line (exit 2), failed jobs exit 1."""
    args = parser().parse_args(argv)
    progress = Console(show_logs=not args.quiet)
    try:
        cache = args.cache.resolve() if args.cache else None
        workspace = Workspace.checkout(args.root, cache) if args.root else Workspace.discover(Path.cwd(), cache)
        return int(args.run(args, workspace, progress))
    except (LocalModeError, ValueError) as exc:
        progress.step(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        progress.step("interrupted")
        return 130
