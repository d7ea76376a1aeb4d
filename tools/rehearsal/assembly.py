"""What a cloud assembly asks a deployment to do: stacks in the CLI's order, their assets, per environment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The default synthesizer's qualifier: bootstrap resource names, roles and the version parameter.
QUALIFIER = "hnb659fds"
#: What ``cdk bootstrap`` writes into ``/cdk-bootstrap/<qualifier>/version`` (version 28 and later).
BOOTSTRAP_VERSION = "28"


@dataclass(frozen=True)
class DockerAsset:
    """An image asset: built in ``directory`` with ``build_args``, pushed as ``repository:tag``."""

    asset_hash: str
    display_name: str
    directory: Path
    dockerfile: str | None
    build_args: dict[str, str]
    platform: str | None
    target: str | None
    repository: str
    tag: str


@dataclass(frozen=True)
class FileAsset:
    """A file asset: ``path`` (a file, or a directory published as a zip) put at ``bucket/key``."""

    asset_hash: str
    display_name: str
    path: Path
    packaging: str
    bucket: str
    key: str


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the assembly, with everything the CLI reads for it."""

    artifact_id: str
    stack_name: str
    display_name: str
    account: str | None
    region: str
    template_path: Path
    dependencies: tuple[str, ...]
    files: tuple[FileAsset, ...] = ()
    images: tuple[DockerAsset, ...] = ()
    required_bootstrap_version: int = 0

    @property
    def template(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path.read_text())
        return loaded


@dataclass
class Stage:
    """The stacks of one nested assembly (a ``Stage``), or of the top level, in deployment order."""

    name: str
    stacks: list[StackArtifact] = field(default_factory=list)


def _environment(artifact: dict[str, Any], default_region: str) -> tuple[str | None, str]:
    env = artifact.get("environment", "aws://unknown-account/unknown-region")
    account, region = env.removeprefix("aws://").split("/", 1)
    return (None if account == "unknown-account" else account), default_region if region == "unknown-region" else region


def _substitute(text: str, account: str, region: str) -> str:
    """Fill the ``${AWS::AccountId}``/``${AWS::Region}`` placeholders asset destinations use."""
    return text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)


def _assets(manifest_path: Path, account: str, region: str) -> tuple[tuple[FileAsset, ...], tuple[DockerAsset, ...]]:
    manifest = json.loads(manifest_path.read_text())
    base = manifest_path.parent
    files = []
    for asset_hash, asset in sorted(manifest.get("files", {}).items()):
        for destination in asset["destinations"].values():
            files.append(
                FileAsset(
                    asset_hash=asset_hash,
                    display_name=asset.get("displayName", asset_hash),
                    path=(base / asset["source"]["path"]).resolve(),
                    packaging=asset["source"].get("packaging", "file"),
                    bucket=_substitute(destination["bucketName"], account, region),
                    key=_substitute(destination["objectKey"], account, region),
                )
            )
    images = []
    for asset_hash, asset in sorted(manifest.get("dockerImages", {}).items()):
        source = asset["source"]
        for destination in asset["destinations"].values():
            images.append(
                DockerAsset(
                    asset_hash=asset_hash,
                    display_name=asset.get("displayName", asset_hash),
                    directory=(base / source["directory"]).resolve(),
                    dockerfile=source.get("dockerFile"),
                    build_args=dict(source.get("dockerBuildArgs", {})),
                    platform=source.get("platform"),
                    target=source.get("dockerBuildTarget"),
                    repository=_substitute(destination["repositoryName"], account, region),
                    tag=destination["imageTag"],
                )
            )
    return tuple(files), tuple(images)


def read_stages(outdir: Path, *, default_account: str, default_region: str = "eu-west-1") -> list[Stage]:
    """Every stage of the assembly at ``outdir`` (nested assemblies first, then top-level stacks).

    Stacks come in the order the CDK CLI deploys them: each after the stacks it depends on, ties
    in manifest order. Environment-agnostic stacks deploy into ``default_account`` and
    ``default_region``, as the CLI deploys them where its credentials and configuration point.
    """
    stages = []
    manifest = json.loads((outdir / "manifest.json").read_text())
    for artifact in manifest["artifacts"].values():
        if artifact["type"] == "cdk:cloud-assembly":
            nested = outdir / artifact["properties"]["directoryName"]
            name = artifact["properties"].get("displayName", nested.name)
            stages.append(Stage(name, _stacks(nested, default_account, default_region)))
    top = _stacks(outdir, default_account, default_region)
    if top:
        stages.append(Stage("app", top))
    return stages


def _stacks(directory: Path, default_account: str, default_region: str) -> list[StackArtifact]:
    manifest = json.loads((directory / "manifest.json").read_text())
    artifacts: dict[str, Any] = manifest["artifacts"]
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in artifacts.items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        account, region = _environment(artifact, default_region)
        properties = artifact["properties"]
        files: tuple[FileAsset, ...] = ()
        images: tuple[DockerAsset, ...] = ()
        for dependency in artifact.get("dependencies", []):
            if artifacts.get(dependency, {}).get("type") == "cdk:asset-manifest":
                asset_file = directory / artifacts[dependency]["properties"]["file"]
                files, images = _assets(asset_file, account or default_account, region)
        stacks[artifact_id] = StackArtifact(
            artifact_id=artifact_id,
            stack_name=properties.get("stackName", artifact_id),
            display_name=artifact.get("displayName", artifact_id),
            account=account,
            region=region,
            template_path=directory / properties["templateFile"],
            dependencies=tuple(
                d for d in artifact.get("dependencies", []) if artifacts.get(d, {}).get("type") == artifact["type"]
            ),
            files=files,
            images=images,
            required_bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
        )
    ordered: list[StackArtifact] = []
    placed: set[str] = set()
    while len(ordered) < len(stacks):
        ready = [s for i, s in stacks.items() if i not in placed and set(s.dependencies) <= placed]
        if not ready:
            raise ValueError(f"{directory}: the stacks' dependencies form a cycle: {sorted(set(stacks) - placed)}")
        ordered.append(ready[0])
        placed.add(ready[0].artifact_id)
    return ordered
