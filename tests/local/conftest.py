"""Fixtures of the local-mode tests: host tools (bwrap, podman) and the containers' packages.

A missing tool or package fails the tests that need it when CI=true (CI installs them, see
.ci/run) and skips them with the reason elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time

import pytest

from sagemaker_platform.local import PodmanRunner, ProcessRunner
from tests.local.helpers import NETPROBE, WORKSPACE, Pipeline, Recorder, run_pipeline

IN_CI = os.environ.get("CI") == "true"
#: What process mode's containers import, and what the tests compare against in-process.
PACKAGES = ("xgboost", "numpy", "scipy", "pyarrow", "uvloop", "httptools")


def need(ok: bool, reason: str) -> None:
    """Fail (CI) or skip (elsewhere) unless ``ok``."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it: see .ci/run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def container_packages() -> None:
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    need(not missing, f"missing {', '.join(missing)}: pip install -r containers/requirements-dev.txt")


@pytest.fixture(scope="session")
def process_runner(container_packages: None) -> ProcessRunner:
    """Process mode; its jobs are network isolated by default, so bwrap is required."""
    need(shutil.which("bwrap") is not None, "bwrap is not installed: apt-get install bubblewrap")
    return ProcessRunner()


@pytest.fixture(scope="session")
def podman_runner(container_packages: None) -> PodmanRunner:
    """Podman mode with the three images built (first time: minutes; then cached by content)."""
    for command, package in (("podman", "podman"), ("runc", "runc"), ("debootstrap", "debootstrap")):
        need(shutil.which(command) is not None, f"{command} is not installed: apt-get install {package}")
    runner = PodmanRunner(WORKSPACE)
    progress = Recorder()
    began = time.monotonic()
    for name in ("training", "processing", "inference"):
        runner.prepare(WORKSPACE.container(name), progress.step)
    built = [step for step in progress.steps if "done in" in step]
    print(f"\npodman images ready in {time.monotonic() - began:.1f}s" + "".join(f"\n  {s}" for s in built))
    return runner


@pytest.fixture(scope="session")
def netprobe_image(podman_runner: PodmanRunner) -> str:
    """The test-only netprobe image, built on the same base image."""
    from sagemaker_platform.local import Container

    return podman_runner.prepare(Container(directory=NETPROBE), lambda message: None)


@pytest.fixture(scope="session")
def process_pipeline(process_runner: ProcessRunner, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """generate -> prepare -> train -> evaluate in process mode, once per run."""
    return run_pipeline(process_runner, tmp_path_factory.mktemp("process-pipeline"), Recorder())
