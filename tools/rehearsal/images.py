"""Image assets built as the CDK CLI builds them, then run through the SageMaker container contract.

The CLI (cdk-assets) runs ``docker build --tag cdkasset-<hash> [--build-arg K=V ...] [--target T]
[--file F] [--platform P] .`` in the staged ``asset.<hash>`` directory. Here podman runs the same
command, with three differences that are properties of this machine, not of the build:

- ``--network=none --pull=never``: no registry and no package index are reachable.
- The base images the Dockerfile names (after its ARG defaults and the manifest's build args) are
  resolved locally: an official ``python:3.11*-bookworm`` name is tagged onto local mode's build
  base (Debian bookworm's python3 3.11 with pip and a wheelhouse as pip's only index); any other
  base the rehearsal cannot stand in for is a finding.
- Nothing is pushed to a registry: the emulated ECR repository receives the image's manifest.

Each built image then runs under its contract, found from its configuration: a processing image
(``ENTRYPOINT process``) generates and prepares synthetic data, a training image (``CMD train``)
trains a few rounds on it, a serving image (``CMD serve``) answers ``/ping`` and one ``/invocations``
with that model and drains on SIGTERM.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.rehearsal.assembly import DockerAsset

#: Official Python images the local build base stands in for.
_STANDS_IN_FOR = re.compile(r"(docker\.io/)?(library/)?python:3\.11[\w.-]*-bookworm(@sha256:[0-9a-f]{64})?")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE | re.MULTILINE)
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", re.MULTILINE)


@dataclass
class BuiltImage:
    """One image asset as built here."""

    asset: DockerAsset
    tag: str
    seconds: float
    command: list[str]
    role: str = "unknown"
    image_id: str = ""
    layers: list[str] = field(default_factory=list)
    contract: str = "not run"

    def manifest(self) -> str:
        """A registry manifest (Docker v2 schema 2) of the built image, for the emulated repository."""
        return _manifest(self.image_id, self.layers)


def _manifest(config_digest: str, layers: list[str]) -> str:
    layer = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 0,
                       "digest": f"sha256:{config_digest}"},
            "layers": [{"mediaType": layer, "size": 0, "digest": d} for d in layers],
        },
        sort_keys=True,
    )  # fmt: skip


def placeholder_manifest(asset_hash: str) -> str:
    """A manifest standing for an image asset that this run did not build (``images=False``)."""
    return _manifest(asset_hash, [])


def base_images(dockerfile: str, build_args: dict[str, str]) -> list[str]:
    """The images the Dockerfile's stages start from (not its own stages), after ARG substitution."""
    values: dict[str, str] = {}
    first_from = dockerfile.find("FROM") if "FROM" in dockerfile else len(dockerfile)
    for name, default in _ARG.findall(dockerfile[:first_from]):
        value = build_args.get(name, default or "")
        values[name] = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), value)
    stages: set[str] = set()
    bases: list[str] = []
    for image, alias in _FROM.findall(dockerfile):
        resolved = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), image)
        if resolved not in stages and resolved != "scratch" and resolved not in bases:
            bases.append(resolved)
        if alias:
            stages.add(alias)
    return bases


class AssetBuilder:
    """Builds image assets with podman (local mode's engine and storage), once per asset hash."""

    def __init__(self, engine: Any, build_base: str, note: Any) -> None:
        self.engine, self.build_base, self.note = engine, build_base, note
        self.built: dict[str, BuiltImage] = {}

    def resolve_bases(self, asset: DockerAsset) -> list[str]:
        """Tag the stand-in for every official Python base; returns the problems with the others."""
        dockerfile = (asset.directory / (asset.dockerfile or "Dockerfile")).read_text()
        problems = []
        for base in base_images(dockerfile, asset.build_args):
            if _STANDS_IN_FOR.fullmatch(base):
                name = re.sub(r"^(docker\.io/)?(library/)?", "", base).split("@")[0]
                self.engine.run("tag", self.build_base, f"localhost/{name}")
            elif not base.startswith("localhost/"):
                problems.append(
                    f"{asset.display_name}: base image {base!r} cannot be pulled here (no registry) and has no local "
                    "stand-in: only official python:3.11*-bookworm images do"
                )
        return problems

    def build(self, asset: DockerAsset) -> tuple[BuiltImage | None, list[str]]:
        if asset.asset_hash in self.built:
            return self.built[asset.asset_hash], []
        problems = self.resolve_bases(asset)
        if problems:
            return None, problems
        tag = f"localhost/cdkasset-{asset.asset_hash}:latest"
        command = ["build", "--tag", tag]
        for key, value in sorted(asset.build_args.items()):
            command += ["--build-arg", f"{key}={value}"]
        if asset.target:
            command += ["--target", asset.target]
        if asset.dockerfile:
            command += ["--file", asset.dockerfile]
        if asset.platform:
            command += ["--platform", asset.platform]
        command += ["--network=none", "--pull=never", "."]
        started = time.monotonic()
        result = subprocess.run(
            [self.engine.podman, *command], cwd=asset.directory, env=self.engine.env(),
            capture_output=True, text=True, timeout=3600, check=False,
        )  # fmt: skip
        seconds = time.monotonic() - started
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-2500:]
            return None, [
                f"{asset.display_name}: `podman {' '.join(command)}` in {asset.directory.name} failed:\n{tail}"
            ]
        config = json.loads(self.engine.inspect(tag, "{{json .Config}}"))
        image = BuiltImage(asset, tag, seconds, ["podman", *command], role=_role(config))
        image.image_id = self.engine.inspect(tag, "{{.Id}}")
        image.layers = json.loads(self.engine.inspect(tag, "{{json .RootFS.Layers}}")) or []
        self.built[asset.asset_hash] = image
        self.note(f"image {asset.display_name} ({image.role}) built in {seconds:.1f}s")
        return image, []


