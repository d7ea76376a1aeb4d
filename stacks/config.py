"""Typed, validated platform configuration read from ``cdk.json`` context (key ``sagemaker-platform``)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import App
from aws_cdk import aws_logs as logs

from sagemaker_platform._constraints import api
from sagemaker_platform._defaults import KNOWN_INTERFACE_ENDPOINTS, subnet_bits, subnet_mask
from sagemaker_platform.foundations.network import availability_zones_context

CONTEXT_KEY = "sagemaker-platform"

_RETENTION_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
_STAGE_KEYS = {
    "name",
    "account",
    "region",
    "availabilityZones",
    "vpcCidr",
    "subnetCidrMask",
    "maxAzs",
    "logRetentionDays",
    "s3PrefixListId",
    "interfaceEndpoints",
    "serving",
    "training",
    "fleet",
    "alarms",
}
_SERVING_KEYS = {"instanceType", "minInstances", "maxInstances"}
_TRAINING_KEYS = {"instanceType", "spot", "qualityThreshold", "approval", "scheduleDays"}
_APPROVALS = ("PendingManualApproval", "Approved")
_FLEET_KEYS = {"membersPerStack", "members"}
#: Endpoint alarm thresholds a stage may set: context key -> (EndpointThresholds field, unit factor).
ALARM_SIGNALS = {
    "modelLatencyMs": ("model_latency_us", 1000.0),
    "invocation5xxPerMinute": ("invocation_5xx", 1.0),
    "cpuPercent": ("cpu_percent", 1.0),
    "memoryPercent": ("memory_percent", 1.0),
}
_MEMBER_KEYS = {"name", "modelKey", "instanceType", "minInstances", "maxInstances"}


def _instance_types(use: str, value: Any) -> str:
    """The instance types SageMaker's API model offers for ``use``, near ``value`` first."""
    return api.instance_type_words(use, value).lstrip(": ")


class ConfigError(ValueError):
    """Bad configuration; the message names every offending context key."""


@dataclass(frozen=True, kw_only=True)
class FleetMemberConfig:
    """One model of a stage's fleet: its endpoint is ``<stage>-<name>``."""

    name: str
    #: ``model.tar.gz`` in the stage's model bucket, uploaded before the fleet deploys. None: the seed model.
    model_key: str | None = None
    instance_type: str = "ml.m5.large"
    min_instances: int = 1
    max_instances: int = 2


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """One deployment stage (dev, prod, ...) of the platform."""

    name: str
    region: str
    account: str | None = None
    availability_zones: tuple[str, ...] | None = None
    vpc_cidr: str = "10.0.0.0/16"
    #: None: /20, or the largest subnets that fit one per AZ in a smaller ``vpc_cidr``.
    subnet_cidr_mask: int | None = None
    max_azs: int = 2
    log_retention_days: int = 365
    s3_prefix_list_id: str | None = None
    interface_endpoints: tuple[str, ...] | None = None
    serving_instance_type: str = "ml.m5.large"
    serving_min_instances: int = 1
    serving_max_instances: int = 4
    training_instance_type: str = "ml.m5.xlarge"
    #: Managed spot training with checkpoints.
    training_spot: bool = True
    #: AUC on the test split a model must reach to be registered.
    training_quality_threshold: float = 0.8
    #: Approved models deploy to the A/B endpoint's challenger; pending ones wait for a person.
    training_approval: str = "PendingManualApproval"
    #: Retrain every N days (EventBridge schedule). None: runs are started by hand.
    training_schedule_days: int | None = None
    #: Many small models, one endpoint each (a ModelFleet). Empty: no fleet stack.
    fleet: tuple[FleetMemberConfig, ...] = ()
    fleet_members_per_stack: int = 30
    #: Endpoint alarm thresholds by EndpointThresholds field: (warning, critical), already in the metric's unit.
    alarm_thresholds: tuple[tuple[str, float | None, float | None], ...] = ()

    @property
    def construct_id(self) -> str:
        """The stage's construct ID (``dev`` -> ``Dev``); stack names derive from it."""
        return "".join(p.capitalize() for p in self.name.split("-"))

    @property
    def log_retention(self) -> logs.RetentionDays:
        """Log retention as the CDK enum."""
        return _RETENTION_DAYS[self.log_retention_days]


