"""A data-quality baseline suggested by SageMaker's Model Monitor analyzer, as a pipeline step.

The analyzer (``sagemaker-model-monitor-analyzer``) runs as a processing job over a dataset with
exactly the columns an endpoint receives, and writes ``statistics.json`` and ``constraints.json``.
The step renders the request the SageMaker Python SDK's ``DefaultModelMonitor.suggest_baseline``
makes (input ``baseline_dataset_input``, output ``monitoring_output``, the ``dataset_format``,
``dataset_source`` and ``output_path`` environment), in the platform's network and with its keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aws_cdk import aws_s3 as s3

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.jobs.common import JobCompute, JobSecurity, instance_storage_note
from sagemaker_platform.jobs.processing import ProcessingInput, ProcessingJobSpec, ProcessingOutput

_INPUT = "/opt/ml/processing/input/baseline_dataset_input"
_OUTPUT = "/opt/ml/processing/output"


@dataclass(frozen=True, kw_only=True)
class DataQualityBaseline:
    """Suggest the baseline a :class:`~sagemaker_platform.DataQualityMonitor` compares captured traffic with."""

    #: Headerless CSV with exactly the endpoint's input columns, in order (e.g. ``process prepare
    #: --features-output``): the analyzer's columns must match the captured requests'.
    dataset_bucket: s3.IBucket
    dataset_prefix: str
    #: Where the monitoring schedule reads the baseline: ``<prefix>constraints.json`` and ``statistics.json``.
    output_bucket: s3.IBucket
    output_prefix: str
    #: Runs the job: it must read the dataset, write the output prefix and pull the analyzer image.
    role: SageMakerExecutionRole
    security: JobSecurity
    #: Default: one ``ml.m5.xlarge``.
    compute: JobCompute = field(default_factory=JobCompute)
    #: Default: 1 hour.
    max_runtime_s: int = 3600

    def __post_init__(self) -> None:
        errors = PropsErrors("DataQualityBaseline")
        for name in ("dataset_prefix", "output_prefix"):
            value = getattr(self, name)
            errors.check(
                value.endswith("/") and not value.startswith("/") and not value.startswith("s3://"),
                name,
                value,
                "a key prefix ending in '/', without a leading '/' (pass the bucket apart)",
            )
        errors.int_range("max_runtime_s", self.max_runtime_s, 1, 86_400)
        errors.raise_if_any()

    @property
    def notes(self) -> tuple[str, ...]:
        """What the job's request leaves out and why (a volume key on instance types with NVMe storage)."""
        note = instance_storage_note("DataQualityBaseline", self.compute.instance_type)
        return (note,) if note else ()

    @property
    def constraints_key(self) -> str:
        return f"{self.output_prefix}constraints.json"

    @property
    def statistics_key(self) -> str:
        return f"{self.output_prefix}statistics.json"

    def spec(self, image_uri: str) -> ProcessingJobSpec:
        """The analyzer's processing job, with ``image_uri`` the region's Model Monitor analyzer image."""
        return ProcessingJobSpec(
            image_uri=image_uri,
            role_arn=self.role.role_arn,
            security=self.security,
            entrypoint=None,
            inputs=[
                ProcessingInput(
                    name="baseline_dataset_input",
                    bucket=self.dataset_bucket,
                    prefix=self.dataset_prefix,
                    local_path=_INPUT,
                )
            ],
            outputs=[
                ProcessingOutput(
                    name="monitoring_output", bucket=self.output_bucket, prefix=self.output_prefix, local_path=_OUTPUT
                )
            ],
            compute=self.compute,
            environment={
                "dataset_format": json.dumps({"csv": {"header": False, "output_columns_position": "START"}}),
                "dataset_source": _INPUT,
                "output_path": _OUTPUT,
                "publish_cloudwatch_metrics": "Disabled",
            },
            max_runtime_s=self.max_runtime_s,
        )
