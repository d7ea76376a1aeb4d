"""Host tools local mode needs (bwrap, podman, debootstrap): found, or installed with apt-get only when asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def announce(message: str) -> None:
    """Print a local-mode notice on stderr (where no ``note`` was given)."""
    print(f"sagemaker_platform.local: {message}", file=sys.stderr, flush=True)


def require(command: str, *, install: bool = False, note: Callable[[str], None] | None = None) -> str:
    """The path of ``command``; with ``install``, apt-get installs its package first when it is missing.

    Nothing is installed unless ``install`` is True (the CLI's ``--install-missing``, the runners'
    ``install_missing=True``), and then every apt-get run is announced to ``note`` (default:
    stderr) before it starts. Installing needs root and apt-get; otherwise, or when ``install`` is
    False, the error says which package to install.
    """
    found = shutil.which(command)
    if found:
        return found
    package = PACKAGES.get(command, command)
    hint = f"{command} is not installed: apt-get install --no-install-recommends {package}"
    if not install:
        raise LocalModeError(f"{hint} (or let local mode install it: --install-missing, install_missing=True)")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LocalModeError(hint + " (installing it needs root and apt-get)")
    tell = note or announce
    tell(f"{command} is missing and installing was asked for: apt-get install {package}")
    result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    if result.returncode != 0:  # a machine that never ran apt-get update has no package lists
        tell(f"apt-get install {package} failed: apt-get update, then apt-get install {package} again")
        _apt_get("update", "-qq")
        result = _apt_get("install", "-y", "-qq", "--no-install-recommends", package)
    found = shutil.which(command)
    if result.returncode != 0 or not found:
        raise LocalModeError(f"{hint}\napt-get said:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    tell(f"installed {package} ({found})")
    return found