@dataclass(frozen=True, kw_only=True)
class PlatformConfig:
    """All stages of the platform, in deployment order."""

    stages: tuple[StageConfig, ...]

    @classmethod
    def from_context(cls, raw: Any) -> PlatformConfig:
        """Validate the raw ``sagemaker-platform`` context value; raise ``ConfigError`` naming keys."""
        problems: list[str] = []
        stages: list[StageConfig] = []
        if not isinstance(raw, dict):
            raise ConfigError(f"cdk.json context '{CONTEXT_KEY}': got {raw!r}; expected an object with a 'stages' list")
        unknown_top = sorted(set(raw) - {"stages"})
        if unknown_top:
            problems.append(f"'{CONTEXT_KEY}': unknown keys {unknown_top}; allowed: ['stages']")
        raw_stages = raw.get("stages")
        if not isinstance(raw_stages, list) or not raw_stages:
            problems.append(f"'{CONTEXT_KEY}.stages': got {raw_stages!r}; expected a non-empty list of stage objects")
            raw_stages = []
        for i, item in enumerate(raw_stages):
            stage = _parse_stage(f"{CONTEXT_KEY}.stages[{i}]", item, problems)
            if stage is not None:
                stages.append(stage)
        names = [s.name for s in stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"'{CONTEXT_KEY}.stages[*].name': duplicate stage names {dupes}; each must be unique")
        if problems:
            raise ConfigError("Invalid cdk.json context:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(stages=tuple(stages))


def _parse_stage(path: str, item: Any, problems: list[str]) -> StageConfig | None:
    if not isinstance(item, dict):
        problems.append(f"'{path}': got {item!r}; expected an object")
        return None
    before = len(problems)

    def bad(key: str, allowed: str) -> None:
        problems.append(f"'{path}.{key}': got {item.get(key)!r}; allowed: {allowed}")

    unknown = sorted(set(item) - _STAGE_KEYS)
    if unknown:
        problems.append(f"'{path}': unknown keys {unknown}; allowed: {sorted(_STAGE_KEYS)}")
    name, region, account = item.get("name"), item.get("region"), item.get("account")
    if not (isinstance(name, str) and re.fullmatch(r"[a-z][a-z0-9-]{0,15}", name)):
        bad("name", "1-16 lowercase letters, digits and '-', starting with a letter (e.g. 'dev')")
    if region not in api.regions():
        bad("region", "an AWS region where SageMaker is offered: " + ", ".join(api.regions()))
    if account is not None and not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
        bad("account", "a 12-digit AWS account ID as a string, or omit it for an account-agnostic stage")
    azs = item.get("availabilityZones")
    if azs is not None:
        ok = (
            isinstance(azs, list)
            and len(azs) >= 2
            and len(set(azs)) == len(azs)
            and all(
                isinstance(a, str) and isinstance(region, str) and re.fullmatch(re.escape(region) + r"[a-z]", a)
                for a in azs
            )
        )
        if not ok:
            bad(
                "availabilityZones", f"at least two distinct AZs of the stage's region, e.g. ['{region}a', '{region}b']"
            )
    elif account is not None:
        bad("availabilityZones", "a list of AZs: required when 'account' is set, so synth never looks them up")
    cidr = item.get("vpcCidr", "10.0.0.0/16")
    try:
        net = ipaddress.IPv4Network(cidr, strict=True)
        if not 16 <= net.prefixlen <= 24:
            raise ValueError
    except (ValueError, TypeError):
        bad("vpcCidr", "an IPv4 CIDR block from /16 to /24, e.g. '10.20.0.0/16'")
    max_azs = item.get("maxAzs", 2)
    if not (isinstance(max_azs, int) and not isinstance(max_azs, bool) and 2 <= max_azs <= 6):
        bad("maxAzs", "an integer from 2 to 6")
    mask = item.get("subnetCidrMask")
    if mask is not None and not (isinstance(mask, int) and not isinstance(mask, bool) and 17 <= mask <= 28):
        bad("subnetCidrMask", "an integer from 17 to 28 (the size of each AZ's subnet)")
    elif len(problems) == before:
        # One subnet per AZ must fit in the VPC: refused here, naming the keys, not by CDK later.
        prefix = ipaddress.IPv4Network(cidr).prefixlen
        count = len(azs) if azs else max_azs
        need = prefix + subnet_bits(count)
        given = mask if mask is not None else subnet_mask(prefix, count)
        if given < need:
            bad(
                "subnetCidrMask",
                f"/{need} or longer: {count} subnets (one per AZ: availabilityZones or maxAzs) must fit in "
                f"vpcCidr {cidr}",
            )
    retention = item.get("logRetentionDays", 365)
    if retention not in _RETENTION_DAYS or isinstance(retention, bool):
        bad("logRetentionDays", "one of " + ", ".join(str(d) for d in _RETENTION_DAYS))
    prefix_list = item.get("s3PrefixListId")
    if prefix_list is not None and not (
        isinstance(prefix_list, str) and re.fullmatch(r"pl-[0-9a-f]{8,17}", prefix_list)
    ):
        bad("s3PrefixListId", "a managed prefix list ID such as 'pl-6da54004'")
    elif prefix_list is None and account is not None:
        bad(
            "s3PrefixListId",
            f"the S3 prefix list ID of {region} (required when 'account' is set, so the jobs security group's "
            "HTTPS egress goes to S3 only): aws ec2 describe-managed-prefix-lists --filters "
            f"Name=prefix-list-name,Values=com.amazonaws.{region}.s3",
        )
    endpoints = item.get("interfaceEndpoints")
    if endpoints is not None and not (
        isinstance(endpoints, list) and all(e in KNOWN_INTERFACE_ENDPOINTS for e in endpoints)
    ):
        bad("interfaceEndpoints", "a list of names from " + ", ".join(KNOWN_INTERFACE_ENDPOINTS))
    serving = item.get("serving", {})
    if not isinstance(serving, dict):
        bad("serving", "an object with instanceType, minInstances, maxInstances")
        serving = {}
    unknown_serving = sorted(set(serving) - _SERVING_KEYS)
    if unknown_serving:
        problems.append(f"'{path}.serving': unknown keys {unknown_serving}; allowed: {sorted(_SERVING_KEYS)}")
    instance_type = serving.get("instanceType", "ml.m5.large")
    if instance_type not in api.instance_types("hosting") or str(instance_type).startswith("ml.t"):
        problems.append(
            f"'{path}.serving.instanceType': got {instance_type!r}; allowed: a non-burstable hosting "
            f"instance type (ml.t* cannot autoscale): {_instance_types('hosting', instance_type)}"
        )
    low, high = serving.get("minInstances", 1), serving.get("maxInstances", 4)
    if not (isinstance(low, int) and not isinstance(low, bool) and low >= 1):
        problems.append(f"'{path}.serving.minInstances': got {low!r}; allowed: an integer >= 1")
    elif not (isinstance(high, int) and not isinstance(high, bool) and high >= low):
        problems.append(
            f"'{path}.serving.maxInstances': got {high!r}; allowed: an integer >= serving.minInstances ({low})"
        )
    training = _training(item.get("training", {}), path, problems)
    fleet = _fleet(item.get("fleet", {}), f"{path}.fleet", problems, str(name))
    alarms = _alarms(item.get("alarms", {}), f"{path}.alarms", problems)
    if len(problems) > before:
        return None
    return StageConfig(
        **training,
        **fleet,
        alarm_thresholds=alarms,
        name=str(name),
        region=str(region),
        account=account,
        availability_zones=tuple(azs) if azs else None,
        vpc_cidr=cidr,
        subnet_cidr_mask=mask,
        max_azs=max_azs,
        log_retention_days=retention,
        s3_prefix_list_id=prefix_list,
        interface_endpoints=tuple(endpoints) if endpoints is not None else None,
        serving_instance_type=instance_type,
        serving_min_instances=low,
        serving_max_instances=high,
    )


def _object(value: Any, path: str, keys: set[str], problems: list[str]) -> dict[str, Any] | None:
    """``value`` if it is an object (a problem is recorded for each unknown key), else None and a problem."""
    if not isinstance(value, dict):
        problems.append(f"'{path}': got {value!r}; allowed: an object with keys {sorted(keys)}")
        return None
    unknown = sorted(set(value) - keys)
    if unknown:
        problems.append(f"'{path}': unknown keys {unknown}; allowed: {sorted(keys)}")
    return value


def _training(section: Any, path: str, problems: list[str]) -> dict[str, Any]:
    """The stage's ``training`` section as StageConfig fields; problems name the context key."""
    if _object(section, f"{path}.training", _TRAINING_KEYS, problems) is None:
        return {}

    def bad(key: str, allowed: str) -> None:
        problems.append(f"'{path}.training.{key}': got {section[key]!r}; allowed: {allowed}")

    out: dict[str, Any] = {}
    if "instanceType" in section:
        value = section["instanceType"]
        if value in api.instance_types("training"):
            out["training_instance_type"] = value
        else:
            bad("instanceType", "a training instance type: " + _instance_types("training", value))
    if "spot" in section:
        if isinstance(section["spot"], bool):
            out["training_spot"] = section["spot"]
        else:
            bad("spot", "true or false")
    if "qualityThreshold" in section:
        value = section["qualityThreshold"]
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1:
            out["training_quality_threshold"] = float(value)
        else:
            bad("qualityThreshold", "a number in (0, 1] (the test AUC a model must reach)")
    if "approval" in section:
        if section["approval"] in _APPROVALS:
            out["training_approval"] = section["approval"]
        else:
            bad("approval", "one of " + ", ".join(repr(a) for a in _APPROVALS))
    if "scheduleDays" in section:
        value = section["scheduleDays"]
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 365:
            out["training_schedule_days"] = value
        else:
            bad("scheduleDays", "an integer from 1 to 365 (days between retraining runs)")
    return out


def _alarms(section: Any, path: str, problems: list[str]) -> tuple[tuple[str, float | None, float | None], ...]:
    """The stage's ``alarms`` section: per signal ``{"warning": x, "critical": y}`` (either may be left out)."""
    if not isinstance(section, dict):
        problems.append(f"'{path}': got {section!r}; allowed: an object with keys {sorted(ALARM_SIGNALS)}")
        return ()
    out = []
    for key, value in section.items():
        if key not in ALARM_SIGNALS:
            problems.append(f"'{path}': unknown key {key!r}; allowed: {sorted(ALARM_SIGNALS)}")
            continue
        levels = value if isinstance(value, dict) else {}
        numbers = {k: v for k, v in levels.items() if isinstance(v, int | float) and not isinstance(v, bool) and v > 0}
        if not levels or set(levels) - {"warning", "critical"} or len(numbers) != len(levels):
            problems.append(
                f"'{path}.{key}': got {value!r}; allowed: an object with 'warning' and/or 'critical', numbers > 0"
            )
            continue
        warning, critical = numbers.get("warning"), numbers.get("critical")
        if warning is not None and critical is not None and warning >= critical:
            problems.append(f"'{path}.{key}.warning': got {warning!r}; allowed: below critical ({critical!r})")
            continue
        field_name, factor = ALARM_SIGNALS[key]
        out.append(
            (
                field_name,
                None if warning is None else float(warning) * factor,
                None if critical is None else float(critical) * factor,
            )
        )
    return tuple(sorted(out))


def _fleet(section: Any, path: str, problems: list[str], stage: str) -> dict[str, Any]:
    """The stage's ``fleet`` section as StageConfig fields; problems name the context key."""
    if _object(section, path, _FLEET_KEYS, problems) is None:
        return {}
    out: dict[str, Any] = {}
    per_stack = section.get("membersPerStack", 30)
    if isinstance(per_stack, int) and not isinstance(per_stack, bool) and 1 <= per_stack <= 40:
        out["fleet_members_per_stack"] = per_stack
    else:
        problems.append(f"'{path}.membersPerStack': got {per_stack!r}; allowed: an integer from 1 to 40")
    raw_members = section.get("members", [])
    if not isinstance(raw_members, list):
        problems.append(f"'{path}.members': got {raw_members!r}; allowed: a list of members")
        return out
    members = []
    for index, raw in enumerate(raw_members):
        member = _fleet_member(raw, f"{path}.members[{index}]", problems, stage)
        if member is not None:
            members.append(member)
    names = [m.name.lower() for m in members]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"'{path}.members[*].name': duplicate names {dupes}; each must be unique (case-insensitive)")
    out["fleet"] = tuple(members)
    return out


