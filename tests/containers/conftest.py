"""Fixtures for the container tests: the packages on sys.path, a contract tree, a trained model.

The containers' code runs here as plain processes (``python -m sm_training`` etc.) with
``SM_BASE_DIR`` pointing at a temporary /opt/ml tree, exactly as the local-mode runner will.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS = ROOT / "containers"
SOURCES = [CONTAINERS / name / "src" for name in ("training", "processing", "inference")]
# The packages' sources and this folder (for container_helpers), whatever pytest's import mode.
for _path in [*SOURCES, Path(__file__).parent]:
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from container_helpers import run_module, write_csv, write_training_tree  # noqa: E402

#: What the container code and these tests import; see containers/requirements-dev.txt.
REQUIRED = ("xgboost", "numpy", "scipy", "pyarrow", "uvloop", "httptools", "hypothesis")
MISSING = [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the containers' packages these tests cannot run: fail in CI, skip elsewhere."""
    if not MISSING:
        return
    reason = f"missing {', '.join(MISSING)}: pip install -r containers/requirements-dev.txt"
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(reason)
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def dataset() -> tuple[Any, Any]:
    """2,000 synthetic rows (20 features, binary label) from the processing image's generator."""
    from sm_processing.synthetic import make_classification

    return make_classification(2000, seed=7)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory, dataset: tuple[Any, Any]) -> Path:
    """A model directory produced by the real ``train`` entrypoint, shared by the serving tests."""
    x, y = dataset
    base = tmp_path_factory.mktemp("trained")
    write_csv(base / "input" / "data" / "train" / "train.csv", y[:1600], x[:1600])
    write_csv(base / "input" / "data" / "validation" / "validation.csv", y[1600:], x[1600:])
    write_training_tree(
        base,
        {"num_round": "30", "objective": "binary:logistic", "max_depth": "4", "eval_metric": "auc"},
    )
    result = run_module("sm_training", base, "train")
    assert result.returncode == 0, result.stderr
    return base / "model"


@pytest.fixture
def base_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty /opt/ml stand-in."""
    base = tmp_path / "opt-ml"
    base.mkdir()
    yield base
