"""The ``process`` entrypoint: ``process prepare|evaluate|generate [options]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sm_processing import contract, evaluate, ingest, prepare, synthetic
from sm_processing.errors import UserError, run_main


def _generate(args: argparse.Namespace) -> str:
    try:
        path = synthetic.write(args.output, args.rows, args.seed, args.format, args.header, args.dirty_fraction)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return f"wrote {args.rows} synthetic rows ({args.format}, seed {args.seed}) to {path}"


def parser() -> argparse.ArgumentParser:
    """Argument parser of all subcommands."""
    root = argparse.ArgumentParser(prog="process", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="clean and split raw data")
    prepare.add_arguments(prep)
    prep.set_defaults(run=prepare.run)
    ev = commands.add_parser("evaluate", help="score the test set, write evaluation.json")
    evaluate.add_arguments(ev)
    ev.set_defaults(run=evaluate.run)
    gen = commands.add_parser("generate", help="write a deterministic synthetic data set")
    gen.add_argument("--output", type=Path, required=True, help="file to write")
    gen.add_argument("--rows", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--format", choices=("csv", "parquet"), default="csv")
    gen.add_argument("--header", action="store_true", help="write a header row (CSV)")
    gen.add_argument(
        "--dirty-fraction",
        type=float,
        default=0.0,
        help="fraction of rows to break on purpose (CSV), to exercise cleaning",
    )
    gen.set_defaults(run=_generate)
    ing = commands.add_parser("ingest", help="put a prepared dataset into a feature group (PutRecord)")
    ingest.add_arguments(ing)
    ing.set_defaults(run=ingest.run)
    return root


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one subcommand under the failure contract."""
    args = parser().parse_args(argv)
    return run_main(lambda: str(args.run(args)), contract.message_path)


if __name__ == "__main__":
    sys.exit(main())
