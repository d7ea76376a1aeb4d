"""The two facts process mode needs from a container's Dockerfile: its ENTRYPOINT and WORKDIR.

SageMaker starts ``docker run IMAGE ARGS``: the image's ENTRYPOINT (if any) runs with ARGS, so
``process prepare`` for the processing image and ``train`` for the training image. Process mode
has no image, so it reads the final stage's exec-form ENTRYPOINT and WORKDIR from the Dockerfile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")


@dataclass(frozen=True)
class ImageConfig:
    """ENTRYPOINT (exec form, empty when none) and WORKDIR of the final build stage."""

    entrypoint: tuple[str, ...]
    workdir: PurePosixPath


def _logical_lines(text: str) -> list[str]:
    """Instructions with backslash continuations joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def read_image_config(dockerfile: Path) -> ImageConfig:
    """Parse ``dockerfile``; raises ValueError for a shell-form ENTRYPOINT (process mode cannot mirror it)."""
    entrypoint: tuple[str, ...] = ()
    workdir = PurePosixPath("/")
    for line in _logical_lines(dockerfile.read_text(encoding="utf-8")):
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        keyword, rest = match.group(1).upper(), match.group(2).strip()
        if keyword == "FROM":  # a new stage starts from its base's settings, which we cannot see
            entrypoint, workdir = (), PurePosixPath("/")
        elif keyword == "ENTRYPOINT":
            try:
                value = json.loads(rest)
            except json.JSONDecodeError:
                value = None
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f'{dockerfile}: ENTRYPOINT {rest!r} must use the exec form, e.g. ["serve"]')
            entrypoint = tuple(value)
        elif keyword == "WORKDIR":
            workdir = workdir / rest
    return ImageConfig(entrypoint=entrypoint, workdir=workdir)
