"""Two ways to start a container under the /opt/ml contract, behind one interface.

``ProcessRunner`` runs the container folder's ``bin/`` entrypoint with this interpreter, with
``SM_BASE_DIR`` at the tree and ``src/`` on ``PYTHONPATH``, inside ``bwrap --unshare-net`` when
network isolation is on. ``PodmanRunner`` (``sagemaker_platform.local.podman``) runs the built
image with the tree mounted at ``/opt/ml``.
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sagemaker_platform.local.dockerfile import read_image_config
from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.job import Container
from sagemaker_platform.local.layout import HOST
from sagemaker_platform.local.system import require

#: The port SageMaker's serving contract listens on inside the container.
CONTAINER_PORT = 8080
#: Host variables a process-mode job keeps; a container starts from its image's environment only.
_KEPT_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


@dataclass(frozen=True, kw_only=True)
class Launch:
    """One container start: what to run, against which tree, with which network.

    ``port`` is set for serving: the host loopback port that reaches the container's 8080.
    ``scratch`` is a folder the runner may keep its own files in (hosts file, logs).
    """

    name: str
    container: Container
    image: str
    entrypoint: tuple[str, ...] | None
    arguments: tuple[str, ...]
    tree: Path
    scratch: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    network_isolation: bool = True
    port: int | None = None


class Started(abc.ABC):
    """A started container: its combined output, its exit code, and how to stop it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @property
    def output(self) -> IO[bytes]:
        """stdout and stderr of the container, merged."""
        assert self.process.stdout is not None
        return self.process.stdout

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        return self.process.poll()

    def wait(self, timeout: float) -> int:
        """Wait at most ``timeout`` seconds for the exit code; raises subprocess.TimeoutExpired."""
        return self.process.wait(timeout)

    @abc.abstractmethod
    def terminate(self) -> None:
        """Send SIGTERM to the container's main process (SageMaker's stop and spot interruption)."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop it for good (SIGKILL) and release what the runner holds for it."""

    @abc.abstractmethod
    def release(self) -> None:
        """After it exited: free what the runner keeps for it."""


class Runner(abc.ABC):
    """Starts containers; ``prepare`` once per container, then ``start`` per run."""

    name: str = "runner"

    @abc.abstractmethod
    def prepare(self, container: Container, note: Callable[[str], None]) -> str:
        """Make ``container`` runnable (build its image) and return the image reference it runs as."""

    @abc.abstractmethod
    def start(self, launch: Launch) -> Started:
        """Start the container; the caller must wait for it or stop it."""


class _Process(Started):
    def __init__(self, process: subprocess.Popen[bytes], target: int) -> None:
        super().__init__(process)
        self.target = target  # the entrypoint's pid (inside bwrap when sandboxed)

    def terminate(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.target, signal.SIGTERM)

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # the session holds bwrap and its child
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def release(self) -> None:
        """Nothing to free: an exited process leaves nothing behind."""


def _child_pid(info_fd: int, timeout: float = 10.0) -> int | None:
    """The sandboxed process's pid from bwrap's --info-fd JSON (None if bwrap exited first)."""
    data = b""
    with os.fdopen(info_fd, "rb", buffering=0) as info:
        while b"}" not in data:
            ready, _, _ = select.select([info], [], [], timeout)
            if not ready:
                return None
            chunk = info.read(4096)
            if not chunk:
                break
            data += chunk
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def rebase(value: str, tree: Path) -> str:
    """``/opt/ml`` and ``/opt/ml/...`` moved onto ``tree``; other values unchanged.

    Process mode has no /opt/ml, so container paths in arguments and environment values follow the
    tree, as the containers' contract modules rebase the paths in their config files.
    """
    option, equals, rest = value.partition("=")
    if equals and option.startswith("-"):  # --output=/opt/ml/...
        return f"{option}={rebase(rest, tree)}"
    if value == "/opt/ml" or value.startswith("/opt/ml/"):
        return str(tree) + value[len("/opt/ml") :]
    return value


