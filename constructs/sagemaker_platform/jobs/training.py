"""A training job described once: validated here, rendered as one CreateTrainingJob request."""

from __future__ import annotations

import re
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


class InputMode(Enum):
    FILE = "File"
    FAST_FILE = "FastFile"
    PIPE = "Pipe"


class Distribution(Enum):
    FULLY_REPLICATED = "FullyReplicated"
    SHARDED_BY_S3_KEY = "ShardedByS3Key"


@dataclass(frozen=True, kw_only=True)
class Channel:
    """One named input of a training job, from an S3 prefix."""

    name: str
    bucket: s3.IBucket
    prefix: str
    #: MIME type of the data, e.g. "text/csv". Default: none.
    content_type: str | None = None
    input_mode: InputMode = InputMode.FILE
    distribution: Distribution = Distribution.FULLY_REPLICATED
    #: Gzip-compressed objects. Pipe mode only (SageMaker ignores it in File mode).
    gzip: bool = False
    #: Wrap each object in a RecordIO record. Pipe mode only.
    record_io_wrapper: bool = False

    def __post_init__(self) -> None:
        errors = PropsErrors(f"Channel({self.name!r})")
        api.check_fields(
            errors,
            "CreateTrainingJob",
            {
                "name": ("InputDataConfig[].ChannelName", self.name),
                **({"content_type": ("InputDataConfig[].ContentType", self.content_type)} if self.content_type else {}),
            },
        )
        errors.s3_prefix("prefix", self.prefix)
        if self.input_mode is not InputMode.PIPE:
            errors.check(not self.gzip, "gzip", self.gzip, f"False with input_mode {self.input_mode.value} (Pipe only)")
            errors.check(
                not self.record_io_wrapper,
                "record_io_wrapper",
                self.record_io_wrapper,
                f"False with input_mode {self.input_mode.value} (Pipe only)",
            )
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "ChannelName": self.name,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": self.bucket.s3_url_for_object(self.prefix),
                    "S3DataDistributionType": self.distribution.value,
                }
            },
            "InputMode": self.input_mode.value,
        }
        if self.content_type:
            channel["ContentType"] = self.content_type
        if self.gzip:
            channel["CompressionType"] = "Gzip"
        if self.record_io_wrapper:
            channel["RecordWrapperType"] = "RecordIO"
        return channel


@dataclass(frozen=True, kw_only=True)
class MetricDefinition:
    """A metric SageMaker scrapes from the job's logs: the regex must have exactly one group."""

    name: str
    regex: str

    def __post_init__(self) -> None:
        errors = PropsErrors(f"MetricDefinition({self.name!r})")
        metric = "AlgorithmSpecification.MetricDefinitions[]"
        api.check_field(errors, "name", self.name, "CreateTrainingJob", f"{metric}.Name")
        try:
            groups = re.compile(self.regex).groups
            errors.check(groups == 1, "regex", self.regex, f"a regex with exactly one capture group (has {groups})")
        except re.error as err:
            errors.add("regex", self.regex, f"a valid regular expression ({err})")
        api.check_field(errors, "regex", self.regex, "CreateTrainingJob", f"{metric}.Regex")
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class SpotTraining:
    """Managed spot: cheaper, interruptible; checkpoints make interruptions resumable.

    Each job checkpoints under ``<checkpoint_prefix><job name>/`` (state machines: ``<execution
    name>/``): SageMaker restores whatever is at a job's checkpoint location when it starts, so a
    shared location would make every new run resume the previous run's model. A tuning job's
    training definition uses the prefix as given: give each tuning run its own prefix (for example
    with ``MlPipelineProps.run_scoped_prefixes``).
    """

    checkpoint_bucket: s3.IBucket
    checkpoint_prefix: str
    #: Total time including waiting for spot capacity; must be >= the job's max_runtime_s.
    max_wait_s: int


