"""Where a model's container image comes from: the library's own containers, a local directory, ECR, a built-in."""

from __future__ import annotations

import functools
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct

from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.platform_containers import platform_container_directory

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class BoundImage:
    """An image URI ready for a container definition."""

    image_uri: str


class ModelImage(ABC):
    """An image source for :class:`Model` containers and job specs. Use the ``platform_*`` and ``from_*`` factories."""

    @abstractmethod
    def bind(self, scope: Construct, role: SageMakerExecutionRole) -> BoundImage:
        """Materialize the image in ``scope`` and let the model's ``role`` pull it."""

    @staticmethod
    def from_asset(directory: str | Path, *, build_args: dict[str, str] | None = None) -> ModelImage:
        """Build ``directory``'s Dockerfile as a CDK image asset (published to the bootstrap ECR repo)."""
        path = Path(directory)
        if not (path / "Dockerfile").is_file():
            raise ValueError(
                f"ModelImage.from_asset: directory: got {str(path)!r}; allowed: a directory with a Dockerfile"
            )
        return _AssetImage(str(path), dict(build_args or {}))

    @staticmethod
    def platform_inference() -> ModelImage:
        """The library's inference server (``serve`` on port 8080, CSV/JSON/NPY, multi-model) as an image asset.

        Built from the container folder shipped with the library (``platform_container_directory("inference")``)
        with no build arguments: the official ``python:3.11-slim-bookworm`` base and the library's
        pinned requirements, so it builds on any Docker engine, and an installed package and a
        checkout give the same asset hash.
        """
        return ModelImage.from_asset(platform_container_directory("inference"))

    @staticmethod
    def platform_training() -> ModelImage:
        """The library's XGBoost training image (``train``: File/FastFile/Pipe channels, checkpoints) as an image asset.

        For ``TrainingJobSpec(image_uri=...)``: ``bind`` it to a scope and the job role, as for
        :meth:`platform_inference`, whose build settings it shares.
        """
        return ModelImage.from_asset(platform_container_directory("training"))

    @staticmethod
    def platform_processing() -> ModelImage:
        """The library's processing image (``process prepare|evaluate|generate|ingest``) as an image asset.

        For ``ProcessingJobSpec(image_uri=..., entrypoint=["process", "prepare"])``: ``bind`` it to a
        scope and the job role, as for :meth:`platform_inference`, whose build settings it shares.
        """
        return ModelImage.from_asset(platform_container_directory("processing"))

    @staticmethod
    def from_builtin(image: str) -> ModelImage:
        """A SageMaker built-in image such as ``"xgboost:1.7-1"`` for the stack's region.

        Accounts per region come from the SageMaker SDK's bundled configuration, captured in
        ``builtin_images.json``. Region-bound stacks get a literal URI (unknown regions fail at
        synth); region-agnostic stacks get a ``CfnMapping`` from region to account.
        """
        table = builtin_images()
        if image not in table:
            raise ValueError(f"ModelImage.from_builtin: image: got {image!r}; allowed: one of {sorted(table)}")
        return _BuiltinImage(image, table[image])

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag_or_digest: str = "latest") -> ModelImage:
        """An image in an ECR repository, by tag or (recommended, immutable) ``sha256:`` digest."""
        if not Token.is_unresolved(tag_or_digest) and not (
            _DIGEST.fullmatch(tag_or_digest) or _TAG.fullmatch(tag_or_digest)
        ):
            raise ValueError(
                f"ModelImage.from_ecr_repository: tag_or_digest: got {tag_or_digest!r}; "
                "allowed: an image tag (letters, digits, '_', '.', '-', up to 128) or 'sha256:<64 hex>'"
            )
        return _EcrImage(repository, tag_or_digest)


@functools.cache
def builtin_images() -> dict[str, Any]:
    """The checked-in table of built-in images (see tests/tools/generate_builtin_images.py)."""
    table: dict[str, Any] = json.loads(resources.files(__package__).joinpath("builtin_images.json").read_text())
    return table


class _BuiltinImage(ModelImage):
    def __init__(self, name: str, entry: dict[str, Any]) -> None:
        self.name = name
        self.repository: str = entry["repository"]
        self.tag: str | None = entry["tag"]
        self.accounts: dict[str, str] = entry["accounts"]

    def bind(self, scope: Construct, role: SageMakerExecutionRole) -> BoundImage:
        stack = Stack.of(scope)
        if Token.is_unresolved(stack.region):
            mapping_id = "BuiltinImageAccounts" + re.sub(r"[^A-Za-z0-9]", "", self.name.title())
            mapping = stack.node.try_find_child(mapping_id)
            if not isinstance(mapping, CfnMapping):
                mapping = CfnMapping(stack, mapping_id, mapping={r: {"account": a} for r, a in self.accounts.items()})
            account = mapping.find_in_map(Aws.REGION, "account")
        elif stack.region in self.accounts:
            account = self.accounts[stack.region]
        else:
            raise ValueError(
                f"ModelImage.from_builtin({self.name!r}): region: got {stack.region!r}; allowed: one of "
                f"{sorted(self.accounts)} (regions where the SageMaker SDK lists this image)"
            )
        region = stack.region
        repo_arn = f"arn:{stack.partition}:ecr:{region}:{account}:repository/{self.repository}"
        role.add_ecr_repository(
            ecr.Repository.from_repository_attributes(
                scope, "BuiltinRepository", repository_arn=repo_arn, repository_name=self.repository
            )
        )
        suffix = f":{self.tag}" if self.tag else ""
        return BoundImage(f"{account}.dkr.ecr.{region}.{Aws.URL_SUFFIX}/{self.repository}{suffix}")


class _AssetImage(ModelImage):
    def __init__(self, directory: str, build_args: dict[str, str]) -> None:
        self.directory = directory
        self.build_args = build_args

    def bind(self, scope: Construct, role: SageMakerExecutionRole) -> BoundImage:
        asset = ecr_assets.DockerImageAsset(
            scope,
            "ImageAsset",
            directory=self.directory,
            build_args=self.build_args or None,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        role.add_ecr_repository(asset.repository)
        return BoundImage(asset.image_uri)


class _EcrImage(ModelImage):
    def __init__(self, repository: ecr.IRepository, tag_or_digest: str) -> None:
        self.repository = repository
        self.tag_or_digest = tag_or_digest

    def bind(self, scope: Construct, role: SageMakerExecutionRole) -> BoundImage:
        role.add_ecr_repository(self.repository)
        if self.tag_or_digest.startswith("sha256:"):
            return BoundImage(self.repository.repository_uri_for_digest(self.tag_or_digest))
        return BoundImage(self.repository.repository_uri_for_tag(self.tag_or_digest))
