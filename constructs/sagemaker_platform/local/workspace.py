"""Where local mode finds the containers and keeps its own state: a checkout of this repository."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.job import Container


def default_cache() -> Path:
    """``~/.cache/sagemaker-platform``: images outlive a checkout and are shared by the user's checkouts."""
    return Path.home() / ".cache" / "sagemaker-platform"


@dataclass(frozen=True)
class Workspace:
    """A repository checkout and the user's cache of what local mode builds.

    ``containers/<name>/`` are the containers, ``containers/build/`` holds podman's settings, which
    are rendered into ``.build/podman/`` (never committed). Podman's storage (base image, images,
    several GB) lives in ``cache``, outside the checkout, so no tool that walks the repository
    walks image layers too. Default cache: ``~/.cache/sagemaker-platform``.
    """

    root: Path
    cache: Path = field(default_factory=default_cache)

    @property
    def containers(self) -> Path:
        """The folder of container folders."""
        return self.root / "containers"

    @property
    def engine_templates(self) -> Path:
        """containers.conf and storage.conf templates for podman."""
        return self.containers / "build"

    @property
    def engine_config(self) -> Path:
        """Where podman's rendered containers.conf and storage.conf go."""
        return self.root / ".build" / "podman"

    @property
    def storage(self) -> Path:
        """Podman's storage and run-time state (and the base image's build folder)."""
        return self.cache / "podman"

    @property
    def wheelhouse(self) -> Path:
        """Wheels of every container's requirements, for offline image builds (never in a build context)."""
        return self.cache / "wheelhouse"

    def container(self, name: str) -> Container:
        """The container folder ``containers/<name>`` (``training``, ``processing``, ``inference``)."""
        directory = self.containers / name
        if not (directory / "Dockerfile").is_file():
            known = sorted(p.name for p in self.containers.glob("*") if (p / "Dockerfile").is_file())
            raise LocalModeError(f"no container {name!r} in {self.containers}; known: {', '.join(known) or 'none'}")
        return Container(directory=directory)

    @classmethod
    def discover(cls, start: Path) -> Workspace:
        """The nearest folder at or above ``start`` that has ``containers/build/containers.conf``."""
        here = start.resolve()
        for folder in (here, *here.parents):
            if (folder / "containers" / "build" / "containers.conf").is_file():
                return cls(folder)
        raise LocalModeError(
            f"no sagemaker-platform checkout (containers/build/containers.conf) at or above {here}; "
            "run from the repository or pass --root"
        )
