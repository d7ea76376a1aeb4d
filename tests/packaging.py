"""The wheel as a user gets it: built from this tree and installed into a fresh virtualenv, all offline.

Nothing here reaches a package index: the wheel builds with ``--no-build-isolation --no-index``
(setuptools from the dev virtualenv), and installs with ``--no-deps --no-index``. The fresh
virtualenv gets its dependencies (aws-cdk-lib for the library, xgboost and friends for process
mode's containers) from the dev virtualenv through a ``.pth`` line, as ``--system-site-packages``
would from a system Python: a plain path, so the dev virtualenv's editable install of this
repository (its own ``.pth``) is never read, and ``sagemaker_platform`` comes from the wheel alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.harness import REPO

#: What a build of the wheel reads: the project's configuration and sources.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "constructs", "containers")
#: Caches that are never part of a container (nor of the wheel, the sdist or an image asset).
CACHE_DIRECTORIES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
#: Where the wheel puts ``containers/``.
PACKAGED = "sagemaker_platform/_containers/"


def container_tree(root: Path = REPO / "containers") -> dict[str, bool]:
    """Every file of every folder of ``containers/`` (``"<name>/<path>"``) without caches -> executable."""
    files = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in folder.rglob("*"):
            relative = path.relative_to(root)
            if CACHE_DIRECTORIES & set(relative.parts) or path.suffix == ".pyc" or not path.is_file():
                continue
            files[relative.as_posix()] = os.access(path, os.X_OK)
    return files


def build_tools_missing() -> str | None:
    """Why this interpreter cannot build the wheel offline, or None (setuptools >= 70.1 has bdist_wheel)."""
    import importlib.util

    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    if (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None:
        return None
    return f"setuptools {setuptools.__version__} without wheel cannot build wheels: pip install -e '.[dev]'"


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def copy_build_inputs(target: Path) -> Path:
    """A copy of what the build reads, with a cache planted in each container folder (they must stay out)."""
    target.mkdir(parents=True)
    for name in BUILD_INPUTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("*.egg-info"))
        else:
            shutil.copy2(source, target / name)
    for folder in (target / "containers").iterdir():
        if folder.is_dir():
            for cache in ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"):
                (folder / "src" / cache).mkdir(parents=True, exist_ok=True)
                (folder / "src" / cache / "planted.cpython-311.pyc").write_bytes(b"cache")
            (folder / "stray.pyc").write_bytes(b"cache")
    return target


def build_wheel(source: Path, out: Path) -> Path:
    """``pip wheel`` of ``source``, offline; returns the wheel."""
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
         "--disable-pip-version-check", "--wheel-dir", str(out), str(source)],
        cwd=source,
    )  # fmt: skip
    (wheel,) = out.glob("sagemaker_platform-*.whl")
    return wheel


def build_sdist(source: Path, out: Path) -> Path:
    """The sdist of ``source`` through setuptools' PEP 517 hook, as ``python -m build`` makes it first."""
    code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(out)!r}))"
    name = _run([sys.executable, "-c", code], cwd=source).stdout.split()[-1]
    return out / name


def wheel_files(wheel: Path) -> dict[str, bool]:
    """Entries of ``wheel`` -> whether they are executable."""
    with zipfile.ZipFile(wheel) as archive:
        return {info.filename: bool((info.external_attr >> 16) & 0o111) for info in archive.infolist()}


@dataclass(frozen=True)
class Installed:
    """A fresh virtualenv with the wheel installed, and an environment that knows nothing of this checkout."""

    venv: Path
    python: Path
    site_packages: Path
    home: Path

    def env(self, **overrides: str | None) -> dict[str, str]:
        """This process's environment without PYTHONPATH, XDG_CACHE_HOME or a virtualenv; HOME is a temporary folder.

        ``overrides`` set variables, or with None remove them.
        """
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "XDG_CACHE_HOME", "VIRTUAL_ENV", "PYTHONHOME")
        }
        env.update(HOME=str(self.home), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", OMP_NUM_THREADS="1")
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(
        self, args: list[str], cwd: Path, *, timeout: float = 300, **env: str | None
    ) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in the virtualenv, from ``cwd``."""
        return subprocess.run(
            [str(self.python), *args], cwd=cwd, env=self.env(**env), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def package_files(self) -> set[Path]:
        """Every file of the installed package (to prove nothing is written into it)."""
        return {p for p in (self.site_packages / "sagemaker_platform").rglob("*") if p.is_file()}


def install(wheel: Path, folder: Path) -> Installed:
    """A fresh virtualenv in ``folder`` with ``wheel`` installed (``--no-deps --no-index``)."""
    venv, home = folder / "venv", folder / "home"
    home.mkdir(parents=True)
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          "--disable-pip-version-check", str(wheel)])  # fmt: skip
    site_packages = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    # Dependencies come from the dev virtualenv, after the wheel's own site-packages (see the module docstring).
    (site_packages / "zz-dependencies-from-the-dev-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return Installed(venv=venv, python=python, site_packages=site_packages, home=home)
