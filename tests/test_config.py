"""Stage configuration from cdk.json: typed, validated, errors naming the context key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.config import ConfigError, PlatformConfig
from tests.harness import cdk_context

GOOD = {"name": "dev", "region": "eu-west-1"}


def _stages(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"stages": list(stages)}


def test_committed_configuration_is_valid() -> None:
    config = PlatformConfig.from_context(cdk_context()["sagemaker-platform"])
    assert [s.name for s in config.stages] == ["dev", "prod"]
    prod = config.stages[1]
    assert prod.account == "123456789012" and prod.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert prod.construct_id == "Prod"


def test_defaults_apply_to_optional_keys() -> None:
    (stage,) = PlatformConfig.from_context(_stages(GOOD)).stages
    assert (stage.vpc_cidr, stage.max_azs, stage.log_retention_days, stage.account) == ("10.0.0.0/16", 2, 365, None)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (None, r"'sagemaker-platform': got None"),
        ({"stages": []}, r"'sagemaker-platform.stages': got \[\]"),
        ({"stages": [GOOD], "extra": 1}, r"'sagemaker-platform': unknown keys \['extra'\]"),
        (_stages("dev"), r"'sagemaker-platform.stages\[0\]': got 'dev'; expected an object"),
        (_stages({**GOOD, "name": "Dev"}), r"'sagemaker-platform.stages\[0\].name': got 'Dev'"),
        (
            _stages({**GOOD, "region": "europe"}),
            r"'sagemaker-platform.stages\[0\].region': got 'europe'; allowed: an AWS region",
        ),
        (
            _stages({**GOOD, "account": 123456789012}),
            r"'sagemaker-platform.stages\[0\].account': got 123456789012; allowed: a 12-digit",
        ),
        (
            _stages({**GOOD, "account": "123456789012"}),
            r"'sagemaker-platform.stages\[0\].availabilityZones': got None; allowed: a list of AZs: required when 'account' is set",
        ),
        (
            _stages({**GOOD, "availabilityZones": ["us-east-1a", "us-east-1b"]}),
            r"availabilityZones': got \['us-east-1a', 'us-east-1b'\]; allowed: at least two distinct AZs of the stage's region",
        ),
        (_stages({**GOOD, "vpcCidr": "10.0.0.0/8"}), r"'sagemaker-platform.stages\[0\].vpcCidr': got '10.0.0.0/8'"),
        (
            _stages({**GOOD, "maxAzs": 7}),
            r"'sagemaker-platform.stages\[0\].maxAzs': got 7; allowed: an integer from 2 to 6",
        ),
        (_stages({**GOOD, "maxAzs": True}), r"maxAzs': got True"),
        (
            _stages({**GOOD, "logRetentionDays": 100}),
            r"'sagemaker-platform.stages\[0\].logRetentionDays': got 100; allowed: one of 1, 3, 5",
        ),
        (_stages({**GOOD, "s3PrefixListId": "pl-x"}), r"s3PrefixListId': got 'pl-x'"),
        (
            _stages({**GOOD, "account": "123456789012", "availabilityZones": ["eu-west-1a", "eu-west-1b"]}),
            r"'sagemaker-platform.stages\[0\].s3PrefixListId': got None; allowed: the S3 prefix list ID of eu-west-1 "
            r"\(required when 'account' is set",
        ),
        (
            _stages({**GOOD, "interfaceEndpoints": ["s3"]}),
            r"interfaceEndpoints': got \['s3'\]; allowed: a list of names from",
        ),
        (
            _stages({**GOOD, "vpc_cidr": "10.0.0.0/16"}),
            r"'sagemaker-platform.stages\[0\]': unknown keys \['vpc_cidr'\]",
        ),
        (_stages(GOOD, GOOD), r"'sagemaker-platform.stages\[\*\].name': duplicate stage names \['dev'\]"),
        (
            _stages({**GOOD, "training": {"qualityThreshold": 1.5}}),
            r"'sagemaker-platform.stages\[0\].training.qualityThreshold': got 1.5; allowed: a number in \(0, 1\]",
        ),
        (
            _stages({**GOOD, "training": {"approval": "Rejected"}}),
            r"training.approval': got 'Rejected'; allowed: one of 'PendingManualApproval', 'Approved'",
        ),
        (_stages({**GOOD, "training": {"scheduleDays": 0}}), r"training.scheduleDays': got 0; allowed: an integer"),
        (_stages({**GOOD, "training": {"spot": "yes"}}), r"training.spot': got 'yes'; allowed: true or false"),
        (_stages({**GOOD, "training": {"instanceType": "m5.xlarge"}}), r"training.instanceType': got 'm5.xlarge'"),
        (_stages({**GOOD, "training": {"threshold": 0.8}}), r"training': unknown keys \['threshold'\]"),
        (_stages({**GOOD, "training": []}), r"training': got \[\]; allowed: an object"),
        (
            _stages({**GOOD, "fleet": {"members": [{"name": "Churn", "modelKey": "m/model.tar.gz"}]}}),
            r"'sagemaker-platform.stages\[0\].fleet.members\[0\].name': got 'Churn'; allowed: lower-case",
        ),
        (
            _stages({**GOOD, "fleet": {"members": [{"name": "a", "modelKey": "m/model.zip"}]}}),
            r"fleet.members\[0\].modelKey': got 'm/model.zip'; allowed: an S3 key of a model.tar.gz",
        ),
        (
            _stages(
                {
                    **GOOD,
                    "fleet": {"members": [{"name": "a", "modelKey": "a.tar.gz", "minInstances": 3, "maxInstances": 2}]},
                }
            ),
            r"fleet.members\[0\].maxInstances': got 2; allowed: an integer >= minInstances \(3\)",
        ),
        (
            _stages(
                {
                    **GOOD,
                    "fleet": {
                        "members": [{"name": "a", "modelKey": "a.tar.gz"}, {"name": "a", "modelKey": "b.tar.gz"}]
                    },
                }
            ),
            r"fleet.members\[\*\].name': duplicate names \['a'\]",
        ),
        (
            _stages({**GOOD, "fleet": {"members": [{"name": "a", "modelKey": "s3://models/a/model.tar.gz"}]}}),
            r"modelKey': got 's3://models/a/model.tar.gz'; allowed: an S3 key .*without s3:// and the bucket",
        ),
        (
            _stages({**GOOD, "fleet": {"membersPerStack": 0}}),
            r"fleet.membersPerStack': got 0; allowed: an integer from 1 to 40",
        ),
        (
            _stages({**GOOD, "fleet": {"members": [{"name": "x" * 70, "modelKey": "a.tar.gz"}]}}),
            r"fleet.members\[0\].name': got 'xxx",
        ),
        (
            _stages({**GOOD, "alarms": {"latencyMs": {"critical": 5}}}),
            r"'sagemaker-platform.stages\[0\].alarms': unknown key 'latencyMs'; allowed: \['cpuPercent'",
        ),
        (
            _stages({**GOOD, "alarms": {"cpuPercent": {"warning": 90, "critical": 80}}}),
            r"alarms.cpuPercent.warning': got 90; allowed: below critical \(80\)",
        ),
        (
            _stages({**GOOD, "alarms": {"modelLatencyMs": {"critical": -1}}}),
            r"alarms.modelLatencyMs': got \{'critical': -1\}; allowed: an object with 'warning' and/or 'critical'",
        ),
    ],
    ids=[
        "missing",
        "no-stages",
        "unknown-top-key",
        "stage-not-object",
        "name-uppercase",
        "bad-region",
        "account-not-string",
        "account-without-azs",
        "azs-of-other-region",
        "cidr-too-big",
        "too-many-azs",
        "bool-max-azs",
        "retention-not-allowed",
        "bad-prefix-list",
        "account-without-prefix-list",
        "unknown-endpoint",
        "snake-case-key",
        "duplicate-stage",
        "training-threshold-above-one",
        "training-bad-approval",
        "training-zero-schedule",
        "training-spot-not-bool",
        "training-bad-instance",
        "training-unknown-key",
        "training-not-object",
        "fleet-name-uppercase",
        "fleet-key-not-tarball",
        "fleet-max-below-min",
        "fleet-duplicate-names",
        "fleet-key-s3-uri",
        "fleet-zero-per-stack",
        "fleet-name-too-long",
        "alarms-unknown-signal",
        "alarms-warning-above-critical",
        "alarms-negative",
    ],
)
def test_fails_bad_configuration_naming_the_key(raw: Any, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        PlatformConfig.from_context(copy.deepcopy(raw))


def test_fails_with_every_bad_key_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        PlatformConfig.from_context(_stages({"name": "X", "region": "nowhere", "maxAzs": 9}))
    for key in ("name", "region", "maxAzs"):
        assert f".{key}'" in str(info.value)


def test_a_fleet_member_without_a_model_key_serves_the_seed_model() -> None:
    raw = _stages({**GOOD, "fleet": {"members": [{"name": "a"}, {"name": "b", "modelKey": "fleet/b/model.tar.gz"}]}})
    (stage,) = PlatformConfig.from_context(raw).stages
    assert [m.model_key for m in stage.fleet] == [None, "fleet/b/model.tar.gz"]
