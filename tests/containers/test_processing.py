"""Processing entrypoints as processes: generate -> prepare -> (train) -> evaluate."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from container_helpers import run_module, write_csv
from sm_processing import metrics
from sm_processing.synthetic import make_classification

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_synthetic_data_is_deterministic_per_seed() -> None:
    x1, y1 = make_classification(500, seed=4)
    x2, y2 = make_classification(500, seed=4)
    x3, _ = make_classification(500, seed=5)
    assert x1.shape == (500, 20)
    assert set(np.unique(y1)) == {0.0, 1.0}
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert 0.2 < y1.mean() < 0.8


def test_prepare_cleans_and_splits_deterministically(base_dir: Path) -> None:
    raw = base_dir / "processing/input/raw/data.csv"
    args = ["generate", "--output", str(raw), "--rows", "2000", "--seed", "1", "--dirty-fraction", "0.04", "--header"]
    assert run_module("sm_processing", base_dir, *args).returncode == 0
    prepare = ["prepare", "--header", "--label-column", "label", "--seed", "9"]
    result = run_module("sm_processing", base_dir, *prepare)
    assert result.returncode == 0, result.stderr
    # 80 broken rows: 20 each of missing label, text label, garbage feature (dropped), empty feature (kept).
    expected = "prepared 1940 rows x 20 features"
    assert expected in result.stdout
    assert "missing label=20, non-numeric feature=20, non-numeric label=20" in result.stdout
    assert (base_dir / "output/message").read_text().startswith(expected)
    out = base_dir / "processing/output"
    splits = {name: _lines(out / name / f"{name}.csv") for name in ("train", "validation", "test")}
    assert [len(v) for v in splits.values()] == [1358, 291, 291]
    for lines in splits.values():
        assert all(len(line.split(",")) == 21 for line in lines)  # label first, 20 features, no header
        assert all(line.split(",")[0] in ("0", "1") for line in lines)
    assert sum(line.count(",,") + line.endswith(",") for lines in splits.values() for line in lines) == 20
    first = {name: (out / name / f"{name}.csv").read_bytes() for name in splits}
    assert run_module("sm_processing", base_dir, *prepare).returncode == 0
    assert first == {name: (out / name / f"{name}.csv").read_bytes() for name in splits}
    reseeded = run_module("sm_processing", base_dir, *prepare[:-1], "10")
    assert reseeded.returncode == 0
    assert (out / "train/train.csv").read_bytes() != first["train"]


def _raw_with_missing_features(base_dir: Path) -> list[str]:
    raw = base_dir / "processing/input/raw/data.csv"
    args = ["generate", "--output", str(raw), "--rows", "600", "--seed", "3", "--dirty-fraction", "0.04", "--header"]
    assert run_module("sm_processing", base_dir, *args).returncode == 0
    return ["prepare", "--header", "--label-column", "label", "--seed", "2"]


def test_prepare_writes_the_train_features_as_a_baseline_dataset(base_dir: Path) -> None:
    prepare = _raw_with_missing_features(base_dir)
    result = run_module("sm_processing", base_dir, *prepare, "--features-output", "baseline-features_1")
    assert result.returncode == 0, result.stderr
    out = base_dir / "processing/output"
    train = _lines(out / "train/train.csv")
    features = _lines(out / "baseline-features_1/features.csv")
    assert f"train={len(train)} validation=" in result.stdout
    assert f"features={len(train)};" in result.stdout
    assert sorted(p.name for p in (out / "baseline-features_1").iterdir()) == ["features.csv"]
    # Exactly what an endpoint receives: train.csv without its label column, row for row.
    assert features == [line.split(",", 1)[1] for line in train]
    assert all(len(line.split(",")) == 20 for line in features)
    assert any(line.startswith(",") or ",," in line or line.endswith(",") for line in features)  # missing stay empty


def test_prepare_writes_no_features_output_unless_asked(base_dir: Path) -> None:
    result = run_module("sm_processing", base_dir, *_raw_with_missing_features(base_dir))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (base_dir / "processing/output").iterdir()) == ["test", "train", "validation"]
    assert "features=" not in result.stdout


@pytest.mark.parametrize("name", ["train", "validation", "../up", "has space", "dots.csv", ""])
def test_fails_when_the_features_output_name_is_not_allowed(base_dir: Path, name: str) -> None:
    # Checked before any data is read: there is no input here at all.
    result = run_module("sm_processing", base_dir, "prepare", "--features-output", name)
    assert result.returncode == 1
    message = (base_dir / "output/message").read_text()
    assert message == (
        f"UserError: --features-output={name!r} is not a usable processing output name: use letters, digits, "
        "'-' and '_' only, and none of train, validation, test"
    )
    assert not (base_dir / "processing/output").exists()


def test_fails_when_the_features_output_shares_a_split_folder(base_dir: Path) -> None:
    prepare = _raw_with_missing_features(base_dir)
    (base_dir / "config").mkdir(parents=True)
    (base_dir / "config/processingjobconfig.json").write_text(
        json.dumps(
            {
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {"OutputName": "train", "S3Output": {"LocalPath": "/opt/ml/processing/train"}},
                        {"OutputName": "baseline", "S3Output": {"LocalPath": "/opt/ml/processing/train/baseline"}},
                    ]
                },
            }
        )
    )
    result = run_module("sm_processing", base_dir, *prepare, "--features-output", "baseline")
    assert result.returncode == 1
    message = (base_dir / "output/message").read_text()
    assert message.startswith("UserError: --features-output='baseline' writes to ")
    assert "overlaps the folder of the train output" in message
    assert not (base_dir / "processing/train").exists()


def test_prepare_reads_parquet_and_honours_the_job_config(base_dir: Path) -> None:
    local = "/opt/ml/processing/elsewhere"
    (base_dir / "config").mkdir(parents=True)
    (base_dir / "config/processingjobconfig.json").write_text(
        json.dumps(
            {
                "ProcessingInputs": [{"InputName": "raw", "S3Input": {"LocalPath": local}}],
                "ProcessingOutputConfig": {
                    "Outputs": [{"OutputName": "train", "S3Output": {"LocalPath": "/opt/ml/processing/tr"}}]
                },
            }
        )
    )
    generate = ["generate", "--output", str(base_dir / "processing/elsewhere/d.parquet"), "--format", "parquet"]
    assert run_module("sm_processing", base_dir, *generate, "--rows", "300").returncode == 0
    result = run_module("sm_processing", base_dir, "prepare", "--label-column", "label")
    assert result.returncode == 0, result.stderr
    assert len(_lines(base_dir / "processing/tr/train.csv")) == 210
    assert len(_lines(base_dir / "processing/output/test/test.csv")) == 45


def test_fails_when_the_label_column_does_not_exist(base_dir: Path) -> None:
    raw = base_dir / "processing/input/raw/d.csv"
    assert run_module("sm_processing", base_dir, "generate", "--output", str(raw), "--header").returncode == 0
    result = run_module("sm_processing", base_dir, "prepare", "--header", "--label-column", "target")
    assert result.returncode == 1
    message = (base_dir / "output/message").read_text()
    assert message.startswith("UserError: label column 'target' not found; columns are label, f0")


def _evaluation_tree(base: Path, model_dir: Path, x: Any, y: Any, tarball: bool) -> None:
    model_input = base / "processing/model"
    model_input.mkdir(parents=True)
    model_file = next(model_dir.glob("xgboost-model.*"))
    if tarball:
        with tarfile.open(model_input / "model.tar.gz", "w:gz") as archive:
            archive.add(model_file, arcname=model_file.name)
    else:
        (model_input / model_file.name).write_bytes(model_file.read_bytes())
    write_csv(base / "processing/input/test/test.csv", y, x)


@pytest.mark.parametrize("tarball", [True, False])
def test_evaluate_writes_model_quality_metrics(
    base_dir: Path, trained_model: Path, dataset: Any, tarball: bool
) -> None:
    x, y = dataset
    _evaluation_tree(base_dir, trained_model, x[1600:], y[1600:], tarball)
    result = run_module("sm_processing", base_dir, "evaluate", "--bootstrap", "10")
    assert result.returncode == 0, result.stderr
    report = json.loads((base_dir / "processing/evaluation/evaluation.json").read_text())
    section = report["binary_classification_metrics"]
    assert set(section) == {"accuracy", "precision", "recall", "f1", "auc", "log_loss", "confusion_matrix"}
    assert report["samples"] == 400
    assert report["objective"] == "binary:logistic"
    # Cross-check against XGBoost's own metrics on the same rows.
    booster = xgb.Booster(model_file=str(next(trained_model.glob("xgboost-model.*"))))
    booster.set_param([("eval_metric", "auc"), ("eval_metric", "logloss"), ("eval_metric", "error")])
    data = np.loadtxt(base_dir / "processing/input/test/test.csv", delimiter=",", dtype=np.float32)
    text = booster.eval(xgb.DMatrix(data[:, 1:], data[:, 0]))
    theirs = {k: float(v) for k, v in (item.split(":") for item in text.split("\t")[1:])}
    assert section["auc"]["value"] == pytest.approx(theirs["eval-auc"], abs=1e-6)
    assert section["log_loss"]["value"] == pytest.approx(theirs["eval-logloss"], abs=1e-5)
    assert section["accuracy"]["value"] == pytest.approx(1 - theirs["eval-error"], abs=1e-6)
    assert report["metrics"]["auc"] == section["auc"]["value"]
    assert section["auc"]["value"] > 0.65  # well above chance (0.5)
    assert section["auc"]["standard_deviation"] > 0
    matrix = section["confusion_matrix"]
    assert sum(matrix[a][b] for a in matrix for b in matrix[a]) == 400


def test_fails_when_there_is_no_model(base_dir: Path, dataset: Any) -> None:
    x, y = dataset
    write_csv(base_dir / "processing/input/test/test.csv", y[:10], x[:10])
    (base_dir / "processing/model").mkdir(parents=True)
    (base_dir / "processing/model/model.pkl").write_bytes(b"\x80\x04not a model")
    result = run_module("sm_processing", base_dir, "evaluate")
    assert result.returncode == 1
    assert (base_dir / "output/message").read_text().startswith("UserError: no model.tar.gz or xgboost-model.json")


def test_auc_matches_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300).astype(np.float64)
    score = np.round(rng.random(300), 1)  # many ties
    pos, neg = score[y == 1], score[y == 0]
    pairwise = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg)
    )
    assert metrics.auc(y, score) == pytest.approx(pairwise)
    assert np.isnan(metrics.auc(np.ones(5), np.arange(5.0)))


def test_binary_metrics_at_threshold() -> None:
    y = np.array([1, 1, 1, 0, 0, 0], dtype=float)
    p = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.1])
    fns = metrics.binary_metrics(0.5)
    assert fns["accuracy"](y, p) == pytest.approx(4 / 6)
    assert fns["precision"](y, p) == pytest.approx(2 / 3)
    assert fns["recall"](y, p) == pytest.approx(2 / 3)
    assert fns["f1"](y, p) == pytest.approx(2 / 3)
    assert metrics.confusion_matrix(y, (p >= 0.5) * 1.0) == {"0": {"0": 2, "1": 1}, "1": {"0": 1, "1": 2}}
