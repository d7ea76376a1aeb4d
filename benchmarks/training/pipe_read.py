"""Read one training channel the way the entrypoint does, and time it (run as the container would be).

    SM_BASE_DIR=TREE python -m benchmarks.training.pipe_read File|Pipe raw|parse

``raw`` reads the bytes only (4 MiB reads, as the Pipe reader does); ``parse`` runs the
entrypoint's loader (``sm_training.data.load``) into float32 features and labels, after one tiny
parse so that pyarrow's one-time start-up (about 0.5 s here, paid by every job and counted in the
wall times) does not count as read throughput. Prints JSON: seconds, and the bytes read (raw) or
the rows parsed (parse).
"""

from __future__ import annotations

import json
import sys
import time

from sm_training import contract, data

BLOCK = data.PIPE_BLOCK_BYTES


def read_raw(mode: str) -> int:
    """Bytes of the channel, read without parsing."""
    if mode == "Pipe":
        paths = [contract.pipe_path("train", 0)]
    else:
        paths = sorted(p for p in contract.channel_dir("train").iterdir() if p.is_file())
    total = 0
    for path in paths:
        with path.open("rb", buffering=0) as stream:
            while chunk := stream.read(BLOCK):
                total += len(chunk)
    return total


def read_parsed(mode: str) -> int:
    """Rows the entrypoint's loader parsed into float32 features and labels."""
    _, labels = data.load(data.Channel(name="train", fmt=data.CSV, input_mode=mode))
    return len(labels)


if __name__ == "__main__":
    mode, how = sys.argv[1:3]
    data.parse_csv(b"1,2\n3,4\n", "warm-up")
    began = time.perf_counter()
    count = read_raw(mode) if how == "raw" else read_parsed(mode)
    print(json.dumps({"seconds": time.perf_counter() - began, "bytes" if how == "raw" else "rows": count}))
