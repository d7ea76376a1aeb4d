"""Task states with the pipeline's failure handling: retries with backoff, then notify and fail."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform._constraints import api

#: Errors worth retrying with backoff: throttling and capacity.
RETRYABLE = [
    "ThrottlingException",
    "SageMaker.AmazonSageMakerException",
    "SageMaker.ResourceLimitExceededException",
    "States.Timeout",
]

#: Job kinds with a ``.sync`` integration, and the resource type of their ARNs.
JOB_KINDS = {
    "ProcessingJob": "processing-job",
    "TrainingJob": "training-job",
    "HyperParameterTuningJob": "hyper-parameter-tuning-job",
    "TransformJob": "transform-job",
}


class TaskFactory:
    """Makes ``Task`` states that retry throttling and capacity errors and route every failure to ``notify``."""

    def __init__(self, scope: Construct, partition: str, notify: sfn.IChainable) -> None:
        self._scope = scope
        self._partition = partition
        self._notify = notify

    def task(
        self,
        name: str,
        resource: str,
        parameters: dict[str, Any],
        *,
        result_path: str,
        result_selector: dict[str, Any] | None = None,
        on_error: sfn.IChainable | None = None,
        error_path: str = "$.error",
    ) -> sfn.CustomState:
        """A task calling ``resource`` (a Step Functions integration ARN without partition prefix).

        ``result_path`` is required: a task whose result replaced the whole state would drop what
        later states read (and the failure path's ``$.error``). ``result_selector`` keeps only what
        is needed, as SageMaker's answers can be large and state payloads are limited to 256 KB.
        Errors go to ``on_error`` (default: the notification) with the error at ``error_path``.
        """
        operation = sagemaker_operation(resource)
        if operation is not None:
            api.check_request(f"state {name!r}", operation, parameters)
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": f"arn:{self._partition}:states:::{resource}",
            "Parameters": parameters,
            "ResultPath": result_path,
        }
        if result_selector is not None:
            state["ResultSelector"] = result_selector
        task = sfn.CustomState(self._scope, name, state_json=state)
        task.add_retry(errors=RETRYABLE, interval=Duration.seconds(30), max_attempts=4, backoff_rate=2.0)
        task.add_catch(on_error or self._notify, errors=["States.ALL"], result_path=error_path)
        return task

    def job(
        self, name: str, kind: str, parameters: dict[str, Any], *, on_error: sfn.IChainable | None = None
    ) -> sfn.CustomState:
        """A SageMaker job that the state machine waits for (``create<kind>.sync``).

        Only the job's ARN is kept, at ``$.jobs.<name>.Arn``: later states read what they need with a
        describe call, so the flow does not depend on the shape of the ``.sync`` result (and behaves
        the same in interpreters without ``.sync``).
        """
        if kind not in JOB_KINDS:
            raise ValueError(f"TaskFactory.job: kind: got {kind!r}; allowed: one of {sorted(JOB_KINDS)}")
        return self.task(
            name,
            f"sagemaker:create{kind}.sync",
            parameters,
            result_path=f"$.jobs.{name}",
            result_selector={"Arn.$": f"$.{kind}Arn"},
            on_error=on_error,
        )

    def sdk(
        self,
        name: str,
        service_action: str,
        parameters: dict[str, Any],
        *,
        result_path: str,
        result_selector: dict[str, Any] | None = None,
    ) -> sfn.CustomState:
        """An AWS SDK integration such as ``sagemaker:describeTrainingJob``."""
        return self.task(
            name,
            f"aws-sdk:{service_action}",
            parameters,
            result_path=result_path,
            result_selector=result_selector,
        )


def sagemaker_operation(resource: str) -> str | None:
    """The SageMaker API operation a task resource calls, when the constraint table covers it.

    ``sagemaker:createTrainingJob.sync`` and ``aws-sdk:sagemaker:describeTrainingJob`` call
    ``CreateTrainingJob`` and ``DescribeTrainingJob``; other services are not checked here.
    """
    service, _, action = resource.removeprefix("aws-sdk:").partition(":")
    if service != "sagemaker" or not action:
        return None
    operation = action.split(".")[0]
    operation = operation[0].upper() + operation[1:]
    return operation if operation in api.operations() else None
