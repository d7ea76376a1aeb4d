"""The committed seed model (stacks/seed): archive layout, reproducible packing, loadable by the inference image."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "stacks" / "seed"
INFERENCE_SRC = REPO / "containers" / "inference" / "src"
if str(INFERENCE_SRC) not in sys.path:
    sys.path.insert(0, str(INFERENCE_SRC))

from sm_inference.model import Model  # noqa: E402

# scripts/ is no package: load the script by path, as it is run.
_spec = importlib.util.spec_from_file_location("make_seed_model", REPO / "scripts" / "make_seed_model.py")
assert _spec is not None and _spec.loader is not None
make_seed_model = sys.modules.setdefault("make_seed_model", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(make_seed_model)


def test_archive_holds_only_the_model_file_with_neutral_metadata() -> None:
    raw = (SEED / "model.tar.gz").read_bytes()
    # gzip header: magic, deflate, no flags (so no file name), mtime 0.
    assert raw[:8] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00"
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == ["xgboost-model.json"]
        (member,) = members
        assert member.isreg()
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
        assert member.mode == 0o644
        extracted = archive.extractfile(member)
        assert extracted is not None
        assert extracted.read() == (SEED / "xgboost-model.json").read_bytes()


def test_packing_the_committed_json_reproduces_the_committed_archive() -> None:
    packed = make_seed_model.pack(SEED / "xgboost-model.json")
    assert packed == (SEED / "model.tar.gz").read_bytes(), "run: .venv/bin/python scripts/make_seed_model.py"


def test_seed_files_stay_small() -> None:
    assert (SEED / "xgboost-model.json").stat().st_size < 64_000
    assert (SEED / "model.tar.gz").stat().st_size < 16_000


def test_inference_loader_predicts_probabilities_for_20_features(tmp_path: Path) -> None:
    with tarfile.open(SEED / "model.tar.gz", mode="r:gz") as archive:
        archive.extractall(tmp_path, filter="data")
    model = Model.load(tmp_path)
    assert model.source == tmp_path / "xgboost-model.json"
    assert model.num_features == 20
    features = np.random.default_rng(0).normal(size=(3, 20)).astype(np.float32)
    scores = model.predict(features)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert len(set(scores.tolist())) > 1, "a seed model that answers a constant is no smoke test"


@pytest.mark.parametrize("name", ["model.tar.gz", "xgboost-model.json"])
def test_seed_files_are_not_ignored_by_git(name: str) -> None:
    # A future '*.tar.gz' ignore rule would silently leave the endpoints' first model out of a commit.
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--quiet", f"stacks/seed/{name}"], cwd=REPO, check=False
    )
    assert result.returncode == 1, f"stacks/seed/{name} is ignored by git"
