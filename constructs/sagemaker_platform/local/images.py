"""Build the containers' images with no registry: a debootstrapped base, host-built wheels, --network=none.

The Dockerfiles build anywhere with no build arguments, on the official Python image with pip's
configured index. Offline, local mode passes two pinned stand-ins instead:

1. Runtime base (``BASE_IMAGE``): ``debootstrap --variant=minbase --include=python3 bookworm`` from
   this machine's apt mirror, trimmed, imported with ``podman import`` and pinned by digest.
2. Wheelhouse: ``pip wheel`` of every container's ``requirements.txt`` (and pip itself) into the
   cache (``<cache>/wheelhouse``, see ``Workspace``), never into a build context; bookworm's python3
   is 3.11, so this interpreter must be CPython 3.11 too.
3. Build base (``BUILD_IMAGE``): the runtime base plus pip and the wheelhouse as pip's only index
   (``containers/build/python-build.Dockerfile``), a stand-in for the official image's pip.
4. Image: ``podman build --network=none`` of the container folder with both, tagged with a digest
   of the build context and bases, so an unchanged container is never rebuilt.
Each step is skipped when its result is already there; all run under one lock.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sagemaker_platform.local.aptsources import debian_mirror
from sagemaker_platform.local.errors import LocalModeError
from sagemaker_platform.local.podman import PodmanEngine
from sagemaker_platform.local.system import require

REPOSITORY = "localhost/sagemaker-platform"
SUITE = "bookworm"
BASE = f"{REPOSITORY}/python-base"
BASE_TAG = f"{SUITE}-py311"
#: The stand-in for the official image's pip: the base plus pip and the wheelhouse as its index.
BUILD_BASE = f"{REPOSITORY}/python-build"
#: The Dockerfiles' default ``BASE_IMAGE``: what `docker build .` (and so ``cdk deploy``) pulls.
OFFICIAL_BASE = "python:3.11-slim-bookworm"
#: The image's interpreter; host-built cp311 wheels must match it.
IMAGE_PYTHON = (3, 11)
#: Removed from the bootstrapped tree: package caches, documentation, and apt's sources (they name the mirror).
TRIM = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "etc/apt/sources.list",
    "etc/hostname",
    "etc/resolv.conf",
)
_SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _unmount_below(folder: Path) -> None:
    """Unmount anything mounted inside ``folder`` (a failed debootstrap can leave /proc and /sys mounted)."""
    prefix = str(folder.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines() if len(line.split()) > 1]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", mount], check=False, capture_output=True, timeout=60)


def _remove_tree(folder: Path) -> None:
    if folder.exists():
        _unmount_below(folder)
        shutil.rmtree(folder)


def context_digest(directory: Path, base: str) -> str:
    """sha256 over the base references and every file of the build context."""
    digest = hashlib.sha256(base.encode())
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if _SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc" or not path.is_file():
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class ImageBuilder:
    """Builds (or finds) the base image, wheelhouses and images, reporting each step to ``note``."""

    def __init__(self, engine: PodmanEngine, *, note: Callable[[str], None], mirror: str | None = None) -> None:
        self.engine = engine
        self.note = note
        self.mirror = mirror

    def _timed(self, what: str, action: Callable[[], None]) -> None:
        self.note(f"{what} ...")
        started = time.monotonic()
        action()
        self.note(f"{what}: done in {time.monotonic() - started:.1f}s")

    def base(self) -> str:
        """The base image pinned by digest (``localhost/sagemaker-platform/python-base@sha256:...``)."""
        tagged = f"{BASE}:{BASE_TAG}"
        with self.engine.lock():
            if not self.engine.image_exists(tagged):
                self._timed(f"base image {tagged} (debootstrap {SUITE} + python3)", lambda: self._bootstrap(tagged))
            digest = self.engine.inspect(tagged, "{{.Digest}}")
        return f"{BASE}@{digest}"

    def _bootstrap(self, tagged: str) -> None:
        debootstrap = require("debootstrap", install=self.engine.install_missing, note=self.note)
        if os.geteuid() != 0:
            raise LocalModeError("building the base image runs debootstrap, which needs root")
        mirror = self.mirror or debian_mirror(SUITE)
        rootfs, archive = self.engine.state / "rootfs.partial", self.engine.state / "rootfs.tar"
        log = self.engine.state / "debootstrap.log"
        _remove_tree(rootfs)
        try:
            with log.open("w") as handle:
                result = subprocess.run(
                    [debootstrap, "--variant=minbase", "--include=python3", SUITE, str(rootfs), mirror],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    timeout=1800,
                    check=False,
                )
            if result.returncode != 0:
                tail = log.read_text(errors="replace")[-3000:]
                raise LocalModeError(f"debootstrap failed ({result.returncode}), see {log}:\n{tail}")
            for relative in TRIM:
                target = rootfs / relative
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                elif target.exists() or target.is_symlink():
                    target.unlink()
            # Sorted names, numeric owners and a fixed mtime keep the layer independent of when it was made.
            subprocess.run(
                ["tar", "-C", str(rootfs), "--sort=name", "--numeric-owner", "--mtime=@0", "-cf", str(archive), "."],
                check=True,
                timeout=600,
            )
            self.engine.run("import", "--change", 'CMD ["python3"]', str(archive), tagged, timeout=600)
        finally:
            _remove_tree(rootfs)
            archive.unlink(missing_ok=True)

    def wheelhouse(self) -> Path:
        """The cache's wheelhouse: every wheel of every container's ``requirements.txt`` and pip."""
        if sys.version_info[:2] != IMAGE_PYTHON or sys.implementation.name != "cpython":
            raise LocalModeError(
                f"the images run CPython {IMAGE_PYTHON[0]}.{IMAGE_PYTHON[1]} (Debian {SUITE}); build their "
                f"wheelhouse with that interpreter, not {sys.implementation.name} {sys.version.split()[0]}"
            )
        import importlib.metadata

        try:
            pip = f"pip=={importlib.metadata.version('pip')}"
        except importlib.metadata.PackageNotFoundError:
            raise LocalModeError(
                f"the wheelhouse is built with pip, which {sys.executable} lacks: {sys.executable} -m ensurepip"
            ) from None
        requirements = sorted(self.engine.workspace.containers.glob("*/requirements.txt"))
        wheelhouse = self.engine.workspace.wheelhouse
        stamp = wheelhouse / ".stamp"
        expected = hashlib.sha256(b"".join(r.read_bytes() for r in requirements) + pip.encode()).hexdigest()
        if stamp.is_file() and stamp.read_text().strip() == expected:
            return wheelhouse

        def build() -> None:
            _remove_tree(wheelhouse)
            command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
            command += ["--only-binary=:all:", "--wheel-dir", str(wheelhouse), pip]
            for path in requirements:
                command += ["--requirement", str(path)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
            if result.returncode != 0:
                raise LocalModeError(f"pip wheel of the containers' requirements failed:\n{result.stderr[-3000:]}")
            stamp.write_text(expected + "\n")

        self._timed("wheelhouse", build)
        return wheelhouse

    def build_base(self) -> str:
        """The build stage's base pinned by digest: the runtime base plus pip and the wheelhouse as its index."""
        base = self.base()
        with self.engine.lock():
            wheelhouse = self.wheelhouse()
            dockerfile = self.engine.workspace.engine_templates / "python-build.Dockerfile"
            stamp = (wheelhouse / ".stamp").read_text().strip()
            recipe = hashlib.sha256(dockerfile.read_bytes()).hexdigest()
            tag = f"{BUILD_BASE}:{hashlib.sha256(f'{base} {stamp} {recipe}'.encode()).hexdigest()[:16]}"
            if not self.engine.image_exists(tag):

                def build() -> None:
                    self.engine.run(
                        "build", "--network=none", "--pull=never", "--build-arg", f"BASE_IMAGE={base}",
                        "--tag", tag, "--file", str(dockerfile), str(wheelhouse),
                        timeout=1800,
                    )  # fmt: skip

                self._timed(f"build base {tag} (pip + wheelhouse)", build)
            digest = self.engine.inspect(tag, "{{.Digest}}")
        return f"{BUILD_BASE}@{digest}"

    def image(self, directory: Path) -> str:
        """The image of a container folder, built unless an image of the same context and bases exists."""
        base, build_base = self.base(), self.build_base()
        with self.engine.lock():
            name = directory.name
            tag = f"{REPOSITORY}/{name}:{context_digest(directory, f'{base} {build_base}')[:16]}"
            if self.engine.image_exists(tag):
                return tag

            def build() -> None:
                self.engine.run(
                    "build", "--network=none", "--pull=never", "--layers",
                    "--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"BUILD_IMAGE={build_base}",
                    "--tag", tag, "--tag", f"{REPOSITORY}/{name}:local", "--file", str(directory / "Dockerfile"),
                    str(directory),
                    timeout=3600,
                )  # fmt: skip
                self._untag_older(name, keep=tag)

            self._timed(f"image {tag}", build)
        return tag

    def _untag_older(self, name: str, keep: str) -> None:
        """Drop earlier content tags of ``name`` so storage does not grow with every code change."""
        listing = self.engine.run("images", "--format", "{{.Repository}}:{{.Tag}}", f"{REPOSITORY}/{name}")
        for reference in listing.stdout.split():
            if reference not in (keep, f"{REPOSITORY}/{name}:local"):
                # Named twice: `podman untag IMAGE` alone removes every name of that image, and an
                # older tag can be the same image as the new one (a README changed, nothing COPY'd did).
                self.engine.run("untag", reference, reference, check=False)
