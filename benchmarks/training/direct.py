"""The baseline: the same CSV and parameters straight into ``xgboost.train``, no entrypoint around it.

    python -m benchmarks.training.direct DATA_CSV MODEL_JSON HYPERPARAMETERS_JSON

Reads the CSV with pyarrow (label first, no header), builds a ``QuantileDMatrix`` and trains with
the booster parameters our entrypoint derives from the same hyperparameters (so both grow the same
trees), evaluating the training set every round as the entrypoint's metric lines do.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pyarrow.csv as pacsv
import xgboost as xgb
from sm_training.hyperparameters import parse


def main(data: str, model: str, hyperparameters: str) -> None:
    """Train and save, printing XGBoost's own per-round evaluation lines."""
    hps = parse(json.loads(hyperparameters), len(os.sched_getaffinity(0)))
    table = pacsv.read_csv(data, read_options=pacsv.ReadOptions(autogenerate_column_names=True))
    matrix = np.column_stack([column.to_numpy() for column in table.columns]).astype(np.float32)
    dtrain = xgb.QuantileDMatrix(matrix[:, 1:], matrix[:, 0], max_bin=hps.booster["max_bin"])
    booster = xgb.train(hps.booster, dtrain, num_boost_round=hps.num_round, evals=[(dtrain, "train")])
    booster.save_model(model)


if __name__ == "__main__":
    main(*sys.argv[1:4])
