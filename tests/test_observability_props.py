"""Observability without referees: metric factories, instance facts, the alarm factory, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from sagemaker_platform import (
    AccessLogsBucket,
    IsolatedNetwork,
    IsolatedNetworkProps,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.observability import (
    AlarmDefaults,
    AlarmFactory,
    DashboardEndpoint,
    DataQualityMetrics,
    DataQualityMonitor,
    DataQualityMonitorProps,
    EndpointMetrics,
    EndpointMonitoringProps,
    EndpointSignal,
    EndpointThresholds,
    JobFailureEventsProps,
    JobType,
    MonitoredVariant,
    MonitoringCadence,
    NotificationTopic,
    NotificationTopicProps,
    PipelineMetrics,
    PipelineMonitoringProps,
    PipelineThresholds,
    PlatformDashboardProps,
    Thresholds,
)
from sagemaker_platform.observability.instances import gpu_count, has_nvidia_gpu, vcpu_count
from sagemaker_platform.serving import (
    ContainerSpec,
    Endpoint,
    EndpointProps,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    VariantSpec,
)
from tests.harness import S3_PREFIX_LIST, make_app


class MiniPlatform:
    """Just enough for every props class, in one stack that is never synthesized with referees."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.keys = keys = PlatformKeys(stack, "Keys")
        self.bucket = SecureBucket(
            stack,
            "Data",
            SecureBucketProps(encryption_key=keys.data, access_logs_bucket=AccessLogsBucket(stack, "Logs").bucket),
        ).bucket
        self.network = IsolatedNetwork(
            stack,
            "Net",
            IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs, interface_endpoints=[]),
        )
        self.topic = NotificationTopic(stack, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
        self.factory = AlarmFactory(self.topic)
        image = ModelImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "inference"), "v1")
        self.model = Model(
            stack,
            "Model",
            ModelProps(
                containers=[ContainerSpec(image=image, model_data=ModelArtifact(bucket=self.bucket, key="m.tar.gz"))],
                network=self.network,
                model_key=keys.models,
            ),
        )
        self.endpoint = self.make_endpoint("Endpoint", "mini", capture=True)
        self.uncaptured = self.make_endpoint("Uncaptured", "bare", capture=False)
        self.machine = sfn.StateMachine(
            stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Start"))
        )

    def make_endpoint(self, construct_id: str, name: str, *, capture: bool) -> Endpoint:
        from sagemaker_platform.serving import DataCaptureSettings

        return Endpoint(
            self.stack,
            construct_id,
            EndpointProps(
                endpoint_name=name,
                production_variants=[VariantSpec(variant_name="v", model=self.model)],
                data_capture=DataCaptureSettings(bucket=self.bucket) if capture else None,
                alarm_topic=self.topic,
                volume_key=self.keys.models,
            ),
        )

    def monitor_props(self, **overrides: Any) -> DataQualityMonitorProps:
        values: dict[str, Any] = {
            "endpoint": self.endpoint,
            "network": self.network,
            "baseline_bucket": self.bucket,
            "constraints_key": "b/constraints.json",
            "statistics_key": "b/statistics.json",
            "output_bucket": self.bucket,
            "volume_key": self.keys.models,
            "alarms": self.factory,
            "drift_features": ["x"],
            **overrides,
        }
        return DataQualityMonitorProps(**values)

    def endpoint_props(self, **overrides: Any) -> EndpointMonitoringProps:
        values: dict[str, Any] = {
            "endpoint_name": "churn",
            "variants": [MonitoredVariant(variant_name="a", instance_type="ml.c5.xlarge")],
            "alarms": self.factory,
            **overrides,
        }
        return EndpointMonitoringProps(**values)


@pytest.fixture(scope="module")
def p() -> MiniPlatform:
    return MiniPlatform(Stack(make_app(), "Mini"))


# --- instances and metric factories ------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "vcpus", "gpus"),
    [
        ("ml.t2.medium", 2, 0),
        ("ml.m5.large", 2, 0),
        ("ml.c5.xlarge", 4, 0),
        ("ml.c5.9xlarge", 36, 0),
        ("ml.g4dn.xlarge", 4, 1),
        ("ml.g4dn.12xlarge", 48, 4),
        ("ml.g5.48xlarge", 192, 8),
        ("ml.p3.2xlarge", 8, 1),
        ("ml.p4d.24xlarge", 96, 8),
        ("ml.inf2.xlarge", 4, 0),
        ("ml.trn1.32xlarge", 128, 0),
    ],
)
def test_instance_facts(instance_type: str, vcpus: int, gpus: int) -> None:
    assert vcpu_count(instance_type) == vcpus
    assert gpu_count(instance_type) == gpus
    assert has_nvidia_gpu(instance_type) is (gpus > 0)


