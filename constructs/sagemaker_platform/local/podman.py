"""Podman mode: the built image runs with the tree mounted at /opt/ml, as SageMaker runs it.

Podman runs with local mode's own configuration (``containers/build/*.conf`` rendered into the
cache's ``podman-config/``, storage in the cache's ``podman/``), selected with ``CONTAINERS_CONF`` and
``CONTAINERS_STORAGE_CONF`` on each call, so neither this process's environment nor the machine's
podman settings and storage change, and nothing is written into a checkout or an installed package.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.job import Container
from sagemaker_platform.local.layout import HOST
from sagemaker_platform.local.runners import CONTAINER_PORT, Launch, Runner, Started
from sagemaker_platform.local.system import require
from sagemaker_platform.local.workspace import Workspace


class PodmanEngine:
    """Runs podman commands with local mode's configuration and storage (see ``Workspace``)."""

    def __init__(
        self, workspace: Workspace, *, install_missing: bool = False, note: Callable[[str], None] | None = None
    ) -> None:
        self.note = note
        self.workspace = workspace
        self.config = workspace.engine_config
        self.state = workspace.storage
        self.install_missing = install_missing
        self._podman: str | None = None

    @property
    def podman(self) -> str:
        """The podman executable (checked, with runc, on first use)."""
        if self._podman is None:
            self._podman = require("podman", install=self.install_missing, note=self.note)
            require("runc", install=self.install_missing, note=self.note)
            self.write_config()
        return self._podman

    def write_config(self) -> None:
        """Render ``containers/build/*.conf`` into the cache's ``podman-config/`` (when changed)."""
        for name in ("containers.conf", "storage.conf"):
            template = (self.workspace.engine_templates / name).read_text(encoding="utf-8")
            target = self.config / name
            rendered = template.replace("@STATE@", str(self.state.resolve()))
            if not target.is_file() or target.read_text(encoding="utf-8") != rendered:
                target.parent.mkdir(parents=True, exist_ok=True)
                # Replaced whole: another process (a checkout and an installed package share the
                # cache) may be reading it for a podman call right now.
                partial = target.with_name(f".{name}.{os.getpid()}")
                partial.write_text(rendered, encoding="utf-8")
                partial.replace(target)

    def env(self) -> dict[str, str]:
        """The environment of a podman call: this process's plus the two configuration files."""
        return {
            **os.environ,
            "CONTAINERS_CONF": str(self.config / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.config / "storage.conf"),
        }

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``podman ARGS``, captured; raises LocalModeError with podman's output when ``check`` fails."""
        result = subprocess.run(
            [self.podman, *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise LocalModeError(
                f"podman {' '.join(args[:3])} ... failed ({result.returncode}):\n{result.stderr[-3000:]}"
            )
        return result

    def popen(self, args: list[str]) -> subprocess.Popen[bytes]:
        """Start ``podman ARGS`` with its output piped, in a session of its own."""
        return subprocess.Popen(
            [self.podman, *args],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def image_exists(self, reference: str) -> bool:
        """Whether local storage holds ``reference``."""
        return self.run("image", "exists", reference, check=False).returncode == 0

    def inspect(self, reference: str, template: str) -> str:
        """``podman image inspect --format TEMPLATE``."""
        return self.run("image", "inspect", "--format", template, reference).stdout.strip()

    @contextlib.contextmanager
    def lock(self, timeout: float = 3600) -> Iterator[None]:
        """One builder at a time (two test workers, or a test run and a CLI build)."""
        self.state.mkdir(parents=True, exist_ok=True)
        with (self.state / "build.lock").open("w") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LocalModeError(f"{self.state / 'build.lock'} held for over {timeout:.0f}s") from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class _Container(Started):
    def __init__(self, process: subprocess.Popen[bytes], engine: PodmanEngine, name: str) -> None:
        super().__init__(process)
        self.engine = engine
        self.name = name

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.engine.run("kill", "--signal", "TERM", self.name, check=False, timeout=30)

    def kill(self) -> None:
        self.release()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def release(self) -> None:
        # --rm removes the container in a cleanup process after `podman run` returns; removing it
        # here too means that no stopped container outlives the job.
        self.engine.run("rm", "--force", "--ignore", "--time", "0", self.name, check=False, timeout=60)


class PodmanRunner(Runner):
    """Builds container folders into images (see ``images``) and runs them with podman.

    Args:
        workspace: Where the containers and podman's templates come from (a checkout or the installed
            package) and the cache everything built goes to (podman settings and storage, wheelhouse).
        install_missing: apt-get install podman, runc and debootstrap when missing (root only),
            each announced to ``note``. Default: False, then a missing tool is an error saying what
            to install; nothing is ever installed unless asked for here.
        mirror: The Debian mirror of the base image. Default: the one in this machine's apt sources.
        note: Told when a tool is being installed. Default: the announcement goes to stderr.
    """

    name = "podman"

    def __init__(
        self,
        workspace: Workspace,
        *,
        install_missing: bool = False,
        mirror: str | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = PodmanEngine(workspace, install_missing=install_missing, note=note)
        self.mirror = mirror
        self._images: dict[Path, str] = {}

    def prepare(self, container: Container, note: Callable[[str], None]) -> str:
        from sagemaker_platform.local.images import ImageBuilder

        if container.image is not None:
            if not self.engine.image_exists(container.image):
                raise LocalModeError(f"podman has no image {container.image!r} (no registry is reachable to pull it)")
            return container.image
        assert container.directory is not None
        key = container.directory.resolve()
        if key not in self._images:
            builder = ImageBuilder(self.engine, note=note, mirror=self.mirror)
            self._images[key] = builder.image(container.directory)
        return self._images[key]

    def command(self, launch: Launch, name: str) -> list[str]:
        """The ``podman run`` arguments of ``launch``."""
        args = ["run", "--rm", "--name", name, "--hostname", HOST, "--pull=never"]
        args += ["--volume", f"{launch.tree.resolve()}:/opt/ml"]
        if launch.network_isolation:
            args.append("--network=none")
        if launch.port is not None:
            args += ["--publish", f"127.0.0.1:{launch.port}:{CONTAINER_PORT}"]
        for key, value in sorted(launch.environment.items()):
            args += ["--env", f"{key}={value}"]
        if launch.entrypoint is not None:
            args += ["--entrypoint", json.dumps(list(launch.entrypoint))]
        return [*args, launch.image, *launch.arguments]

    def start(self, launch: Launch) -> Started:
        name = f"smlocal-{launch.name}-{uuid.uuid4().hex[:8]}"
        return _Container(self.engine.popen(self.command(launch, name)), self.engine, name)
