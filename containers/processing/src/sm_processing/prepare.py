"""Data preparation: clean raw CSV/Parquet and split it deterministically into train/validation/test."""

from __future__ import annotations

import argparse

import numpy as np

from sm_processing import contract, tabular
from sm_processing.errors import UserError

SPLITS = ("train", "validation", "test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``process prepare``."""
    parser.add_argument(
        "--input-name", default="raw", help="processing input to read (default: raw -> /opt/ml/processing/input/raw)"
    )
    parser.add_argument(
        "--label-column", default="0", help="label column, by name or 0-based index (default: 0, the first)"
    )
    parser.add_argument("--header", action="store_true", help="CSV files start with a header row")
    parser.add_argument("--train-fraction", type=float, default=0.7)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffle (default: 0)")


def split_indices(rows: int, train: float, validation: float, seed: int) -> dict[str, np.ndarray]:
    """Shuffle row numbers with ``seed`` and cut them into the three splits."""
    if not (0 < train < 1 and 0 <= validation < 1 and train + validation <= 1):
        raise UserError(
            f"--train-fraction={train} and --validation-fraction={validation} must be "
            "in (0, 1) and [0, 1) with a sum of at most 1"
        )
    order = np.random.default_rng(seed).permutation(rows)
    n_train = round(rows * train)
    n_validation = round(rows * validation)
    return {
        "train": order[:n_train],
        "validation": order[n_train : n_train + n_validation],
        "test": order[n_train + n_validation :],
    }


def run(args: argparse.Namespace) -> str:
    """Run the preparation job; returns the one-line summary for the exit message."""
    source = contract.input_dir(args.input_name)
    data = tabular.read_dataset(source, label=args.label_column, header=args.header)
    if data.rows == 0:
        raise UserError(f"no usable rows under {source} after cleaning (dropped: {dict(data.dropped)})")
    parts = split_indices(data.rows, args.train_fraction, args.validation_fraction, args.seed)
    counts = []
    for name in SPLITS:
        rows = parts[name]
        if len(rows) == 0:
            continue
        target = contract.output_dir_for(name) / f"{name}.csv"
        tabular.write_csv(target, data.label[rows], data.features[rows])
        counts.append(f"{name}={len(rows)}")
    dropped = ", ".join(f"{reason}={n}" for reason, n in sorted(data.dropped.items()) if n)
    return (
        f"prepared {data.rows} rows x {data.features.shape[1]} features from {source}: "
        f"{' '.join(counts)}; dropped: {dropped or 'none'}"
    )
