"""Run workers as fresh processes, interleaved, and collect wall time, CPU time and their JSON results."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import OUT, ROOT, log

SCRATCH = OUT / "synth"
TIMEOUT_S = 900
#: Workers cache bytecode under benchmarks/out/synth/pycache, whatever PYTHONDONTWRITEBYTECODE says, so
#: every variant (``-O`` included, whose .opt-1.pyc files pip never writes) runs warm, as on a developer's machine.
BYTECODE_CACHE = {"PYTHONPYCACHEPREFIX": str(SCRATCH / "pycache")}


@dataclass(frozen=True)
class Variant:
    """One kind of run: a name for the tables, what it is, and the worker's arguments."""

    name: str
    label: str
    args: tuple[str, ...]
    #: Extra interpreter options, e.g. ``("-O",)``.
    python_flags: tuple[str, ...] = ()
    #: Run in this machine's environment as it is, instead of with :data:`BYTECODE_CACHE`.
    machine_env: bool = False


@dataclass
class Run:
    """One measured process."""

    variant: str
    wall_s: float
    cpu_s: float
    result: dict[str, Any] = field(default_factory=dict)

    def phase(self, name: str) -> float:
        """Seconds of one in-process phase (import, build, synth)."""
        return float(self.result["phases"][name]["s"])

    def phase_calls(self, name: str) -> int:
        """jsii kernel calls made during one phase."""
        return int(self.result["phases"][name]["calls"])

    def template_bytes(self) -> int:
        """Bytes of every template in the assembly, nested stacks included."""
        return sum(int(t["bytes"]) for t in self.result.get("templates", []))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_env(variant: Variant, extra: dict[str, str] | None) -> dict[str, str]:
    """The worker's environment: this machine's, with the bytecode cache unless the variant says otherwise."""
    env = dict(os.environ)
    if not variant.machine_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(BYTECODE_CACHE)
    return {**env, **(extra or {})}


def run_worker(variant: Variant, tag: str, env: dict[str, str] | None = None) -> Run:
    """Start ``python -m benchmarks.synth.worker`` for ``variant`` and wait for it (one run, fresh outdir)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    outdir = SCRATCH / f"cdk.out-{tag}"
    shutil.rmtree(outdir, ignore_errors=True)
    result_file = SCRATCH / f"result-{tag}.json"
    result_file.unlink(missing_ok=True)
    argv = [sys.executable, *variant.python_flags, "-m", "benchmarks.synth.worker", *variant.args]
    argv += ["--result", str(result_file)]
    if variant.args[0] != "roundtrip":
        argv += ["--outdir", str(outdir)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=worker_env(variant, env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0 or not result_file.is_file():
        raise SystemExit(f"worker {variant.name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    # The worker's own reading includes its Node processes, which RUSAGE_CHILDREN may miss.
    cpu = max(cpu, float(result.get("cpu_s", 0.0)))
    shutil.rmtree(outdir, ignore_errors=True)
    return Run(variant=variant.name, wall_s=wall, cpu_s=cpu, result=result)


def interleaved(variants: Sequence[Variant], runs: int, prefix: str) -> list[Run]:
    """``runs`` rounds; each round runs every variant once, the order rotated by one per round.

    First, one unrecorded warm-up run per interpreter flavour fills the bytecode cache and the file cache.
    """
    collected: list[Run] = []
    flavours: dict[tuple[tuple[str, ...], bool], Variant] = {}
    for variant in variants:  # per flavour, the variant that imports the most: the one with the most options
        key = (variant.python_flags, variant.machine_env)
        if key not in flavours or len(variant.args) > len(flavours[key].args):
            flavours[key] = variant
    for variant in flavours.values():
        run = run_worker(variant, f"{prefix}-warm-up")
        log(f"{prefix} warm-up {variant.name}: {run.wall_s:.2f} s wall (not counted)")
    for number in range(runs):
        order = list(variants[number % len(variants) :]) + list(variants[: number % len(variants)])
        for variant in order:
            run = run_worker(variant, f"{prefix}-{variant.name}")
            log(f"{prefix} round {number + 1}/{runs} {variant.name}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU")
            collected.append(run)
    return collected


def node_profiler(directory: Path) -> dict[str, str]:
    """Environment that makes the jsii runtime start Node with ``--cpu-prof`` into ``directory``.

    ``NODE_OPTIONS`` may not carry ``--cpu-prof``, but jsii starts the ``JSII_NODE`` executable:
    a two-line wrapper adds the flag. Both Node processes (the runtime and its kernel child) write
    a profile; the kernel's is the larger.
    """
    directory.mkdir(parents=True, exist_ok=True)
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    wrapper = directory / "node-cpu-prof"
    wrapper.write_text(f'#!/bin/sh\nexec "{node}" --cpu-prof --cpu-prof-dir="{directory}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return {"JSII_NODE": str(wrapper)}
