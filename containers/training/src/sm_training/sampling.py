"""Row and column sampling that depends only on (seed, round), so resumed runs repeat it exactly.

XGBoost's own ``subsample``/``colsample_*`` draw from generators whose state lives inside the
booster process and is not saved in a model file: a run resumed from a checkpoint would sample
differently from an uninterrupted one. Here each round draws from ``default_rng([seed, round])``:

* rows: a 0/1 instance weight per row, which zeroes the gradient and hessian of unsampled rows
  exactly as XGBoost's subsampling does;
* columns (per tree): ``feature_weights`` that are 1 for the chosen ``k`` features and 0 elsewhere,
  with ``colsample_bytree`` set so that XGBoost keeps exactly ``k`` columns, i.e. all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xgboost as xgb


class RoundSampler:
    """Applies the sampling of one boosting round to the training DMatrix."""

    def __init__(self, seed: int, subsample: float, colsample: float, rows: int, features: int):
        self.seed = seed
        self.subsample = subsample
        self.rows = rows
        self.features = features
        self.keep_columns = max(1, int(colsample * features))
        self._ones = np.ones(rows, dtype=np.float32) if subsample < 1 else None

    @property
    def samples_columns(self) -> bool:
        """Whether trees see fewer columns than the data has."""
        return self.keep_columns < self.features

    def booster_params(self) -> dict[str, Any]:
        """Parameters XGBoost needs so that it keeps exactly the columns we choose."""
        if not self.samples_columns:
            return {}
        # Half a column of slack: XGBoost truncates colsample * features to an integer.
        return {"colsample_bytree": (self.keep_columns + 0.5) / self.features}

    def before_round(self, dtrain: xgb.DMatrix, iteration: int) -> None:
        """Set this round's row weights and column choice on ``dtrain``."""
        if self._ones is None and not self.samples_columns:
            return
        rng = np.random.default_rng([self.seed, iteration])
        if self._ones is not None:
            weights = (rng.random(self.rows) < self.subsample).astype(np.float32)
            if not weights.any():
                weights[rng.integers(self.rows)] = 1.0  # an empty sample cannot grow a tree
            dtrain.set_weight(weights)
        if self.samples_columns:
            chosen = np.zeros(self.features, dtype=np.float32)
            chosen[rng.choice(self.features, self.keep_columns, replace=False)] = 1.0
            dtrain.set_info(feature_weights=chosen)

    def after_round(self, dtrain: xgb.DMatrix) -> None:
        """Restore unit weights so that training metrics cover every row."""
        if self._ones is not None:
            dtrain.set_weight(self._ones)
