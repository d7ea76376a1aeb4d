"""One measured synth in this process: ``python -m benchmarks.synth.worker KIND --result FILE [options]``.

The parent (``python -m benchmarks.synth``) starts a fresh interpreter per run, so every run pays
interpreter start-up, imports and the jsii kernel's start-up alike. Phases are timed here with
``perf_counter`` and jsii round trips counted per phase; the result goes to ``--result`` as JSON.
``KIND`` ``roundtrip`` times single kernel calls instead of an app.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.synth import kernel


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth.worker", description=__doc__)
    parser.add_argument("kind", choices=["bare", "reference", "fleet", "roundtrip"])
    parser.add_argument("--result", type=Path, required=True, help="where to write the JSON result")
    parser.add_argument("--outdir", type=Path, help="cloud assembly directory (required unless roundtrip)")
    parser.add_argument("--stage", default="prod", help="reference: the stage to build (default: prod)")
    parser.add_argument("--nag", action="store_true", help="attach the nag packs (add_nag_packs)")
    parser.add_argument("--endpoints", type=int, default=1, help="fleet: number of endpoints")
    parser.add_argument("--members-per-stack", type=int, help="fleet: members per nested stack")
    parser.add_argument("--shared-role", action="store_true", help="fleet: one execution role for every model")
    parser.add_argument("--cfn-validation", action="store_true", help="keep CDK's built-in CloudFormation validation")
    parser.add_argument("--no-staging", action="store_true", help="set aws:cdk:disable-asset-staging")
    parser.add_argument("--detail", action="store_true", help="count kernel calls per target and per caller")
    parser.add_argument("--cprofile", type=Path, help="profile imports, build and synth into this pstats file")
    return parser.parse_args(argv)


def import_for(kind: str) -> None:
    """Import what ``kind`` needs, so the import phase is timed apart from the build."""
    import aws_cdk
    import aws_cdk.aws_s3  # noqa: F401

    import tests.harness  # noqa: F401

    if kind in ("reference", "fleet"):
        import sagemaker_platform
        import sagemaker_platform.fleet  # noqa: F401
        import stacks.platform_stage  # noqa: F401


def templates(outdir: Path) -> list[dict[str, Any]]:
    """Every template in the assembly (stages and nested stacks): file, bytes, resources."""
    found = []
    for path in sorted(outdir.rglob("*.template.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        found.append({"file": path.name, "bytes": path.stat().st_size, "resources": len(body.get("Resources", {}))})
    return found


def process_cpu_s() -> float:
    """CPU seconds (user + system) of this process and every live descendant (the jsii Node processes).

    Read from /proc before exit: the kernel's Node child is not always reaped by the runtime's
    wrapper, so the parent's ``RUSAGE_CHILDREN`` can miss it.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    pending, seen = [os.getpid()], set()
    while pending:
        pid = pending.pop()
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in children.read_text(encoding="utf-8").split():
                if int(child) not in seen:
                    seen.add(int(child))
                    pending.append(int(child))
    for pid in seen:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
    return total


def synth_app(args: argparse.Namespace, stats: kernel.KernelStats) -> dict[str, Any]:
    """Import, build and synth one app; phase times, kernel calls per phase, templates."""
    from benchmarks.synth import apps

    marks: list[tuple[str, float, dict[str, float]]] = [("start", time.perf_counter(), stats.snapshot())]
    import_for(args.kind)
    marks.append(("import", time.perf_counter(), stats.snapshot()))
    app = apps.new_app(args.outdir, cfn_validation=args.cfn_validation, staging=not args.no_staging)
    if args.kind == "bare":
        apps.bare(app)
    elif args.kind == "reference":
        apps.reference(app, args.stage, nag=args.nag)
    else:
        apps.fleet(
            app, args.endpoints, nag=args.nag, members_per_stack=args.members_per_stack, shared_role=args.shared_role
        )
    marks.append(("build", time.perf_counter(), stats.snapshot()))
    error = None
    try:
        app.synth()
    except RuntimeError as err:  # a validation plugin found something; the run still counts
        error = str(err)[:2000]
    marks.append(("synth", time.perf_counter(), stats.snapshot()))
    phases = {
        name: {"s": t - marks[i][1], **{k: v - marks[i][2][k] for k, v in snap.items()}}
        for i, (name, t, snap) in enumerate(marks[1:])
    }
    return {"phases": phases, "error": error, "templates": templates(args.outdir)}


def roundtrip(stats: kernel.KernelStats) -> dict[str, Any]:
    """Cost of single kernel calls and of L1 constructs built with typed props vs plain dicts."""
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from benchmarks.synth import microbench

    return microbench.run(cdk, s3, stats)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    stats = kernel.install(detail=args.detail)
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    if args.kind == "roundtrip":
        result = roundtrip(stats)
    else:
        if args.outdir is None:
            raise SystemExit("--outdir is required")
        result = synth_app(args, stats)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(args.cprofile))
    result["kernel"] = stats.as_json()
    result["cpu_s"] = process_cpu_s()
    args.result.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
