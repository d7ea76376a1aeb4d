"""The model every server serves and the request bodies: deterministic, made once per run.

A binary classifier on 20 features (100 trees of depth 6, trained with XGBoost directly, one
thread, fixed seed), saved as ``xgboost-model.json``, the format our server and every baseline load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb

FEATURES = 20
TRAIN_ROWS = 20_000
ROUNDS = 100
BATCH_ROWS = 1_000
SEED = 7


@dataclass(frozen=True)
class Fixtures:
    """Where the model and the bodies are, and the predictions every server must return."""

    model_dir: Path
    row: Path
    batch: Path
    expected_row: np.ndarray
    expected_batch: np.ndarray


def _features(rng: np.random.Generator, rows: int) -> np.ndarray:
    return rng.normal(size=(rows, FEATURES)).astype(np.float32)


def _csv(rows: np.ndarray) -> bytes:
    """Headerless CSV with six significant digits, as a client would send it."""
    return ("\n".join(",".join(f"{v:.6g}" for v in row) for row in rows.tolist()) + "\n").encode()


def train_model(path: Path) -> xgb.Booster:
    """Train and save the benchmark model (same bytes on every run)."""
    rng = np.random.default_rng(SEED)
    x = _features(rng, TRAIN_ROWS)
    weights = rng.normal(size=FEATURES)
    logits = x @ weights + np.sin(3 * x[:, 0]) * x[:, 1] + rng.logistic(size=TRAIN_ROWS)
    params = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "seed": SEED, "nthread": 1}
    booster = xgb.train(params, xgb.DMatrix(x, label=(logits > 0).astype(np.float32)), num_boost_round=ROUNDS)
    path.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(path))
    return booster


def make(folder: Path) -> Fixtures:
    """Write the model and the single-row and 1,000-row CSV bodies under ``folder``."""
    booster = train_model(folder / "model" / "xgboost-model.json")
    rng = np.random.default_rng(SEED + 1)
    bodies = {}
    for name, rows in (("row", 1), ("batch", BATCH_ROWS)):
        path = folder / f"{name}.csv"
        path.write_bytes(_csv(_features(rng, rows)))
        bodies[name] = path
    # What the servers must answer: the model's predictions for the rows as a server parses them.
    expected = {
        name: booster.inplace_predict(np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32))
        for name, path in bodies.items()
    }
    return Fixtures(folder / "model", bodies["row"], bodies["batch"], expected["row"], expected["batch"])


def check_answer(body: bytes, expected: np.ndarray) -> str | None:
    """Why a CSV answer is not the expected predictions (None when it is)."""
    try:
        got = np.array([float(line) for line in body.decode().split()], dtype=np.float64)
    except ValueError:
        return f"not one number per line: {body[:80]!r}"
    if got.shape != expected.shape:
        return f"{got.size} predictions, expected {expected.size}"
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-7):
        return f"predictions differ from the model's (first {got[0]!r}, expected {expected[0]!r})"
    return None
