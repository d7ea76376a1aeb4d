"""The servers under test, each started on its own loopback port with the same number of model workers.

* ``ours``: containers/inference under local mode, process mode (``sagemaker_platform.local``);
* ``ours-podman``: the same, as the built image under podman (root only);
* ``mms``: the SageMaker inference toolkit on Multi Model Server;
* ``flask``: nginx -> gunicorn (gevent workers) -> Flask, as AWS's scikit-learn container;
* ``starlette``: uvicorn + Starlette on uvloop/httptools.

Every baseline predicts with our codecs and model wrapper (``sm_inference``), one OpenMP thread
per worker as ours does, so the tables compare serving stacks.
"""

from __future__ import annotations

import abc
import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT, free_port
from sagemaker_platform.local import (
    LocalEndpoint,
    PodmanRunner,
    Probe,
    ProcessRunner,
    Runner,
    ServingJob,
    Workspace,
    serve,
)

APPS = Path(__file__).resolve().parent / "apps"
INFERENCE_SRC = ROOT / "containers" / "inference" / "src"
READY_TIMEOUT = 180.0


@dataclass(frozen=True)
class Setup:
    """What every server needs: interpreter, tools, model, probe body, worker count, scratch folder."""

    python: Path
    nginx: str
    model_dir: Path
    probe: bytes
    workers: int
    scratch: Path


