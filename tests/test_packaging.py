"""The library's own containers ship in the wheel, and its images deploy the same from a wheel as from a checkout."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct

from sagemaker_platform.foundations import SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.platform_containers import (
    PLATFORM_CONTAINERS,
    platform_container_directory,
    platform_containers_root,
)
from sagemaker_platform.serving import ModelImage
from tests.harness import IN_CI, REPO, make_app
from tests.packaging import (
    PACKAGED,
    Installed,
    build_sdist,
    build_tools_missing,
    build_wheel,
    container_tree,
    copy_build_inputs,
    install,
    wheel_files,
)


def test_a_checkout_uses_its_own_containers_folder() -> None:
    assert platform_containers_root() == REPO / "containers"
    for name in PLATFORM_CONTAINERS:
        assert platform_container_directory(name) == REPO / "containers" / name
    # Every container folder of the repository is one of the library's images.
    folders = {p.name for p in (REPO / "containers").iterdir() if (p / "Dockerfile").is_file()}
    assert folders == set(PLATFORM_CONTAINERS)


def test_fails_on_an_unknown_platform_container() -> None:
    with pytest.raises(
        ValueError, match="platform_container_directory: name: got 'serving'; allowed: one of inference, processing"
    ):
        platform_container_directory("serving")


def test_platform_images_are_the_container_folders_as_image_assets_without_build_arguments() -> None:
    stack = Stack(make_app(), "Images")
    role = SageMakerExecutionRole(stack, "Role", SageMakerExecutionRoleProps(description="jobs"))
    images = {
        "inference": ModelImage.platform_inference(),
        "training": ModelImage.platform_training(),
        "processing": ModelImage.platform_processing(),
    }
    for name, image in images.items():
        scope = Construct(stack, name)
        bound = image.bind(scope, role)
        asset = scope.node.find_child("ImageAsset")
        assert isinstance(asset, ecr_assets.DockerImageAsset)
        assert asset.image_uri == bound.image_uri
        reference = ecr_assets.DockerImageAsset(
            Construct(stack, f"{name}Reference"),
            "Asset",
            directory=str(REPO / "containers" / name),
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        # The reference app's asset hashes before the platform_* factories existed: unchanged.
        assert asset.asset_hash == reference.asset_hash, name


# --- the wheel -------------------------------------------------------------------------------------


def _need_build_tools() -> None:
    missing = build_tools_missing()
    if missing:
        if IN_CI:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_build_tools()
    return copy_build_inputs(tmp_path_factory.mktemp("build") / "source")


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(source, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(wheel, tmp_path_factory.mktemp("installed"))


@pytest.mark.slow
def test_the_wheel_ships_exactly_the_files_of_each_container_folder(wheel: Path) -> None:
    files = wheel_files(wheel)
    packaged = {name.removeprefix(PACKAGED): mode for name, mode in files.items() if name.startswith(PACKAGED)}
    expected = container_tree()
    assert sorted(packaged) == sorted(expected)  # caches planted in the build's copy stayed out
    assert packaged == expected  # bin/ entrypoints stay executable: the Dockerfiles COPY them as they are
    assert {name for name, executable in packaged.items() if executable} == {
        "inference/bin/serve",
        "processing/bin/process",
        "training/bin/train",
    }
    # Nothing but the package and its metadata: no top-level containers/, stacks/ or tests/.
    assert {name.split("/")[0] for name in files} == {"sagemaker_platform", "sagemaker_platform-0.1.0.dist-info"}


@pytest.mark.slow
def test_the_sdist_carries_the_containers_for_the_build_hook(source: Path, tmp_path: Path) -> None:
    sdist = build_sdist(source, tmp_path)
    with tarfile.open(sdist) as archive:
        names = {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}
    shipped = {name.removeprefix("containers/") for name in names if name.startswith("containers/")}
    assert {name for name in shipped if "/" in name} == set(container_tree())
    assert "setup.py" in names and "MANIFEST.in" in names


# Binds each platform image in a fresh app and prints where it builds from and its asset hash.
_ASSET_HASHES = """
import json
from aws_cdk import App, Stack
from constructs import Construct
from sagemaker_platform.foundations import SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.serving import ModelImage

stack = Stack(App(context={"aws:cdk:disable-asset-staging": True}), "Images")
role = SageMakerExecutionRole(stack, "Role", SageMakerExecutionRoleProps(description="jobs"))
found = {}
for name, image in (("inference", ModelImage.platform_inference()), ("training", ModelImage.platform_training()),
                    ("processing", ModelImage.platform_processing())):
    scope = Construct(stack, name)
    image.bind(scope, role)
    asset = scope.node.find_child("ImageAsset")
    found[name] = {"hash": asset.asset_hash, "directory": image.directory}
print(json.dumps(found))
"""


@pytest.mark.slow
def test_an_installed_wheel_builds_the_same_image_assets_as_the_checkout(installed: Installed, tmp_path: Path) -> None:
    # pip compiled the containers' sources into __pycache__ folders next to them; .dockerignore leaves them out.
    assert any((installed.site_packages / PACKAGED / "inference" / "src").rglob("*.pyc"))
    from_wheel = installed.run(["-c", _ASSET_HASHES], cwd=tmp_path)
    assert from_wheel.returncode == 0, from_wheel.stderr[-3000:]
    # The same code in this process, which imports the library from the checkout.
    namespace: dict[str, Any] = {}
    exec(_ASSET_HASHES, namespace)
    wheel, checkout = json.loads(from_wheel.stdout), namespace["found"]
    for name in PLATFORM_CONTAINERS:
        assert Path(wheel[name]["directory"]) == installed.site_packages / PACKAGED / name
        assert Path(checkout[name]["directory"]) == REPO / "containers" / name
        assert wheel[name]["hash"] == checkout[name]["hash"], name
