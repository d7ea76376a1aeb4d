"""Data preparation: clean raw CSV/Parquet and split it deterministically into train/validation/test."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from sm_processing import contract, tabular
from sm_processing.errors import UserError

SPLITS = ("train", "validation", "test")
#: Names a processing output may have (what we allow in OutputName, and a safe folder name).
OUTPUT_NAME = re.compile(r"[A-Za-z0-9_-]+")
FEATURES_FILE = "features.csv"


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
    parser.add_argument(
        "--features-output",
        metavar="NAME",
        default=None,
        help="also write the train split's features alone (no label) to output NAME as features.csv, "
        "the data-quality baseline dataset of Model Monitor (default: not written)",
    )


def features_target(name: str | None) -> Path | None:
    """Where ``--features-output`` writes, after checking the name; None when not asked for."""
    if name is None:
        return None
    if not OUTPUT_NAME.fullmatch(name) or name in SPLITS:
        raise UserError(
            f"--features-output={name!r} is not a usable processing output name: use letters, digits, "
            f"'-' and '_' only, and none of {', '.join(SPLITS)}"
        )
    folder = contract.output_dir_for(name)
    # Each output uploads its whole folder: a baseline inside a split's folder would be trained on
    # as part of that split, and a split inside the baseline's folder would be profiled with it.
    here = folder.resolve()
    for split in SPLITS:
        other = contract.output_dir_for(split).resolve()
        if here == other or here.is_relative_to(other) or other.is_relative_to(here):
            raise UserError(
                f"--features-output={name!r} writes to {folder}, which overlaps the folder of the {split} "
                "output; give that output a LocalPath of its own"
            )
    return folder / FEATURES_FILE


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
    features_file = features_target(args.features_output)
    source = contract.input_dir(args.input_name)
    data = tabular.read_dataset(source, label=args.label_column, header=args.header)
    if data.rows == 0:
        raise UserError(f"no usable rows under {source} after cleaning (dropped: {dict(data.dropped)})")
    parts = split_indices(data.rows, args.train_fraction, args.validation_fraction, args.seed)
    if features_file is not None and len(parts["train"]) == 0:
        raise UserError(f"--features-output needs a non-empty train split; {data.rows} rows gave none")
    counts = []
    for name in SPLITS:
        rows = parts[name]
        if len(rows) == 0:
            continue
        target = contract.output_dir_for(name) / f"{name}.csv"
        tabular.write_csv(target, data.label[rows], data.features[rows])
        counts.append(f"{name}={len(rows)}")
    if features_file is not None:
        tabular.write_features_csv(features_file, data.features[parts["train"]])
        counts.append(f"features={len(parts['train'])}")
    dropped = ", ".join(f"{reason}={n}" for reason, n in sorted(data.dropped.items()) if n)
    return (
        f"prepared {data.rows} rows x {data.features.shape[1]} features from {source}: "
        f"{' '.join(counts)}; dropped: {dropped or 'none'}"
    )