def test_unknown_instance_types_have_no_facts() -> None:
    assert vcpu_count("m5.large") is None and gpu_count("gpu") == 0


def _shape(metric: cw.Metric) -> tuple[str, str, str, dict[str, Any], int]:
    return (
        metric.namespace,
        metric.metric_name,
        metric.statistic,
        dict(metric.dimensions or {}),
        int(metric.period.to_seconds()),
    )


def test_endpoint_metrics_have_documented_namespaces_dimensions_and_statistics() -> None:
    m = EndpointMetrics(endpoint_name="e", variant_name="v")
    dims = {"EndpointName": "e", "VariantName": "v"}
    assert _shape(m.invocations()) == ("AWS/SageMaker", "Invocations", "Sum", dims, 60)
    assert _shape(m.model_latency()) == ("AWS/SageMaker", "ModelLatency", "p99", dims, 60)
    assert _shape(m.model_setup_time()) == ("AWS/SageMaker", "ModelSetupTime", "p99", dims, 60)
    assert _shape(m.memory_utilization()) == ("/aws/sagemaker/Endpoints", "MemoryUtilization", "Average", dims, 60)
    assert _shape(m.backlog_age()) == (
        "AWS/SageMaker",
        "ApproximateAgeOfOldestRequest",
        "Maximum",
        {"EndpointName": "e"},
        60,
    )
    assert isinstance(m.cpu_utilization(), cw.Metric)
    normalized = m.cpu_utilization(8)
    assert isinstance(normalized, cw.MathExpression) and normalized.expression == "raw / 8"


def test_pipeline_feature_group_and_data_quality_metrics(p: MiniPlatform) -> None:
    pipeline = PipelineMetrics.of(p.machine)
    assert pipeline.state_machine_arn == p.machine.state_machine_arn
    assert _shape(PipelineMetrics(state_machine_arn="arn").executions_timed_out()) == (
        "AWS/States",
        "ExecutionsTimedOut",
        "Sum",
        {"StateMachineArn": "arn"},
        300,
    )
    dq = DataQualityMetrics(endpoint_name="e", schedule_name="s", period_hours=24)
    assert _shape(dq.baseline_drift("age")) == (
        "aws/sagemaker/Endpoints/data-metrics",
        "feature_baseline_drift_age",
        "Maximum",
        {"Endpoint": "e", "MonitoringSchedule": "s"},
        86400,
    )
    assert dq.max_baseline_drift(["a", "b", "c"]).expression == "MAX([drift0, drift1, drift2])"


@pytest.mark.parametrize(
    ("cadence", "expression", "hours"),
    [
        (MonitoringCadence.hourly(), "cron(0 * ? * * *)", 1),
        (MonitoringCadence.daily(6), "cron(0 6 ? * * *)", 24),
        (MonitoringCadence.every_hours(12, starting_hour=17), "cron(0 17/12 ? * * *)", 12),
    ],
)
def test_cadences(cadence: MonitoringCadence, expression: str, hours: int) -> None:
    assert (cadence.expression, cadence.interval_hours) == (expression, hours)


# --- alarm factory --------------------------------------------------------------------------------


def test_factory_makes_one_alarm_per_tier_with_the_tier_in_id_and_description(p: MiniPlatform) -> None:
    tiered = p.factory.add(
        p.stack,
        "Probe",
        metric=cw.Metric(namespace="N", metric_name="M", period=Duration.minutes(1)),
        thresholds=Thresholds(warning=1, critical=2),
        description="probe",
    )
    assert [a.node.id for a in tiered.all] == ["ProbeWarning", "ProbeCritical"]
    only_critical = p.factory.add(
        p.stack,
        "Probe2",
        metric=cw.Metric(namespace="N", metric_name="M"),
        thresholds=Thresholds(critical=2),
        description="x",
    )
    assert only_critical.warning is None and only_critical.critical is not None


