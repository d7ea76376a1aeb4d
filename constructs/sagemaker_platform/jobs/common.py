"""What every job shares: network and encryption posture, compute, stopping condition, naming."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_kms as kms

from sagemaker_platform._validation import PropsErrors, is_token
from sagemaker_platform.foundations.placement import JobNetwork
from sagemaker_platform.serving.variants import INSTANCE_TYPE, has_instance_storage

#: Job names: SageMaker's pattern, at most 63 characters.
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
#: Prefixes leave room for "-" and the execution name Step Functions adds at run time (80 chars max).
JOB_NAME_PREFIX = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}")


@dataclass(frozen=True, kw_only=True)
class JobCompute:
    """Instances and storage of a job."""

    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    #: ML storage volume per instance. Default: 30 GB.
    volume_size_gb: int = 30

    def __post_init__(self) -> None:
        errors = PropsErrors("JobCompute")
        errors.check(
            bool(INSTANCE_TYPE.fullmatch(self.instance_type)),
            "instance_type",
            self.instance_type,
            "an instance type like 'ml.m5.xlarge' (ml.<family>.<size>)",
        )
        errors.int_range("instance_count", self.instance_count, 1, 100)
        errors.int_range("volume_size_gb", self.volume_size_gb, 1, 16384)
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class JobSecurity:
    """The secure posture every job request carries: VPC, isolation, encryption."""

    network: JobNetwork
    #: Encrypts the ML storage volumes.
    volume_key: kms.IKey
    #: Encrypts outputs (model artifacts, processing outputs).
    output_key: kms.IKey
    #: Default: True (the container cannot open outbound connections).
    network_isolation: bool = True
    #: Default: True (traffic between instances of a distributed job is encrypted).
    inter_container_encryption: bool = True


def check_stringable(values: Mapping[str, Any], field_name: str, errors: PropsErrors) -> None:
    """SageMaker passes hyperparameters and environments as strings: reject values with no string form."""
    for key, value in values.items():
        if not isinstance(value, bool | int | float | str):
            errors.add(f"{field_name}[{key!r}]", value, "a str, int, float or bool")


def render_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as SageMaker requests take them, sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def stringify(values: Mapping[str, Any]) -> dict[str, str]:
    """Render checked values as SageMaker expects: booleans as 'true'/'false', sorted by key."""
    return {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in sorted(values.items())}


def checked_job_name(owner: str, job_name: str, max_length: int = 63) -> str:
    """``job_name`` if SageMaker accepts it (tokens pass through), else a ``ValueError`` naming ``owner``."""
    if not is_token(job_name) and (not JOB_NAME.fullmatch(job_name) or len(job_name) > max_length):
        raise ValueError(
            f"{owner}.to_request: job_name: got {job_name!r}; allowed: 1-{max_length} letters, digits and '-'"
        )
    return job_name


def run_time_job_name(name_prefix: str, *, short: bool = False) -> str:
    """A Step Functions expression naming a job ``<prefix>-<execution name>`` at run time.

    Execution names default to 36-character UUIDs, so a prefix of at most 20 characters keeps
    the job name within SageMaker's 63. With ``short`` (tuning jobs allow 32), only the execution
    name's first '-'-separated part is used. Never a synth-time timestamp: every run gets a new name.
    """
    if not JOB_NAME_PREFIX.fullmatch(name_prefix):
        raise ValueError(
            f"job name prefix: got {name_prefix!r}; allowed: 1-20 letters, digits and '-' (the execution "
            "name is appended at run time)"
        )
    execution = "States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 0)" if short else "$$.Execution.Name"
    return f"States.Format('{name_prefix}-{{}}', {execution})"


class InstanceStorageWarning(UserWarning):
    """A job request leaves out ``VolumeKmsKeyId`` because its instance type has NVMe instance storage."""


def instance_storage_note(owner: str, instance_type: str) -> str | None:
    """Why ``owner``'s request has no volume key on ``instance_type``, or None when it keeps one.

    SageMaker refuses ``VolumeKmsKeyId`` for instance types with local NVMe storage (botocore's
    documentation of the field says so): the instance's hardware module encrypts that storage.
    """
    if is_token(instance_type) or not has_instance_storage(instance_type):
        return None
    return (
        f"{owner}: no VolumeKmsKeyId because {instance_type} has NVMe instance storage, which the instance's "
        "hardware module encrypts and for which SageMaker refuses a VolumeKmsKeyId"
    )


def volume_key_field(owner: str, instance_type: str, key: kms.IKey) -> dict[str, str]:
    """``{"VolumeKmsKeyId": <key ARN>}``, or nothing on instance types with NVMe instance storage."""
    return {} if instance_storage_note(owner, instance_type) else {"VolumeKmsKeyId": key.key_arn}


def warn_notes(notes: Sequence[str]) -> None:
    """Tell a script user (``to_request``) what the request leaves out; constructs annotate instead."""
    for note in notes:
        warnings.warn(note, InstanceStorageWarning, stacklevel=3)
