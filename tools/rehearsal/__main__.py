"""``python -m tools.rehearsal cdk.out``: rehearse `cdk deploy` of a synthesized app, offline (see tools/rehearsal)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.rehearsal.run import DEFAULT_ACCOUNT, Rehearsal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearsal", description=__doc__)
    parser.add_argument("outdir", type=Path, help="a cloud assembly with staged assets (make synth's cdk.out)")
    parser.add_argument("--stage", action="append", default=[], help="rehearse only this stage (repeatable)")
    parser.add_argument("--no-images", dest="images", action="store_false", help="do not build the image assets")
    parser.add_argument("--no-afterwards", dest="afterwards", action="store_false", help="deploy and check only")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help="account of environment-agnostic stacks")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        parser.error(f"outdir: got {str(args.outdir)!r}; allowed: a cloud assembly (run `make synth` first)")
    report = Rehearsal(
        args.outdir, images=args.images, afterwards=args.afterwards, stages=tuple(args.stage),
        default_account=args.account, note=lambda m: print(f"[rehearsal] {m}", file=sys.stderr, flush=True),
    ).run()  # fmt: skip
    print(report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
