"""Failure contract for processing jobs: classify errors, report them in /opt/ml/output/message."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

EXIT_USER_ERROR = 1
EXIT_ALGORITHM_ERROR = 2


class UserError(Exception):
    """The job's inputs are wrong (arguments, data, configuration): the user can fix it."""


class AlgorithmError(Exception):
    """Something failed inside the job that the user's inputs do not explain."""


def write_message(path: Path, text: str) -> None:
    """Write the exit message (UTF-8, as SageMaker requires; its first 1 KB is shown)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"could not write {path}: {exc}", file=sys.stderr)


def run_main(main: Callable[[], str], message_path: Callable[[], Path]) -> int:
    """Run ``main`` (which returns a one-line summary) and return the process exit code."""
    try:
        summary = main()
    except Exception as exc:  # the contract is to classify *every* failure
        if isinstance(exc, UserError):
            reason, code = f"UserError: {exc}", EXIT_USER_ERROR
        else:
            traceback.print_exc()
            detail = str(exc) if isinstance(exc, AlgorithmError) else f"{type(exc).__name__}: {exc}"
            reason, code = f"AlgorithmError: {detail}", EXIT_ALGORITHM_ERROR
        print(reason, file=sys.stderr, flush=True)
        write_message(message_path(), reason)
        return code
    print(summary, flush=True)
    write_message(message_path(), summary)
    return 0
