"""Where a model's container image comes from: a local directory, ECR, or a URI you already have."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets

from constructs import Construct
from sagemaker_platform.foundations.roles import SageMakerExecutionRole

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class BoundImage:
    """An image URI ready for a container definition."""

    image_uri: str


class ModelImage(ABC):
    """An image source for :class:`Model` containers. Use the ``from_*`` factories."""

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