def test_rollback_plan_lists_variants_and_skips_inapplicable_signals(p: MiniPlatform) -> None:
    props = p.endpoint_props(
        variants=[
            MonitoredVariant(variant_name="a", instance_type="ml.c5.xlarge"),
            MonitoredVariant(variant_name="b", instance_type="ml.g5.xlarge"),
            MonitoredVariant(variant_name="s", serverless=True),
        ],
        rollback_signals=(EndpointSignal.INVOCATION_5XX, EndpointSignal.GPU_MEMORY),
    )
    assert props.rollback_plan() == [
        ("a", EndpointSignal.INVOCATION_5XX),
        ("b", EndpointSignal.INVOCATION_5XX),
        ("s", EndpointSignal.INVOCATION_5XX),
        ("b", EndpointSignal.GPU_MEMORY),
    ]


def test_job_definition_name_follows_its_content() -> None:
    def suffix(instance_type: str, schedule: str) -> str:
        stack = Stack(make_app(), "Names")
        mini = MiniPlatform(stack)
        props = mini.monitor_props(instance_type=instance_type, schedule_name=schedule)
        monitor = DataQualityMonitor(stack, "Monitor", props)
        name: str = stack.resolve(monitor.job_definition.job_definition_name)
        assert name.startswith(f"{schedule}-")
        return name.rsplit("-", 1)[1]

    assert suffix("ml.m5.xlarge", "a") == suffix("ml.m5.xlarge", "b")
    assert suffix("ml.m5.xlarge", "a") != suffix("ml.m5.2xlarge", "a")


# --- bad input --------------------------------------------------------------------------------------


def test_fails_defaults_datapoints_above_evaluation_periods() -> None:
    with pytest.raises(ValueError, match=r"datapoints_to_alarm: got 4; allowed: at most evaluation_periods \(3\)"):
        AlarmDefaults(datapoints_to_alarm=4)


def test_fails_defaults_alarm_name_prefix() -> None:
    with pytest.raises(ValueError, match=r"alarm_name_prefix: got 'no spaces'"):
        AlarmDefaults(alarm_name_prefix="no spaces")