class ProcessRunner(Runner):
    """Runs ``<container>/bin/<entrypoint>`` as a subprocess of this interpreter.

    Args:
        python: The interpreter with the containers' packages. Default: this one.
        install_missing: apt-get install bubblewrap when network isolation needs it and it is
            missing (root only), announced to ``note``. Default: False, then a missing bwrap is an
            error saying what to install; nothing is ever installed unless asked for here.
        note: Told when a tool is being installed. Default: the announcement goes to stderr.
    """

    name = "process"

    def __init__(
        self,
        *,
        python: str = sys.executable,
        install_missing: bool = False,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.python = python
        self.install_missing = install_missing
        self.note = note

    def prepare(self, container: Container, note: Callable[[str], None]) -> str:
        if container.directory is None:
            raise LocalModeError(
                f"process mode runs a container folder's code, not the image {container.image!r}: use podman mode"
            )
        return f"process:{container.directory.resolve()}"

    def command(self, launch: Launch) -> tuple[list[str], Path]:
        """The argv of the entrypoint and its working folder, as ``docker run`` would resolve them."""
        directory = launch.container.directory
        assert directory is not None
        config = read_image_config(directory / "Dockerfile")
        argv = [*(launch.entrypoint if launch.entrypoint is not None else config.entrypoint), *launch.arguments]
        if not argv:
            raise LocalModeError(f"{launch.name}: no entrypoint and no arguments to run")
        program = directory / "bin" / argv[0]
        if not program.is_file():
            raise LocalModeError(f"{launch.name}: {argv[0]!r} is not a program in {directory / 'bin'}")
        try:
            workdir = launch.tree / config.workdir.relative_to("/opt/ml")
        except ValueError:
            workdir = launch.tree
        return [self.python, str(program), *(rebase(arg, launch.tree) for arg in argv[1:])], workdir

    def environment(self, launch: Launch) -> dict[str, str]:
        """The process's environment: a few host basics, the image's Python settings, the contract, the job's."""
        assert launch.container.directory is not None
        env = {key: os.environ[key] for key in _KEPT_HOST_VARIABLES if key in os.environ}
        env.update(
            PYTHONPATH=str((launch.container.directory / "src").resolve()),
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            SM_BASE_DIR=str(launch.tree),
        )
        env.update({key: rebase(value, launch.tree) for key, value in launch.environment.items()})
        if launch.port is not None:
            env.update(SM_BIND_HOST="127.0.0.1", SAGEMAKER_BIND_TO_PORT=str(launch.port))
        return env

    def start(self, launch: Launch) -> Started:
        argv, workdir = self.command(launch)
        workdir.mkdir(parents=True, exist_ok=True)
        env = self.environment(launch)
        if not launch.network_isolation:
            process = subprocess.Popen(
                argv, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
            )
            return _Process(process, process.pid)
        bwrap = require("bwrap", install=self.install_missing, note=self.note)
        hosts = launch.scratch / "hosts"
        hosts.write_text(f"127.0.0.1\tlocalhost\n127.0.0.1\t{HOST}\n::1\tlocalhost\n", encoding="utf-8")
        read_info, write_info = os.pipe()
        sandbox = [
            bwrap,
            "--dev-bind", "/", "/",
            "--unshare-net",
            "--unshare-uts", "--hostname", HOST,
            "--ro-bind", str(hosts), "/etc/hosts",
            "--info-fd", str(write_info),
            "--chdir", str(workdir),
            "--",
        ]  # fmt: skip
        try:
            process = subprocess.Popen(
                [*sandbox, *argv],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(write_info,),
            )
        except BaseException:
            os.close(read_info)
            raise
        finally:
            os.close(write_info)
        child = _child_pid(read_info)
        return _Process(process, child if child is not None else process.pid)
