"""Deterministic synthetic binary-classification data: 20 numeric features, seeded.

Used by the tests and the local-mode demo, so the whole pipeline runs without any data set
from outside. The label depends on a few features linearly, on one interaction and on one
threshold, so that trees beat a linear model and AUC lands well above 0.5 but below 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sm_processing.tabular import write_csv

FEATURES = 20


def make_classification(rows: int, seed: int = 0, features: int = FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Features (rows x features, float64) and 0/1 labels; same arguments give the same data."""
    if rows < 1 or features < 4:
        raise ValueError(f"need rows >= 1 and features >= 4, got rows={rows}, features={features}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    x[:, 3] = 0.6 * x[:, 0] + 0.8 * x[:, 3]  # a correlated pair, as real data has
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.9 * x[:, 2] * x[:, 4] + 1.5 * (x[:, 5] > 0.5) - 0.5
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
    return np.round(x, 6), y


def make_dirty(x: np.ndarray, y: np.ndarray, fraction: float, seed: int = 0) -> list[list[str]]:
    """Rows as strings (label first) with a fraction broken in the ways cleaning must handle."""
    rng = np.random.default_rng([seed, 1])
    rows = [[repr(float(v)) for v in (label, *feats)] for label, feats in zip(y, x, strict=True)]
    chosen = rng.choice(len(rows), size=round(fraction * len(rows)), replace=False)
    for n, i in enumerate(chosen):
        kind = n % 4
        if kind == 0:
            rows[i][0] = ""  # missing label: dropped
        elif kind == 1:
            rows[i][0] = "yes"  # non-numeric label: dropped
        elif kind == 2:
            rows[i][1 + int(rng.integers(x.shape[1]))] = "#REF!"  # garbage feature: dropped
        else:
            rows[i][1 + int(rng.integers(x.shape[1]))] = ""  # missing feature: kept as NaN
    return rows


def write(
    path: Path, rows: int, seed: int, fmt: str = "csv", header: bool = False, dirty_fraction: float = 0.0
) -> Path:
    """Write a synthetic data set (label first) to ``path`` and return the file written."""
    x, y = make_classification(rows, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["label"] + [f"f{i}" for i in range(x.shape[1])]
    if fmt == "parquet":
        if dirty_fraction:
            raise ValueError("dirty rows are only produced for CSV")
        columns = [pa.array(y)] + [pa.array(x[:, i]) for i in range(x.shape[1])]
        pq.write_table(pa.table(columns, names=names), path)
    elif dirty_fraction or header:
        lines = [",".join(names)] if header else []
        lines += [",".join(r) for r in make_dirty(x, y, dirty_fraction, seed)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        write_csv(path, y, x)
    return path
