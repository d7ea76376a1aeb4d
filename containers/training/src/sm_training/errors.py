"""Failure contract: classify errors and write ``/opt/ml/output/failure`` before exiting non-zero."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

#: SageMaker shows only this many characters of the failure file as FailureReason.
FAILURE_REASON_LIMIT = 1024

EXIT_USER_ERROR = 1
EXIT_ALGORITHM_ERROR = 2


class UserError(Exception):
    """The job's inputs are wrong (hyperparameters, data, configuration): the user can fix it."""


class AlgorithmError(Exception):
    """Something failed inside the algorithm that the user's inputs do not explain."""


def failure_reason(exc: BaseException) -> str:
    """One-paragraph reason starting with ``UserError:`` or ``AlgorithmError:``."""
    if isinstance(exc, UserError):
        return f"UserError: {exc}"
    if isinstance(exc, AlgorithmError):
        return f"AlgorithmError: {exc}"
    return f"AlgorithmError: {type(exc).__name__}: {exc}"


def write_failure(path: Path, reason: str) -> None:
    """Write the failure file; the full text is kept, the important part comes first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reason, encoding="utf-8")
    except OSError as exc:
        # The reason still reaches the job log even when the output dir is unwritable.
        print(f"could not write {path}: {exc}", file=sys.stderr)


def run_main(main: Callable[[], int], failure_path: Callable[[], Path]) -> int:
    """Run ``main`` under the failure contract and return the process exit code."""
    try:
        return main()
    except Exception as exc:  # the contract is to classify *every* failure
        reason = failure_reason(exc)
        if not isinstance(exc, UserError | AlgorithmError):
            traceback.print_exc()
        print(reason, file=sys.stderr, flush=True)
        write_failure(failure_path(), reason)
        return EXIT_USER_ERROR if isinstance(exc, UserError) else EXIT_ALGORITHM_ERROR
