"""Evaluation: score the test set with the trained model and write evaluation.json."""

from __future__ import annotations

import argparse
import json
import math
import os
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from sm_processing import contract, metrics, tabular
from sm_processing.errors import UserError

MODEL_NAMES = ("xgboost-model.json", "xgboost-model.ubj")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``process evaluate``."""
    parser.add_argument("--test-input", default="test", help="processing input with the test set (default: test)")
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="decision threshold for binary classification (default: 0.5)"
    )
    parser.add_argument(
        "--bootstrap", type=int, default=20, help="bootstrap resamples for standard deviations (default: 20; 0: none)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default: 0)")


def _from_tarball(path: Path) -> bytearray:
    """Read the model file out of model.tar.gz in memory: nothing is extracted to disk."""
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive.getmembers():
                if member.isfile() and os.path.basename(member.name) in MODEL_NAMES:
                    handle = archive.extractfile(member)
                    if handle is not None:
                        return bytearray(handle.read())
    except (tarfile.TarError, OSError) as exc:
        raise UserError(f"{path} is not a readable tar.gz archive: {exc}") from exc
    raise UserError(f"{path} holds no {' or '.join(MODEL_NAMES)}")


def load_model(directory: Path) -> xgb.Booster:
    """Load the booster from ``model.tar.gz`` or an extracted model folder (never a pickle)."""
    tarball = directory / "model.tar.gz"
    if tarball.is_file():
        raw = _from_tarball(tarball)
    else:
        found = [directory / n for n in MODEL_NAMES if (directory / n).is_file()]
        if not found:
            raise UserError(f"no model.tar.gz or {' / '.join(MODEL_NAMES)} in {directory}")
        raw = bytearray(found[0].read_bytes())
    try:
        booster = xgb.Booster(model_file=raw)
    except xgb.core.XGBoostError as exc:
        raise UserError(f"the model in {directory} is not an XGBoost JSON/UBJ model: {exc}") from exc
    booster.set_param({"nthread": len(os.sched_getaffinity(0))})
    return booster


def objective_of(booster: xgb.Booster) -> str:
    """The objective a booster was trained with, from its saved configuration."""
    return str(json.loads(booster.save_config())["learner"]["objective"]["name"])


def _json_safe(value: Any) -> Any:
    """Replace NaN/inf, which JSON cannot carry, with strings as Model Monitor does ("NaN")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def report(booster: xgb.Booster, data: tabular.Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Build the evaluation report for the model's kind of problem."""
    if data.features.shape[1] != booster.num_features():
        raise UserError(f"test set has {data.features.shape[1]} features, the model expects {booster.num_features()}")
    objective = objective_of(booster)
    y = data.label
    pred = np.asarray(booster.inplace_predict(data.features.astype(np.float32)), dtype=np.float64)
    section: dict[str, Any] = {}
    if objective in ("binary:logistic", "reg:logistic"):
        key = "binary_classification_metrics"
        section.update(
            metrics.with_deviation(metrics.binary_metrics(args.threshold), y, pred, args.bootstrap, args.seed)
        )
        section["confusion_matrix"] = metrics.confusion_matrix(y, (pred >= args.threshold) * 1.0)
    elif objective.startswith("multi:"):
        key = "multiclass_classification_metrics"
        classes = pred.argmax(axis=1).astype(np.float64) if pred.ndim == 2 else pred
        section.update(metrics.with_deviation(metrics.multiclass_metrics(), y, classes, args.bootstrap, args.seed))
        section["confusion_matrix"] = metrics.confusion_matrix(y, classes)
    else:
        key = "regression_metrics"
        section.update(metrics.with_deviation(metrics.regression_metrics(), y, pred, args.bootstrap, args.seed))
    flat = {name: m["value"] for name, m in section.items() if isinstance(m, dict) and "value" in m}
    result: dict[str, Any] = _json_safe(
        {
            key: section,
            "metrics": flat,
            "objective": objective,
            "samples": data.rows,
            "dropped_rows": dict(data.dropped),
        }
    )
    return result


def run(args: argparse.Namespace) -> str:
    """Run the evaluation job; returns the one-line summary for the exit message."""
    booster = load_model(contract.model_dir())
    data = tabular.read_dataset(contract.input_dir(args.test_input))
    if data.rows == 0:
        raise UserError("the test set has no usable rows")
    result = report(booster, data, args)
    target = contract.evaluation_dir() / "evaluation.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    shown = " ".join(f"{k}={v:.4f}" for k, v in result["metrics"].items() if isinstance(v, float))
    return f"evaluated {data.rows} rows ({result['objective']}): {shown}; wrote {target}"