@dataclass(frozen=True, kw_only=True)
class TrainingJobSpec:
    """Everything about a training job. One validation, one request, three consumers."""

    image_uri: str
    role_arn: str
    security: JobSecurity
    channels: Sequence[Channel]
    output_bucket: s3.IBucket
    output_prefix: str
    compute: JobCompute = field(default_factory=JobCompute)
    #: Values are stringified, as SageMaker requires.
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    metric_definitions: Sequence[MetricDefinition] = field(default_factory=tuple)
    #: Default: 24 hours.
    max_runtime_s: int = 86_400
    spot: SpotTraining | None = None
    environment: Mapping[str, Any] = field(default_factory=dict)
    #: Retries of the whole job on internal errors, 1-30 attempts. Default: none.
    retry_attempts: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = PropsErrors("TrainingJobSpec")
        errors.image_uri("image_uri", self.image_uri)
        names = [c.name for c in self.channels]
        resources = "ResourceConfig"
        api.check_instance_type(errors, "compute.instance_type", self.compute.instance_type, "training")
        api.check_fields(
            errors,
            "CreateTrainingJob",
            {
                "image_uri": ("AlgorithmSpecification.TrainingImage", self.image_uri),
                "role_arn": ("RoleArn", self.role_arn),
                "compute.instance_count": (f"{resources}.InstanceCount", self.compute.instance_count),
                "compute.volume_size_gb": (f"{resources}.VolumeSizeInGB", self.compute.volume_size_gb),
                "channels": ("InputDataConfig", [{"ChannelName": n, "DataSource": {}} for n in names]),
                "hyperparameters": ("HyperParameters", stringify(self.hyperparameters)),
                "environment": ("Environment", stringify(self.environment)),
                "tags": ("Tags", render_tags(self.tags)),
                **(
                    {"retry_attempts": ("RetryStrategy.MaximumRetryAttempts", self.retry_attempts)}
                    if self.retry_attempts is not None
                    else {}
                ),
            },
        )
        errors.s3_prefix("output_prefix", self.output_prefix)
        if self.spot is not None:
            errors.s3_prefix("spot.checkpoint_prefix", self.spot.checkpoint_prefix)
        errors.check(len(set(names)) == len(names), "channels", names, "unique channel names")
        metric_names = [m.name for m in self.metric_definitions]
        errors.check(len(metric_names) <= 40, "metric_definitions", len(metric_names), "at most 40 metrics")
        errors.check(len(set(metric_names)) == len(metric_names), "metric_definitions", metric_names, "unique names")
        errors.int_range("max_runtime_s", self.max_runtime_s, 1, 2_419_200)
        if self.spot is not None:
            errors.int_range("spot.max_wait_s", self.spot.max_wait_s, 1, 2_419_200)
            errors.check(
                not any(c in self.spot.checkpoint_prefix for c in "'{}\\"),
                "spot.checkpoint_prefix",
                self.spot.checkpoint_prefix,
                "a key prefix without quotes, braces or backslashes (it is embedded in a States.Format)",
            )
            if isinstance(self.spot.max_wait_s, int) and isinstance(self.max_runtime_s, int):
                errors.check(
                    self.spot.max_wait_s >= self.max_runtime_s,
                    "spot.max_wait_s",
                    self.spot.max_wait_s,
                    f"at least max_runtime_s ({self.max_runtime_s})",
                )
        if self.compute.instance_count > 1:
            errors.check(
                self.security.network.self_referencing,
                "security.network",
                "no self-referencing group",
                "a security group allowing traffic from itself when instance_count > 1 "
                "(JobNetwork.from_isolated_network provides one)",
            )
        check_stringable(self.hyperparameters, "hyperparameters", errors)
        check_stringable(self.environment, "environment", errors)
        errors.raise_if_any()

    def to_request(self, job_name: str) -> dict[str, Any]:
        """The CreateTrainingJob request, as boto3 takes it (tokens resolve in CloudFormation)."""
        body = self.request_body()
        if "CheckpointConfig" in body:
            body["CheckpointConfig"]["S3Uri"] = self._checkpoints() + f"{job_name}/"
        warn_notes(self.notes)
        request = {"TrainingJobName": checked_job_name("TrainingJobSpec", job_name), **body}
        api.check_request("TrainingJobSpec", "CreateTrainingJob", request)
        return request

    def to_state_machine_parameters(self, name_prefix: str) -> dict[str, Any]:
        """The same request for a ``createTrainingJob.sync`` task; the name is made at run time."""
        body = self.request_body()
        if "CheckpointConfig" in body:
            del body["CheckpointConfig"]["S3Uri"]
            body["CheckpointConfig"]["S3Uri.$"] = f"States.Format('{self._checkpoints()}{{}}/', $$.Execution.Name)"
        return {"TrainingJobName.$": run_time_job_name(name_prefix), **body}

    @property
    def notes(self) -> tuple[str, ...]:
        """What the request leaves out and why (a volume key on instance types with NVMe storage)."""
        note = instance_storage_note("TrainingJobSpec", self.compute.instance_type)
        return (note,) if note else ()

    def _checkpoints(self) -> str:
        assert self.spot is not None
        prefix = self.spot.checkpoint_prefix.rstrip("/")
        return self.spot.checkpoint_bucket.s3_url_for_object(prefix) + "/"

    def request_body(self) -> dict[str, Any]:
        """The request without the job name (tuning jobs embed it as their training definition)."""
        sec = self.security
        algorithm: dict[str, Any] = {"TrainingImage": self.image_uri, "TrainingInputMode": "File"}
        if self.metric_definitions:
            algorithm["MetricDefinitions"] = [{"Name": m.name, "Regex": m.regex} for m in self.metric_definitions]
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": self.max_runtime_s}
        body: dict[str, Any] = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role_arn,
            "InputDataConfig": [c.render() for c in self.channels],
            "OutputDataConfig": {
                "S3OutputPath": self.output_bucket.s3_url_for_object(self.output_prefix),
                "KmsKeyId": sec.output_key.key_arn,
            },
            "ResourceConfig": {
                "InstanceType": self.compute.instance_type,
                "InstanceCount": self.compute.instance_count,
                "VolumeSizeInGB": self.compute.volume_size_gb,
                **volume_key_field("TrainingJobSpec", self.compute.instance_type, sec.volume_key),
            },
            "VpcConfig": sec.network.render(),
            "StoppingCondition": stopping,
            "EnableNetworkIsolation": sec.network_isolation,
            "EnableInterContainerTrafficEncryption": sec.inter_container_encryption,
        }
        if self.hyperparameters:
            body["HyperParameters"] = stringify(self.hyperparameters)
        if self.environment:
            body["Environment"] = stringify(self.environment)
        if self.spot is not None:
            body["EnableManagedSpotTraining"] = True
            stopping["MaxWaitTimeInSeconds"] = self.spot.max_wait_s
            body["CheckpointConfig"] = {
                "S3Uri": self.spot.checkpoint_bucket.s3_url_for_object(self.spot.checkpoint_prefix),
                "LocalPath": "/opt/ml/checkpoints",
            }
        if self.retry_attempts is not None:
            body["RetryStrategy"] = {"MaximumRetryAttempts": self.retry_attempts}
        if self.tags:
            body["Tags"] = render_tags(self.tags)
        return body
