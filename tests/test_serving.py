"""Serving: models, endpoint configs, endpoints, guardrails, autoscaling, metrics — and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_platform import (
    AccessLogsBucket,
    IsolatedNetwork,
    IsolatedNetworkProps,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
)
from sagemaker_platform.observability import NotificationTopic, NotificationTopicProps
from sagemaker_platform.serving import (
    AlarmSettings,
    AsyncInferenceSettings,
    BlueGreenDeployment,
    ContainerSpec,
    DataCaptureSettings,
    Endpoint,
    EndpointProps,
    InferenceMode,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    RollingDeployment,
    ServerlessSettings,
    TrafficShift,
    VariantSpec,
    has_instance_storage,
    is_burstable,
)
from tests.harness import S3_PREFIX_LIST, make_app


class Platform:
    """The pieces a serving stack takes from the foundation."""

    def __init__(self) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Serving")
        self.keys = PlatformKeys(self.stack, "Keys")
        logs = AccessLogsBucket(self.stack, "AccessLogs")
        self.bucket = SecureBucket(
            self.stack, "Data", SecureBucketProps(encryption_key=self.keys.data, access_logs_bucket=logs.bucket)
        ).bucket
        self.network = IsolatedNetwork(
            self.stack,
            "Network",
            IsolatedNetworkProps(
                s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=self.keys.logs, interface_endpoints=["sts"]
            ),
        )
        self.topic = NotificationTopic(
            self.stack, "Alerts", NotificationTopicProps(encryption_key=self.keys.notifications)
        ).topic
        self.repo = ecr.Repository.from_repository_name(self.stack, "Repo", "inference")
        self.image = ModelImage.from_ecr_repository(self.repo, "sha256:" + "a" * 64)

    def model(self, name: str, **kwargs: Any) -> Model:
        containers = kwargs.pop("containers", None) or [
            ContainerSpec(
                image=self.image, model_data=ModelArtifact(bucket=self.bucket, key=f"models/{name}/model.tar.gz")
            )
        ]
        network = None if kwargs.get("serverless") else self.network
        return Model(
            self.stack,
            name,
            ModelProps(containers=containers, network=network, model_key=self.keys.models, **kwargs),
        )

    def common(self) -> dict[str, Any]:
        return {"alarm_topic": self.topic, "volume_key": self.keys.models}


@pytest.fixture(scope="module")
def p() -> Platform:
    return Platform()


@pytest.fixture(scope="module")
def built(p: Platform) -> Template:
    a, b = p.model("A"), p.model("B")
    ab = Endpoint(
        p.stack,
        "Ab",
        EndpointProps(
            production_variants=[
                VariantSpec(
                    variant_name="a",
                    model=a,
                    initial_weight=90,
                    initial_instance_count=2,
                    volume_size_gb=30,
                    container_startup_health_check_timeout_s=600,
                ),
                VariantSpec(variant_name="b", model=b, initial_weight=10),
            ],
            deployment=BlueGreenDeployment(shift=TrafficShift.LINEAR, step_percent=25),
            **p.common(),
        ),
    )
    scaling = ab.scale_variant("a", min_capacity=2, max_capacity=6)
    scaling.scale_on_invocations(800)
    scaling.scale_on_cpu(70)
    scaling.scale_on_schedule("Night", appscaling.Schedule.cron(hour="22", minute="0"), max_capacity=2)
    scaling.scale_on_metric(
        "Latency",
        ab.metric_model_latency("a"),
        [appscaling.ScalingInterval(upper=100_000, change=0), appscaling.ScalingInterval(lower=500_000, change=1)],
    )
    Endpoint(
        p.stack,
        "Shadow",
        EndpointProps(
            production_variants=[VariantSpec(variant_name="live", model=a)],
            shadow_variants=[VariantSpec(variant_name="shadow", model=b, initial_weight=0.5)],
            data_capture=DataCaptureSettings(bucket=p.bucket, sampling_percentage=20, capture_output=False),
            deployment=RollingDeployment(max_batch_size=1, rollback_batch_size=2),
            **p.common(),
        ),
    )
    async_ep = Endpoint(
        p.stack,
        "Async",
        EndpointProps(
            production_variants=[VariantSpec(variant_name="q", model=a)],
            async_inference=AsyncInferenceSettings(
                output_bucket=p.bucket,
                success_topic=p.topic,
                error_topic=p.topic,
                max_concurrent_invocations_per_instance=3,
            ),
            deployment=None,
            **p.common(),
        ),
    )
    async_ep.scale_async_to_zero(max_capacity=3)
    serverless = Endpoint(
        p.stack,
        "Serverless",
        EndpointProps(
            production_variants=[
                VariantSpec(
                    variant_name="s",
                    model=p.model("Lean", serverless=True),
                    serverless=ServerlessSettings(memory_size_mb=3072, max_concurrency=20, provisioned_concurrency=2),
                )
            ],
            deployment=None,
            rollback_5xx=None,
            rollback_latency_us=None,
            **p.common(),
        ),
    )
    serverless.scale_variant("s", min_capacity=1, max_capacity=10).scale_on_invocations(50)
    Endpoint(
        p.stack,
        "Nvme",
        EndpointProps(
            production_variants=[VariantSpec(variant_name="n", model=a, instance_type="ml.c5d.xlarge")], **p.common()
        ),
    )
    p.model(
        "Pipeline",
        containers=[ContainerSpec(image=p.image, hostname="pre"), ContainerSpec(image=p.image, hostname="xgb")],
        inference_mode=InferenceMode.DIRECT,
    )
    p.model(
        "Multi",
        containers=[
            ContainerSpec(image=p.image, multi_model=True, model_data=ModelArtifact(bucket=p.bucket, key="mme/"))
        ],
    )
    invoker = iam.Role(p.stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    ab.grant_invoke(invoker)
    async_ep.grant_invoke(invoker)
    return Template.from_stack(p.stack)


def _endpoint(t: Template, prefix: str) -> dict[str, Any]:
    found = {k: v for k, v in t.find_resources("AWS::SageMaker::Endpoint").items() if k.startswith(prefix)}
    (resource,) = found.values()
    return resource


def _config(t: Template, prefix: str) -> dict[str, Any]:
    found = {k: v for k, v in t.find_resources("AWS::SageMaker::EndpointConfig").items() if k.startswith(prefix)}
    (resource,) = found.values()
    props: dict[str, Any] = resource["Properties"]
    return props


# --- models -------------------------------------------------------------------------------------


def test_models_are_network_isolated_in_the_vpc_with_their_own_role(built: Template) -> None:
    models = built.find_resources("AWS::SageMaker::Model")
    # Every model but the serverless one (Serverless Inference refuses VPC configuration and isolation).
    instance_backed = {k: v["Properties"] for k, v in models.items() if not k.startswith("Lean")}
    assert len(instance_backed) == len(models) - 1 >= 4
    for name, cfn in instance_backed.items():
        assert cfn["EnableNetworkIsolation"] is True, name
        (group,) = cfn["VpcConfig"]["SecurityGroupIds"]
        assert group["Fn::GetAtt"][0].startswith("NetworkJobsSecurityGroup") and cfn["VpcConfig"]["Subnets"], name
        assert "Role" in cfn["ExecutionRoleArn"]["Fn::GetAtt"][0], name
    (lean,) = (v["Properties"] for k, v in models.items() if k.startswith("Lean"))
    assert lean["EnableNetworkIsolation"] is False and "VpcConfig" not in lean


def test_single_container_model_uses_the_digest_and_artifact(built: Template) -> None:
    built.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": Match.object_like(
                {
                    "Image": Match.object_like(
                        {"Fn::Join": ["", Match.array_with([Match.string_like_regexp("@sha256:a{64}")])]}
                    ),
                    "Mode": "SingleModel",
                    "ModelDataUrl": Match.object_like(
                        {"Fn::Join": Match.array_with([Match.array_with(["/models/A/model.tar.gz"])])}
                    ),
                }
            )
        },
    )


def test_multi_container_and_multi_model(built: Template) -> None:
    built.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "Containers": [
                Match.object_like({"ContainerHostname": "pre"}),
                Match.object_like({"ContainerHostname": "xgb"}),
            ],
            "InferenceExecutionConfig": {"Mode": "Direct"},
        },
    )
    built.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": Match.object_like(
                {"Mode": "MultiModel", "MultiModelConfig": {"ModelCacheSetting": "Enabled"}}
            )
        },
    )


def test_model_role_reads_only_its_artifact_prefix_and_pulls_only_its_repo(built: Template) -> None:
    policies = built.find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = [v for k, v in policies.items() if k.startswith("BRolePolicy")]
    text = str(policy["Properties"]["PolicyDocument"])
    assert "/models/B/*" in text and "/models/A/" not in text
    assert "repository/inference" in text and "ecr:BatchGetImage" in text


def test_network_isolation_off_warns(p: Platform) -> None:
    p2 = Platform()
    p2.model("Open", network_isolation=False)
    Annotations.from_stack(p2.stack).has_warning(
        "/Serving/Open", Match.string_like_regexp("network_isolation is False")
    )


# --- endpoint configs ---------------------------------------------------------------------------


def test_production_variants_weights_instances_timeouts_and_volume_key(built: Template) -> None:
    config = _config(built, "AbConfig")
    assert config["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysModelsKey")
    a, b = config["ProductionVariants"]
    assert (a["VariantName"], a["InitialVariantWeight"], a["InitialInstanceCount"], a["InstanceType"]) == (
        "a",
        90,
        2,
        "ml.m5.large",
    )
    assert (a["VolumeSizeInGB"], a["ContainerStartupHealthCheckTimeoutInSeconds"]) == (30, 600)
    assert (b["InitialVariantWeight"], b["InitialInstanceCount"]) == (10, 1)
    assert "EndpointConfigName" not in config, "config names are generated so every change deploys as a new config"


def test_shadow_variant_and_data_capture(built: Template) -> None:
    config = _config(built, "ShadowConfig")
    assert [v["VariantName"] for v in config["ShadowProductionVariants"]] == ["shadow"]
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 20
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}]
    assert capture["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysDataKey")
    assert capture["CaptureContentTypeHeader"] == {
        "CsvContentTypes": ["text/csv"],
        "JsonContentTypes": ["application/json"],
    }


def test_async_config_outputs_failures_topics_and_key(built: Template) -> None:
    config = _config(built, "AsyncConfig")["AsyncInferenceConfig"]
    out = config["OutputConfig"]
    assert out["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysDataKey")
    assert "/async/output" in str(out["S3OutputPath"]) and "/async/failures" in str(out["S3FailurePath"])
    assert set(out["NotificationConfig"]) == {"SuccessTopic", "ErrorTopic"}
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 3}


def test_serverless_variant_has_no_instances_and_no_volume_key(built: Template) -> None:
    config = _config(built, "ServerlessConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 3072, "MaxConcurrency": 20, "ProvisionedConcurrency": 2}
    assert "InstanceType" not in variant and "KmsKeyId" not in config


def test_nvme_instance_types_skip_the_volume_key_with_a_warning(p: Platform, built: Template) -> None:
    assert "KmsKeyId" not in _config(built, "NvmeConfig")
    Annotations.from_stack(p.stack).has_warning("/Serving/Nvme", Match.string_like_regexp("NVMe instance storage"))


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("ml.c5d.xlarge", True),
        ("ml.g4dn.xlarge", True),
        ("ml.g5.2xlarge", True),
        ("ml.m6id.large", True),
        ("ml.p4d.24xlarge", True),
        ("ml.m5.large", False),
        ("ml.c5n.xlarge", False),
        ("ml.inf1.xlarge", False),
    ],
)
def test_instance_storage_detection(instance_type: str, expected: bool) -> None:
    assert has_instance_storage(instance_type) is expected


def test_burstable_detection() -> None:
    assert is_burstable("ml.t2.medium") and is_burstable("ml.t3.large") and not is_burstable("ml.m5.large")


# --- endpoints and guardrails -------------------------------------------------------------------


def test_blue_green_with_auto_rollback_on_default_alarms(built: Template) -> None:
    endpoint = _endpoint(built, "Ab")["Properties"]
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "LINEAR",
        "WaitIntervalInSeconds": 300,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
    }
    assert (policy["TerminationWaitInSeconds"], policy["MaximumExecutionTimeoutInSeconds"]) == (600, 3600)
    alarms = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert len(alarms) == 4  # 5xx and latency for each of the two production variants
    assert endpoint["RetainAllVariantProperties"] is True, "autoscaling owns the instance counts"
    # ...but not the weights: a weight changed in code must reach the endpoint on the next deploy.
    assert endpoint["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]
    assert endpoint["EndpointName"] == endpoint["EndpointName"].strip() and len(endpoint["EndpointName"]) <= 63


def test_rollback_alarms_watch_the_variant_and_notify(built: Template) -> None:
    built.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Invocation5XXErrors",
            "Namespace": "AWS/SageMaker",
            "Statistic": "Sum",
            "Threshold": 5,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
            "Dimensions": Match.array_with([{"Name": "VariantName", "Value": "a"}]),
            "AlarmActions": [{"Ref": Match.string_like_regexp("Alerts")}],
            "OKActions": [{"Ref": Match.string_like_regexp("Alerts")}],
        },
    )
    built.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ModelLatency", "ExtendedStatistic": "p99", "Threshold": 1_000_000}
    )
    for alarm in built.find_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"].get("AlarmActions"), "every alarm needs an action (HIPAA/NIST)"


def test_rolling_update_policy(built: Template) -> None:
    policy = _endpoint(built, "Shadow")["Properties"]["DeploymentConfig"]["RollingUpdatePolicy"]
    assert policy["MaximumBatchSize"] == {"Type": "INSTANCE_COUNT", "Value": 1}
    assert policy["RollbackMaximumBatchSize"] == {"Type": "INSTANCE_COUNT", "Value": 2}
    assert "RetainAllVariantProperties" not in _endpoint(built, "Shadow")["Properties"]


def test_grant_invoke_covers_async_only_where_async(built: Template) -> None:
    built.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sagemaker:InvokeEndpoint",
                                "Resource": {"Ref": Match.string_like_regexp("AbEndpoint|Ab")},
                            }
                        ),
                        Match.object_like({"Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"]}),
                    ]
                )
            }
        },
    )


def test_async_model_role_can_write_results_and_publish(built: Template) -> None:
    (policy,) = [v for k, v in built.find_resources("AWS::IAM::ManagedPolicy").items() if k.startswith("ARolePolicy")]
    text = str(policy["Properties"]["PolicyDocument"])
    assert "/async/output/*" in text and "/async/failures/*" in text and "sns:Publish" in text
    assert "/data-capture/*" in text  # the shadow endpoint's capture prefix is written by the same role


# --- autoscaling --------------------------------------------------------------------------------


def test_variant_autoscaling_target_and_policies(built: Template) -> None:
    built.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ServiceNamespace": "sagemaker",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 2,
            "MaxCapacity": 6,
            "ResourceId": Match.string_like_regexp("^endpoint/Serving-Ab-[0-9A-F]{8}/variant/a$"),
            "ScheduledActions": [
                Match.object_like({"Schedule": "cron(0 22 * * ? *)", "ScalableTargetAction": {"MaxCapacity": 2}})
            ],
        },
    )
    built.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 800,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                }
            )
        },
    )
    built.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 70,
                    "CustomizedMetricSpecification": Match.object_like(
                        {"MetricName": "CPUUtilization", "Namespace": "/aws/sagemaker/Endpoints"}
                    ),
                }
            )
        },
    )


def test_async_scales_to_zero_and_wakes_up_on_backlog(built: Template) -> None:
    built.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 0, "MaxCapacity": 3})
    built.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "CustomizedMetricSpecification": Match.object_like(
                        {
                            "MetricName": "ApproximateBacklogSizePerInstance",
                            "Dimensions": [Match.object_like({"Name": "EndpointName"})],
                        }
                    )
                }
            )
        },
    )
    built.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "HasBacklogWithoutCapacity"})


def test_serverless_provisioned_concurrency_scaling(built: Template) -> None:
    built.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency", "MinCapacity": 1, "MaxCapacity": 10},
    )


def test_metrics_have_documented_namespaces_and_dimensions(p: Platform) -> None:
    ep = Endpoint.from_endpoint_name(p.stack, "Imported", "My-Endpoint")
    assert "endpoint/my-endpoint" in p.stack.resolve(ep.endpoint_arn)["Fn::Join"][1][-1]
    m = ep.metric("MemoryUtilization", "v1")
    assert (m.namespace, m.statistic, m.dimensions) == (
        "/aws/sagemaker/Endpoints",
        "Average",
        {"EndpointName": "My-Endpoint", "VariantName": "v1"},
    )


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant_name": "bad_name"}, r"variant_name: got 'bad_name'; allowed: 1-63 letters"),
        ({"variant_name": "x" * 64}, r"variant_name: got 'x{64}'"),
        ({"initial_weight": -1}, r"initial_weight: got -1; allowed: a finite number >= 0"),
        (
            {"instance_type": "m5.large"},
            r"instance_type: got 'm5.large'; allowed: a hosting instance type \(did you mean 'ml.m5.large'\?\)",
        ),
        ({"instance_type": "ml.m5.huge"}, r"instance_type: got 'ml.m5.huge'"),
        ({"initial_instance_count": 0}, r"initial_instance_count: got 0; allowed: an integer >= 1"),
        ({"volume_size_gb": 513}, r"volume_size_gb: got 513; allowed: an integer from 1 to 512"),
        (
            {"container_startup_health_check_timeout_s": 30},
            r"container_startup_health_check_timeout_s: got 30; allowed: an integer from 60 to 3600",
        ),
        ({"model_data_download_timeout_s": 4000}, r"model_data_download_timeout_s: got 4000"),
        (
            {"serverless": ServerlessSettings(), "instance_type": "ml.m5.large"},
            r"instance_type: got 'ml.m5.large'; allowed: None with serverless",
        ),
        (
            {"serverless": ServerlessSettings(), "initial_instance_count": 2},
            r"initial_instance_count: got 2; allowed: None with serverless",
        ),
    ],
    ids=[
        "name-underscore",
        "name-too-long",
        "negative-weight",
        "instance-without-ml",
        "instance-bad-size",
        "zero-instances",
        "volume-too-big",
        "startup-timeout-too-short",
        "download-timeout-too-long",
        "serverless-with-instance-type",
        "serverless-with-instance-count",
    ],
)
def test_fails_variant(p: Platform, kwargs: dict[str, Any], message: str) -> None:
    model = p.model(f"V{abs(hash(message)) % 10**8}")
    with pytest.raises(ValueError, match=message):
        VariantSpec(**{"variant_name": "v", "model": model, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"memory_size_mb": 1500}, r"memory_size_mb: got 1500; allowed: one of 1024, 2048"),
        ({"memory_size_mb": 8192}, r"memory_size_mb: got 8192"),
        ({"max_concurrency": 0}, r"max_concurrency: got 0; allowed: an integer from 1 to 200"),
        (
            {"max_concurrency": 5, "provisioned_concurrency": 6},
            r"provisioned_concurrency: got 6; allowed: an integer from 1 to 5",
        ),
    ],
    ids=["memory-not-step", "memory-too-big", "zero-concurrency", "provisioned-above-max"],
)
def test_fails_serverless(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServerlessSettings(**kwargs)


def test_fails_too_many_production_variants(p: Platform) -> None:
    model = p.model("Many")
    variants = [VariantSpec(variant_name=f"v{i}", model=model) for i in range(11)]
    with pytest.raises(ValueError, match=r"production_variants: got 11; allowed: 1 to 10 variants"):
        EndpointProps(production_variants=variants, **p.common())


def test_fails_no_production_variants(p: Platform) -> None:
    with pytest.raises(ValueError, match=r"production_variants: got 0; allowed: 1 to 10 variants"):
        EndpointProps(production_variants=[], **p.common())


def test_fails_duplicate_variant_names(p: Platform) -> None:
    model = p.model("Dup")
    with pytest.raises(ValueError, match=r"variant_name: got \['live'\]; allowed: names unique"):
        EndpointProps(
            production_variants=[VariantSpec(variant_name="live", model=model)],
            shadow_variants=[VariantSpec(variant_name="live", model=model)],
            **p.common(),
        )


def test_variant_names_differing_in_case_are_distinct_and_legal(p: Platform) -> None:
    # SageMaker variant names are case-sensitive: 'A' and 'a' are two variants.
    model = p.model("Case")
    props = EndpointProps(
        production_variants=[VariantSpec(variant_name="A", model=model), VariantSpec(variant_name="a", model=model)],
        **p.common(),
    )
    assert [v.variant_name for v in props.production_variants] == ["A", "a"]


def test_fails_all_weights_zero(p: Platform) -> None:
    model = p.model("Zero")
    with pytest.raises(ValueError, match=r"initial_weight: got \[0, 0\]; allowed: weights >= 0, at least one > 0"):
        EndpointProps(
            production_variants=[
                VariantSpec(variant_name="a", model=model, initial_weight=0),
                VariantSpec(variant_name="b", model=model, initial_weight=0),
            ],
            **p.common(),
        )


def test_fails_shadow_with_two_production_variants(p: Platform) -> None:
    model = p.model("Sh")
    with pytest.raises(ValueError, match=r"exactly one production variant when a shadow variant is used"):
        EndpointProps(
            production_variants=[
                VariantSpec(variant_name="a", model=model),
                VariantSpec(variant_name="b", model=model),
            ],
            shadow_variants=[VariantSpec(variant_name="s", model=model)],
            **p.common(),
        )


def test_fails_async_with_serverless(p: Platform) -> None:
    model = p.model("AsyncSl", serverless=True)
    with pytest.raises(ValueError, match=r"async_inference: got \['s'\]; allowed: no serverless variants"):
        EndpointProps(
            production_variants=[VariantSpec(variant_name="s", model=model, serverless=ServerlessSettings())],
            async_inference=AsyncInferenceSettings(output_bucket=p.bucket),
            deployment=None,
            **p.common(),
        )


def test_fails_deployment_guardrails_on_serverless(p: Platform) -> None:
    model = p.model("SlDeploy", serverless=True)
    with pytest.raises(ValueError, match=r"deployment: got 'BlueGreenDeployment'; allowed: None for serverless"):
        EndpointProps(
            production_variants=[VariantSpec(variant_name="s", model=model, serverless=ServerlessSettings())],
            **p.common(),
        )


def test_fails_more_than_ten_rollback_alarms(p: Platform) -> None:
    model = p.model("Alarmy")
    variants = [VariantSpec(variant_name=f"v{i}", model=model) for i in range(6)]
    with pytest.raises(ValueError, match=r"rollback alarms: got 12; allowed: at most 10"):
        EndpointProps(production_variants=variants, **p.common())


def test_fails_capture_bucket_without_kms(p: Platform) -> None:
    from aws_cdk import aws_s3 as s3

    plain = s3.Bucket.from_bucket_name(p.stack, "Plain", "plain-bucket")
    model = p.model("Cap")
    with pytest.raises(
        ValueError, match=r"data_capture.bucket: got .*; allowed: a bucket encrypted with a customer-managed KMS key"
    ):
        EndpointProps(
            production_variants=[VariantSpec(variant_name="a", model=model)],
            data_capture=DataCaptureSettings(bucket=plain),
            **p.common(),
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sampling_percentage": 101}, r"sampling_percentage: got 101; allowed: an integer from 0 to 100"),
        ({"capture_input": False, "capture_output": False}, r"capture at least one of input and output"),
        ({"csv_content_types": ["text/csv"] * 11}, r"csv_content_types: .*; allowed: at most 10 content types"),
    ],
    ids=["sampling-over-100", "capture-nothing", "too-many-content-types"],
)
def test_fails_data_capture(p: Platform, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataCaptureSettings(bucket=p.bucket, **kwargs)


def test_fails_async_settings(p: Platform) -> None:
    with pytest.raises(
        ValueError, match=r"max_concurrent_invocations_per_instance: got 0.*\n.*output_prefix: got 'out'"
    ):
        AsyncInferenceSettings(output_bucket=p.bucket, max_concurrent_invocations_per_instance=0, output_prefix="out")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: BlueGreenDeployment(shift=TrafficShift.CANARY, step_percent=100),
            r"step_percent: got 100; allowed: an integer from 1 to 99",
        ),
        (
            lambda: BlueGreenDeployment(shift=TrafficShift.LINEAR, step_percent=0),
            r"step_percent: got 0; allowed: an integer from 1 to 100",
        ),
        (lambda: BlueGreenDeployment(wait_interval_s=3601), r"wait_interval_s: got 3601"),
        (
            lambda: BlueGreenDeployment(max_execution_timeout_s=300),
            r"max_execution_timeout_s: got 300; allowed: an integer from 600 to 28800",
        ),
        (lambda: RollingDeployment(max_batch_size=0), r"max_batch_size: got 0"),
        (
            lambda: RollingDeployment(max_batch_size=150, as_percent=True),
            r"max_batch_size: got 150; allowed: an integer from 1 to 100",
        ),
    ],
    ids=["canary-100", "linear-0", "wait-too-long", "timeout-too-short", "batch-zero", "batch-percent-over-100"],
)
def test_fails_deployment(factory: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_fails_alarm_datapoints_above_evaluation_periods_naming_the_alarm(p: Platform) -> None:
    model = p.model("AlarmBad")
    props = EndpointProps(
        production_variants=[VariantSpec(variant_name="a", model=model)],
        rollback_5xx=AlarmSettings(threshold=1, evaluation_periods=2, datapoints_to_alarm=3),
        **p.common(),
    )
    with pytest.raises(
        ValueError,
        match=r"alarm 'a5xxAlarm'.*\n  - datapoints_to_alarm: got 3; allowed: at most evaluation_periods \(2\)",
    ):
        Endpoint(p.stack, "AlarmBadEndpoint", props)


def test_fails_autoscaling_burstable_and_bounds(p: Platform) -> None:
    model = p.model("Burst")
    ep = Endpoint(
        p.stack,
        "BurstEndpoint",
        EndpointProps(
            production_variants=[
                VariantSpec(variant_name="t", model=model, instance_type="ml.t2.medium", initial_instance_count=3)
            ],
            **p.common(),
        ),
    )
    with pytest.raises(ValueError, match=r"instance_type: got 'ml.t2.medium'; allowed: a non-burstable type"):
        ep.scale_variant("t", min_capacity=1, max_capacity=4)
    with pytest.raises(ValueError, match=r"min <= desired <= max"):
        ep.scale_variant("t", min_capacity=4, max_capacity=5)
    with pytest.raises(ValueError, match=r"variant_name: got 'missing'; allowed: one of \['t'\]"):
        ep.scale_variant("missing", min_capacity=1, max_capacity=2)


def test_fails_scale_to_zero_on_a_real_time_endpoint(p: Platform) -> None:
    model = p.model("Rt")
    ep = Endpoint(
        p.stack,
        "RtEndpoint",
        EndpointProps(production_variants=[VariantSpec(variant_name="a", model=model)], **p.common()),
    )
    with pytest.raises(ValueError, match=r"async_inference: got None; allowed: an async endpoint"):
        ep.scale_async_to_zero(max_capacity=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"containers": []}, r"containers: got 0; allowed: 1 to 15 containers"),
        ({"containers": "16"}, r"containers: got 16; allowed: 1 to 15 containers"),
        ({"model_name": "my_model"}, r"model_name: got 'my_model'"),
        (
            {"inference_mode": InferenceMode.DIRECT, "containers": "2-no-hostnames"},
            r"containers\[\*\].hostname: got \[None, None\]",
        ),
    ],
    ids=["no-containers", "too-many-containers", "bad-model-name", "direct-without-hostnames"],
)
def test_fails_model(p: Platform, kwargs: dict[str, Any], message: str) -> None:
    spec = ContainerSpec(image=p.image)
    if kwargs.get("containers") == "16":
        kwargs["containers"] = [spec] * 16
    elif kwargs.get("containers") == "2-no-hostnames":
        kwargs["containers"] = [spec, spec]
    with pytest.raises(ValueError, match=message):
        ModelProps(**{"containers": [spec], "network": p.network, "model_key": p.keys.models, **kwargs})


def test_fails_container_specs(p: Platform) -> None:
    with pytest.raises(
        ValueError, match=r"model_data: got 'models/a.tar.gz'; allowed: a key prefix ending in '/' when multi_model"
    ):
        ContainerSpec(image=p.image, multi_model=True, model_data=ModelArtifact(bucket=p.bucket, key="models/a.tar.gz"))
    with pytest.raises(ValueError, match=r"environment: got '1BAD'; allowed: variable names"):
        ContainerSpec(image=p.image, environment={"1BAD": "x"})
    with pytest.raises(ValueError, match=r"multi-model mode only on a single-container model"):
        ModelProps(
            containers=[
                ContainerSpec(image=p.image, multi_model=True, model_data=ModelArtifact(bucket=p.bucket, key="m/")),
                ContainerSpec(image=p.image),
            ],
            network=p.network,
            model_key=p.keys.models,
        )


def test_fails_image_sources(p: Platform, tmp_path: Any) -> None:
    with pytest.raises(ValueError, match=r"tag_or_digest: got 'sha256:xyz'"):
        ModelImage.from_ecr_repository(p.repo, "sha256:xyz")
    with pytest.raises(ValueError, match=r"directory: got .*; allowed: a directory with a Dockerfile"):
        ModelImage.from_asset(tmp_path)


def test_fails_imported_endpoint_name(p: Platform) -> None:
    with pytest.raises(ValueError, match=r"endpoint_name: got 'bad name'"):
        Endpoint.from_endpoint_name(p.stack, "BadImport", "bad name")


def test_model_from_a_model_package_has_no_image(p: Platform) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"
    model = p.model("FromPackage", containers=[ContainerSpec(model_package_name=arn)])
    assert p.stack.resolve(model.resource.primary_container) == {"modelPackageName": arn, "mode": "SingleModel"}


def test_fails_container_with_both_or_neither_image_and_package(p: Platform) -> None:
    with pytest.raises(ValueError, match=r"image/model_package_name: got 'neither'; allowed: exactly one"):
        ContainerSpec()
    with pytest.raises(ValueError, match=r"image/model_package_name: got 'both'"):
        ContainerSpec(image=p.image, model_package_name="churn/3")
    with pytest.raises(ValueError, match=r"model_package_name: got 'churn package'"):
        ContainerSpec(model_package_name="churn package")


def test_every_metric_method_names_its_documented_metric(p: Platform, built: Template) -> None:
    endpoint = next(c for c in p.stack.node.children if isinstance(c, Endpoint) and c.node.id == "Ab")
    expected = {
        endpoint.metric_invocations: ("Invocations", "AWS/SageMaker", "Sum"),
        endpoint.metric_invocations_per_instance: ("InvocationsPerInstance", "AWS/SageMaker", "Sum"),
        endpoint.metric_invocation_4xx_errors: ("Invocation4XXErrors", "AWS/SageMaker", "Sum"),
        endpoint.metric_invocation_5xx_errors: ("Invocation5XXErrors", "AWS/SageMaker", "Sum"),
        endpoint.metric_model_latency: ("ModelLatency", "AWS/SageMaker", "p99"),
        endpoint.metric_overhead_latency: ("OverheadLatency", "AWS/SageMaker", "p99"),
        endpoint.metric_model_setup_time: ("ModelSetupTime", "AWS/SageMaker", "Average"),
        endpoint.metric_cpu_utilization: ("CPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
        endpoint.metric_memory_utilization: ("MemoryUtilization", "/aws/sagemaker/Endpoints", "Average"),
        endpoint.metric_disk_utilization: ("DiskUtilization", "/aws/sagemaker/Endpoints", "Average"),
        endpoint.metric_gpu_utilization: ("GPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
    }
    for method, (name, namespace, statistic) in expected.items():
        metric = method("b")
        assert (metric.metric_name, metric.namespace, metric.statistic) == (name, namespace, statistic)
        assert metric.dimensions["VariantName"] == "b"
    backlog = endpoint.metric_async("ApproximateBacklogSizePerInstance")
    assert set(backlog.dimensions) == {"EndpointName"}
    with pytest.raises(ValueError, match=r"metric_name: got 'Latency'; allowed: one of"):
        endpoint.metric("Latency")


# --- SageMaker's documented exclusions ---------------------------------------------------------------


def test_a_serverless_model_has_no_vpc_and_no_isolation_and_says_so(p: Platform) -> None:
    from aws_cdk.assertions import Annotations

    model = p.model("ServerlessOnly", serverless=True)
    cfn = Stack.of(model).resolve(model.resource._cfn_properties)
    assert "vpcConfig" not in cfn and cfn["enableNetworkIsolation"] is False
    Annotations.from_stack(p.stack).has_warning(
        f"/{model.node.path}", Match.string_like_regexp("serverless, so no VPC configuration and no network isolation")
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"network": "net"}, r"network: got 'a network'; allowed: None with serverless=True"),
        ({"containers": 2}, r"containers: got 2; allowed: 1 container with serverless=True"),
        (
            {"multi_model": True},
            r"containers: got 'multi_model=True'; allowed: single-model containers with serverless",
        ),
    ],
    ids=["with-vpc", "inference-pipeline", "multi-model"],
)
def test_fails_serverless_models_sagemaker_refuses(p: Platform, kwargs: dict[str, Any], message: str) -> None:
    multi = kwargs.get("multi_model", False)
    artifact = ModelArtifact(bucket=p.bucket, key="models/sl/" if multi else "models/sl/model.tar.gz")
    spec = ContainerSpec(image=p.image, model_data=artifact, multi_model=multi)
    with pytest.raises(ValueError, match=message):
        ModelProps(
            containers=[spec] * kwargs.get("containers", 1),
            network=p.network if "network" in kwargs else None,
            model_key=p.keys.models,
            serverless=True,
        )


def test_fails_model_without_network_unless_serverless(p: Platform) -> None:
    artifact = ModelArtifact(bucket=p.bucket, key="models/x/model.tar.gz")
    with pytest.raises(
        ValueError, match=r"network: got None; allowed: an IsolatedNetwork or a JobNetwork \(or serverless=True\)"
    ):
        ModelProps(containers=[ContainerSpec(image=p.image, model_data=artifact)], model_key=p.keys.models)


def _serverless_endpoint(p: Platform, name: str, **kwargs: Any) -> EndpointProps:
    model = kwargs.pop("model", None) or p.model(name, serverless=True)
    variants = kwargs.pop("production_variants", None) or [
        VariantSpec(variant_name="s", model=model, serverless=ServerlessSettings())
    ]
    return EndpointProps(production_variants=variants, deployment=None, **kwargs, **p.common())


def test_fails_serverless_variant_with_a_model_in_the_vpc(p: Platform) -> None:
    with pytest.raises(ValueError, match=r"VariantSpec\('s'\).model: got 'Serving/InVpc'; allowed: a Model built with "
                       r"ModelProps\(serverless=True\)"):  # fmt: skip
        _serverless_endpoint(p, "InVpcUnused", model=p.model("InVpc"))


def test_fails_serverless_with_data_capture(p: Platform) -> None:
    with pytest.raises(ValueError, match=r"data_capture: got 'DataCaptureSettings'; allowed: None with serverless "
                       r"variants \['s'\] \(Serverless Inference captures no data, so Model Monitor"):  # fmt: skip
        _serverless_endpoint(p, "SlCapture", data_capture=DataCaptureSettings(bucket=p.bucket))


def test_fails_serverless_with_two_variants_or_a_shadow(p: Platform) -> None:
    model = p.model("SlTwo", serverless=True)
    two = [VariantSpec(variant_name=n, model=model, serverless=ServerlessSettings()) for n in ("a", "b")]
    message = r"allowed: exactly one production variant and no shadow variant on a serverless endpoint"
    with pytest.raises(ValueError, match=message):
        _serverless_endpoint(p, "SlTwoUnused", production_variants=two)
    with pytest.raises(ValueError, match=message):
        _serverless_endpoint(
            p, "SlShadow", model=model, shadow_variants=[VariantSpec(variant_name="shadow", model=p.model("Real"))]
        )


def test_fails_rolling_deployment_of_a_multi_variant_endpoint(p: Platform) -> None:
    model = p.model("Rolling")
    with pytest.raises(ValueError, match=r"deployment: got 'RollingDeployment'; allowed: a BlueGreenDeployment or None "
                       r"with 2 production variants \(rolling deployments refuse multi-variant endpoints\)"):  # fmt: skip
        EndpointProps(
            production_variants=[VariantSpec(variant_name=n, model=model) for n in ("a", "b")],
            deployment=RollingDeployment(),
            **p.common(),
        )


def test_a_serverless_endpoint_with_its_own_model_is_accepted_and_rolling_one_variant_too(p: Platform) -> None:
    assert _serverless_endpoint(p, "SlOk").production_variants[0].serverless is not None
    model = p.model("RollingOne")
    EndpointProps(
        production_variants=[VariantSpec(variant_name="a", model=model)], deployment=RollingDeployment(), **p.common()
    )


def test_inf1_variants_warn_that_guardrails_are_ignored(p: Platform) -> None:
    from aws_cdk.assertions import Annotations

    Endpoint(
        p.stack,
        "Inferentia",
        EndpointProps(
            production_variants=[VariantSpec(variant_name="inf", model=p.model("Inf"), instance_type="ml.inf1.xlarge")],
            **p.common(),
        ),
    )
    Annotations.from_stack(p.stack).has_warning(
        "/Serving/Inferentia", Match.string_like_regexp(r"\['inf'\] run on Inf1 instances, for which SageMaker ignores")
    )
