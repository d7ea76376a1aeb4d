"""Give each execution its own S3 locations under run-scoped prefixes, so runs never read each other's data.

A pipeline's prepared data and evaluation report live at fixed prefixes in the specs. When two runs
overlap (a scheduled one and a manual one), or when a registered model package points at "the"
report, fixed keys mix runs up. Under a run-scoped prefix ``P`` the pipeline rewrites every S3 URI
``s3://bucket/P<rest>`` of its requests into ``s3://bucket/P<execution name>/<rest>`` at run time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

#: Request fields that hold S3 locations of a job's data.
_S3_FIELDS = ("S3Uri", "S3OutputPath")
_URI = re.compile(r"(s3://[^/]+/)(.*)")


def _split(uri: str, prefixes: Sequence[str]) -> tuple[str, str] | None:
    """(everything up to and including the run-scoped prefix, the rest) of ``uri``, or None if none applies."""
    match = _URI.fullmatch(uri)
    key = match.group(2) if match else uri
    for prefix in prefixes:
        if key.startswith(prefix):
            return uri[: len(uri) - len(key)] + prefix, key[len(prefix) :]
    return None


def scoped_expression(uri: str, prefixes: Sequence[str]) -> str | None:
    """A States.Format expression for ``uri`` with the execution name after its run-scoped prefix, if any."""
    split = _split(uri, prefixes)
    return None if split is None else f"States.Format('{split[0]}{{}}/{split[1]}', $$.Execution.Name)"


def scoped_pattern(key: str, prefixes: Sequence[str]) -> str | None:
    """``key`` with ``*`` where the execution name goes (for IAM resources), if it is run-scoped."""
    split = _split(key, prefixes)
    return None if split is None else f"{split[0]}*/{split[1]}"


def scope_to_run(parameters: Any, prefixes: Sequence[str]) -> Any:
    """``parameters`` with every S3 URI under ``prefixes`` made per execution (a new structure)."""
    if not prefixes:
        return parameters
    if isinstance(parameters, list):
        return [scope_to_run(p, prefixes) for p in parameters]
    if not isinstance(parameters, dict):
        return parameters
    out: dict[str, Any] = {}
    for key, value in parameters.items():
        expression = scoped_expression(value, prefixes) if key in _S3_FIELDS and isinstance(value, str) else None
        if expression is not None:
            out[f"{key}.$"] = expression
        else:
            out[key] = scope_to_run(value, prefixes)
    return out


def check_prefixes(prefixes: Sequence[str]) -> list[str]:
    """Problems with run-scoped prefixes (each must end in '/' and fit in a States.Format literal)."""
    return [
        p
        for p in prefixes
        if not p.endswith("/") or p.startswith("/") or any(c in p for c in "'{}\\") or not p.strip("/")
    ]
