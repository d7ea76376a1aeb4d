"""Least-squares line through points, with R^2, and the slopes between consecutive points."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """``y = intercept + slope * x`` and how well it fits."""

    slope: float
    intercept: float
    r2: float


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Line:
    """Ordinary least squares; R^2 is 1 - SS_res / SS_tot (1.0 when every y is equal)."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(f"linear_fit: got {len(xs)} x and {len(ys)} y values; need the same number, at least 2")
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("linear_fit: every x is equal; need at least two distinct x values")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return Line(slope=slope, intercept=intercept, r2=1.0 - ss_res / ss_tot if ss_tot else 1.0)


def marginal_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float, float]]:
    """``(x0, x1, (y1 - y0) / (x1 - x0))`` for consecutive points (sorted by x): growth per step."""
    points = sorted(zip(xs, ys, strict=True))
    return [(x0, x1, (y1 - y0) / (x1 - x0)) for (x0, y0), (x1, y1) in itertools.pairwise(points)]
