"""Checkpoints in /opt/ml/checkpoints: atomic UBJ snapshots of the booster, newest first on resume."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import xgboost as xgb

PATTERN = re.compile(r"^xgboost-checkpoint\.(\d+)\.ubj$")
#: Older snapshots are pruned; a few are kept in case the newest was cut short by a hard kill.
KEEP = 3


def _name(rounds: int) -> str:
    return f"xgboost-checkpoint.{rounds:08d}.ubj"


def save(directory: Path, booster: xgb.Booster) -> Path:
    """Write a snapshot of ``booster`` atomically, so a kill mid-write never leaves a torn file."""
    directory.mkdir(parents=True, exist_ok=True)
    rounds = booster.num_boosted_rounds()
    final = directory / _name(rounds)
    tmp = directory / f".{final.name}.tmp"
    with tmp.open("wb") as handle:
        handle.write(booster.save_raw("ubj"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    for old in _snapshots(directory)[KEEP:]:
        old.unlink(missing_ok=True)
    return final


def _snapshots(directory: Path) -> list[Path]:
    """Snapshot files, most rounds first."""
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := PATTERN.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def latest(directory: Path) -> tuple[Path, bytearray] | None:
    """The newest snapshot that XGBoost can load, or None when there is nothing to resume."""
    for path in _snapshots(directory):
        raw = bytearray(path.read_bytes())
        try:
            xgb.Booster(model_file=raw)
        except xgb.core.XGBoostError as exc:
            # A snapshot synced back from S3 may be truncated; fall back to an older one.
            print(f"skipping unreadable checkpoint {path.name}: {exc}", file=sys.stderr)
            continue
        return path, raw
    return None
