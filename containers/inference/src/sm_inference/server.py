"""The ``serve`` entrypoint: a pre-fork master and uvloop workers sharing one listening socket.

The master binds the socket, forks the workers and supervises them; it never imports XGBoost,
so no OpenMP state is forked. Each worker loads the model itself, tells the master it is ready,
and serves until SIGTERM, when it stops accepting, finishes what is in flight and exits 0.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType

from sm_inference.contract import Settings

EXIT_START_FAILED = 3
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
RESPAWN_PAUSE = 1.0


def log(message: str) -> None:
    """One line to stderr, which SageMaker sends to CloudWatch."""
    print(f"[serve {os.getpid()}] {message}", file=sys.stderr, flush=True)


def bind(settings: Settings) -> socket.socket:
    """The listening socket every worker accepts from (kernel-balanced through one queue)."""
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _worker(sock: socket.socket, settings: Settings, registry_dir: Path | None, ready: int) -> int:
    """Body of a worker process; returns its exit code."""
    # Workers already use every core; more OpenMP threads per worker would only contend. Set
    # before the first import of XGBoost, which starts the OpenMP runtime.
    threads = max(1, (len(os.sched_getaffinity(0)) or 1) // settings.workers)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import asyncio

    import uvloop

    from sm_inference.app import App
    from sm_inference.model import Model, ModelLoadError
    from sm_inference.protocol import Connection, ServerState
    from sm_inference.registry import Registry

    try:
        model = None if settings.multi_model else Model.load(settings.model_dir, threads)
    except ModelLoadError as exc:
        log(f"cannot start: {exc}")
        return EXIT_START_FAILED
    registry = Registry(registry_dir, threads) if registry_dir is not None else None
    # Everything loaded so far (XGBoost, numpy, the model) lives as long as the worker: exempt it from
    # the cyclic collector, whose full collections over it took 10-50 ms, a latency spike per pass.
    gc.freeze()
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    app = App(settings, model, registry, loop)
    state = ServerState(settings, app)
    state.drained = loop.create_future()
    server = loop.run_until_complete(loop.create_server(lambda: Connection(state), sock=sock, backlog=2048))

    def force_close() -> None:
        for conn in list(state.connections):
            conn.close()

    def drain() -> None:
        server.close()
        state.begin_drain()
        loop.call_later(settings.timeout, force_close)

    def announce() -> None:
        os.write(ready, b"R")
        os.close(ready)

    loop.add_signal_handler(signal.SIGTERM, drain)
    # Report readiness from inside the running loop: uvloop only starts watching for signals
    # once the loop runs, and a SIGTERM the master sends right after "ready" must not be lost.
    loop.call_soon(announce)
    loop.run_until_complete(state.drained)
    loop.run_until_complete(server.wait_closed())
    loop.close()
    return 0


class Master:
    """Forks, watches and stops the workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sock = bind(settings)
        self.registry_dir = Path(tempfile.mkdtemp(prefix="sm-mme-")) if settings.multi_model else None
        self.workers: dict[int, float] = {}  # pid -> start time
        self.stopping = False
        self.deadline = 0.0

    def fork(self) -> tuple[int, int]:
        """Fork one worker; returns its pid and the read end of its readiness pipe."""
        read_end, write_end = os.pipe()
        # Hold signals across fork: until the child has reset its handlers, a SIGTERM would run
        # the master's handler (copied by fork) inside the child.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the master, which drains us
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            os.close(read_end)
            code = 1
            try:
                code = _worker(self.sock, self.settings, self.registry_dir, write_end)
            except BaseException:  # report, then leave without running the master's cleanup
                traceback.print_exc()
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        os.close(write_end)
        return pid, read_end

    def spawn(self, count: int) -> None:
        """Start ``count`` workers at once and wait until each has loaded its model (or failed)."""
        forked = [self.fork() for _ in range(count)]
        failed = []
        for pid, read_end in forked:
            with os.fdopen(read_end, "rb") as ready:
                started = ready.read(1) == b"R"
            if started:
                self.workers[pid] = time.monotonic()
                if self.stopping:  # SIGTERM arrived while this worker was starting
                    os.kill(pid, signal.SIGTERM)
            else:
                _, status = os.waitpid(pid, 0)
                failed.append(f"worker {pid} failed to start (exit {os.waitstatus_to_exitcode(status)})")
        if failed:
            raise SystemExit("; ".join(failed))

    def stop(self, signum: int, _frame: FrameType | None = None) -> None:
        """Forward SIGTERM to the workers and stop listening; they drain and exit."""
        if self.stopping:
            return
        self.stopping = True
        self.deadline = time.monotonic() + self.settings.timeout + 5
        log(f"{signal.Signals(signum).name}: draining {len(self.workers)} worker(s)")
        self.sock.close()
        for pid in self.workers:
            os.kill(pid, signal.SIGTERM)

    def run(self) -> int:
        """Start the workers, supervise them, return the exit code after shutdown."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            self.spawn(self.settings.workers)
        except SystemExit as exc:
            log(str(exc))
            self.stop(signal.SIGTERM)
            self.supervise()
            self.cleanup()
            return EXIT_START_FAILED
        mode = "multi-model" if self.settings.multi_model else f"model {self.settings.model_dir}"
        if not self.stopping:
            log(f"ready: {len(self.workers)} worker(s) on {self.settings.host}:{self.settings.port}, {mode}")
        clean = self.supervise()
        self.cleanup()
        log("stopped" if clean else "stopped; some workers did not exit cleanly")
        return 0 if clean else 1

    def cleanup(self) -> None:
        """Remove the multi-model registry folder."""
        if self.registry_dir is not None:
            shutil.rmtree(self.registry_dir, ignore_errors=True)

    def supervise(self) -> bool:
        """Replace workers that die; after stop(), wait for all to exit (killing stragglers).

        Returns whether every worker exited with status 0 once stopping.
        """
        clean, failures = True, 0
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                if self.stopping and time.monotonic() > self.deadline:
                    for straggler in self.workers:
                        os.kill(straggler, signal.SIGKILL)
                    clean = False
                time.sleep(0.05)  # a signal interrupts the nap, so shutdown is not delayed
                continue
            if self.workers.pop(pid, None) is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                if code != 0:
                    log(f"worker {pid} exited with {code} while stopping")
                    clean = False
                continue
            failures += 1
            log(f"worker {pid} died (exit {code}); replacing it")
            time.sleep(min(RESPAWN_PAUSE * failures, 10))
            try:
                if not self.stopping:
                    self.spawn(1)
            except SystemExit as exc:
                log(str(exc))
                self.stop(signal.SIGTERM)
        return clean


def main() -> int:
    """Console entry point (``serve``)."""
    if sys.argv[1:] not in ([], ["serve"]):
        print(f"usage: serve  (got {' '.join(sys.argv[1:])})", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        log(f"cannot start: {exc}")
        return EXIT_START_FAILED
    try:
        master = Master(settings)
    except OSError as exc:
        log(f"cannot listen on {settings.host}:{settings.port}: {exc}")
        return EXIT_START_FAILED
    return master.run()


if __name__ == "__main__":
    sys.exit(main())
