#!/usr/bin/env python3
"""Build the seed model the reference platform's endpoints first deploy with: ``stacks/seed/``.

Usage::

    .venv/bin/python scripts/make_seed_model.py [--output-dir stacks/seed]

A fresh account has no trained model, so the endpoints start on this small XGBoost
``binary:logistic`` booster, trained on the processing image's own synthetic data (20 features).
Writes ``xgboost-model.json`` and ``model.tar.gz`` (one member, ``xgboost-model.json``, the name
the inference image looks for). Training is single-threaded with fixed seeds, and the archive
carries no clock, owner or file name, so the same JSON always packs to the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROCESSING_SRC = REPO / "containers" / "processing" / "src"
DEFAULT_OUTPUT_DIR = REPO / "stacks" / "seed"
MODEL_FILE = "xgboost-model.json"
ARCHIVE_FILE = "model.tar.gz"
ROWS = 2000
DATA_SEED = 0
ROUNDS = 20
PARAMS = {
    "objective": "binary:logistic",
    "max_depth": 3,
    "eta": 0.3,
    "tree_method": "hist",
    "nthread": 1,
    "seed": 0,
}


def train() -> bytes:
    """Train the seed booster on synthetic data and return it as XGBoost JSON."""
    if str(PROCESSING_SRC) not in sys.path:
        sys.path.insert(0, str(PROCESSING_SRC))
    import xgboost as xgb
    from sm_processing.synthetic import make_classification

    # The generator's default width, as `process generate` writes it: 20 features and a label.
    x, y = make_classification(ROWS, seed=DATA_SEED)
    booster = xgb.train(PARAMS, xgb.DMatrix(x, label=y), num_boost_round=ROUNDS)
    return bytes(booster.save_raw("json"))


def pack(json_path: Path) -> bytes:
    """A gzip'd tar holding ``json_path`` as its only member, ``xgboost-model.json``, byte for byte reproducible."""
    data = json_path.read_bytes()
    member = tarfile.TarInfo(MODEL_FILE)
    member.size = len(data)
    member.mtime = 0
    member.mode = 0o644
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.type = tarfile.REGTYPE
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        archive.addfile(member, io.BytesIO(data))
    out = io.BytesIO()
    # Not gzip.compress(mtime=0): that takes zlib's header, whose OS byte differs between platforms.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(tar_bytes.getvalue())
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Train, write the JSON, pack the archive and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="default: stacks/seed")
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.output_dir / MODEL_FILE
    json_path.write_bytes(train())
    archive_path = args.output_dir / ARCHIVE_FILE
    archive_path.write_bytes(pack(json_path))
    for path in (json_path, archive_path):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path}: {path.stat().st_size} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