def _role(config: dict[str, Any]) -> str:
    entrypoint, cmd = config.get("Entrypoint") or [], config.get("Cmd") or []
    if entrypoint[:1] == ["process"]:
        return "processing"
    if cmd[:1] == ["train"]:
        return "training"
    if cmd[:1] == ["serve"]:
        return "serving"
    return "unknown"


_OUT = "/opt/ml/processing/output"
#: One thread per container: the rehearsal shares two cores with everything else.
_THREADS = {"OMP_NUM_THREADS": "1", "SM_NUM_CPUS": "1", "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}


def run_contracts(images: list[BuiltImage], runner: Any, note: Any) -> tuple[list[str], Path | None]:
    """Run each role's contract once (processing -> training -> serving); returns problems and the raw data.

    The raw data is the processing image's synthetic dataset: the rehearsal's pipeline run reads it,
    where the README asks a team to put theirs.
    """
    from sagemaker_platform.local import (
        Channel,
        Container,
        Probe,
        ProcessingInput,
        ProcessingJob,
        ProcessingOutput,
        ServingJob,
        TrainingJob,
        run_processing,
        run_training,
        serve,
    )

    by_role = {i.role: i for i in images}
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="rehearsal-contracts-"))
    model: Path | None = None
    unknown = [i.asset.display_name for i in images if i.role == "unknown"]
    if unknown:
        problems.append(f"images with no SageMaker entrypoint (train, serve or process): {unknown}")
    try:
        if "processing" in by_role:
            image = by_role["processing"]
            container = Container(image=image.tag)
            run_processing(ProcessingJob(
                name="rehearse-generate", container=container, environment=_THREADS,
                arguments=["generate", "--output", f"{_OUT}/raw/raw.csv", "--rows", "20000", "--seed", "7"],
                outputs=[ProcessingOutput(name="raw", destination=work / "raw")],
            ), runner, output=work / "logs" / "generate").check()  # fmt: skip
            run_processing(ProcessingJob(
                name="rehearse-prepare", container=container, environment=_THREADS,
                arguments=["prepare", "--seed", "3"],
                inputs=[ProcessingInput(name="raw", source=work / "raw")],
                outputs=[ProcessingOutput(name=s, destination=work / s) for s in ("train", "validation", "test")],
            ), runner, output=work / "logs" / "prepare").check()  # fmt: skip
            image.contract = "generate + prepare: ok"
        if "training" in by_role and (work / "train").is_dir():
            image = by_role["training"]
            result = run_training(TrainingJob(
                name="rehearse-train", container=Container(image=image.tag), environment=_THREADS,
                hyperparameters={"num_round": 5, "objective": "binary:logistic", "eval_metric": "auc", "max_depth": 3},
                channels=[Channel(name=s, source=work / s, content_type="text/csv") for s in ("train", "validation")],
            ), runner, output=work / "train-output").check()  # fmt: skip
            model = result.model
            image.contract = "train (5 rounds on synthetic data): ok, model.tar.gz"
        if "serving" in by_role:
            image = by_role["serving"]
            if model is None:
                image.contract = (
                    "not run here: no training image to make a model; the smoke test serves the deployed model"
                )
            else:
                row = ",".join(["0.5"] * _width(work / "test"))
                probe = Probe(body=row.encode(), content_type="text/csv")
                job = ServingJob(
                    name="rehearse-serve", container=Container(image=image.tag), model=model, environment=_THREADS
                )
                with serve(job, runner, probe=probe) as endpoint:
                    ping, answer = endpoint.ping(), endpoint.invoke(row.encode())
                    code = endpoint.stop()
                if ping != 200 or answer.status != 200 or code != 0:
                    problems.append(
                        f"{image.asset.display_name}: /ping {ping}, /invocations {answer.status}, exit {code}"
                    )
                answered = answer.body.decode()[:40].strip()
                image.contract = f"/ping {ping}, /invocations {answer.status} -> {answered}, SIGTERM exit {code}"
    except Exception as err:
        problems.append(f"container contract failed: {err}")
    for image in images:
        note(f"contract {image.role}: {image.contract}")
    raw = work / "raw"
    return problems, raw if raw.is_dir() else None


def _width(folder: Path) -> int:
    """Feature columns of a prepared split (label first)."""
    first = next(folder.glob("*.csv")).read_text().splitlines()[0]
    return len(first.split(",")) - 1
