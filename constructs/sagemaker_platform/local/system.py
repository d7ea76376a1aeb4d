"""Host tools local mode needs (bwrap, podman, debootstrap): find them, or install them with apt-get."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

from sagemaker_platform.local.errors import LocalModeError

#: The Debian packages behind each command local mode runs.
PACKAGES = {
    "bwrap": "bubblewrap",
    "podman": "podman",
    "runc": "runc",
    "debootstrap": "debootstrap",
}


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True, timeout=900, check=False)


def require(command: str, *, install: bool = False, note: Callable[[str], None] | None = None) -> str:
    """The path of ``command``; with ``install``, apt-get installs its package first when it is missing.

    Installing needs root and apt-get; otherwise, or when ``install`` is False, the error says which
    package to install.
    """
    found = shutil.which(command)
    if found:
        return found
    package = PACKAGES.get(command, command)
    hint = f"{command} is not installed: apt-get install --no-install-recommends {package}"
    if not install:
        raise LocalModeError(hint)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LocalModeError(hint + " (installing it needs root and apt-get)")
    if note:
        note(f"installing {package} with apt-get")
    result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    if result.returncode != 0:  # a machine that never ran apt-get update has no package lists
        _apt_get("update", "-qq")
        result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    found = shutil.which(command)
    if result.returncode != 0 or not found:
        raise LocalModeError(f"{hint}\napt-get said:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return found