def _fleet_member(raw: Any, path: str, problems: list[str], stage: str) -> FleetMemberConfig | None:
    before = len(problems)
    if _object(raw, path, _MEMBER_KEYS, problems) is None:
        return None
    name, key = raw.get("name"), raw.get("modelKey")
    # The endpoint is named "<stage>-<name>": SageMaker allows 63 characters.
    if not (
        isinstance(name, str) and re.fullmatch(r"[a-z0-9](-*[a-z0-9])*", name) and len(stage) + 1 + len(name) <= 63
    ):
        problems.append(
            f"'{path}.name': got {name!r}; allowed: lower-case letters, digits and '-', at most {62 - len(stage)} "
            "characters (the endpoint is named <stage>-<name>)"
        )
    if key is not None and not (
        isinstance(key, str) and key.endswith(".tar.gz") and not key.startswith(("/", "s3://"))
    ):
        problems.append(
            f"'{path}.modelKey': got {key!r}; allowed: an S3 key of a model.tar.gz in the model bucket (without "
            "s3:// and the bucket), or no modelKey for the seed model"
        )
    instance_type = raw.get("instanceType", "ml.m5.large")
    if instance_type not in api.instance_types("hosting"):
        problems.append(
            f"'{path}.instanceType': got {instance_type!r}; allowed: a hosting instance type: "
            + _instance_types("hosting", instance_type)
        )
    low, high = raw.get("minInstances", 1), raw.get("maxInstances", 2)
    if not (isinstance(low, int) and not isinstance(low, bool) and low >= 1):
        problems.append(f"'{path}.minInstances': got {low!r}; allowed: an integer >= 1")
    elif not (isinstance(high, int) and not isinstance(high, bool) and high >= low):
        problems.append(f"'{path}.maxInstances': got {high!r}; allowed: an integer >= minInstances ({low})")
    if len(problems) > before:
        return None
    return FleetMemberConfig(
        name=str(name),
        model_key=None if key is None else str(key),
        instance_type=instance_type,
        min_instances=low,
        max_instances=high,
    )


def seed_availability_zones(app: App, config: PlatformConfig) -> None:
    """Put each account-bound stage's committed AZs where CDK looks them up, so synth never calls AWS.

    CDK resolves ``Stack.availability_zones`` of a stack with a concrete account from the context
    key ``availability-zones:account=<account>:region=<region>``; without it, synth would need
    credentials. Must run before any stage is added to ``app``.
    """
    for stage in config.stages:
        if stage.account and stage.availability_zones:
            context = availability_zones_context(
                account=stage.account, region=stage.region, zones=stage.availability_zones
            )
            for key, zones in context.items():
                app.node.set_context(key, zones)
