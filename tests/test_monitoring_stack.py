"""The reference stage's monitoring stack: what it watches and how it reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.harness import SynthResult


@pytest.fixture(scope="module")
def monitoring(reference: SynthResult) -> dict[str, Any]:
    stack = next(s for s in reference.stacks if s.node.path == "Prod/Monitoring")
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_every_alarm_notifies_the_stage_alert_topic(monitoring: dict[str, Any]) -> None:
    alarms = _of_type(monitoring, "AWS::CloudWatch::Alarm")
    assert len(alarms) > 40
    for alarm in alarms:
        props = alarm["Properties"]
        assert props["AlarmActions"] and props["OKActions"], props.get("AlarmName")
        assert "Alerts" in json.dumps(props["AlarmActions"])
        assert props["AlarmName"].startswith("sagemaker-platform-prod-")


def test_both_tiers_exist_for_the_ab_endpoint_latency(monitoring: dict[str, Any]) -> None:
    names = {a["Properties"]["AlarmName"] for a in _of_type(monitoring, "AWS::CloudWatch::Alarm")}
    latency = [n for n in names if "champion" in n and "ModelLatency" in n]
    assert any(n.endswith("warning") for n in latency) and any(n.endswith("critical") for n in latency), latency


def test_pipeline_and_job_failures_are_watched(monitoring: dict[str, Any]) -> None:
    metrics = {a["Properties"].get("MetricName") for a in _of_type(monitoring, "AWS::CloudWatch::Alarm")}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"} <= metrics
    rules = _of_type(monitoring, "AWS::Events::Rule")
    patterns = json.dumps([r["Properties"]["EventPattern"] for r in rules])
    assert "SageMaker Training Job State Change" in patterns and "churn-prod-" in patterns
    for rule in rules:
        (target,) = rule["Properties"]["Targets"]
        assert "InputTransformer" in target


def test_data_quality_runs_isolated_and_encrypted_on_the_shadow_endpoint(monitoring: dict[str, Any]) -> None:
    (definition,) = _of_type(monitoring, "AWS::SageMaker::DataQualityJobDefinition")
    props = definition["Properties"]
    assert props["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert props["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert props["NetworkConfig"]["VpcConfig"]["Subnets"]
    assert props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"]
    assert props["DataQualityJobOutputConfig"]["KmsKeyId"]
    assert "model-monitor/baseline/constraints.json" in json.dumps(props["DataQualityBaselineConfig"])
    (schedule,) = _of_type(monitoring, "AWS::SageMaker::MonitoringSchedule")
    assert (
        schedule["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]
        == "cron(0 * ? * * *)"
    )


def test_one_dashboard_shows_endpoints_pipeline_and_feature_groups(monitoring: dict[str, Any]) -> None:
    (dashboard,) = _of_type(monitoring, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in ("ProdServing-AbEndpoint", "ExecutionsFailed", "prod-customers", "prod-transactions"):
        assert needle in body, needle
    Template.from_json(monitoring).has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": Match.string_like_regexp("prod")}
    )


def test_alarm_thresholds_come_from_the_stage_configuration(monitoring: dict[str, Any]) -> None:
    # cdk.json: prod modelLatencyMs warning 200, critical 500 (the metric is in microseconds).
    latency = {
        a["Properties"]["AlarmName"].rsplit("-", 1)[1]: a["Properties"]["Threshold"]
        for a in _of_type(monitoring, "AWS::CloudWatch::Alarm")
        if "AbEndpoint" in json.dumps(a["Properties"].get("Dimensions", []))
        and a["Properties"].get("MetricName") == "ModelLatency"
        and "champion" in a["Properties"]["AlarmName"]
    }
    assert latency == {"warning": 200_000, "critical": 500_000}
