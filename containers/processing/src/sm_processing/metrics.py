"""Model-quality metrics in the layout SageMaker Model Monitor and Clarify use for their reports."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata  # type: ignore[import-untyped]

Metric = Callable[[np.ndarray, np.ndarray], float]
EPS = 1e-15


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from ranks (ties averaged); NaN when only one class is present."""
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def confusion(y: np.ndarray, pred: np.ndarray) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) of 0/1 labels against 0/1 predictions."""
    y1, p1 = y == 1, pred == 1
    return int((~y1 & ~p1).sum()), int((~y1 & p1).sum()), int((y1 & ~p1).sum()), int((y1 & p1).sum())


def binary_metrics(threshold: float) -> dict[str, Metric]:
    """Metric functions of (labels, probability of class 1) at a decision threshold."""

    def counts(y: np.ndarray, p: np.ndarray) -> tuple[int, int, int, int]:
        return confusion(y, (p >= threshold).astype(np.float64))

    def precision(y: np.ndarray, p: np.ndarray) -> float:
        _, fp, _, tp = counts(y, p)
        return _ratio(tp, tp + fp)

    def recall(y: np.ndarray, p: np.ndarray) -> float:
        _, _, fn, tp = counts(y, p)
        return _ratio(tp, tp + fn)

    def f1(y: np.ndarray, p: np.ndarray) -> float:
        _, fp, fn, tp = counts(y, p)
        return _ratio(2 * tp, 2 * tp + fp + fn)

    def accuracy(y: np.ndarray, p: np.ndarray) -> float:
        tn, _, _, tp = counts(y, p)
        return _ratio(tn + tp, len(y))

    def log_loss(y: np.ndarray, p: np.ndarray) -> float:
        q = np.clip(p, EPS, 1 - EPS)
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    return {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1, "auc": auc, "log_loss": log_loss}


def regression_metrics() -> dict[str, Metric]:
    """Metric functions of (labels, predictions) for regression."""

    def mse(y: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean((y - p) ** 2))

    def r2(y: np.ndarray, p: np.ndarray) -> float:
        total = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - float(np.sum((y - p) ** 2)) / total if total else float("nan")

    return {
        "mae": lambda y, p: float(np.mean(np.abs(y - p))),
        "mse": mse,
        "rmse": lambda y, p: float(np.sqrt(mse(y, p))),
        "r2": r2,
    }


def multiclass_metrics() -> dict[str, Metric]:
    """Metric functions of (labels, predicted class) for multi-class classification."""

    def weighted_f1(y: np.ndarray, p: np.ndarray) -> float:
        total = 0.0
        for cls in np.unique(y):
            tp = float(((p == cls) & (y == cls)).sum())
            fp = float(((p == cls) & (y != cls)).sum())
            fn = float(((p != cls) & (y == cls)).sum())
            total += (y == cls).sum() * _ratio(2 * tp, 2 * tp + fp + fn)
        return total / len(y)

    return {"accuracy": lambda y, p: float(np.mean(y == p)), "weighted_f1": weighted_f1}


def with_deviation(
    metrics: dict[str, Metric], y: np.ndarray, p: np.ndarray, resamples: int, seed: int
) -> dict[str, dict[str, float]]:
    """Each metric's value and bootstrap standard deviation (as Model Monitor reports them)."""
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(y), len(y)) for _ in range(resamples)]
    report = {}
    for name, fn in metrics.items():
        samples = np.array([fn(y[i], p[i]) for i in draws]) if draws else np.array([])
        finite = samples[np.isfinite(samples)]
        deviation = float(np.std(finite, ddof=1)) if len(finite) > 1 else float("nan")
        report[name] = {"value": fn(y, p), "standard_deviation": deviation}
    return report


def confusion_matrix(y: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, int]]:
    """``{actual: {predicted: count}}`` with class labels as strings, Model Monitor style."""
    classes = sorted({*np.unique(y).tolist(), *np.unique(pred).tolist()})
    names = {c: str(int(c)) if float(c).is_integer() else str(c) for c in classes}
    return {names[a]: {names[b]: int(((y == a) & (pred == b)).sum()) for b in classes} for a in classes}
