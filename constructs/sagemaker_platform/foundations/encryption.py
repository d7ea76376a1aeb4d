"""Customer-managed KMS keys, one per purpose, rotated and retained."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform import _defaults
from sagemaker_platform._validation import PropsErrors


class KeyPurpose(Enum):
    """What a platform key protects. The value is used in the key's alias and construct ID."""

    DATA = "data"
    MODELS = "models"
    LOGS = "logs"
    FEATURE_STORE = "feature-store"
    NOTIFICATIONS = "notifications"

    @property
    def construct_id(self) -> str:
        """Stable construct ID of this purpose's key; renaming it would replace the key."""
        return "".join(part.capitalize() for part in self.value.split("-")) + "Key"


@dataclass(frozen=True, kw_only=True)
class PlatformKeysProps:
    """Properties of :class:`PlatformKeys`."""

    #: Purposes to create a key for. Default: all of data, models, logs, feature store, notifications.
    purposes: Sequence[KeyPurpose] = field(default_factory=lambda: tuple(KeyPurpose))
    #: Aliases are ``alias/<alias_prefix>/<purpose>``. Default: ``"sagemaker-platform"``.
    alias_prefix: str = "sagemaker-platform"
    #: Rotation period in days, 90 to 2560. Default: 365 (rotation is always on).
    rotation_period_days: int = _defaults.KEY_ROTATION_DAYS
    #: Waiting period before a scheduled deletion, 7 to 30 days. Default: 30.
    pending_window_days: int = _defaults.KEY_PENDING_WINDOW_DAYS
    #: Default: RETAIN. Anything else warns at synth: deleting a key makes its data unreadable.
    removal_policy: RemovalPolicy = _defaults.DATA_REMOVAL_POLICY

    def __post_init__(self) -> None:
        errors = PropsErrors("PlatformKeysProps")
        errors.check(len(self.purposes) > 0, "purposes", list(self.purposes), "at least one KeyPurpose")
        errors.check(
            len(set(self.purposes)) == len(self.purposes),
            "purposes",
            [p.value for p in self.purposes],
            "each KeyPurpose at most once",
        )
        errors.pattern(
            "alias_prefix",
            self.alias_prefix,
            r"[a-zA-Z0-9/_-]{1,200}",
            "1-200 characters of letters, digits, '/', '_' and '-' (not starting with 'aws/')",
        )
        errors.check(
            not self.alias_prefix.startswith("aws"),
            "alias_prefix",
            self.alias_prefix,
            "a prefix that does not start with 'aws' (reserved for AWS managed keys)",
        )
        errors.int_range("rotation_period_days", self.rotation_period_days, 90, 2560)
        errors.int_range("pending_window_days", self.pending_window_days, 7, 30)
        errors.raise_if_any()


class PlatformKeys(Construct):
    """Customer-managed KMS keys per purpose (data, models and volumes, logs, feature store, notifications).

    Every key rotates, is retained on stack deletion, and trusts only the account (IAM policies
    then decide who may use it). The logs key additionally lets CloudWatch Logs use it for log
    groups of this account and region only. Services get access through ``grant_*`` on the
    principal that acts (an execution role), never through a ``*`` principal in the key policy;
    the only ``*`` statement is a deny: grants may be created only by AWS services for AWS
    resources (``kms:GrantIsForAWSResource``), as Control Tower's CT.KMS.PR.3 requires.
    """

    def __init__(self, scope: Construct, construct_id: str, props: PlatformKeysProps | None = None) -> None:
        super().__init__(scope, construct_id)
        self.props = props or PlatformKeysProps()
        self._keys: dict[KeyPurpose, kms.Key] = {}
        if self.props.removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:keys-not-retained",
                "PlatformKeys.removal_policy is not RETAIN: deleting the stack schedules the keys "
                "for deletion and everything they encrypt becomes unreadable.",
            )
        for purpose in self.props.purposes:
            key = kms.Key(
                self,
                purpose.construct_id,
                description=f"sagemaker-platform {purpose.value} key",
                alias=f"alias/{self.props.alias_prefix}/{purpose.value}",
                enable_key_rotation=True,
                rotation_period=Duration.days(self.props.rotation_period_days),
                pending_window=Duration.days(self.props.pending_window_days),
                removal_policy=self.props.removal_policy,
            )
            self._keys[purpose] = key
            self._limit_grants_to_aws_resources(key)
        if KeyPurpose.LOGS in self._keys:
            self._allow_cloudwatch_logs(self._keys[KeyPurpose.LOGS])
        if KeyPurpose.NOTIFICATIONS in self._keys:
            self._allow_publishers(self._keys[KeyPurpose.NOTIFICATIONS])

    def key(self, purpose: KeyPurpose) -> kms.Key:
        """The key for ``purpose``; raises ``KeyError`` naming the purposes that exist."""
        if purpose not in self._keys:
            have = ", ".join(p.value for p in self._keys)
            raise KeyError(f"PlatformKeys has no {purpose.value!r} key; purposes created: {have}")
        return self._keys[purpose]

    @property
    def data(self) -> kms.Key:
        """Key for datasets, features and pipeline artifacts in S3."""
        return self.key(KeyPurpose.DATA)

    @property
    def models(self) -> kms.Key:
        """Key for model artifacts and the ML storage volumes of jobs and endpoints."""
        return self.key(KeyPurpose.MODELS)

    @property
    def logs(self) -> kms.Key:
        """Key for CloudWatch log groups (flow logs, jobs, state machines)."""
        return self.key(KeyPurpose.LOGS)

    @property
    def feature_store(self) -> kms.Key:
        """Key for the online and offline feature stores."""
        return self.key(KeyPurpose.FEATURE_STORE)

    @property
    def notifications(self) -> kms.Key:
        """Key for SNS topics that CloudWatch alarms and EventBridge rules publish to."""
        return self.key(KeyPurpose.NOTIFICATIONS)

    @property
    def all_keys(self) -> list[kms.Key]:
        """Every key this construct owns, in purpose order."""
        return list(self._keys.values())

    def grant_encrypt_decrypt(self, grantee: iam.IGrantable, *purposes: KeyPurpose) -> iam.Grant:
        """Let ``grantee`` encrypt and decrypt with the keys for ``purposes`` (all keys if none)."""
        keys = [self.key(p) for p in purposes] if purposes else self.all_keys
        grant = keys[0].grant_encrypt_decrypt(grantee)
        for key in keys[1:]:
            grant = grant.combine(key.grant_encrypt_decrypt(grantee))
        return grant

    @staticmethod
    def _limit_grants_to_aws_resources(key: kms.Key) -> None:
        # Grants outlive the policies that allowed them: only AWS services acting for a resource
        # (SageMaker encrypting a volume, for instance) may create one, never a principal directly
        # (Control Tower's CT.KMS.PR.3).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyGrantsExceptForAwsResources",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
                },
            )
        )

    def _allow_publishers(self, key: kms.Key) -> None:
        # Alarms and event rules publish to encrypted topics as the service itself, so the services
        # must be in the key policy; aws:SourceAccount keeps other accounts' alarms and rules out.
        stack = Stack.of(self)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsAndEventRulesOfThisAccountToPublish",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

    def _allow_cloudwatch_logs(self, key: kms.Key) -> None:
        # CloudWatch Logs encrypts with the key itself, so it must be in the key policy; the
        # encryption-context condition limits it to this account's log groups in this region.
        stack = Stack.of(self)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForThisAccountsLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
