"""PySpark data preparation at scale: a processing job on SageMaker's Spark image (``smspark-submit``).

SageMaker's Spark processing containers run ``smspark-submit``, which starts a Spark cluster across
the job's instances and submits the application. The application, its extra Python files and an
optional EMR-style ``configuration.json`` arrive as processing inputs at fixed paths; Spark's event
logs can stream to S3 for a history server. :class:`PySparkJob` renders all of that as an ordinary
:class:`ProcessingJobSpec`, so it runs, validates and is checked like any other processing job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_s3 as s3

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.jobs.common import JobCompute, JobSecurity
from sagemaker_platform.jobs.processing import ProcessingInput, ProcessingJobSpec, ProcessingOutput, UploadMode

_BASE = "/opt/ml/processing"
#: Input and output names the Spark container reserves for itself.
RESERVED = ("code", "py-files", "conf", "spark-events")


@dataclass(frozen=True, kw_only=True)
class PySparkJob:
    """A PySpark application submitted with ``smspark-submit`` on a SageMaker Spark processing image."""

    #: A SageMaker Spark processing image (``sagemaker-spark-processing``) for the stack's region.
    image_uri: str
    role_arn: str
    security: JobSecurity
    #: Bucket holding the application, its py-files and configuration.
    code_bucket: s3.IBucket
    #: Key of the application, e.g. ``"spark/prepare.py"``.
    submit_app_key: str
    #: Prefix of extra ``.py``/``.zip``/``.egg`` files for ``--py-files``. Default: none.
    py_files_prefix: str | None = None
    #: Prefix holding ``configuration.json`` (EMR-style classifications such as spark-defaults). Default: none.
    configuration_prefix: str | None = None
    #: Stream Spark event logs here (for a Spark history server). Default: not kept.
    event_logs_bucket: s3.IBucket | None = None
    event_logs_prefix: str = "spark-events/"
    #: Arguments after the application, e.g. ``["--input", "s3://..."]``.
    arguments: Sequence[str] = field(default_factory=tuple)
    inputs: Sequence[ProcessingInput] = field(default_factory=tuple)
    outputs: Sequence[ProcessingOutput] = field(default_factory=tuple)
    #: Default: 2 x ml.m5.xlarge (a driver and a worker node).
    compute: JobCompute = field(default_factory=lambda: JobCompute(instance_count=2))
    environment: Mapping[str, Any] = field(default_factory=dict)
    max_runtime_s: int = 86_400
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = PropsErrors("PySparkJob")
        errors.image_uri("image_uri", self.image_uri)
        errors.check(
            self.submit_app_key.endswith(".py") and not self.submit_app_key.startswith("/"),
            "submit_app_key",
            self.submit_app_key,
            "the S3 key of a .py file, without a leading '/'",
        )
        names = [i.name for i in self.inputs] + [o.name for o in self.outputs]
        clash = sorted(set(names) & set(RESERVED))
        errors.check(not clash, "inputs/outputs", clash, f"names other than {list(RESERVED)} (used by smspark-submit)")
        if self.compute.instance_count > 1:
            # Spark's driver and executors talk to each other across the job's instances.
            errors.check(
                self.security.network.self_referencing,
                "security.network",
                "no self-referencing security group",
                "a security group that allows traffic from itself when instance_count > 1 (Spark nodes talk)",
            )
        errors.raise_if_any()

    def to_processing_job(self) -> ProcessingJobSpec:
        """The job as a :class:`ProcessingJobSpec`, rendered like any other (``to_request`` and friends)."""
        app = self.submit_app_key.rsplit("/", 1)[-1]
        command = ["smspark-submit"]
        inputs = [
            ProcessingInput(
                name="code", bucket=self.code_bucket, prefix=self.submit_app_key, local_path=f"{_BASE}/input/code"
            )
        ]
        outputs = list(self.outputs)
        if self.py_files_prefix is not None:
            inputs.append(
                ProcessingInput(
                    name="py-files",
                    bucket=self.code_bucket,
                    prefix=self.py_files_prefix,
                    local_path=f"{_BASE}/input/py-files",
                )
            )
            command += ["--py-files", f"{_BASE}/input/py-files"]
        if self.configuration_prefix is not None:
            # smspark-submit applies /opt/ml/processing/input/conf/configuration.json by itself.
            inputs.append(
                ProcessingInput(
                    name="conf",
                    bucket=self.code_bucket,
                    prefix=self.configuration_prefix,
                    local_path=f"{_BASE}/input/conf",
                )
            )
        if self.event_logs_bucket is not None:
            command += ["--local-spark-event-logs-dir", f"{_BASE}/spark-events/"]
            outputs.append(
                ProcessingOutput(
                    name="spark-events",
                    bucket=self.event_logs_bucket,
                    prefix=self.event_logs_prefix,
                    local_path=f"{_BASE}/spark-events",
                    upload_mode=UploadMode.CONTINUOUS,
                )
            )
        command.append(f"{_BASE}/input/code/{app}")
        return ProcessingJobSpec(
            image_uri=self.image_uri,
            role_arn=self.role_arn,
            security=self.security,
            entrypoint=command,
            arguments=self.arguments,
            inputs=[*inputs, *self.inputs],
            outputs=outputs,
            compute=self.compute,
            environment=self.environment,
            max_runtime_s=self.max_runtime_s,
            tags=self.tags,
        )
