"""Collect every props problem and raise them together, naming field, value and what is allowed."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable
from typing import Any

from aws_cdk import Token

#: How CDK encodes tokens in strings, in one-element string lists, and as numbers (doubles near -1.888e+289).
_STRING_TOKEN, _LIST_TOKEN, _NUMBER_TOKENS_BELOW = "${Token[", "#{Token[", -1e288
#: A URI where a key prefix belongs.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_token(value: Any) -> bool:
    """Return True when ``value`` is an unresolved CDK token (checked at deploy time, not here).

    Answered in Python from CDK's token encodings (as ``Token.is_unresolved`` does), so the
    thousands of plain values validation sees cost no round trip to the jsii kernel.
    """
    if isinstance(value, bool | int):
        return False
    if isinstance(value, str):
        return _STRING_TOKEN in value
    if isinstance(value, float):
        # Never send NaN or an infinity to jsii: its JSON has no such numbers and the kernel dies.
        return math.isfinite(value) and value < _NUMBER_TOKENS_BELOW and bool(Token.is_unresolved(value))
    if isinstance(value, list):
        return len(value) == 1 and isinstance(value[0], str) and _LIST_TOKEN in value[0]
    return False


class PropsErrors:
    """Accumulates validation errors for one props object and raises them as one ``ValueError``.

    Usage::

        errors = PropsErrors("SecureBucketProps")
        errors.check(days >= 1, "noncurrent_version_expiration_days", days, "an integer >= 1")
        errors.raise_if_any()
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.problems: list[str] = []

    def add(self, field: str, value: Any, allowed: str) -> None:
        """Record that ``field`` got ``value`` but only ``allowed`` is accepted."""
        self.problems.append(f"{field}: got {value!r}; allowed: {allowed}")

    def check(self, ok: bool, field: str, value: Any, allowed: str) -> None:
        """Record a problem unless ``ok`` holds. Unresolved tokens are never rejected here."""
        if not ok and not is_token(value):
            self.add(field, value, allowed)

    def one_of(self, field: str, value: Any, allowed: Iterable[Any]) -> None:
        """Require ``value`` to be one of ``allowed``."""
        options = list(allowed)
        self.check(value in options, field, value, "one of " + ", ".join(repr(o) for o in options))

    def int_range(self, field: str, value: Any, low: int, high: int | None = None) -> None:
        """Require an integer within ``low..high`` (inclusive; ``high=None`` means unbounded)."""
        if is_token(value):
            return
        in_range = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if in_range and high is not None:
            in_range = value <= high
        bounds = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
        self.check(in_range, field, value, bounds)

    def pattern(self, field: str, value: Any, regex: str, description: str) -> None:
        """Require a string fully matching ``regex``."""
        if is_token(value):
            return
        ok = isinstance(value, str) and re.fullmatch(regex, value) is not None
        self.check(ok, field, value, description)

    def ipv4_cidr(self, field: str, value: Any, min_prefix: int, max_prefix: int) -> None:
        """Require an IPv4 network in CIDR notation with a prefix length in the given range."""
        if is_token(value):
            return
        allowed = f"an IPv4 CIDR block such as '10.0.0.0/16' with a prefix from /{min_prefix} to /{max_prefix}"
        try:
            net = ipaddress.IPv4Network(value, strict=True)
        except (ValueError, TypeError):
            self.add(field, value, allowed)
            return
        self.check(min_prefix <= net.prefixlen <= max_prefix, field, value, allowed)

    def s3_prefix(self, field: str, value: Any) -> None:
        """Require a key prefix inside a bucket: not an ``s3://`` URI, not starting with ``/``.

        The bucket is passed on its own (an ``s3.IBucket``); a URI here would render as
        ``s3://bucket/s3://...`` and be granted in IAM as such.
        """
        if is_token(value) or not isinstance(value, str):
            return
        if _URI.match(value):
            self.add(
                field,
                value,
                "a key prefix inside the bucket such as 'raw/'; pass the bucket and the prefix apart, not an "
                f"{value.split(':', 1)[0]}:// URI",
            )
        elif value.startswith("/"):
            self.add(field, value, "a key prefix without a leading '/', such as 'raw/'")

    def image_uri(self, field: str, value: Any) -> None:
        """Require an image's registry path, not an ARN or an S3 URI (the API's pattern, ``[\\S]+``, takes both).

        SageMaker pulls from ECR (or, for training in VPC mode, a private registry), so the value
        names a registry host and a repository: ``<account>.dkr.ecr.<region>.amazonaws.com/<repo>``
        with ``:<tag>`` or ``@sha256:<digest>``. A repository ARN is the usual mix-up.
        """
        if is_token(value) or not isinstance(value, str):
            return
        allowed = (
            "an image URI such as '<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>' (or '@sha256:<digest>')"
        )
        if value.startswith("arn:"):
            self.add(field, value, allowed + ", not an ARN (for a repository, use its repository_uri_for_tag())")
        elif _URI.match(value):
            self.add(field, value, allowed + f", not an {value.split(':', 1)[0]}:// URI")
        elif "/" not in value:
            self.add(field, value, allowed + ": a registry host and a repository (SageMaker has no default registry)")

    def finite(self, field: str, value: Any) -> None:
        """Require a finite number (NaN and infinities never reach jsii, where they would break the kernel)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(field, value, "a finite number")
        elif isinstance(value, float) and not math.isfinite(value):
            self.add(field, value, "a finite number (not NaN or an infinity)")

    def raise_if_any(self) -> None:
        """Raise one ``ValueError`` listing every recorded problem."""
        if self.problems:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            raise ValueError(f"{self.owner} is invalid:\n{lines}")
