"""Session fixtures: jsii starts once per process, the reference app is synthesized once per run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Before jsii starts: Node 20 is past end-of-life for jsii, which prints a banner on every start.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

from tests.harness import SynthResult, synth_reference_app
from tests.pipeline_apps import PipelineApp


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthResult]:
    """The reference app from ``cdk.json``, synthesized once with all nag packs attached."""
    yield synth_reference_app(tmp_path_factory.mktemp("reference") / "cdk.out")


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """A fresh cloud-assembly directory for one test."""
    return tmp_path / "cdk.out"


@pytest.fixture(scope="session")
def pipeline_app(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], PipelineApp]:
    """An app with one MlPipeline of a given shape (see ``tests.pipeline_apps.SHAPES``), built once per run."""
    built: dict[str, PipelineApp] = {}

    def get(shape: str) -> PipelineApp:
        if shape not in built:
            built[shape] = PipelineApp(tmp_path_factory.mktemp(f"pipeline-{shape}") / "cdk.out", shape)
        return built[shape]

    return get