def post(port: int, body: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """POST a CSV body to /invocations; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": "text/csv"})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


class Server(abc.ABC):
    """A server under test: ``start`` returns once /invocations answers 200, ``stop`` ends it."""

    name: str
    label: str
    port: int = 0

    @abc.abstractmethod
    def start(self, setup: Setup) -> None:
        """Start and wait until the probe body gets a 200."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop everything started (idempotent)."""


# our server through local mode ------------------------------------------------------------------
class LocalMode(Server):
    """containers/inference through ``sagemaker_platform.local.serve`` (process or podman mode)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.name = "ours" if mode == "process" else f"ours-{mode}"
        self.label = f"ours ({mode} mode)"
        self.endpoint: LocalEndpoint | None = None

    def start(self, setup: Setup) -> None:
        workspace = Workspace.discover(ROOT)
        job = ServingJob(
            name=f"bench-{self.name}",
            container=workspace.container("inference"),
            model=setup.model_dir,
            environment={"SAGEMAKER_MODEL_SERVER_WORKERS": str(setup.workers)},
        )
        self.endpoint = serve(
            job, self._runner(workspace, setup), probe=Probe(setup.probe), ready_timeout=READY_TIMEOUT
        )
        self.port = self.endpoint.port

    def _runner(self, workspace: Workspace, setup: Setup) -> Runner:
        if self.mode == "podman":
            return PodmanRunner(workspace, install_missing=True)
        return ProcessRunner(python=str(setup.python))

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()
            self.endpoint = None


# baselines as plain processes -------------------------------------------------------------------
class Processes(Server):
    """One or more processes, each in a session of its own, stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, label: str) -> None:
        self.name = name
        self.label = label
        self.started: list[subprocess.Popen[bytes]] = []

    def commands(self, setup: Setup) -> Sequence[tuple[list[str], dict[str, str], Path]]:
        """(argv, extra environment, working folder) of each process, in start order."""
        raise NotImplementedError

    def pick_port(self) -> int:
        """The loopback port to serve on."""
        return free_port()

    def start(self, setup: Setup) -> None:
        self.port = self.pick_port()
        folder = setup.scratch / self.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for argv, extra, cwd in self.commands(setup):
            env = {**os.environ, "PYTHONPATH": str(INFERENCE_SRC), "OMP_NUM_THREADS": "1", **extra}
            env["PATH"] = f"{setup.python.parent}:{env.get('PATH', '')}:/usr/sbin:/sbin"
            with (folder / f"{Path(argv[0]).name}-{len(self.started)}.log").open("wb") as log:  # the child keeps it
                self.started.append(
                    subprocess.Popen(
                        argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        self._wait_ready(setup.probe, folder)

    def _wait_ready(self, probe: bytes, folder: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.started):
                break
            with contextlib.suppress(OSError, http.client.HTTPException):
                if post(self.port, probe, timeout=5)[0] == 200:
                    return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.label} did not become ready; see the logs in {folder}")

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.started.clear()


class Mms(Processes):
    """The SageMaker inference toolkit's ``start_model_server`` (MMS with a Java frontend)."""

    def __init__(self) -> None:
        super().__init__("mms", "SageMaker inference toolkit on MMS")

    def pick_port(self) -> int:
        # MMS refuses ports from 32767 up ("Invalid port number"), where the kernel's ephemeral ones start.
        return free_port(21000 + os.getpid() % 1000, 32000)

    def commands(self, setup: Setup) -> Sequence[tuple[list[str], dict[str, str], Path]]:
        base = setup.scratch / self.name
        shutil.copytree(setup.model_dir, base / "model")
        (base / "model" / "code").mkdir()
        shutil.copy(APPS / "mms_inference.py", base / "model" / "code" / "inference.py")
        (base / "tmp").mkdir()
        env = {
            "SAGEMAKER_BASE_DIR": str(base),
            "SAGEMAKER_BIND_TO_PORT": str(self.port),
            "SAGEMAKER_MODEL_SERVER_WORKERS": str(setup.workers),
            "TMPDIR": str(base / "tmp"),  # MMS keeps its pid file in the temp folder
            "TEMP": str(base / "tmp"),
            "LOG_LOCATION": str(base / "logs"),
            "METRICS_LOCATION": str(base / "logs"),
        }
        launcher = [str(setup.python), str(APPS / "mms_launcher.py"), str(base / "mms.properties")]
        return [(launcher, env, base)]


class NginxGunicornFlask(Processes):
    """nginx on the port, proxying to gunicorn's gevent workers on a unix socket."""

    def __init__(self) -> None:
        super().__init__("flask", "nginx -> gunicorn -> Flask")

    def commands(self, setup: Setup) -> Sequence[tuple[list[str], dict[str, str], Path]]:
        base = setup.scratch / self.name
        socket_path = base / "gunicorn.sock"
        config = (APPS / "nginx.conf").read_text(encoding="utf-8")
        for key, value in (("@PORT@", str(self.port)), ("@SOCKET@", str(socket_path)), ("@PREFIX@", str(base))):
            config = config.replace(key, value)
        (base / "nginx.conf").write_text(config, encoding="utf-8")
        gunicorn = [
            str(setup.python.parent / "gunicorn"),
            *("--timeout", "60", "-k", "gevent", "--pythonpath", str(APPS)),
            *("-b", f"unix:{socket_path}", "--worker-connections", str(1000 * setup.workers)),
            *("-w", str(setup.workers), "--log-level", "warning", "flask_app:app"),
        ]
        nginx = [setup.nginx, "-c", str(base / "nginx.conf"), "-p", str(base)]
        env = {"SM_MODEL_DIR": str(setup.model_dir)}
        return [(gunicorn, env, base), (nginx, {}, base)]


class UvicornStarlette(Processes):
    """uvicorn's own multi-process mode, uvloop and httptools, no access log."""

    def __init__(self) -> None:
        super().__init__("starlette", "uvicorn + Starlette")

    def commands(self, setup: Setup) -> Sequence[tuple[list[str], dict[str, str], Path]]:
        uvicorn = [
            str(setup.python.parent / "uvicorn"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(setup.workers)),
            *("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"),
            *("--app-dir", str(APPS), "starlette_app:app"),
        ]
        return [(uvicorn, {"SM_MODEL_DIR": str(setup.model_dir)}, setup.scratch / self.name)]


def catalogue() -> dict[str, Server]:
    """Every server by name, in report order."""
    servers: list[Server] = [LocalMode("process"), LocalMode("podman"), Mms(), NginxGunicornFlask(), UvicornStarlette()]
    return {server.name: server for server in servers}
