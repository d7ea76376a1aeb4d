"""Local mode from an installed wheel: no checkout anywhere, containers from the package, state in the user's cache.

The wheel is built from this tree and installed into a fresh virtualenv (``tests/packaging.py``);
``python -m sagemaker_platform.local`` then runs from a temporary folder that is no checkout, with
``HOME`` (and for some runs ``XDG_CACHE_HOME``) pointing at temporary folders, without this
checkout on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sagemaker_platform.local import PodmanRunner, ProcessRunner
from sagemaker_platform.local.workspace import default_cache
from tests.harness import IN_CI
from tests.local.helpers import WORKSPACE, csv_body
from tests.packaging import PACKAGED, Installed, build_tools_missing, build_wheel, copy_build_inputs, install

pytestmark = pytest.mark.slow


@dataclass
class Runs:
    """What the installed package's CLI did in process mode, and where everything it wrote went."""

    installed: Installed
    work: Path
    tmp: Path
    xdg: Path
    data: Path
    results: dict[str, subprocess.CompletedProcess[str]]
    package_before: set[Path]

    @property
    def containers(self) -> Path:
        return self.installed.site_packages / PACKAGED

    @property
    def model(self) -> Path:
        return Path(self.results["train"].stdout.strip())


def _cli(runs: Runs, *args: str, stdin: str | None = None, **env: str | None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(runs.installed.python), "-m", "sagemaker_platform.local", *args],
        cwd=runs.work, env=runs.installed.env(TMPDIR=str(runs.tmp), **env), input=stdin,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def runs(process_runner: ProcessRunner, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """generate -> prepare -> train -> serve, each with the installed package's CLI, from a folder that is no checkout."""
    missing = build_tools_missing()
    if missing:
        if IN_CI:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    base = tmp_path_factory.mktemp("installed-local-mode")
    wheel = build_wheel(copy_build_inputs(base / "source"), base / "dist")
    installed = install(wheel, base / "installed")
    work, tmp, xdg, data = (base / name for name in ("work", "tmp", "xdg-cache", "data"))
    for folder in (work, tmp, xdg):
        folder.mkdir()
    runs = Runs(installed, work, tmp, xdg, data, {}, installed.package_files())
    # Without XDG_CACHE_HOME: the default under HOME. The job's log goes to <cache>/jobs/<job>.
    runs.results["generate"] = _cli(
        runs, "process", "--job-name", "generate", "--output", f"raw={data / 'raw'}",
        "--", "generate", "--output", "/opt/ml/processing/output/raw/raw.csv", "--rows", "600", "--seed", "7",
    )  # fmt: skip
    # With XDG_CACHE_HOME, from here on.
    xdg_env = {"XDG_CACHE_HOME": str(xdg)}
    splits = [f"--output={s}={data / s}" for s in ("train", "validation", "test")]
    runs.results["prepare"] = _cli(
        runs, "process", "--job-name", "prepare", "--input", f"raw={data / 'raw'}", *splits, "--", "prepare", **xdg_env
    )
    runs.results["train"] = _cli(
        runs, "train", "--job-name", "train",
        "--channel", f"train={data / 'train'},type=text/csv", "--channel", f"validation={data / 'validation'},mode=Pipe",
        "-H", "num_round=5", "-H", "objective=binary:logistic", "-H", "eval_metric=auc",
        **xdg_env,
    )  # fmt: skip
    rows = np.loadtxt(data / "test" / "test.csv", delimiter=",", dtype=np.float32)[:3, 1:]
    runs.results["serve"] = _cli(
        runs, "serve", "--model", str(runs.model), "--port", "0", "--env", "SAGEMAKER_MODEL_SERVER_WORKERS=1",
        "--invoke", "-", stdin=csv_body(rows).decode(), **xdg_env,
    )  # fmt: skip
    return runs


def test_the_installed_package_runs_its_own_containers(runs: Runs) -> None:
    assert str(runs.installed.site_packages).startswith(str(runs.installed.venv))
    for step, container in (("generate", "processing"), ("prepare", "processing"), ("train", "training")):
        assert f"process:{runs.containers / container}" in runs.results[step].stderr, runs.results[step].stderr
    assert "validation:auc=" in runs.results["train"].stderr  # Pipe mode through its FIFO
    predictions = [float(line) for line in runs.results["serve"].stdout.split()]
    assert len(predictions) == 3 and all(0 <= p <= 1 for p in predictions)
    assert "/invocations answered 200" in runs.results["serve"].stderr


def test_its_state_goes_to_the_users_cache_and_nowhere_else(runs: Runs) -> None:
    home_cache = runs.installed.home / ".cache" / "sagemaker-platform"
    # Without XDG_CACHE_HOME: ~/.cache/sagemaker-platform; with it: $XDG_CACHE_HOME/sagemaker-platform.
    assert (home_cache / "jobs" / "generate" / "job.log").stat().st_size > 0
    assert runs.model == runs.xdg / "sagemaker-platform" / "jobs" / "train" / "model.tar.gz"
    assert {p.name for p in (runs.xdg / "sagemaker-platform" / "jobs").iterdir()} == {"prepare", "train"}
    assert {p.name for p in home_cache.iterdir()} == {"jobs"}
    # Nothing in the folder it ran from, nothing left in TMPDIR, nothing written into site-packages.
    assert list(runs.work.iterdir()) == []
    assert list(runs.tmp.iterdir()) == []
    assert runs.installed.package_files() == runs.package_before
    # And nothing was installed on the host behind the user's back.
    for result in runs.results.values():
        assert "apt-get" not in result.stderr and "installing" not in result.stderr


_PODMAN_SETTINGS = """
import json
from pathlib import Path
from sagemaker_platform.local import Workspace
from sagemaker_platform.local.podman import PodmanEngine

workspace = Workspace.discover(Path.cwd())
engine = PodmanEngine(workspace)
engine.write_config()
print(json.dumps({"root": workspace.root, "templates": str(workspace.engine_templates), **engine.env()}))
"""


def test_podman_settings_come_from_the_package_and_are_rendered_into_the_cache(runs: Runs) -> None:
    result = runs.installed.run(["-c", _PODMAN_SETTINGS], cwd=runs.work, XDG_CACHE_HOME=str(runs.xdg))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["root"] is None and Path(found["templates"]) == runs.containers / "build"
    config = Path(found["CONTAINERS_CONF"])
    assert config == runs.xdg / "sagemaker-platform" / "podman-config" / "containers.conf"
    storage = Path(found["CONTAINERS_STORAGE_CONF"]).read_text()
    assert f'graphroot = "{runs.xdg / "sagemaker-platform" / "podman" / "storage"}"' in storage


def test_podman_mode_from_the_installed_package_finds_the_images_the_checkout_built(
    runs: Runs, podman_runner: PodmanRunner
) -> None:
    # The checkout's images are in the default cache; the installed package's build contexts are the
    # same files, so their content tags match and nothing is rebuilt.
    image = podman_runner.prepare(WORKSPACE.container("inference"), lambda message: None)
    rows = np.loadtxt(runs.data / "test" / "test.csv", delimiter=",", dtype=np.float32)[:3, 1:]
    result = _cli(
        runs, "--mode", "podman", "--cache", str(default_cache()), "serve", "--model", str(runs.model),
        "--port", "0", "--env", "SAGEMAKER_MODEL_SERVER_WORKERS=1", "--invoke", "-", stdin=csv_body(rows).decode(),
    )  # fmt: skip
    assert f"with {image} (podman mode)" in result.stderr, result.stderr[-3000:]
    assert not re.search(r"image \S+: done in", result.stderr)  # found by its tag, not rebuilt
    assert result.stdout.split() == runs.results["serve"].stdout.split()  # the same predictions as process mode
