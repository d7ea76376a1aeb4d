"""cfn-guard with AWS Control Tower's proactive-control rules, as the fourth referee over every reference template."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from sagemaker_platform import (
    AccessLogsBucket,
    KeyPurpose,
    PlatformKeys,
    PlatformKeysProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    add_nag_packs,
)
from sagemaker_platform.compliance import CFN_GUARD_PLUGIN
from tests.harness import REPO, SynthResult, make_app

#: The guard rule behind each Control Tower control that fires on the reference app, as the README lists it.
_README_ROW = re.compile(r"^\| (CT\.[A-Z0-9.]+) \| `(\w+)` \| (fixed|acknowledged) \|")


def _guard(report: dict[str, Any]) -> dict[str, Any]:
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == CFN_GUARD_PLUGIN]
    return plugin  # type: ignore[no-any-return]


def _acknowledged(report: dict[str, Any]) -> Counter[str]:
    return Counter(
        v["ruleName"] for v in _guard(report).get("suppressedViolations", []) for _ in v["violatingConstructs"]
    )


def test_every_reference_template_passes_the_control_tower_rules(reference: SynthResult) -> None:
    guard = _guard(reference.validation_report())
    assert guard["conclusion"] == "success"
    assert guard["violations"] == []


def test_every_acknowledgment_is_on_one_resource_with_its_reason(reference: SynthResult) -> None:
    suppressed = _guard(reference.validation_report())["suppressedViolations"]
    assert suppressed
    for finding in suppressed:
        assert len(finding["reason"]) >= 20, finding
        # Acknowledged on the resource itself (or its L2 construct), never on a stack or stage.
        for construct in finding["violatingConstructs"]:
            at = finding["acknowledgedAt"]
            assert construct["constructPath"].startswith(at) and at.count("/") >= 2, (at, construct["constructPath"])


def test_the_readme_lists_each_control_that_fired_and_what_was_done(reference: SynthResult) -> None:
    rows = {
        m[2]: (m[1], m[3]) for line in (REPO / "README.md").read_text().splitlines() if (m := _README_ROW.match(line))
    }
    acknowledged = set(_acknowledged(reference.validation_report()))
    assert {rule for rule, (_, done) in rows.items() if done == "acknowledged"} == acknowledged
    fixed = {rule for rule, (_, done) in rows.items() if done == "fixed"}
    assert fixed == {"kms_create_grant_aws_service_check"}
    assert not fixed & acknowledged


def test_the_rules_fire_on_an_unencrypted_log_group_and_a_bucket_without_logs(outdir: Path) -> None:
    app = make_app(outdir)
    stack = Stack(app, "Unsafe")
    logs.LogGroup(stack, "Plain")
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.DATA,)))
    SecureBucket(
        stack,
        "Data",
        SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "Logs").bucket),
    )
    add_nag_packs(app, control_tower=True)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    import json

    report = json.loads((outdir / "validation-report.json").read_text())
    fired = {
        v["ruleName"]: [c["constructPath"] for c in v["violatingConstructs"]] for v in _guard(report)["violations"]
    }
    assert fired["cloudwatch_log_group_encrypted_check"] == ["Unsafe/Plain/Resource"]
    # The library's own bucket and key pass or are acknowledged: nothing else fires.
    assert set(fired) <= {"cloudwatch_log_group_encrypted_check", "cloudwatch_log_group_retention_period_check"}


def test_fails_control_tower_without_the_plugin_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cdklabs.cdk_validator_cfnguard", None)
    with pytest.raises(ValueError, match=r"control_tower: got True.*sagemaker-platform\[guard\]"):
        add_nag_packs(make_app(), control_tower=True)


def test_acknowledge_accepts_the_ids_the_guard_report_prints() -> None:
    stack = Stack(make_app(), "S")
    group = logs.LogGroup(stack, "G")
    acknowledge(
        group, f"{CFN_GUARD_PLUGIN}::cloudwatch_log_group_encrypted_check", reason="a reason long enough to read"
    )
    with pytest.raises(ValueError, match="rule_ids"):
        acknowledge(group, f"{CFN_GUARD_PLUGIN}::not a rule", reason="a reason long enough to read")


def _app_with_findings(*acknowledged: str) -> App:
    app = make_app()
    stack = Stack(app, "S")
    sqs.Queue(stack, "Q", enforce_ssl=True)
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    if acknowledged:
        acknowledge(stack, *acknowledged, reason="the test acknowledges exactly what the report printed")
    add_nag_packs(app)
    return app


def test_acknowledge_accepts_the_ids_the_cdk_report_prints() -> None:
    # Synthesis (and so the CLI) prints "Acknowledge with '<pack>::<rule>[finding]'" under each
    # finding: exactly those strings, pasted into acknowledge(), must clear the findings.
    with pytest.raises(RuntimeError, match="ValidationFailed") as failed:
        _app_with_findings().synth()
    printed = sorted(set(re.findall(r"Acknowledge with '([^']+)'", str(failed.value))))
    assert "AwsSolutions::AwsSolutions-IAM5[Resource::*]" in printed, str(failed.value)
    assert len(printed) == 4 and all("::" in p for p in printed), printed
    _app_with_findings(*printed).synth()
