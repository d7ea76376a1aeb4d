"""Typed, validated delivery-pipeline configuration read from ``cdk.json`` context (key ``delivery``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_logs as logs

from sagemaker_platform._constraints import api
from stacks.config import _RETENTION_DAYS, ConfigError, PlatformConfig, StageConfig

DELIVERY_CONTEXT_KEY = "delivery"

_KEYS = {
    "account",
    "region",
    "connectionArn",
    "repository",
    "branch",
    "manualApprovalBefore",
    "logRetentionDays",
    "buildComputeType",
    "smokeTestFeatures",
}
_CONNECTION_ARN = (
    r"arn:aws(-cn|-us-gov)?:(codeconnections|codestar-connections):[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
# GitHub, GitLab and Bitbucket owner/name: owners start with a letter or digit; '.' and '..' are no names.
_REPOSITORY = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/(?!\.\.?$)(?!.*\.git$)[A-Za-z0-9_.-]{1,100}"
COMPUTE_TYPES = {
    "SMALL": codebuild.ComputeType.SMALL,
    "MEDIUM": codebuild.ComputeType.MEDIUM,
    "LARGE": codebuild.ComputeType.LARGE,
    "X2_LARGE": codebuild.ComputeType.X2_LARGE,
}


@dataclass(frozen=True, kw_only=True)
class DeliveryConfig:
    """Where the pipeline lives, what it builds from, and how it promotes the platform's stages."""

    #: The pipeline's account (12 digits). Stages without an account deploy here.
    account: str
    #: The pipeline's region; every stage must live in it (no cross-region replication buckets).
    region: str
    #: ARN of an AVAILABLE CodeConnections (or CodeStar Connections) connection to the repository host.
    connection_arn: str
    #: ``owner/name`` of the repository.
    repository: str
    #: Branch whose pushes start the pipeline.
    branch: str
    #: Names of stages that wait for a manual approval before they deploy.
    #: Default: every stage but the first, so no later stage is ever promoted unattended.
    manual_approval_before: tuple[str, ...]
    #: Retention of the CodeBuild log group. Default: 365.
    log_retention_days: int = 365
    #: CodeBuild compute for the synth step (it runs the whole test suite). Default: ``LARGE``.
    build_compute_type: str = "LARGE"
    #: Width of the CSV row the smoke test sends to each stage's endpoint. Default: 20.
    smoke_test_features: int = 20

    @property
    def log_retention(self) -> logs.RetentionDays:
        """Log retention as the CDK enum."""
        return _RETENTION_DAYS[self.log_retention_days]

    @property
    def compute_type(self) -> codebuild.ComputeType:
        """The synth step's compute type as the CDK enum."""
        return COMPUTE_TYPES[self.build_compute_type]

    def stage_account(self, stage: StageConfig) -> str:
        """The account a stage deploys to: its own, or the pipeline's for account-agnostic stages."""
        return stage.account or self.account

    def is_cross_account(self, stage: StageConfig) -> bool:
        """True when the stage lives in another account than the pipeline."""
        return self.stage_account(stage) != self.account

    @classmethod
    def from_context(cls, raw: Any, platform: PlatformConfig) -> DeliveryConfig:
        """Validate the raw ``delivery`` context value against the platform's stages; raise ``ConfigError``."""
        key = DELIVERY_CONTEXT_KEY
        if not isinstance(raw, dict):
            raise ConfigError(
                f"cdk.json context '{key}': got {raw!r}; expected an object with account, region, "
                "connectionArn, repository and branch"
            )
        problems: list[str] = []

        def bad(name: str, allowed: str) -> None:
            problems.append(f"'{key}.{name}': got {raw.get(name)!r}; allowed: {allowed}")

        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            problems.append(f"'{key}': unknown keys {unknown}; allowed: {sorted(_KEYS)}")
        account, region = raw.get("account"), raw.get("region")
        if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            bad("account", "the pipeline's 12-digit AWS account ID as a string")
        if region not in api.regions():
            bad("region", "an AWS region where SageMaker is offered: " + ", ".join(api.regions()))
        else:
            elsewhere = sorted({s.region for s in platform.stages} - {region})
            if elsewhere:
                bad(
                    "region",
                    f"the region of every stage ({elsewhere} differ): cross-region delivery needs "
                    "replication buckets this stack does not create",
                )
        connection = raw.get("connectionArn")
        if not (isinstance(connection, str) and re.fullmatch(_CONNECTION_ARN, connection)):
            bad(
                "connectionArn",
                "a connection ARN such as 'arn:aws:codeconnections:eu-west-1:111111111111:connection/<uuid>' "
                "(codeconnections or codestar-connections)",
            )
        repository = raw.get("repository")
        if not (isinstance(repository, str) and re.fullmatch(_REPOSITORY, repository)):
            bad("repository", "'owner/name' of the repository, e.g. 'example-org/sagemaker-platform' (no '.git')")
        branch = raw.get("branch")
        if not (isinstance(branch, str) and _is_branch_name(branch)):
            bad("branch", "a non-empty git branch name such as 'main' (no spaces, '..', '~^:?*[\\', '@{')")
        names = [s.name for s in platform.stages]
        approvals = raw.get("manualApprovalBefore", names[1:])
        if not (
            isinstance(approvals, list)
            and all(isinstance(a, str) and a in names for a in approvals)
            and len(set(approvals)) == len(approvals)
        ):
            bad("manualApprovalBefore", f"a list of distinct stage names from {names}")
        retention = raw.get("logRetentionDays", 365)
        if retention not in _RETENTION_DAYS or isinstance(retention, bool):
            bad("logRetentionDays", "one of " + ", ".join(str(d) for d in _RETENTION_DAYS))
        compute = raw.get("buildComputeType", "LARGE")
        if compute not in COMPUTE_TYPES:
            bad("buildComputeType", "one of " + ", ".join(COMPUTE_TYPES))
        features = raw.get("smokeTestFeatures", 20)
        if not (isinstance(features, int) and not isinstance(features, bool) and 1 <= features <= 10_000):
            bad("smokeTestFeatures", "an integer from 1 to 10000 (the model's input width)")
        if problems:
            raise ConfigError("Invalid cdk.json context:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(
            account=str(account),
            region=str(region),
            connection_arn=str(connection),
            repository=str(repository),
            branch=str(branch),
            manual_approval_before=tuple(approvals),
            log_retention_days=retention,
            build_compute_type=compute,
            smoke_test_features=features,
        )


def _is_branch_name(name: str) -> bool:
    # git check-ref-format's rules for one branch name (refs/heads/<name>).
    if not name or name.startswith(("-", "/", ".")) or name.endswith(("/", ".", ".lock")) or name == "@":
        return False
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return False
    if ".." in name or "//" in name or "@{" in name:
        return False
    return not any(c in name for c in " ~^:?*[\\") and all(0x20 < ord(c) != 0x7F for c in name)
