"""Where local mode finds the containers (a checkout, or the installed package) and keeps its state (the cache)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.job import Container
from sagemaker_platform.platform_containers import platform_containers_root

#: The file that makes a folder a sagemaker-platform checkout for local mode.
_CHECKOUT_MARKER = Path("containers") / "build" / "containers.conf"


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/sagemaker-platform``, else ``~/.cache/sagemaker-platform``.

    Images outlive a checkout and are shared by the user's checkouts and installed packages. A
    relative ``XDG_CACHE_HOME`` is ignored, as the XDG base directory specification asks.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "sagemaker-platform"


@dataclass(frozen=True)
class Workspace:
    """The containers local mode runs and the user's cache of what it builds and writes.

    ``root`` is a repository checkout: its ``containers/<name>/`` are the containers, so edits run
    at once. Without one (``Workspace()``), the containers are the ones the installed package ships
    (``sagemaker_platform.platform_containers``). Either way ``containers/build/`` holds podman's
    templates, and everything local mode writes lives in ``cache``, never in the package: the
    rendered podman settings, podman's storage (base image, images, several GB), the wheelhouse
    and, without a checkout, the jobs' default results. Default cache: ``default_cache()``.
    """

    root: Path | None = None
    cache: Path = field(default_factory=default_cache)

    @property
    def containers(self) -> Path:
        """The folder of container folders: the checkout's ``containers/`` or the installed package's."""
        if self.root is not None:
            return self.root / "containers"
        try:
            return platform_containers_root()
        except FileNotFoundError as err:
            raise LocalModeError(str(err)) from None

    @property
    def engine_templates(self) -> Path:
        """containers.conf, storage.conf and python-build.Dockerfile: podman's templates."""
        return self.containers / "build"

    @property
    def engine_config(self) -> Path:
        """Where podman's rendered containers.conf and storage.conf go."""
        return self.cache / "podman-config"

    @property
    def storage(self) -> Path:
        """Podman's storage and run-time state (and the base image's build folder)."""
        return self.cache / "podman"

    @property
    def wheelhouse(self) -> Path:
        """Wheels of every container's requirements, for offline image builds (never in a build context)."""
        return self.cache / "wheelhouse"

    def results(self, job: str) -> Path:
        """A job's default results folder: ``.build/local/<job>`` in a checkout, else ``<cache>/jobs/<job>``."""
        if self.root is not None:
            return self.root / ".build" / "local" / job
        return self.cache / "jobs" / job

    def container(self, name: str) -> Container:
        """The container folder ``<containers>/<name>`` (``training``, ``processing``, ``inference``)."""
        directory = self.containers / name
        if not (directory / "Dockerfile").is_file():
            known = sorted(p.name for p in self.containers.glob("*") if (p / "Dockerfile").is_file())
            raise LocalModeError(f"no container {name!r} in {self.containers}; known: {', '.join(known) or 'none'}")
        return Container(directory=directory)

    @classmethod
    def checkout(cls, root: Path, cache: Path | None = None) -> Workspace:
        """The checkout at ``root``; raises LocalModeError unless it has ``containers/build/containers.conf``."""
        root = root.resolve()
        if not (root / _CHECKOUT_MARKER).is_file():
            raise LocalModeError(f"{root} is not a sagemaker-platform checkout: it has no {_CHECKOUT_MARKER}")
        return cls(root) if cache is None else cls(root, cache=cache)

    @classmethod
    def discover(cls, start: Path, cache: Path | None = None) -> Workspace:
        """The nearest checkout at or above ``start``; without one, the installed package's containers."""
        here = start.resolve()
        for folder in (here, *here.parents):
            if (folder / _CHECKOUT_MARKER).is_file():
                return cls.checkout(folder, cache)
        return cls() if cache is None else cls(cache=cache)
