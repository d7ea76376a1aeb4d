"""Read CSV/Parquet into numbers, dropping the rows a model cannot use, and write training CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sm_processing.errors import UserError

NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
#: Cell values read as "missing" (kept as NaN in features; a missing label drops the row).
MISSING = ("", "nan", "na", "n/a", "null", "none")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Dataset:
    """Numeric rows that survived cleaning, with counts of what was dropped and why."""

    label: np.ndarray
    features: np.ndarray
    feature_names: list[str]
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        """Number of rows kept."""
        return int(self.label.shape[0])


def data_files(directory: Path) -> list[Path]:
    """Data files under ``directory`` in a stable order (hidden and empty files skipped)."""
    if not directory.is_dir():
        raise UserError(f"input folder {directory} does not exist")
    files = sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and p.stat().st_size > 0 and not any(s.startswith(".") for s in p.relative_to(directory).parts)
    )
    if not files:
        raise UserError(f"no data files under {directory}")
    return files


def read_table(path: Path, header: bool, dropped: Counter[str]) -> pa.Table:
    """Read one file; CSV columns stay strings so that bad cells can be judged one by one."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise UserError(f"{path}: not a readable Parquet file: {exc}") from exc
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        first = next(csv.reader(handle), [])
    names = (
        [n.strip() or f"column_{i}" for i, n in enumerate(first)]
        if header
        else [f"column_{i}" for i in range(len(first))]
    )

    def skip(_row: object) -> str:
        dropped["wrong number of fields"] += 1
        return "skip"

    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1 if header else 0),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except pa.ArrowInvalid as exc:
        raise UserError(f"{path}: malformed CSV: {exc}") from exc


def to_numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Float values (NaN where missing) and a mask of cells that are neither numbers nor missing."""
    if (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_boolean(column.type)
        or pa.types.is_null(column.type)
    ):
        values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return values, np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    numeric = pc.fill_null(pc.match_substring_regex(text, NUMBER), False)
    missing = pc.fill_null(pc.is_in(pc.utf8_lower(text), pa.array(MISSING)), True)
    values = pc.if_else(numeric, text, pa.scalar(None, pa.string())).cast(pa.float64())
    garbage = pc.and_(pc.invert(numeric), pc.invert(missing))
    return values.to_numpy(zero_copy_only=False), garbage.to_numpy(zero_copy_only=False)


def label_index(names: list[str], label: str) -> int:
    """Resolve ``--label-column`` given as a column name or a 0-based index."""
    if label in names:
        return names.index(label)
    if label.lstrip("-").isdigit() and -len(names) <= int(label) < len(names):
        return int(label) % len(names)
    raise UserError(f"label column {label!r} not found; columns are {', '.join(names)} (or give a 0-based index)")


def clean(table: pa.Table, label: str, dropped: Counter[str]) -> Dataset:
    """Keep rows with a numeric label and numeric-or-missing features; count the rest."""
    names = [str(n) for n in table.column_names]
    if len(names) < 2:
        raise UserError(f"need a label and at least one feature column, found {len(names)}")
    index = label_index(names, label)
    y, y_garbage = to_numbers(table.column(index))
    feature_names = [n for i, n in enumerate(names) if i != index]
    cols = [to_numbers(table.column(i)) for i in range(len(names)) if i != index]
    x = np.column_stack([values for values, _ in cols]) if cols else np.empty((len(y), 0))
    x_garbage = np.column_stack([bad for _, bad in cols]).any(axis=1)
    y_missing = np.isnan(y) & ~y_garbage
    keep = ~(y_missing | y_garbage | x_garbage)
    dropped["missing label"] += int(y_missing.sum())
    dropped["non-numeric label"] += int(y_garbage.sum())
    dropped["non-numeric feature"] += int((x_garbage & ~y_missing & ~y_garbage).sum())
    return Dataset(y[keep], x[keep], feature_names, dropped)


def read_dataset(directory: Path, label: str = "0", header: bool = False) -> Dataset:
    """Read and clean every file of an input folder into one dataset."""
    dropped: Counter[str] = Counter()
    parts = [clean(read_table(path, header, dropped), label, dropped) for path in data_files(directory)]
    widths = sorted({p.features.shape[1] for p in parts})
    if len(widths) > 1:
        raise UserError(f"files under {directory} disagree on the number of features: {widths}")
    return Dataset(
        np.concatenate([p.label for p in parts]),
        np.concatenate([p.features for p in parts]),
        parts[0].feature_names,
        dropped,
    )


def write_csv(path: Path, label: np.ndarray, features: np.ndarray) -> None:
    """Write headerless CSV with the label first; missing values become empty fields."""
    _write_columns(path, [label, *(features[:, i] for i in range(features.shape[1]))])


def write_features_csv(path: Path, features: np.ndarray) -> None:
    """Write headerless CSV of the features alone, formatted exactly as :func:`write_csv` does."""
    _write_columns(path, [features[:, i] for i in range(features.shape[1])])


def _write_columns(path: Path, values: list[np.ndarray]) -> None:
    """One writer for every CSV we produce, so that splits and baselines format numbers alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [pa.array(v, from_pandas=True) for v in values]
    table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
    path.write_bytes(buffer.getvalue())