def test_fails_factory_with_unencrypted_topic(p: MiniPlatform) -> None:
    with pytest.raises(
        ValueError, match=r"AlarmFactory is invalid:\n  - topic: got 'Mini/Plain'; allowed: a topic encrypted"
    ):
        AlarmFactory(sns.Topic(p.stack, "Plain"))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (Thresholds(warning=10, critical=5), r"warning: got 10; allowed: below critical \(5\)"),
        (
            Thresholds(warning=1, critical=5, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD),
            r"warning: got 1; allowed: above critical \(5\)",
        ),
        (
            Thresholds(critical=5, evaluation_periods=1),
            r"datapoints_to_alarm: got 2; allowed: at most evaluation_periods \(1\)",
        ),
        (Thresholds(), r"warning/critical: got None; allowed: at least one threshold"),
        (Thresholds(critical=5, evaluation_periods=0), r"evaluation_periods: got 0; allowed: an integer >= 1"),
    ],
)
def test_fails_thresholds_naming_the_alarm(p: MiniPlatform, thresholds: Thresholds, message: str) -> None:
    with pytest.raises(ValueError, match=r"Thresholds of alarm 'churn-a-latency' is invalid:\n  - " + message):
        p.factory.add(
            p.stack,
            "Bad",
            metric=cw.Metric(namespace="N", metric_name="M"),
            thresholds=thresholds,
            description="bad",
            name="churn-a-latency",
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"endpoint_name": "bad_name"}, r"endpoint_name: got 'bad_name'; allowed: 1-63 letters"),
        ({"variants": []}, r"variants: got 0; allowed: 1 to 10 production variants"),
        (
            {"variants": [MonitoredVariant(variant_name=f"v{i}") for i in range(11)]},
            r"variants: got 11; allowed: 1 to 10",
        ),
        (
            {"variants": [MonitoredVariant(variant_name="a"), MonitoredVariant(variant_name="a")]},
            r"variants\[\*\].variant_name: got \['a'\]; allowed: unique names",
        ),
        (
            {"variants": [MonitoredVariant(variant_name="a", instance_type="m5.large")]},
            r"variants\[0\].instance_type: got 'm5.large'; allowed: a hosting instance type",
        ),
        (
            {"variants": [MonitoredVariant(variant_name="s", serverless=True, instance_type="ml.m5.large")]},
            r"variants\[0\].instance_type/vcpus/gpus: got \['ml.m5.large', None, None\]; allowed: None for a serverless",
        ),
        (
            {"variants": [MonitoredVariant(variant_name="a", instance_type="ml.c5.xlarge", gpus=2)]},
            r"variants\[0\].gpus: got 2; allowed: 0 or None on ml.c5.xlarge",
        ),
        (
            {"variants": [MonitoredVariant(variant_name="a", vcpus=0)]},
            r"variants\[0\].vcpus: got 0; allowed: an integer >= 1",
        ),
        (
            {
                "asynchronous": True,
                "variants": [MonitoredVariant(variant_name="a"), MonitoredVariant(variant_name="b")],
            },
            r"asynchronous: got True; allowed: one instance-based variant",
        ),
        (
            {"rollback_signals": (EndpointSignal.GPU,)},
            r"rollback_signals: got 'GPU'; allowed: signals with a critical threshold \(thresholds.gpu_percent has none\)",
        ),
        (
            {"variants": [MonitoredVariant(variant_name=f"v{i}") for i in range(6)]},
            r"rollback_signals: got '12 alarms'; allowed: at most 10 rollback alarms",
        ),
        (
            {"thresholds": EndpointThresholds(cpu_percent=Thresholds(warning=99, critical=90))},
            r"thresholds.cpu_percent.warning: got 99; allowed: below critical \(90\)",
        ),
    ],
)
def test_fails_endpoint_monitoring(p: MiniPlatform, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r"EndpointMonitoringProps is invalid:(\n  - .*)*\n  - " + message):
        p.endpoint_props(**overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pipeline_name": "has space"}, r"pipeline_name: got 'has space'"),
        (
            {"thresholds": PipelineThresholds(failed=Thresholds(critical=1, datapoints_to_alarm=5))},
            r"thresholds.failed.datapoints_to_alarm: got 5; allowed: at most evaluation_periods \(3\)",
        ),
    ],
)
def test_fails_pipeline_monitoring(p: MiniPlatform, overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"state_machine": p.machine, "pipeline_name": "churn", "alarms": p.factory, **overrides}
    with pytest.raises(ValueError, match=r"PipelineMonitoringProps is invalid:\n  - " + message):
        PipelineMonitoringProps(**values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"job_name_prefixes": []}, r"job_name_prefixes: got \[\]; allowed: at least one job name prefix"),
        ({"job_name_prefixes": ["churn_v2"]}, r"job_name_prefixes\[0\]: got 'churn_v2'; allowed: 1-20 letters"),
        ({"job_name_prefixes": ["a" * 21]}, r"job_name_prefixes\[0\]: got 'a{21}'"),
        ({"job_name_prefixes": ["-churn"]}, r"job_name_prefixes\[0\]: got '-churn'"),
        (
            {"job_name_prefixes": ["churn", "churn"]},
            r"job_name_prefixes: got \['churn', 'churn'\]; allowed: each prefix once",
        ),
        ({"job_types": []}, r"job_types: got \[\]; allowed: at least one JobType"),
        ({"job_types": [JobType.TRAINING, JobType.TRAINING]}, r"job_types: got \['TRAINING', 'TRAINING'\]"),
        ({"statuses": ["Failing"]}, r"statuses: got 'Failing'; allowed: one of 'Failed', 'Stopped', 'Completed'"),
    ],
)
def test_fails_job_failure_events(p: MiniPlatform, overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"topic": p.topic, "job_name_prefixes": ["churn"], **overrides}
    with pytest.raises(ValueError, match=r"JobFailureEventsProps is invalid:\n  - " + message):
        JobFailureEventsProps(**values)


