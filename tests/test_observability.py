"""Observability: tiered alarms per endpoint feeding auto-rollback, pipelines, job events, Model Monitor, dashboard.

One stack holds every construct next to real endpoints and is checked by all three referees
(cdk-nag packs, cfn-lint, checkov) and by fine-grained assertions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sagemaker_platform import (
    AccessLogsBucket,
    IsolatedNetwork,
    IsolatedNetworkProps,
    JobNetwork,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
)
from sagemaker_platform.observability import (
    AlarmDefaults,
    AlarmFactory,
    DashboardEndpoint,
    DataQualityMonitor,
    DataQualityMonitorProps,
    EndpointMonitoring,
    EndpointMonitoringProps,
    EndpointSignal,
    JobFailureEvents,
    JobFailureEventsProps,
    MonitoredVariant,
    NotificationTopic,
    NotificationTopicProps,
    PipelineMonitoring,
    PipelineMonitoringProps,
    PlatformDashboard,
    PlatformDashboardProps,
)
from sagemaker_platform.serving import (
    AsyncInferenceSettings,
    ContainerSpec,
    DataCaptureSettings,
    Endpoint,
    EndpointProps,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    ServerlessSettings,
    VariantSpec,
)
from tests.harness import S3_PREFIX_LIST, make_app, run, run_checkov, synth_with_packs, venv_tool, violations

STACK = "Observability"


class MonitoredPlatform:
    """Foundation pieces, three endpoints, a pipeline, and every observability construct on them."""

    def __init__(self, outdir: Path) -> None:
        self.app = make_app(outdir)
        self.stack = s = Stack(self.app, STACK)
        self.keys = PlatformKeys(s, "Keys")
        self.bucket = SecureBucket(
            s,
            "Data",
            SecureBucketProps(
                encryption_key=self.keys.data, access_logs_bucket=AccessLogsBucket(s, "AccessLogs").bucket
            ),
        ).bucket
        self.network = IsolatedNetwork(
            s,
            "Network",
            IsolatedNetworkProps(
                s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=self.keys.logs, interface_endpoints=["sts"]
            ),
        )
        self.topic = NotificationTopic(
            s, "Alerts", NotificationTopicProps(encryption_key=self.keys.notifications)
        ).topic
        self.factory = AlarmFactory(self.topic, AlarmDefaults(alarm_name_prefix="test"))
        image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(s, "Repo", "inference"), "v1")
        self.model = Model(
            s,
            "Model",
            ModelProps(
                containers=[
                    ContainerSpec(image=image, model_data=ModelArtifact(bucket=self.bucket, key="models/m.tar.gz"))
                ],
                network=self.network,
                model_key=self.keys.models,
            ),
        )
        self._real_time()
        self._async_and_serverless()
        self._pipeline_events_monitor_dashboard()
        self.error = synth_with_packs(self.app)
        self.outdir = outdir
        self.template_path = outdir / f"{STACK}.template.json"
        self.json: dict[str, Any] = json.loads(self.template_path.read_text())
        self.template = Template.from_json(self.json)

    def _real_time(self) -> None:
        # The name-first pattern: variants and name exist before both the monitoring and the endpoint.
        variants = [
            VariantSpec(variant_name="champion", model=self.model, instance_type="ml.c5.xlarge", initial_weight=90),
            VariantSpec(variant_name="gpu", model=self.model, instance_type="ml.p3.8xlarge", initial_weight=10),
        ]
        self.monitoring = EndpointMonitoring(
            self.stack,
            "ChurnMonitoring",
            EndpointMonitoringProps(
                endpoint_name="churn", variants=[MonitoredVariant.from_spec(v) for v in variants], alarms=self.factory
            ),
        )
        self.endpoint = Endpoint(
            self.stack,
            "Churn",
            EndpointProps(
                endpoint_name="churn",
                production_variants=variants,
                data_capture=DataCaptureSettings(bucket=self.bucket, prefix="capture/churn/"),
                rollback_5xx=None,
                rollback_latency_us=None,
                extra_rollback_alarms=self.monitoring.rollback_alarms,
                alarm_topic=self.topic,
                volume_key=self.keys.models,
            ),
        )
        self.monitoring.check_endpoint(self.endpoint)

    def _async_and_serverless(self) -> None:
        common: dict[str, Any] = {"alarm_topic": self.topic, "volume_key": self.keys.models, "deployment": None}
        queued = [VariantSpec(variant_name="batch", model=self.model, instance_type="ml.m5.xlarge")]
        self.async_monitoring = EndpointMonitoring(
            self.stack,
            "QueueMonitoring",
            EndpointMonitoringProps(
                endpoint_name="churn-queue",
                variants=[MonitoredVariant.from_spec(v) for v in queued],
                alarms=self.factory,
                asynchronous=True,
                rollback_signals=(),
            ),
        )
        Endpoint(
            self.stack,
            "Queue",
            EndpointProps(
                endpoint_name="churn-queue",
                production_variants=queued,
                async_inference=AsyncInferenceSettings(output_bucket=self.bucket),
                **common,
            ),
        )
        # Serverless Inference refuses VPC configuration and isolation: a model built for it.
        serverless_model = Model(
            self.stack,
            "LeanModel",
            ModelProps(
                containers=[
                    ContainerSpec(
                        image=self.model.props.containers[0].image,
                        model_data=ModelArtifact(bucket=self.bucket, key="models/m.tar.gz"),
                    )
                ],
                model_key=self.keys.models,
                serverless=True,
            ),
        )
        Annotations.of(serverless_model).acknowledge_warning(
            "sagemaker-platform:model-serverless", "a test endpoint whose model reaches nothing outside SageMaker"
        )
        lean = [VariantSpec(variant_name="lean", model=serverless_model, serverless=ServerlessSettings())]
        self.serverless_monitoring = EndpointMonitoring(
            self.stack,
            "LeanMonitoring",
            EndpointMonitoringProps(
                endpoint_name="churn-lean",
                variants=[MonitoredVariant.from_spec(v) for v in lean],
                alarms=self.factory,
                rollback_signals=(),
            ),
        )
        lean_endpoint = Endpoint(
            self.stack,
            "Lean",
            EndpointProps(
                endpoint_name="churn-lean",
                production_variants=lean,
                rollback_5xx=None,
                rollback_latency_us=None,
                **common,
            ),
        )
        acknowledge(
            lean_endpoint.config,
            "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
            "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
            reason="Serverless variants have no ML storage volume; SageMaker rejects a KmsKeyId for them.",
        )

    def _pipeline_events_monitor_dashboard(self) -> None:
        s = self.stack
        log_group = logs.LogGroup(
            s,
            "PipelineLogs",
            encryption_key=self.keys.logs,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # A stand-in for MlPipeline(...).state_machine: logged, traced, its role's policy managed.
        policy = iam.ManagedPolicy(
            s,
            "PipelinePolicy",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogDelivery", "logs:GetLogDelivery", "xray:PutTraceSegments"], resources=["*"]
                )
            ],
        )
        acknowledge(
            policy, "AwsSolutions-IAM5[Resource::*]", reason="Log delivery and X-Ray APIs have no resource ARNs."
        )
        role = iam.Role(
            s, "PipelineRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"), managed_policies=[policy]
        )
        self.machine = sfn.StateMachine(
            s,
            "Pipeline",
            definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(s, "Start")),
            role=role.without_policy_updates(),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        # As in MlPipeline: CDK's construct-level DependsOn on the role repeats the RoleArn reference.
        self.machine.node.default_child.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})  # type: ignore[union-attr]
        self.pipeline_monitoring = PipelineMonitoring(
            s,
            "PipelineMonitoring",
            PipelineMonitoringProps(state_machine=self.machine, pipeline_name="churn", alarms=self.factory),
        )
        self.events = JobFailureEvents(
            s, "JobEvents", JobFailureEventsProps(topic=self.topic, job_name_prefixes=["churn-", "fraud-v2"])
        )
        self.monitor = DataQualityMonitor(
            s,
            "DataQuality",
            DataQualityMonitorProps(
                endpoint=self.endpoint,
                network=self.network,
                baseline_bucket=self.bucket,
                constraints_key="baselines/churn/constraints.json",
                statistics_key="baselines/churn/statistics.json",
                output_bucket=self.bucket,
                volume_key=self.keys.models,
                alarms=self.factory,
                drift_features=["age", "balance"],
            ),
        )
        PlatformDashboard(
            s,
            "Dashboard",
            PlatformDashboardProps(
                stage_name="test",
                endpoints=[DashboardEndpoint.of(m) for m in (self.monitoring, self.async_monitoring)],
                pipelines={"churn": self.machine},
                feature_groups=["customers"],
                alarms=[a for a in self.monitoring.all_alarms if a.node.id.endswith("Critical")],
            ),
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> MonitoredPlatform:
    return MonitoredPlatform(tmp_path_factory.mktemp("observability") / "cdk.out")


def _alarm(p: MonitoredPlatform, description: str) -> tuple[str, dict[str, Any]]:
    """(logical ID, properties) of the one alarm with exactly this description."""
    found = [
        (k, r["Properties"])
        for k, r in p.template.find_resources("AWS::CloudWatch::Alarm").items()
        if r["Properties"].get("AlarmDescription") == description
    ]
    assert len(found) == 1, [k for k, _ in found]
    return found[0]


def _resource(p: MonitoredPlatform, kind: str, path_part: str) -> tuple[str, dict[str, Any]]:
    found = [(k, dict(r)) for k, r in p.template.find_resources(kind).items() if k.startswith(path_part)]
    assert len(found) == 1, [k for k, _ in found]
    return found[0]


# --- referees ------------------------------------------------------------------------------------


def test_nag_packs_are_clean(built: MonitoredPlatform) -> None:
    report = json.loads((built.outdir / "validation-report.json").read_text())
    assert not violations(report), "\n".join(violations(report))
    assert built.error is None, built.error


@pytest.mark.slow
def test_cfn_lint_reports_nothing(built: MonitoredPlatform) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint
    result = run([cfn_lint, "--format", "parseable", str(built.template_path)])
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_checkov_finds_no_failed_checks(built: MonitoredPlatform) -> None:
    failed, passed = run_checkov("-f", str(built.template_path))
    assert not failed, failed
    assert passed > 50


# --- endpoint monitoring and auto-rollback -------------------------------------------------------


def test_endpoint_rolls_back_on_the_monitoring_critical_alarms(built: MonitoredPlatform) -> None:
    _, endpoint = _resource(built, "AWS::SageMaker::Endpoint", "Churn")
    rollback = endpoint["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    expected = [
        {"AlarmName": {"Ref": _alarm(built, f"[CRITICAL] churn/{variant}: {what}")[0]}}
        for variant in ("champion", "gpu")
        for what in ("5xx errors per minute", "p99 model latency (microseconds)")
    ]
    assert sorted(rollback, key=json.dumps) == sorted(expected, key=json.dumps)
    assert len(built.monitoring.rollback_alarms) == 4


def test_monitoring_alarms_do_not_refer_to_the_endpoint(built: MonitoredPlatform) -> None:
    endpoint_id, _ = _resource(built, "AWS::SageMaker::Endpoint", "Churn")
    for alarm in built.monitoring.all_alarms:
        resource = built.json["Resources"][built.stack.get_logical_id(alarm.node.default_child)]  # type: ignore[arg-type]
        assert endpoint_id not in json.dumps(resource)
        assert "DependsOn" not in resource


def _topic_ref(p: MonitoredPlatform) -> dict[str, str]:
    return {"Ref": p.stack.get_logical_id(p.topic.node.default_child)}  # type: ignore[arg-type]


def test_tiers_names_descriptions_and_actions(built: MonitoredPlatform) -> None:
    topic = _topic_ref(built)
    for tier, threshold in (("WARNING", 500_000), ("CRITICAL", 1_000_000)):
        _, props = _alarm(built, f"[{tier}] churn/champion: p99 model latency (microseconds)")
        assert props["AlarmName"] == f"test-churn-champion-ModelLatency-{tier.lower()}"
        assert props["Threshold"] == threshold
        assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
        assert props["TreatMissingData"] == "notBreaching"
        assert props["ExtendedStatistic"] == "p99"
        assert props["Dimensions"] == [
            {"Name": "EndpointName", "Value": "churn"},
            {"Name": "VariantName", "Value": "champion"},
        ]
    built.template.all_resources_properties("AWS::CloudWatch::Alarm", {"AlarmActions": [topic], "OKActions": [topic]})


def test_4xx_rate_is_a_math_expression_over_invocations(built: MonitoredPlatform) -> None:
    _, props = _alarm(built, "[CRITICAL] churn/champion: 4xx responses, percent of invocations")
    assert props["Threshold"] == 25
    by_id = {m["Id"]: m for m in props["Metrics"]}
    assert by_id["expr_1"]["Expression"] == "100 * errors / invocations"
    assert by_id["errors"]["MetricStat"]["Metric"]["MetricName"] == "Invocation4XXErrors"
    assert by_id["invocations"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert by_id["invocations"]["ReturnData"] is False


@pytest.mark.parametrize(
    ("variant", "signal", "expression"),
    [
        ("champion", "CPU utilization, percent of all vCPUs", "raw / 4"),
        ("gpu", "CPU utilization, percent of all vCPUs", "raw / 32"),
        ("gpu", "GPU memory utilization, percent of all GPUs", "raw / 4"),
    ],
)
def test_utilization_is_normalized_to_the_instance(
    built: MonitoredPlatform, variant: str, signal: str, expression: str
) -> None:
    _, props = _alarm(built, f"[WARNING] churn/{variant}: {signal}")
    assert [m["Expression"] for m in props["Metrics"] if "Expression" in m] == [expression]
    (raw,) = [m for m in props["Metrics"] if "MetricStat" in m]
    assert raw["MetricStat"]["Metric"]["Namespace"] == "/aws/sagemaker/Endpoints"


def test_gpu_alarms_only_on_gpu_instances_and_instance_alarms_not_on_serverless(built: MonitoredPlatform) -> None:
    descriptions = {
        r["Properties"]["AlarmDescription"] for r in built.template.find_resources("AWS::CloudWatch::Alarm").values()
    }
    assert "[WARNING] churn/gpu: GPU utilization, percent of all GPUs" in descriptions
    assert not [d for d in descriptions if d.startswith("[WARNING] churn/champion: GPU")]
    lean = sorted(d for d in descriptions if "churn-lean/lean" in d and d.startswith("[CRITICAL]"))
    assert [d.split(": ", 1)[1] for d in lean] == sorted(
        [
            "4xx responses, percent of invocations",
            "5xx errors per minute",
            "p99 SageMaker overhead latency (microseconds)",
            "p99 model latency (microseconds)",
            "p99 serverless model setup time (microseconds)",
        ]
    )


def test_async_backlog_alarms_are_endpoint_wide(built: MonitoredPlatform) -> None:
    _, age = _alarm(built, "[CRITICAL] churn-queue/endpoint: age of the oldest queued async request (seconds)")
    assert (age["MetricName"], age["Statistic"], age["Threshold"]) == ("ApproximateAgeOfOldestRequest", "Maximum", 1800)
    assert age["Dimensions"] == [{"Name": "EndpointName", "Value": "churn-queue"}]
    _, size = _alarm(built, "[WARNING] churn-queue/endpoint: queued async requests")
    assert (size["MetricName"], size["Namespace"]) == ("ApproximateBacklogSize", "AWS/SageMaker")
    assert built.async_monitoring.rollback_alarms == []


def test_check_endpoint_rejects_another_name_or_other_variants(built: MonitoredPlatform) -> None:
    with pytest.raises(ValueError, match=r"endpoint_name: got 'churn'; allowed: 'churn-queue'"):
        built.async_monitoring.check_endpoint(built.endpoint)
    with pytest.raises(ValueError, match=r"variants: got \['champion', 'gpu'\]; allowed: the monitored variants"):
        built.async_monitoring.check_endpoint(built.endpoint)


# --- pipelines and job events --------------------------------------------------------------------


def test_pipeline_alarms_on_executions(built: MonitoredPlatform) -> None:
    machine = {"Ref": built.stack.get_logical_id(built.machine.node.default_child)}  # type: ignore[arg-type]
    _, failed = _alarm(built, "[CRITICAL] pipeline churn: failed executions per 5 minutes")
    assert failed["Namespace"] == "AWS/States" and failed["MetricName"] == "ExecutionsFailed"
    assert failed["Dimensions"] == [{"Name": "StateMachineArn", "Value": machine}]
    assert failed["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and failed["Threshold"] == 1
    assert (failed["Period"], failed["EvaluationPeriods"], failed["DatapointsToAlarm"]) == (300, 1, 1)
    _alarm(built, "[CRITICAL] pipeline churn: timed-out executions per 5 minutes")
    _, throttled = _alarm(built, "[WARNING] pipeline churn: throttled execution starts per 5 minutes")
    assert throttled["MetricName"] == "ExecutionThrottled"


@pytest.mark.parametrize(
    ("detail_type", "name_field", "status_field"),
    [
        ("SageMaker Training Job State Change", "TrainingJobName", "TrainingJobStatus"),
        ("SageMaker Processing Job State Change", "ProcessingJobName", "ProcessingJobStatus"),
        ("SageMaker Transform Job State Change", "TransformJobName", "TransformJobStatus"),
        (
            "SageMaker HyperParameter Tuning Job State Change",
            "HyperParameterTuningJobName",
            "HyperParameterTuningJobStatus",
        ),
    ],
)
def test_job_failure_rules_match_prefixes_and_statuses(
    built: MonitoredPlatform, detail_type: str, name_field: str, status_field: str
) -> None:
    rules = [
        r["Properties"]
        for r in built.template.find_resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == [detail_type]
    ]
    (rule,) = rules
    assert rule["EventPattern"]["source"] == ["aws.sagemaker"]
    assert rule["EventPattern"]["detail"] == {
        name_field: [{"prefix": "churn-"}, {"prefix": "fraud-v2"}],
        status_field: ["Failed", "Stopped"],
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == _topic_ref(built)
    transformer = target["InputTransformer"]
    paths = transformer["InputPathsMap"]
    assert paths[f"detail-{name_field}"] == f"$.detail.{name_field}"
    assert paths["detail-FailureReason"] == "$.detail.FailureReason"
    message = json.loads(transformer["InputTemplate"])
    assert re.match(
        rf"SageMaker [a-z ]+ job <detail-{name_field}> is <detail-{status_field}> \(account <account>", message
    )
    assert "Reason: <detail-FailureReason>" in message


def test_topic_policy_allows_only_this_accounts_alarms_and_rules(built: MonitoredPlatform) -> None:
    (policy,) = built.template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = {s["Principal"]["Service"]: s for s in statements if s["Effect"] == "Allow"}
    assert sorted(allows) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    for service, resource in (("cloudwatch", ":alarm:*"), ("events", ":rule/*")):
        source = json.dumps(allows[f"{service}.amazonaws.com"]["Condition"]["ArnLike"]["aws:SourceArn"])
        assert f":{service}:" in source and resource in source and "AWS::AccountId" in source
    assert [s["Effect"] for s in statements].count("Deny") == 1


# --- Model Monitor -------------------------------------------------------------------------------


def test_data_quality_job_definition_has_the_secure_posture(built: MonitoredPlatform) -> None:
    _, definition = _resource(built, "AWS::SageMaker::DataQualityJobDefinition", "DataQuality")
    props = definition["Properties"]
    assert props["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert props["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert len(props["NetworkConfig"]["VpcConfig"]["Subnets"]) >= 2
    assert "NetworkJobsSecurityGroup" in json.dumps(props["NetworkConfig"]["VpcConfig"]["SecurityGroupIds"])
    assert "KeysModelsKey" in json.dumps(props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"])
    assert "KeysDataKey" in json.dumps(props["DataQualityJobOutputConfig"]["KmsKeyId"])
    assert props["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert "sagemaker-model-monitor-analyzer" in json.dumps(props["DataQualityAppSpecification"]["ImageUri"])
    assert json.dumps(props["DataQualityBaselineConfig"]).count("baselines/churn/") == 2
    assert props["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "churn"
    assert props["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert re.fullmatch(r"churn-data-quality-[0-9a-f]{10}", props["JobDefinitionName"])


def test_schedule_is_hourly_on_the_definition_after_the_endpoint(built: MonitoredPlatform) -> None:
    definition_id, definition = _resource(built, "AWS::SageMaker::DataQualityJobDefinition", "DataQuality")
    endpoint_id, _ = _resource(built, "AWS::SageMaker::Endpoint", "Churn")
    _, schedule = _resource(built, "AWS::SageMaker::MonitoringSchedule", "DataQuality")
    props = schedule["Properties"]
    assert props["MonitoringScheduleName"] == "churn-data-quality"
    config = props["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    assert config["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    assert config["MonitoringJobDefinitionName"] == definition["Properties"]["JobDefinitionName"]
    assert {definition_id, endpoint_id} <= set(schedule["DependsOn"])


def test_drift_alarm_watches_the_largest_feature_drift(built: MonitoredPlatform) -> None:
    _, props = _alarm(built, "[CRITICAL] churn: largest baseline drift of age, balance (schedule churn-data-quality)")
    assert props["Threshold"] == 0.1 and (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (1, 1)
    by_id = {m["Id"]: m for m in props["Metrics"]}
    assert by_id["expr_1"]["Expression"] == "MAX([drift0, drift1])"
    metric = by_id["drift1"]["MetricStat"]
    assert metric["Metric"]["Namespace"] == "aws/sagemaker/Endpoints/data-metrics"
    assert metric["Metric"]["MetricName"] == "feature_baseline_drift_balance"
    assert metric["Metric"]["Dimensions"] == [
        {"Name": "Endpoint", "Value": "churn"},
        {"Name": "MonitoringSchedule", "Value": "churn-data-quality"},
    ]
    assert (metric["Period"], metric["Stat"]) == (3600, "Maximum")


def test_a_monitoring_run_that_reports_nothing_pages(built: MonitoredPlatform) -> None:
    # A failed run (no baseline yet, no captures) publishes no metrics: missing data must breach.
    _, props = _alarm(
        built,
        "[CRITICAL] churn: no data-quality results from schedule churn-data-quality (runs fail, lack a baseline or "
        "captured data, or do not run)",
    )
    assert props["TreatMissingData"] == "breaching"
    assert (props["ComparisonOperator"], props["Threshold"]) == ("LessThanThreshold", 1)
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (2, 2)
    assert (props["MetricName"], props["Statistic"], props["Period"]) == (
        "feature_baseline_drift_age",
        "SampleCount",
        3600,
    )
    assert props["Namespace"] == "aws/sagemaker/Endpoints/data-metrics"
    assert props["AlarmActions"], "it notifies the topic"


def test_a_monitor_on_instance_storage_leaves_out_the_volume_key(built: MonitoredPlatform) -> None:
    from dataclasses import replace

    from aws_cdk import Stack
    from aws_cdk.assertions import Annotations, Match

    stack = Stack(built.app, "NvmeMonitor")
    props = replace(built.monitor.props, instance_type="ml.r5d.xlarge", schedule_name="churn-nvme")
    monitor = DataQualityMonitor(stack, "DataQuality", props)
    assert monitor.volume_key_note and "ml.r5d.xlarge has NVMe instance storage" in monitor.volume_key_note
    cluster = Stack.of(monitor).resolve(monitor.job_definition.job_resources)["clusterConfig"]
    assert "volumeKmsKeyId" not in cluster
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("NVMe instance storage"))
    assert warnings


def test_monitor_role_reads_capture_and_baseline_and_writes_only_reports(built: MonitoredPlatform) -> None:
    policy_id = built.stack.get_logical_id(built.monitor.role.policy.node.default_child)  # type: ignore[arg-type]
    statements = json.dumps(built.json["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"])
    for key in ("capture/churn/*", "baselines/churn/constraints.json*", "baselines/churn/statistics.json*"):
        assert key in statements
    writes = [
        s
        for s in built.json["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
        if "s3:PutObject" in s["Action"]
    ]
    assert len(writes) == 1 and "model-monitor/churn/*" in json.dumps(writes[0]["Resource"])
    assert "sagemaker-model-monitor-analyzer" in statements and "ecr:BatchGetImage" in statements


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_shows_every_endpoint_pipeline_and_feature_group(built: MonitoredPlatform) -> None:
    (dashboard,) = built.template.find_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "sagemaker-platform-test"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "churn: invocations and errors",
        "churn-queue: async backlog",
        "churn: executions",
        "customers: p99 latency (us)",
        "# sagemaker-platform: test",
        "alarm",
    ):
        assert title in body, title
    assert "churn-lean" not in body


def test_signal_enum_covers_every_threshold_field() -> None:
    from sagemaker_platform.observability import EndpointThresholds

    thresholds = EndpointThresholds()
    assert {thresholds.field_name(s) for s in EndpointSignal} == set(thresholds.__dataclass_fields__)


def test_fails_a_monitor_network_without_its_vpc(built: MonitoredPlatform) -> None:
    from dataclasses import replace

    bare = JobNetwork(subnet_ids=["subnet-0aaa1111"], security_group_ids=["sg-0aaa1111"])
    with pytest.raises(
        ValueError,
        match=r"network.vpc: got None; allowed: the subnets' VPC \(JobNetwork.from_vpc sets it\): the monitor's role "
        r"may create network interfaces in that VPC only",
    ):
        replace(built.monitor.props, network=bare)
    assert replace(built.monitor.props, network=JobNetwork.of(built.monitor.props.network)).network.vpc is not None
