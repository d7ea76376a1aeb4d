"""What moto's Step Functions interpreter needs to run our definitions as AWS would (shared with the tests).

- ``.sync`` SageMaker integrations: moto answers them with "Unsupported sync callback procedure",
  so definitions are rewritten to the request-response form (``sync_rewritten``). Our pipelines
  never read a ``.sync`` result (they describe what they need), so the flow is the one AWS runs;
  the rehearsal then runs each job to its end inside the create call (``afterwards.JobRunner``).
- S3 ``GetObject`` bodies: Step Functions returns them as text; moto leaves the stream object.
- The account a task acts in: moto's interpreter calls AWS with fixed keys, i.e. moto's default
  account, whatever account the state machine lives in; ``acting_in`` gives it the stage's credentials.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

_SYNC = re.compile(r"(:states:::sagemaker:create\w+)\.sync\b")


def sync_rewritten(definition: str) -> str:
    """``definition`` with ``createXxx.sync`` SageMaker tasks as request-response tasks."""
    return _SYNC.sub(r"\1", definition)


def text_bodies(original: Callable[..., None]) -> Callable[..., None]:
    """A replacement for ``StateTaskServiceAwsSdk._eval_service_task`` that reads S3 bodies as text."""

    def eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original(self, env, *args, **kwargs)
        result = env.stack[-1]
        if isinstance(result, dict) and hasattr(result.get("Body"), "read"):
            result["Body"] = result["Body"].read().decode("utf-8")

    return eval_service_task


@contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """``owner.name = value`` for the duration of the block."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def aws_like_interpreter() -> Iterator[None]:
    """moto's interpreter with S3 bodies as text (run inside ``emulated_aws``)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    with patched(StateTaskServiceAwsSdk, "_eval_service_task", text_bodies(StateTaskServiceAwsSdk._eval_service_task)):
        yield


_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
#: The interpreter's modules that make their own AWS clients.
_CLIENT_MODULES = [
    _SERVICE + name
    for name in (
        "state_task_service_aws_sdk", "state_task_service_unsupported", "state_task_service_events",
        "state_task_service_sns", "state_task_service_sfn", "state_task_service_sqs", "state_task_service_dynamodb",
    )
]  # fmt: skip


@contextmanager
def acting_in(session: Any) -> Iterator[None]:
    """Every AWS call the interpreter's tasks make goes out as ``session`` (a boto3 Session of one account)."""
    from botocore.config import Config  # type: ignore[import-untyped]

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        config = Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1})
        return session.client(service, region_name=region, config=config)

    with ExitStack() as stack:
        for name in _CLIENT_MODULES:
            stack.enter_context(patched(importlib.import_module(name), "boto_client_for", client_for))
        yield