def test_fails_job_failure_events_on_an_unencrypted_topic(p: MiniPlatform) -> None:
    with pytest.raises(ValueError, match=r"topic: got 'Mini/Unencrypted'; allowed: a topic encrypted"):
        JobFailureEventsProps(topic=sns.Topic(p.stack, "Unencrypted"), job_name_prefixes=["churn"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"endpoint": "uncaptured"},
            r"endpoint: got 'Mini/Uncaptured'; allowed: an Endpoint of this app whose data_capture",
        ),
        ({"constraints_key": "/b/constraints.json"}, r"constraints_key: got '/b/constraints.json'; allowed: an S3 key"),
        ({"statistics_key": "b/statistics.csv"}, r"statistics_key: got 'b/statistics.csv'"),
        ({"output_prefix": "reports"}, r"output_prefix: got 'reports'; allowed: a key prefix ending with '/'"),
        ({"drift_features": []}, r"drift_features: got 0; allowed: 1 to 10"),
        ({"drift_features": [f"f{i}" for i in range(11)]}, r"drift_features: got 11; allowed: 1 to 10"),
        ({"drift_features": ["bad feature"]}, r"drift_features\[0\]: got 'bad feature'"),
        ({"max_runtime_s": 3601}, r"max_runtime_s: got 3601; allowed: an integer from 1 to 3600"),
        ({"instance_type": "xlarge"}, r"instance_type: got 'xlarge'"),
        ({"schedule_name": "bad_schedule"}, r"schedule_name: got 'bad_schedule'"),
        (
            {"drift_thresholds": Thresholds(warning=0.2, critical=0.1)},
            r"drift_thresholds.warning: got 0.2; allowed: below critical \(0.1\)",
        ),
    ],
)
def test_fails_data_quality_monitor(p: MiniPlatform, overrides: dict[str, Any], message: str) -> None:
    if overrides.get("endpoint") == "uncaptured":
        overrides = {**overrides, "endpoint": p.uncaptured}
    with pytest.raises(ValueError, match=r"DataQualityMonitorProps is invalid:(\n  - .*)*\n  - " + message):
        p.monitor_props(**overrides)


def test_fails_data_quality_runtime_follows_the_cadence(p: MiniPlatform) -> None:
    p.monitor_props(cadence=MonitoringCadence.daily(3), max_runtime_s=7200)
    with pytest.raises(ValueError, match=r"max_runtime_s: got 7201; allowed: an integer from 1 to 7200"):
        p.monitor_props(cadence=MonitoringCadence.every_hours(2), max_runtime_s=7201)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MonitoringCadence.daily(24), r"MonitoringCadence.daily is invalid:\n  - hour: got 24"),
        (lambda: MonitoringCadence.every_hours(0), r"hours: got 0; allowed: an integer from 1 to 24"),
        (lambda: MonitoringCadence.every_hours(6, starting_hour=-1), r"starting_hour: got -1"),
    ],
)
def test_fails_cadence(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stage_name": "pro d"}, r"stage_name: got 'pro d'"),
        ({"endpoints": []}, r"endpoints/pipelines/feature_groups: got 'nothing'; allowed: at least one"),
        (
            {"endpoints": [DashboardEndpoint(endpoint_name="e", variant_names=["v"])] * 2},
            r"endpoints: got \['e', 'e'\]; allowed: each endpoint once",
        ),
        (
            {"endpoints": [DashboardEndpoint(endpoint_name="e", variant_names=[])]},
            r"endpoints\[0\].variant_names: got \[\]",
        ),
        ({"feature_groups": ["bad group"]}, r"feature_groups\[0\]: got 'bad group'"),
        (
            {"feature_groups": [f"g{i}" for i in range(200)]},
            r"endpoints/pipelines/feature_groups: got '604 widgets'; allowed: at most 500 widgets",
        ),
    ],
)
def test_fails_dashboard(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {
        "stage_name": "prod",
        "endpoints": [DashboardEndpoint(endpoint_name="e", variant_names=["v"])],
        **overrides,
    }
    with pytest.raises(ValueError, match=r"PlatformDashboardProps is invalid:(\n  - .*)*\n  - " + message):
        PlatformDashboardProps(**values)


def test_a_plain_encrypted_topic_gets_the_publisher_statements_once() -> None:
    from aws_cdk.assertions import Template

    from sagemaker_platform.observability import JobFailureEvents

    stack = Stack(make_app(), "Plain")
    topic = sns.Topic(stack, "Topic", master_key=PlatformKeys(stack, "Keys").notifications, enforce_ssl=True)
    factory = AlarmFactory(topic)
    for i in range(2):
        factory.add(
            stack,
            f"A{i}",
            metric=cw.Metric(namespace="N", metric_name="M"),
            thresholds=Thresholds(critical=1),
            description="x",
        )
    JobFailureEvents(stack, "Events", JobFailureEventsProps(topic=topic, job_name_prefixes=["churn-"]))
    (policy,) = Template.from_stack(stack).find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    services = sorted(s["Principal"]["Service"] for s in statements if s["Effect"] == "Allow")
    assert services == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert all("ArnLike" in s["Condition"] for s in statements if s["Effect"] == "Allow")
