"""A batch transform job over a model, rendered as CreateTransformJob."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.jobs.common import (
    JobCompute,
    checked_job_name,
    instance_storage_note,
    run_time_job_name,
    volume_key_field,
    warn_notes,
)


class SplitType(Enum):
    NONE = "None"
    LINE = "Line"
    RECORD_IO = "RecordIO"
    TF_RECORD = "TFRecord"


class JoinSource(Enum):
    NONE = "None"
    INPUT = "Input"


@dataclass(frozen=True, kw_only=True)
class TransformJobSpec:
    """Score a dataset in S3 with a model; VPC and isolation come from the model itself."""

    model_name: str
    input_bucket: s3.IBucket
    input_prefix: str
    output_bucket: s3.IBucket
    output_prefix: str
    #: Encrypts the results and the ML storage volumes.
    key: kms.IKey
    content_type: str = "text/csv"
    split_type: SplitType = SplitType.LINE
    #: Join each output line to its input line. Default: off.
    join_source: JoinSource = JoinSource.NONE
    #: JSONPath filters (e.g. drop an ID column before the model, keep it in the output). Default: none.
    input_filter: str | None = None
    output_filter: str | None = None
    #: Assemble output records per line (with Line split). Default: follows split_type.
    assemble_with_lines: bool = True
    compute: JobCompute = field(default_factory=JobCompute)
    #: Records per mini-batch request: 'MultiRecord' up to max_payload_mb, or 'SingleRecord'.
    batch_strategy: str = "MultiRecord"
    max_payload_mb: int = 6
    max_concurrent_transforms: int | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("TransformJobSpec")
        api.check_instance_type(errors, "compute.instance_type", self.compute.instance_type, "transform")
        api.check_fields(
            errors,
            "CreateTransformJob",
            {
                "model_name": ("ModelName", self.model_name),
                "content_type": ("TransformInput.ContentType", self.content_type),
                "batch_strategy": ("BatchStrategy", self.batch_strategy),
                "compute.instance_count": ("TransformResources.InstanceCount", self.compute.instance_count),
            },
        )
        # SageMaker's documented limit (the API model has only a minimum): 100 MB per mini-batch.
        errors.int_range("max_payload_mb", self.max_payload_mb, 0, 100)
        if self.max_concurrent_transforms is not None:
            errors.int_range("max_concurrent_transforms", self.max_concurrent_transforms, 1)
        for name in ("input_filter", "output_filter"):
            value = getattr(self, name)
            if value is not None:
                errors.check(value.startswith("$"), name, value, "a JSONPath expression starting with '$'")
                path = "DataProcessing." + ("InputFilter" if name == "input_filter" else "OutputFilter")
                api.check_field(errors, name, value, "CreateTransformJob", path)
        errors.s3_prefix("input_prefix", self.input_prefix)
        errors.s3_prefix("output_prefix", self.output_prefix)
        if self.join_source is JoinSource.INPUT:
            errors.check(
                self.split_type is not SplitType.NONE,
                "join_source",
                self.join_source.value,
                "None unless split_type splits records (joining needs per-record output)",
            )
        errors.raise_if_any()

    def to_request(self, job_name: str) -> dict[str, Any]:
        """The CreateTransformJob request, as boto3 takes it."""
        warn_notes(self.notes)
        request = {"TransformJobName": checked_job_name("TransformJobSpec", job_name), **self._request_body()}
        api.check_request("TransformJobSpec", "CreateTransformJob", request)
        return request

    def to_state_machine_parameters(self, name_prefix: str) -> dict[str, Any]:
        """The same request for a ``createTransformJob.sync`` task (name made at run time)."""
        return {"TransformJobName.$": run_time_job_name(name_prefix), **self._request_body()}

    @property
    def notes(self) -> tuple[str, ...]:
        """What the request leaves out and why (a volume key on instance types with NVMe storage)."""
        note = instance_storage_note("TransformJobSpec", self.compute.instance_type)
        return (note,) if note else ()

    def _request_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ModelName": self.model_name,
            "BatchStrategy": self.batch_strategy,
            "MaxPayloadInMB": self.max_payload_mb,
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": self.input_bucket.s3_url_for_object(self.input_prefix),
                    }
                },
                "ContentType": self.content_type,
                "SplitType": self.split_type.value,
            },
            "TransformOutput": {
                "S3OutputPath": self.output_bucket.s3_url_for_object(self.output_prefix),
                "KmsKeyId": self.key.key_arn,
                "AssembleWith": "Line" if self.assemble_with_lines else "None",
            },
            "TransformResources": {
                "InstanceType": self.compute.instance_type,
                "InstanceCount": self.compute.instance_count,
                **volume_key_field("TransformJobSpec", self.compute.instance_type, self.key),
            },
            "DataProcessing": {
                "JoinSource": self.join_source.value,
                **({"InputFilter": self.input_filter} if self.input_filter else {}),
                **({"OutputFilter": self.output_filter} if self.output_filter else {}),
            },
        }
        if self.max_concurrent_transforms is not None:
            body["MaxConcurrentTransforms"] = self.max_concurrent_transforms
        return body
