"""Serve a model locally: start ``serve``, wait until ``/invocations`` answers, invoke, stop with SIGTERM.

A ``/ping`` can answer before a model has loaded, so readiness means ``/invocations`` answered:
with a probe body, a 2xx; without one, any answer below 500 to an empty request (only a server
that parsed the request, with its model in place, says what is wrong with it).
"""

from __future__ import annotations

import atexit
import http.client
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.execution import pump, stop
from sagemaker_platform.local.job import ServingJob
from sagemaker_platform.local.layout import write_serving_tree
from sagemaker_platform.local.progress import Progress, Silent
from sagemaker_platform.local.runners import Launch, Runner, Started


@dataclass(frozen=True)
class Response:
    """One HTTP answer: status, lower-cased headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The Content-Type header ('' when absent)."""
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class Probe:
    """The request that proves the model answers: it must get a 2xx."""

    body: bytes
    content_type: str = "text/csv"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
    host: str = "127.0.0.1",
) -> Response:
    """One request on a fresh connection."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


class LocalEndpoint:
    """A running local server: ``invoke`` it, then ``stop`` it (or use it as a context manager)."""

    def __init__(
        self, name: str, started: Started, port: int, work: Path, progress: Progress, keep: bool = False
    ) -> None:
        self.name = name
        self.started = started
        self.port = port
        self.work = work
        self.log = work / "serve.log"
        self.keep = keep
        self.exit_code: int | None = None
        self._reader = pump(started, name, self.log, progress)
        # A server runs in a session of its own: stop it even if the caller forgets to.
        atexit.register(self.stop, 10)

    @property
    def url(self) -> str:
        """The server's base URL on the host."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.is_file() else ""

    def invoke(
        self, body: bytes, content_type: str = "text/csv", accept: str | None = None, timeout: float = 60
    ) -> Response:
        """POST /invocations, as InvokeEndpoint does."""
        headers = {"Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        return request(self.port, "POST", "/invocations", body, headers, timeout)

    def ping(self, timeout: float = 5) -> int:
        """GET /ping's status."""
        return request(self.port, "GET", "/ping", timeout=timeout).status

    def wait_ready(self, timeout: float, probe: Probe | None) -> float:
        """Poll until /invocations answers (see the module doc); returns the seconds it took."""
        began = time.monotonic()
        deadline = began + timeout
        while time.monotonic() < deadline:
            code = self.started.poll()
            if code is not None:
                raise LocalModeError(
                    f"{self.name}: server exited with {code} before it was ready:\n{self.output()[-3000:]}"
                )
            try:
                if self.ping(timeout=2) == 200:
                    answer = self.invoke(
                        probe.body if probe else b"", probe.content_type if probe else "text/csv", timeout=10
                    )
                    if (200 <= answer.status < 300) if probe else answer.status < 500:
                        return time.monotonic() - began
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise LocalModeError(
            f"{self.name}: /invocations did not answer within {timeout:.0f}s:\n{self.output()[-3000:]}"
        )

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (graceful drain), SIGKILL after ``timeout``; returns the exit code."""
        if self.exit_code is None:
            self.exit_code = stop(self.started, timeout)
            self._reader.join(timeout=5)
            self.started.release()
            atexit.unregister(self.stop)
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return self.exit_code

    def __enter__(self) -> LocalEndpoint:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def serve(
    job: ServingJob,
    runner: Runner,
    *,
    progress: Progress | None = None,
    probe: Probe | None = None,
    ready_timeout: float = 120,
    keep_tree: bool = False,
) -> LocalEndpoint:
    """Start the server of ``job`` and return once it answers ``/invocations``; the caller stops it."""
    progress = progress or Silent()
    image = runner.prepare(job.container, progress.step)
    work = Path(tempfile.mkdtemp(prefix=f"sm-local-{job.name}-"))
    try:
        tree = work / "opt-ml"
        write_serving_tree(job, tree)
        port = job.port or free_port()
        progress.step(f"{job.name}: serving {job.model.name} with {image} ({runner.name} mode) on port {port}")
        launch = Launch(
            name=job.name,
            container=job.container,
            image=image,
            entrypoint=None,
            arguments=("serve",),
            tree=tree,
            scratch=work,
            environment=job.environment,
            network_isolation=False,
            port=port,
        )
        started = runner.start(launch)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    endpoint = LocalEndpoint(job.name, started, port, work, progress, keep_tree)
    try:
        seconds = endpoint.wait_ready(ready_timeout, probe)
    except BaseException:
        endpoint.stop(timeout=10)
        raise
    progress.step(f"{job.name}: ready at {endpoint.url} after {seconds:.1f}s")
    return endpoint
