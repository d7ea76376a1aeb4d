#!/usr/bin/env python3
"""Smoke-test a deployed stage: send one CSV row to its endpoint and check the answer is a number.

Usage::

    python scripts/smoke_test.py --endpoint-name NAME --region eu-west-1 [--features 20 | --row 0.1,2,3]
        [--target-variant champion] [--role-arn arn:aws:iam::...:role/...] [--any-number]

Exits 0 when every answer line holds finite numbers (probabilities in [0, 1] unless ``--any-number``),
1 when the endpoint fails or answers something else, 2 on bad arguments. The delivery pipeline runs
it after each stage deploys; ``--role-arn`` is for stages in another account (SageMaker endpoints
have no resource policies, so the caller assumes a role in the endpoint's account).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CONTENT_TYPE = "text/csv"
_ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")


class SmokeTestError(Exception):
    """The endpoint answered, but not with what a healthy stage answers."""


@dataclass(frozen=True)
class Answer:
    """What one invocation returned."""

    values: list[list[float]]
    variant: str
    millis: float


def build_payload(*, features: int | None = None, row: Sequence[float] | None = None) -> bytes:
    """One headerless CSV row: ``row`` as given, or ``features`` deterministic values in [-1, 1]."""
    if (features is None) == (row is None):
        raise ValueError("build_payload: give exactly one of features or row")
    if row is None:
        assert features is not None
        if features < 1:
            raise ValueError(f"build_payload: features: got {features}; allowed: an integer >= 1")
        row = [round(((i % 9) - 4) / 4, 2) for i in range(features)]
    if not row or not all(math.isfinite(v) for v in row):
        raise ValueError(f"build_payload: row: got {list(row)!r}; allowed: one or more finite numbers")
    return (",".join(repr(float(v)) for v in row) + "\n").encode()


def parse_row(text: str) -> list[float]:
    """Parse ``--row`` (comma-separated numbers)."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--row: got {text!r}; allowed: comma-separated numbers") from None


def check_answer(body: bytes, content_type: str, *, rows: int = 1, probability: bool = True) -> list[list[float]]:
    """The numbers in a CSV answer, one list per line; raise ``SmokeTestError`` on anything else."""
    if content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        raise SmokeTestError(f"answer Content-Type: got {content_type!r}; expected {CONTENT_TYPE!r}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SmokeTestError(f"answer is not UTF-8 text: {body[:80]!r}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != rows:
        raise SmokeTestError(f"answer has {len(lines)} lines for {rows} rows: {text[:200]!r}")
    values: list[list[float]] = []
    for line in lines:
        try:
            numbers = [float(v) for v in line.split(",")]
        except ValueError:
            raise SmokeTestError(f"answer line is not numbers: {line[:200]!r}") from None
        for n in numbers:
            if not math.isfinite(n):
                raise SmokeTestError(f"answer holds a non-finite number: {line[:200]!r}")
            if probability and not 0.0 <= n <= 1.0:
                raise SmokeTestError(f"answer {n} is not a probability in [0, 1] (use --any-number for regressors)")
        values.append(numbers)
    return values


def invoke(
    runtime: Any, endpoint_name: str, payload: bytes, *, target_variant: str | None = None, probability: bool = True
) -> Answer:
    """Invoke the endpoint once through a ``sagemaker-runtime`` client and check the answer."""
    request: dict[str, Any] = {
        "EndpointName": endpoint_name,
        "ContentType": CONTENT_TYPE,
        "Accept": CONTENT_TYPE,
        "Body": payload,
    }
    if target_variant:
        request["TargetVariant"] = target_variant
    start = time.perf_counter()
    response = runtime.invoke_endpoint(**request)
    body = response["Body"].read()
    millis = (time.perf_counter() - start) * 1000
    rows = payload.decode().count("\n")
    values = check_answer(body, response.get("ContentType", ""), rows=rows, probability=probability)
    variant = response.get("InvokedProductionVariant", target_variant or "?")
    if target_variant and variant != target_variant:
        raise SmokeTestError(f"asked for variant {target_variant!r}; {variant!r} answered")
    return Answer(values=values, variant=variant, millis=millis)


def assumed_credentials(sts: Any, role_arn: str, session_name: str = "smoke-test") -> dict[str, str]:
    """Client keyword arguments carrying temporary credentials of ``role_arn``."""
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=900)["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def runtime_client(region: str, role_arn: str | None = None) -> Any:
    """A ``sagemaker-runtime`` client with standard retries, as ``role_arn`` when given."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=70)
    credentials = assumed_credentials(boto3.client("sts", region_name=region), role_arn) if role_arn else {}
    return boto3.client("sagemaker-runtime", region_name=region, config=config, **credentials)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and check the command line (exit 2 on mistakes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--endpoint-name", required=True)
    parser.add_argument("--region", required=True)
    rows = parser.add_mutually_exclusive_group()
    rows.add_argument("--features", type=int, default=None, help="width of the generated row (default: 20)")
    rows.add_argument("--row", type=parse_row, default=None, help="the row to send, e.g. 0.1,2,3")
    parser.add_argument("--target-variant", default=None)
    parser.add_argument("--role-arn", default=None, help="assume this role first (endpoint in another account)")
    parser.add_argument("--any-number", action="store_true", help="accept any finite number, not only [0, 1]")
    args = parser.parse_args(list(argv))
    if not _ENDPOINT_NAME.fullmatch(args.endpoint_name):
        parser.error(f"--endpoint-name: got {args.endpoint_name!r}; allowed: a SageMaker endpoint name")
    if not _REGION.fullmatch(args.region):
        parser.error(f"--region: got {args.region!r}; allowed: an AWS region such as 'eu-west-1'")
    if args.features is not None and args.features < 1:
        parser.error(f"--features: got {args.features}; allowed: an integer >= 1")
    if args.row is None and args.features is None:
        args.features = 20
    return args


def main(argv: Sequence[str] | None = None, runtime: Any = None) -> int:
    """Run the smoke test; ``runtime`` replaces the real client (tests)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    payload = build_payload(features=args.features, row=args.row)
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        client = runtime or runtime_client(args.region, args.role_arn)
        answer = invoke(
            client,
            args.endpoint_name,
            payload,
            target_variant=args.target_variant,
            probability=not args.any_number,
        )
    except (SmokeTestError, ClientError, BotoCoreError) as err:
        print(f"smoke test FAILED: endpoint {args.endpoint_name} in {args.region}: {err}", file=sys.stderr)
        return 1
    print(
        f"smoke test passed: endpoint {args.endpoint_name} in {args.region}, variant {answer.variant}, "
        f"answer {answer.values[0]} in {answer.millis:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
