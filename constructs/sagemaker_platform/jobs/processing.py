"""A processing job described once: inputs, outputs, container, rendered as CreateProcessingJob."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aws_cdk import aws_s3 as s3

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.jobs.common import (
    JobCompute,
    JobSecurity,
    check_stringable,
    checked_job_name,
    instance_storage_note,
    render_tags,
    run_time_job_name,
    stringify,
    volume_key_field,
    warn_notes,
)

# SageMaker's documentation of LocalPath: an absolute path that begins with /opt/ml/processing/ (256 at most).
_LOCAL = r"/opt/ml/processing/[^\x00]{1,237}"
_LOCAL_RULE = "an absolute path under /opt/ml/processing/, at most 256 characters"


class UploadMode(Enum):
    END_OF_JOB = "EndOfJob"
    CONTINUOUS = "Continuous"


@dataclass(frozen=True, kw_only=True)
class ProcessingInput:
    """Data copied from S3 into the container before the job starts."""

    name: str
    bucket: s3.IBucket
    prefix: str
    local_path: str

    def __post_init__(self) -> None:
        errors = PropsErrors(f"ProcessingInput({self.name!r})")
        api.check_field(errors, "name", self.name, "CreateProcessingJob", "ProcessingInputs[].InputName")
        errors.pattern("local_path", self.local_path, _LOCAL, _LOCAL_RULE)
        errors.s3_prefix("prefix", self.prefix)
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        return {
            "InputName": self.name,
            "S3Input": {
                "S3Uri": self.bucket.s3_url_for_object(self.prefix),
                "LocalPath": self.local_path,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            },
        }


@dataclass(frozen=True, kw_only=True)
class ProcessingOutput:
    """Data copied from the container to S3 (at the end, or continuously)."""

    name: str
    bucket: s3.IBucket
    prefix: str
    local_path: str
    upload_mode: UploadMode = UploadMode.END_OF_JOB

    def __post_init__(self) -> None:
        errors = PropsErrors(f"ProcessingOutput({self.name!r})")
        api.check_field(errors, "name", self.name, "CreateProcessingJob", "ProcessingOutputConfig.Outputs[].OutputName")
        errors.pattern("local_path", self.local_path, _LOCAL, _LOCAL_RULE)
        errors.s3_prefix("prefix", self.prefix)
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        return {
            "OutputName": self.name,
            "S3Output": {
                "S3Uri": self.bucket.s3_url_for_object(self.prefix),
                "LocalPath": self.local_path,
                "S3UploadMode": self.upload_mode.value,
            },
        }


@dataclass(frozen=True, kw_only=True)
class ProcessingJobSpec:
    """Everything about a processing job (data preparation, evaluation, feature ingestion)."""

    image_uri: str
    role_arn: str
    security: JobSecurity
    #: The container's command, e.g. ``["process", "prepare"]``. None: the image's own ENTRYPOINT
    #: (SageMaker's built-in images, such as Model Monitor's analyzer, define theirs).
    entrypoint: Sequence[str] | None
    arguments: Sequence[str] = field(default_factory=tuple)
    inputs: Sequence[ProcessingInput] = field(default_factory=tuple)
    outputs: Sequence[ProcessingOutput] = field(default_factory=tuple)
    compute: JobCompute = field(default_factory=JobCompute)
    environment: Mapping[str, Any] = field(default_factory=dict)
    #: Default: 24 hours.
    max_runtime_s: int = 86_400
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = PropsErrors("ProcessingJobSpec")
        errors.image_uri("image_uri", self.image_uri)
        cluster, app = "ProcessingResources.ClusterConfig", "AppSpecification"
        api.check_instance_type(errors, "compute.instance_type", self.compute.instance_type, "processing")
        if self.entrypoint is not None:
            api.check_field(
                errors, "entrypoint", list(self.entrypoint), "CreateProcessingJob", f"{app}.ContainerEntrypoint"
            )
        if self.arguments:
            api.check_field(
                errors, "arguments", list(self.arguments), "CreateProcessingJob", f"{app}.ContainerArguments"
            )
        api.check_fields(
            errors,
            "CreateProcessingJob",
            {
                "image_uri": (f"{app}.ImageUri", self.image_uri),
                "role_arn": ("RoleArn", self.role_arn),
                "compute.instance_count": (f"{cluster}.InstanceCount", self.compute.instance_count),
                "compute.volume_size_gb": (f"{cluster}.VolumeSizeInGB", self.compute.volume_size_gb),
                "max_runtime_s": ("StoppingCondition.MaxRuntimeInSeconds", self.max_runtime_s),
                "inputs": ("ProcessingInputs", [i.render() for i in self.inputs]),
                "outputs": ("ProcessingOutputConfig.Outputs", [o.render() for o in self.outputs]),
                "environment": ("Environment", stringify(self.environment)),
                "tags": ("Tags", render_tags(self.tags)),
            },
        )
        names = [i.name for i in self.inputs] + [o.name for o in self.outputs]
        errors.check(len(set(names)) == len(names), "inputs/outputs", names, "unique names across inputs and outputs")
        paths = [i.local_path for i in self.inputs] + [o.local_path for o in self.outputs]
        errors.check(len(set(paths)) == len(paths), "local_path", paths, "distinct local paths")
        check_stringable(self.environment, "environment", errors)
        errors.raise_if_any()

    def to_request(self, job_name: str) -> dict[str, Any]:
        """The CreateProcessingJob request, as boto3 takes it."""
        warn_notes(self.notes)
        request = {"ProcessingJobName": checked_job_name("ProcessingJobSpec", job_name), **self._request_body()}
        api.check_request("ProcessingJobSpec", "CreateProcessingJob", request)
        return request

    def to_state_machine_parameters(self, name_prefix: str) -> dict[str, Any]:
        """The same request for a ``createProcessingJob.sync`` task; the name is made at run time."""
        return {"ProcessingJobName.$": run_time_job_name(name_prefix), **self._request_body()}

    @property
    def notes(self) -> tuple[str, ...]:
        """What the request leaves out and why (a volume key on instance types with NVMe storage)."""
        note = instance_storage_note("ProcessingJobSpec", self.compute.instance_type)
        return (note,) if note else ()

    def _request_body(self) -> dict[str, Any]:
        sec = self.security
        app: dict[str, Any] = {"ImageUri": self.image_uri}
        if self.entrypoint is not None:
            app["ContainerEntrypoint"] = list(self.entrypoint)
        if self.arguments:
            app["ContainerArguments"] = list(self.arguments)
        body: dict[str, Any] = {
            "AppSpecification": app,
            "RoleArn": self.role_arn,
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": self.compute.instance_type,
                    "InstanceCount": self.compute.instance_count,
                    "VolumeSizeInGB": self.compute.volume_size_gb,
                    **volume_key_field("ProcessingJobSpec", self.compute.instance_type, sec.volume_key),
                }
            },
            "NetworkConfig": {
                "EnableNetworkIsolation": sec.network_isolation,
                "EnableInterContainerTrafficEncryption": sec.inter_container_encryption,
                "VpcConfig": sec.network.render(),
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_runtime_s},
        }
        if self.inputs:
            body["ProcessingInputs"] = [i.render() for i in self.inputs]
        if self.outputs:
            body["ProcessingOutputConfig"] = {
                "Outputs": [o.render() for o in self.outputs],
                "KmsKeyId": sec.output_key.key_arn,
            }
        if self.environment:
            body["Environment"] = stringify(self.environment)
        if self.tags:
            body["Tags"] = render_tags(self.tags)
        return body
