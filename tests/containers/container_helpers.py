"""Helpers shared by the container tests: run entrypoints as processes, lay out /opt/ml trees."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "containers" / name / "src" for name in ("training", "processing", "inference")]


def subprocess_env(base: Path, **extra: str) -> dict[str, str]:
    """Environment of a container process: the contract base dir and the packages' sources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    env["SM_BASE_DIR"] = str(base)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, SOURCES), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONUNBUFFERED"] = "1"
    # One OpenMP thread per process: on a 2-core machine running tests (possibly in parallel),
    # spinning OpenMP barriers of competing processes slow training down tenfold.
    env["SM_NUM_CPUS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env.update(extra)
    return env


def run_module(
    module: str, base: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module> args`` against the tree at ``base`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=subprocess_env(base, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_training_tree(
    base: Path,
    hyperparameters: dict[str, str],
    channels: dict[str, dict[str, str]] | None = None,
) -> None:
    """Lay out input/config/*.json of a training job under ``base``."""
    config = base / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    if channels is not None:
        (config / "inputdataconfig.json").write_text(json.dumps(channels))
    (config / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"})
    )


def write_csv(path: Path, label: Any, features: Any) -> Path:
    """Headerless CSV with the label first (the training contract's CSV layout)."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.column_stack([label, features]), delimiter=",", fmt="%.9g")
    return path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The ``serve`` entrypoint as a subprocess on a free loopback port."""

    def __init__(self, base: Path, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.log = base / "serve.log"
        settings = {
            "SM_BIND_HOST": "127.0.0.1",
            "SAGEMAKER_BIND_TO_PORT": str(self.port),
            "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers),
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "20",
            **env,
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sm_inference", "serve"],
                env=subprocess_env(base, **settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll /ping until it answers 200; fail with the server's log if it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.output()}")
            try:
                if self.request("GET", "/ping", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        """A new keep-alive connection to the server."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection: (status, lower-cased headers, body)."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)
