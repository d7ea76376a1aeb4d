"""Session fixtures: jsii starts once per process, the reference app is synthesized once per run."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Before jsii starts: Node 20 is past end-of-life for jsii, which prints a banner on every start.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

from tests.harness import SynthResult, synth_reference_app
from tests.pipeline_apps import PipelineApp


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthResult]:
    """The reference app from ``cdk.json``, synthesized once with all nag packs attached.

    Its assets are staged as the CDK CLI stages them, so the deploy rehearsal builds and deploys
    this very assembly instead of synthesizing the app again.
    """
    yield synth_reference_app(tmp_path_factory.mktemp("reference") / "cdk.out", stage_assets=True)


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


# --- parallel runs (pytest-xdist, `make test` runs `-n auto --dist loadgroup`) ---------------------

#: Session fixtures too costly to build once per worker, by the group whose worker builds them.
_SHARED_FIXTURES = (
    ("reference", "reference"),  # the reference app synthesized with every pack
    ("pipeline_app", "pipeline-apps"),  # one app per pipeline shape
    ("podman_runner", "podman"),  # podman images, one storage
    ("netprobe_image", "podman"),
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test an xdist group: its module's, or the group that builds its costly session fixture.

    With ``--dist loadgroup``, a group runs on one worker: module fixtures are built once, as in a
    serial run, and so are the shared session fixtures above. An explicit ``xdist_group`` mark wins.
    """
    for item in items:
        marks = [m.args[0] if m.args else m.kwargs.get("name", "default") for m in item.iter_markers("xdist_group")]
        if not marks:
            names = getattr(item, "fixturenames", ())
            marks = [next((g for fixture, g in _SHARED_FIXTURES if fixture in names), item.nodeid.split("::", 1)[0])]
            item.add_marker(pytest.mark.xdist_group(marks[0]))
        if getattr(config.option, "loadgroup", False):
            # xdist 3.8 tells the scheduler a test's group by appending "@<group>" to its node ID, which
            # it writes to Item._nodeid; pytest 9.2 keeps node IDs in Item._id, so without this the
            # groups would be ignored and every worker would build every session fixture.
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(map(str, marks)))}")


# --- what a run could not check -------------------------------------------------------------------


def _host_packages() -> str:
    """The Debian packages `make test` installs as root (the Makefile's HOST_PACKAGES)."""
    makefile = Path(__file__).resolve().parent.parent / "Makefile"
    match = re.search(r"^HOST_PACKAGES := (.+)$", makefile.read_text(), re.MULTILINE)
    return match.group(1).strip() if match else "(see the Makefile's host-tools target)"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say loudly, last, which tests were skipped because a tool is missing, and the command that fixes it."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    write = terminalreporter.write_line
    write("")
    write("!" * 100, red=True, bold=True)
    write(f"!! {len(skipped)} tests did NOT run, so this run checked less than CI does:", red=True, bold=True)
    for reason, count in sorted(reasons.items()):
        write(f"!!   {count:4d} x {reason}", red=True)
    write(
        "!! Fix: run `make test` as root (it installs them with apt-get), or: "
        f"sudo apt-get install -y --no-install-recommends {_host_packages()}",
        red=True,
        bold=True,
    )
    write("!" * 100, red=True, bold=True)
