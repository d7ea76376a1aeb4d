"""Pipe input mode: stream a channel's files through the FIFOs ``<channel>_0``, ``<channel>_1``, ...

SageMaker creates one FIFO per pass over the data (epoch); the next one appears once the previous
one has been read to the end and closed. A ``PipeFeeder`` does the same with one thread per
channel. It never blocks forever: opening waits for a reader with non-blocking polls that stop
when the job ends, and a reader that exits breaks a pending write with EPIPE.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from sagemaker_platform.local.layout import channel_files, pipe_path

CHUNK = 1 << 20


class PipeFeeder:
    """Feeds Pipe-mode channels into their FIFOs under ``base`` until ``stop()``."""

    def __init__(self, base: Path, channels: Sequence[tuple[str, Path]], max_epochs: int = 1000) -> None:
        self.base = base
        self.channels = list(channels)
        self.max_epochs = max_epochs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        #: Completed passes per channel, and the first error a writer met (for the job log).
        self.epochs: dict[str, int] = {name: 0 for name, _ in self.channels}
        self.errors: list[str] = []

    def start(self) -> PipeFeeder:
        """Start one writer thread per channel."""
        for name, source in self.channels:
            thread = threading.Thread(target=self._feed, args=(name, source), name=f"pipe-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop feeding (call after the job's process has exited) and wait for the writers."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def running(self) -> bool:
        """Whether a writer thread is still alive."""
        return any(thread.is_alive() for thread in self._threads)

    def _open_writer(self, fifo: Path) -> int | None:
        """Open the FIFO for writing once a reader has it open; None when stopped first."""
        while not self._stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                self._stop.wait(0.02)
                continue
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
            return fd
        return None

    def _feed(self, name: str, source: Path) -> None:
        files = channel_files(source)
        try:
            for epoch in range(self.max_epochs):
                fifo = pipe_path(self.base, name, epoch)
                if not fifo.exists():
                    os.mkfifo(fifo)
                fd = self._open_writer(fifo)
                if fd is None:
                    return
                try:
                    for path in files:
                        with path.open("rb") as handle:
                            while chunk := handle.read(CHUNK):
                                _write_all(fd, chunk)
                finally:
                    os.close(fd)
                self.epochs[name] = epoch + 1
        except BrokenPipeError:
            return  # the reader stopped early: SageMaker drops the rest of the pass too
        except OSError as exc:
            self.errors.append(f"pipe {name}: {exc}")


def _write_all(fd: int, data: bytes) -> None:
    """Blocking write of every byte; raises BrokenPipeError when the reader goes away."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
