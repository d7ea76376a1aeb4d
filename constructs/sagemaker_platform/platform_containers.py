"""The library's own containers (inference, processing, training) and podman templates, wherever it runs from.

A wheel ships the repository's ``containers/<name>/`` folders as ``sagemaker_platform/_containers/<name>/``
(``setup.py`` copies them at build time, so git holds one copy). A checkout, whether installed in
editable mode or put on ``PYTHONPATH``, has no ``_containers``: there the folders are the checkout's
own ``containers/``. Either way the files are the same, so an image asset built from either has the
same asset hash and a deploy from an installed package is the deploy from the checkout.

Standard library only: local mode imports this module.
"""

from __future__ import annotations

from pathlib import Path

#: The library's container folders, each a build context with a Dockerfile that builds with no build arguments.
PLATFORM_CONTAINERS = ("inference", "processing", "training")
#: The file every copy of ``containers/`` has: podman's settings template for local mode.
_MARKER = Path("build") / "containers.conf"
_PACKAGE = Path(__file__).resolve().parent


def platform_containers_root() -> Path:
    """The folder holding the library's container folders and ``build/`` (podman's templates).

    The wheel's ``sagemaker_platform/_containers``, or in a checkout its ``containers/``. Raises
    FileNotFoundError when neither is there (a package installed without its package data).
    """
    packaged = _PACKAGE / "_containers"
    checkout = _PACKAGE.parent.parent / "containers"
    for candidate in (packaged, checkout):
        if (candidate / _MARKER).is_file():
            return candidate
    raise FileNotFoundError(
        f"sagemaker_platform has no containers: neither {packaged} (an installed wheel's package data) "
        f"nor {checkout} (a checkout) holds {_MARKER}; reinstall sagemaker-platform from its wheel"
    )


def platform_container_directory(name: str) -> Path:
    """The build context of one of the library's containers: ``"inference"``, ``"processing"`` or ``"training"``.

    The folder holds the container's Dockerfile, ``requirements.txt``, ``bin/`` and ``src/``; give it
    to ``aws_ecr_assets.DockerImageAsset(directory=...)`` to build the image yourself, or use
    ``ModelImage.platform_inference()`` (``platform_training()``, ``platform_processing()``). Its
    Dockerfile builds with no build arguments on the official ``python:3.11-slim-bookworm`` image
    and the container's pinned requirements. Read it, never write into it: in an installed package
    it lives in site-packages.
    """
    if name not in PLATFORM_CONTAINERS:
        raise ValueError(
            f"platform_container_directory: name: got {name!r}; allowed: one of {', '.join(PLATFORM_CONTAINERS)}"
        )
    return platform_containers_root() / name
