"""Single jsii kernel calls, timed: what one Python -> Node round trip costs, and L1 props typed vs dict.

Each operation runs in blocks, interleaved with the others, and reports the median over blocks of
the time per operation and the kernel calls per operation (counted, not assumed).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.synth.kernel import KernelStats

BLOCKS = 5
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def _operations(cdk: Any, s3: Any, stack: Any) -> dict[str, tuple[str, int, Callable[[int], object]]]:
    """name -> (what it is, operations per block, callable taking a unique number)."""

    def typed(n: int) -> object:
        return s3.CfnBucket(
            stack,
            f"Typed{n}",
            bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        bucket_key_enabled=True,
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="aws:kms", kms_master_key_id=KEY_ARN
                        ),
                    )
                ]
            ),
            versioning_configuration=s3.CfnBucket.VersioningConfigurationProperty(status="Enabled"),
            public_access_block_configuration=s3.CfnBucket.PublicAccessBlockConfigurationProperty(
                block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
            ),
            tags=[cdk.CfnTag(key="team", value="ml")],
        )

    def plain(n: int) -> object:
        return s3.CfnBucket(
            stack,
            f"Plain{n}",
            bucket_encryption={
                "serverSideEncryptionConfiguration": [
                    {
                        "bucketKeyEnabled": True,
                        "serverSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
                    }
                ]
            },
            versioning_configuration={"status": "Enabled"},
            public_access_block_configuration={
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            tags=[{"key": "team", "value": "ml"}],
        )

    return {
        "sinvoke": ("static call `Token.is_unresolved('x')`", 400, lambda n: cdk.Token.is_unresolved("x")),
        "get": ("property read `stack.stack_name`", 400, lambda n: stack.stack_name),
        "create-empty": ("`CfnWaitConditionHandle(stack, id)` (L1, no props)", 100, lambda n: _empty(cdk, stack, n)),
        "create-typed": ("`CfnBucket` with typed `XxxProperty` structs", 60, typed),
        "create-dict": ("the same `CfnBucket` with plain dicts", 60, plain),
        "create-l2": ("`s3.Bucket(versioned, enforce_ssl)` (L2)", 30, lambda n: _l2(s3, stack, n)),
    }


def _empty(cdk: Any, stack: Any, n: int) -> object:
    return cdk.CfnWaitConditionHandle(stack, f"Handle{n}")


def _l2(s3: Any, stack: Any, n: int) -> object:
    return s3.Bucket(stack, f"Bucket{n}", versioned=True, enforce_ssl=True)


def run(cdk: Any, s3: Any, stats: KernelStats) -> dict[str, Any]:
    """Median ms and kernel calls per operation over interleaved blocks."""
    app = cdk.App()
    stack = cdk.Stack(app, "Micro")
    operations = _operations(cdk, s3, stack)
    for _what, _count, call in operations.values():  # warm-up: first-use costs (type hints, lazy modules)
        call(-1)
    per_op: dict[str, list[float]] = {name: [] for name in operations}
    calls: dict[str, list[float]] = {name: [] for name in operations}
    serial = 0
    for _block in range(BLOCKS):
        for name, (_what, count, call) in operations.items():
            before = stats.total()
            started = time.perf_counter()
            for _ in range(count):
                serial += 1
                call(serial)
            per_op[name].append((time.perf_counter() - started) * 1000 / count)
            calls[name].append((stats.total() - before) / count)
    return {
        "operations": {
            name: {
                "what": what,
                "ms": statistics.median(per_op[name]),
                "calls": statistics.median(calls[name]),
            }
            for name, (what, _count, _call) in operations.items()
        },
        "optimized": not __debug__,
    }
