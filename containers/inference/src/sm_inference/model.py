"""Load XGBoost models (JSON/UBJ only, never pickle) and predict with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost as xgb

PREFERRED = ("xgboost-model.ubj", "xgboost-model.json")
SUFFIXES = (".ubj", ".json")


class ModelLoadError(Exception):
    """The model folder holds no loadable XGBoost JSON/UBJ model."""


def find_model_file(directory: Path) -> Path:
    """The model file in ``directory``: xgboost-model.{ubj,json}, else the only *.ubj/*.json."""
    if not directory.is_dir():
        raise ModelLoadError(f"model folder {directory} does not exist")
    for name in PREFERRED:
        if (directory / name).is_file():
            return directory / name
    found = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    if len(found) == 1:
        return found[0]
    listing = ", ".join(sorted(p.name for p in directory.iterdir())[:20]) or "nothing"
    raise ModelLoadError(
        f"expected one XGBoost JSON/UBJ model (xgboost-model.json or .ubj) in {directory}; found {listing}"
    )


class Model:
    """One loaded booster, configured for one-thread-per-worker prediction."""

    def __init__(self, booster: xgb.Booster, source: Path, threads: int = 1) -> None:
        # Workers already use every core; extra OpenMP threads per worker only contend.
        booster.set_param({"nthread": threads})
        self.booster = booster
        self.source = source
        self.num_features = booster.num_features()

    @classmethod
    def load(cls, directory: Path, threads: int = 1) -> Model:
        """Load the model of a folder; raises ModelLoadError with a readable reason."""
        path = find_model_file(directory)
        try:
            booster = xgb.Booster(model_file=str(path))
        except xgb.core.XGBoostError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
            raise ModelLoadError(f"{path} is not a loadable XGBoost model: {first}") from exc
        return cls(booster, path, threads)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predictions for a float32 matrix: (rows,) or (rows, outputs) for multi-output models."""
        return np.asarray(self.booster.inplace_predict(features, validate_features=False))
