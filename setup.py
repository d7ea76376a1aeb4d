"""Build hook: the wheel ships ``containers/<name>/`` as ``sagemaker_platform/_containers/<name>/``.

Everything else is configured in pyproject.toml. The containers stay at the top of the repository
(stacks, tests, the deploy rehearsal and local mode use them there); ``build_py`` copies each folder
of ``containers/`` into the built package, without caches, so git holds a single copy that cannot
drift. Editable installs copy nothing: there ``sagemaker_platform.platform_containers`` finds the
checkout's ``containers/`` itself. An sdist carries ``containers/`` (MANIFEST.in) for this hook.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "containers"
TARGET = Path("sagemaker_platform") / "_containers"
#: Never part of a container: the same caches its .dockerignore and local mode's image digests leave out.
CACHE_DIRECTORIES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
CACHE_SUFFIXES = (".pyc", ".pyo")


def container_files(source: Path = SOURCE) -> list[Path]:
    """Every file of every folder of ``containers/`` (relative to it), caches left out, sorted."""
    if not (source / "build" / "containers.conf").is_file():
        raise FileNotFoundError(f"{source}: the containers are missing; build from a checkout or an sdist")
    files = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        for path in folder.rglob("*"):
            relative = path.relative_to(source)
            if CACHE_DIRECTORIES & set(relative.parts) or path.suffix in CACHE_SUFFIXES or not path.is_file():
                continue
            files.append(relative)
    return sorted(files)


class BuildPyWithContainers(build_py):
    """``build_py`` plus the containers as package data."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for relative in container_files():
            target = Path(self.build_lib) / TARGET / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(SOURCE / relative), str(target), preserve_mode=True)  # bin/ stays executable

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return outputs + [str(Path(self.build_lib) / TARGET / relative) for relative in container_files()]


setup(cmdclass={"build_py": BuildPyWithContainers})
