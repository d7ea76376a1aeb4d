"""Read training channels (File, FastFile and Pipe mode; CSV with the label first, or Parquet)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sm_training import contract
from sm_training.errors import UserError

CSV, PARQUET = "csv", "parquet"
CONTENT_TYPES = {"text/csv": CSV, "csv": CSV, "application/x-parquet": PARQUET, "parquet": PARQUET}
INPUT_MODES = ("File", "FastFile", "Pipe")
#: Pipe-mode reads in blocks of this size; a block is parsed once its last full line is known.
PIPE_BLOCK_BYTES = 4 << 20


@dataclass(frozen=True)
class Channel:
    """One entry of inputdataconfig.json, reduced to what this algorithm needs."""

    name: str
    fmt: str | None  # None: decide per file from its extension
    input_mode: str

    @classmethod
    def from_config(cls, name: str, raw: Any) -> Channel:
        """Validate one channel's configuration, naming the channel in every error."""
        if not isinstance(raw, dict):
            raise UserError(f"inputdataconfig.json: channel {name!r} must be a JSON object")
        mode = raw.get("TrainingInputMode", "File")
        if mode not in INPUT_MODES:
            raise UserError(f"channel {name!r}: TrainingInputMode={mode!r} is not one of {', '.join(INPUT_MODES)}")
        wrapper = raw.get("RecordWrapperType", "None")
        if wrapper not in ("None", None):
            raise UserError(f"channel {name!r}: RecordWrapperType={wrapper!r} is not supported; use None")
        content_type = raw.get("ContentType")
        fmt = None
        if content_type:
            media = str(content_type).split(";")[0].strip().lower()
            fmt = CONTENT_TYPES.get(media)
            if fmt is None:
                raise UserError(
                    f"channel {name!r}: ContentType={content_type!r} is not supported; "
                    f"use one of {', '.join(CONTENT_TYPES)}"
                )
            label_size = _param(str(content_type), "label_size")
            if label_size not in (None, "1"):
                raise UserError(
                    f"channel {name!r}: label_size={label_size} is not supported; "
                    "the label must be the single first column"
                )
        return cls(name=name, fmt=fmt, input_mode=mode)


def _param(content_type: str, key: str) -> str | None:
    """Value of one ``;key=value`` parameter of a content type."""
    for part in content_type.split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == key:
            return v.strip()
    return None


def channels(raw: Any) -> dict[str, Channel]:
    """All channels of inputdataconfig.json (missing file: File-mode CSV/Parquet channels)."""
    if raw is None:
        raw = {name: {} for name in ("train", "validation") if contract.channel_dir(name).is_dir()}
    if not isinstance(raw, dict):
        raise UserError("inputdataconfig.json must hold a JSON object of channel -> config")
    return {name: Channel.from_config(name, cfg) for name, cfg in raw.items()}


def table_to_xy(table: pa.Table, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Split a table into float32 features and labels; the label is the first column."""
    if table.num_columns < 2:
        raise UserError(
            f"{source}: needs a label column and at least one feature column, found {table.num_columns} column(s)"
        )
    columns = []
    for index, column in enumerate(table.columns):
        if pa.types.is_null(column.type):
            columns.append(np.full(table.num_rows, np.nan, dtype=np.float32))
            continue
        if not (
            pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_boolean(column.type)
        ):
            sample = next((v for v in column.to_pylist() if v is not None), None)
            raise UserError(
                f"{source}: column {index + 1} is not numeric ({column.type}, e.g. "
                f"{sample!r}); features and label must be numbers, no header row"
            )
        columns.append(column.cast(pa.float32()).to_numpy(zero_copy_only=False))
    matrix = np.column_stack(columns).astype(np.float32, copy=False)
    return matrix[:, 1:], matrix[:, 0]


def parse_csv(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse headerless CSV bytes (label first; empty fields are missing values)."""
    options = pacsv.ReadOptions(autogenerate_column_names=True)
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=options)
    except pa.ArrowInvalid as exc:
        raise UserError(f"{source}: malformed CSV: {exc}") from exc
    return table_to_xy(table, source)


def parse_parquet(source_file: Path | BinaryIO, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Read a Parquet file whose first column is the label."""
    try:
        table = pq.read_table(source_file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{source}: not a readable Parquet file: {exc}") from exc
    return table_to_xy(table, source)


def _data_files(directory: Path) -> list[Path]:
    """Data files of a channel in a stable order; hidden and empty files are skipped."""
    files = [
        p
        for p in directory.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
        and p.stat().st_size > 0
    ]
    return sorted(files)


def _concat(parts: list[tuple[np.ndarray, np.ndarray]], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-file arrays, insisting on one feature count across the channel."""
    if not parts:
        raise UserError(f"channel {name!r} has no data")
    widths = sorted({x.shape[1] for x, _ in parts})
    if len(widths) > 1:
        raise UserError(f"channel {name!r}: files disagree on the number of features: {widths}")
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])


def _read_files(channel: Channel) -> tuple[np.ndarray, np.ndarray]:
    """File and FastFile mode: every file under the channel directory."""
    directory = contract.channel_dir(channel.name)
    if not directory.is_dir():
        raise UserError(f"channel {channel.name!r}: directory {directory} does not exist")
    files = _data_files(directory)
    if not files:
        raise UserError(f"channel {channel.name!r}: no data files under {directory}")
    parts = []
    for path in files:
        fmt = channel.fmt or (PARQUET if path.suffix.lower() in (".parquet", ".pq") else CSV)
        if fmt == PARQUET:
            parts.append(parse_parquet(path, str(path)))
        else:
            parts.append(parse_csv(path.read_bytes(), str(path)))
    return _concat(parts, channel.name)


def _csv_blocks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    """Yield blocks of whole CSV lines as they arrive from a FIFO (about PIPE_BLOCK_BYTES each)."""
    parts: list[bytes] = []
    size = 0
    # read1 returns whatever the writer has delivered so far instead of waiting for a full block.
    while chunk := stream.read1(PIPE_BLOCK_BYTES):
        parts.append(chunk)
        size += len(chunk)
        if size >= PIPE_BLOCK_BYTES:
            pending = b"".join(parts)
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield pending[:cut]
            parts, size = [pending[cut:]], len(pending) - cut
    rest = b"".join(parts)
    if rest.strip():
        yield rest


def _read_pipe(channel: Channel, epoch: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pipe mode: stream records from the FIFO ``<channel>_<epoch>``."""
    fifo = contract.pipe_path(channel.name, epoch)
    if not fifo.exists():
        raise UserError(f"channel {channel.name!r} is in Pipe mode but {fifo} does not exist")
    source = f"channel {channel.name!r} (Pipe mode, {fifo.name})"
    with fifo.open("rb") as stream:
        if channel.fmt == PARQUET:
            # Parquet keeps its schema in a footer, so one object has to arrive whole.
            return parse_parquet(io.BytesIO(stream.read()), source)
        parts = [parse_csv(block, source) for block in _csv_blocks(stream)]
    return _concat(parts, channel.name)


def load(channel: Channel) -> tuple[np.ndarray, np.ndarray]:
    """Features (float32, rows x features) and labels of one channel."""
    if channel.input_mode == "Pipe":
        return _read_pipe(channel)
    return _read_files(channel)
