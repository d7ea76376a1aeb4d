"""The in-process floor: what one worker spends per request with no server at all.

Run with the benchmark venv's interpreter and ``containers/inference/src`` on ``PYTHONPATH``:

    python -m benchmarks.serving.floor MODEL_DIR ROW_CSV BATCH_CSV

prints JSON with the median microseconds of one call of predict alone and of parse + predict +
format (our codecs), for the single row and the 1,000-row batch, on one OpenMP thread as a
worker uses. Each call is timed on its own for about a second and the median (p50) taken, the
statistic wrk reports for the servers, so that a burst of load from other jobs moves the floor
and the servers' p50 alike.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def per_call_us(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Median microseconds of one call, over as many calls as fit in ``seconds`` (after one warm-up)."""
    fn()
    samples = []
    clock = time.perf_counter
    deadline = clock() + seconds
    while (began := clock()) < deadline:
        fn()
        samples.append(clock() - began)
    return statistics.median(samples) * 1e6


def measure(model_dir: Path, row: bytes, batch: bytes) -> dict[str, float]:
    """Floors in microseconds: predict_1, full_1, predict_1000, full_1000."""
    from sm_inference.codecs import decode_csv, encode_csv
    from sm_inference.model import Model

    model = Model.load(model_dir, threads=1)
    width = model.num_features
    one, many = decode_csv(row, width), decode_csv(batch, width)
    return {
        "predict_1": per_call_us(lambda: model.predict(one)),
        "full_1": per_call_us(lambda: encode_csv(model.predict(decode_csv(row, width)))),
        "predict_1000": per_call_us(lambda: model.predict(many)),
        "full_1000": per_call_us(lambda: encode_csv(model.predict(decode_csv(batch, width)))),
    }


if __name__ == "__main__":
    model_dir, row_path, batch_path = (Path(arg) for arg in sys.argv[1:4])
    print(json.dumps(measure(model_dir, row_path.read_bytes(), batch_path.read_bytes())))
