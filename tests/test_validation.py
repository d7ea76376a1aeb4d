"""is_token answers in Python exactly what CDK's Token.is_unresolved answers, for the values validation sees."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Aws, Fn, Stack, Token
from aws_cdk import aws_s3 as s3

from sagemaker_platform._validation import is_token
from tests.harness import make_app


@pytest.fixture(scope="module")
def values() -> list[Any]:
    stack = Stack(make_app(), "S")
    bucket = s3.Bucket(stack, "B")
    return [
        "plain",
        "",
        "${not a token}",
        bucket.bucket_name,
        f"s3://{bucket.bucket_name}/prefix/",
        Aws.ACCOUNT_ID,
        Token.as_number(Aws.ACCOUNT_ID),
        Token.as_number(Fn.ref("Count")),
        1.5,
        -1.0,
        7,
        True,
        ["a", "b"],
        Fn.split(",", bucket.bucket_name),
        Token.as_list(Fn.ref("Subnets")),
        [],
        {"k": "v"},
        None,
    ]


def test_is_token_agrees_with_cdk(values: list[Any]) -> None:
    for value in values:
        expected = bool(Token.is_unresolved(value)) if value is not None and not isinstance(value, dict) else False
        assert is_token(value) is expected, (value, expected)
    assert {is_token(v) for v in values} == {True, False}
