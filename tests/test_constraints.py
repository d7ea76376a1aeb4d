"""AWS's own constraints at synth: botocore's SageMaker model and cfn-lint's schemas, as checked-in tables.

Each ``test_fails_...`` case is drawn from the API model (an enum, a range, a length, a pattern,
a required member) or from AWS's documentation where the model is silent, and names the field.
The valid cases next to them guard against over-refusal.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn

from sagemaker_platform import IsolatedNetworkProps, KeyPurpose, PlatformKeys, PlatformKeysProps
from sagemaker_platform._constraints import api
from sagemaker_platform.featurestore.imported import FeatureGroupAttributes
from sagemaker_platform.jobs import (
    Channel,
    JobCompute,
    MetricDefinition,
    ProcessingInput,
    ProcessingJobSpec,
    PySparkJob,
    SpotTraining,
    TransformJobSpec,
)
from sagemaker_platform.observability import MonitoringCadence
from sagemaker_platform.pipelines import QualityGate
from sagemaker_platform.pipelines.tasks import TaskFactory, sagemaker_operation
from sagemaker_platform.serving.model import ContainerSpec
from stacks.config import ConfigError, PlatformConfig
from tests.featurestore.test_bad_input import props as feature_group_props
from tests.harness import make_app
from tests.test_jobs import ACCOUNT, IMAGE, ROLE, Env
from tests.tools import generate_constraints

# --- the tables ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_checked_in_tables_match_the_installed_botocore_and_cfn_lint() -> None:
    root = generate_constraints.OUT
    for name, fresh in (
        ("sagemaker_api.json", generate_constraints.collect_api()),
        ("cloudformation.json", generate_constraints.collect_cloudformation()),
    ):
        assert json.loads(json.dumps(fresh)) == json.loads((root / name).read_text()), (
            f"{name} is out of date with the installed packages: run "
            "`.venv/bin/python tests/tools/generate_constraints.py` and review the diff"
        )


def test_instance_types_differ_per_use_as_the_api_model_says() -> None:
    assert "ml.c5.large" in api.instance_types("hosting")
    assert "ml.c5.large" not in api.instance_types("training")
    assert "ml.m5.3xlarge" not in api.instance_types("hosting")
    assert "ml.p4d.24xlarge" in api.instance_types("training")
    assert "ml.p4d.24xlarge" not in api.instance_types("processing")


def test_java_patterns_are_translated_or_listed_as_unchecked() -> None:
    assert generate_constraints.python_pattern(r"arn:[\p{Alnum}\-]+:lambda") == r"arn:[A-Za-z0-9\-]+:lambda"
    assert generate_constraints.python_pattern(r"[\p{L}\p{Z}]*") is None
    table = json.loads((generate_constraints.OUT / "sagemaker_api.json").read_text())
    assert set(table["unchecked_patterns"]) <= {
        "CustomerMetadataKey",
        "CustomerMetadataValue",
        "EntityDescription",
        "ModelPackageSourceUri",
        "TagKey",
        "TagValue",
    }


def test_unresolved_values_are_skipped() -> None:
    shape = api.shape_at("CreateTrainingJob", "ResourceConfig.InstanceCount")
    for value in ({"Ref": "Count"}, {"Fn::GetAtt": ["X", "Y"]}, "{% $count %}"):
        assert list(api.value_problems(shape, value)) == [], value
    request = {"TrainingJobName.$": "States.Format('x-{}', $$.Execution.Name)", "RoleArn": ROLE}
    problems = api.request_problems("CreateTrainingJob", request)
    assert [p[0] for p in problems] == ["OutputDataConfig"], problems  # the name is set at run time


def test_task_resources_map_to_sagemaker_operations() -> None:
    assert sagemaker_operation("sagemaker:createTrainingJob.sync") == "CreateTrainingJob"
    assert sagemaker_operation("aws-sdk:sagemaker:describeTrainingJob") == "DescribeTrainingJob"
    assert sagemaker_operation("aws-sdk:ssm:putParameter") is None
    assert sagemaker_operation("sns:publish") is None


# --- bad input, by the model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> Env:
    return Env()


def _training(env: Env, **kwargs: Any) -> Any:
    return env.training(**kwargs)


def _processing(env: Env, **kwargs: Any) -> Any:
    base: dict[str, Any] = {"image_uri": IMAGE, "role_arn": ROLE, "security": env.security, "entrypoint": ["run"]}
    return ProcessingJobSpec(**{**base, **kwargs})


def _transform(env: Env, **kwargs: Any) -> Any:
    base: dict[str, Any] = {
        "model_name": "churn",
        "input_bucket": env.bucket,
        "input_prefix": "in/",
        "output_bucket": env.bucket,
        "output_prefix": "out/",
        "key": env.key,
    }
    return TransformJobSpec(**{**base, **kwargs})


_JOBS: list[tuple[str, Callable[[Env], Any], str]] = [
    (
        "training-instance-for-hosting-only",
        lambda e: _training(e, compute=JobCompute(instance_type="ml.c5.large")),
        r"compute.instance_type: got 'ml.c5.large'; allowed: a training instance type: .*'ml.c5.xlarge'",
    ),
    (
        "training-instance-size-that-does-not-exist",
        lambda e: _training(e, compute=JobCompute(instance_type="ml.m5.3xlarge")),
        r"compute.instance_type: got 'ml.m5.3xlarge'; allowed: a training instance type",
    ),
    (
        "processing-instance-for-training-only",
        lambda e: _processing(e, compute=JobCompute(instance_type="ml.p4d.24xlarge")),
        r"compute.instance_type: got 'ml.p4d.24xlarge'; allowed: a processing instance type",
    ),
    (
        "transform-instance-not-offered",
        lambda e: _transform(e, compute=JobCompute(instance_type="ml.r5d.xlarge")),
        r"compute.instance_type: got 'ml.r5d.xlarge'; allowed: a transform instance type",
    ),
    (
        "processing-too-many-arguments",
        lambda e: _processing(e, arguments=[f"--a{i}" for i in range(101)]),
        r"arguments: got 101; allowed: a list of 1 to 100 items",
    ),
    (
        "processing-too-many-entrypoint-parts",
        lambda e: _processing(e, entrypoint=["x"] * 101),
        r"entrypoint: got 101; allowed: a list of 1 to 100 items",
    ),
    (
        "processing-max-runtime",
        lambda e: _processing(e, max_runtime_s=777_601),
        r"max_runtime_s: got 777601; allowed: an integer from 1 to 777600",
    ),
    (
        "processing-environment-key",
        lambda e: _processing(e, environment={"1BAD": "x"}),
        r"environment\['1BAD'\] \(key\): got '1BAD'",
    ),
    (
        "processing-tag-key-too-long",
        lambda e: _processing(e, tags={"k" * 129: "v"}),
        r"tags\[0\].Key: got 'k{129}'; allowed: a string of 1 to 128 characters",
    ),
    (
        "training-hyperparameter-value-too-long",
        lambda e: _training(e, hyperparameters={"eta": "1" * 2501}),
        r"hyperparameters\['eta'\]: got '1{2501}'; allowed: a string of 0 to 2500 characters",
    ),
    (
        "training-too-many-hyperparameters",
        lambda e: _training(e, hyperparameters={f"h{i}": i for i in range(101)}),
        r"hyperparameters: got 101; allowed: a mapping of 0 to 100 entries",
    ),
    (
        "training-environment-value-too-long",
        lambda e: _training(e, environment={"A": "v" * 513}),
        r"environment\['A'\]: got 'v{513}'; allowed: a string of 0 to 512 characters",
    ),
    (
        "training-too-many-tags",
        lambda e: _training(e, tags={f"k{i}": "v" for i in range(51)}),
        r"tags: got 51; allowed: a list of 0 to 50 items",
    ),
    (
        "training-role-name-not-arn",
        lambda e: _training(e, role_arn="training-role"),
        r"role_arn: got 'training-role'; allowed: a string of 20 to 2048 characters matching arn:aws",
    ),
    (
        "training-user-arn-not-role",
        lambda e: _training(e, role_arn="arn:aws:iam::123456789012:user/alice"),
        r"role_arn: got 'arn:aws:iam::123456789012:user/alice'",
    ),
    (
        "training-image-too-long",
        lambda e: _training(e, image_uri="i" * 256),
        r"image_uri: got 'i{256}'; allowed: a string of 0 to 255 characters",
    ),
    (
        "training-retry-attempts",
        lambda e: _training(e, retry_attempts=31),
        r"retry_attempts: got 31; allowed: an integer from 1 to 30",
    ),
    (
        "training-output-prefix-is-a-uri",
        lambda e: _training(e, output_prefix="s3://ml-data/models/"),
        r"output_prefix: got 's3://ml-data/models/'; allowed: a key prefix inside the bucket such as 'raw/'; "
        r"pass the bucket and the prefix apart",
    ),
    (
        "training-checkpoint-prefix-is-a-uri",
        lambda e: _training(
            e, spot=SpotTraining(checkpoint_bucket=e.bucket, checkpoint_prefix="s3://ml-data/ckpt/", max_wait_s=90_000)
        ),
        r"spot.checkpoint_prefix: got 's3://ml-data/ckpt/'; allowed: a key prefix inside the bucket",
    ),
    (
        "channel-prefix-is-a-uri",
        lambda e: Channel(name="train", bucket=e.bucket, prefix="s3://ml-data/train/"),
        r"prefix: got 's3://ml-data/train/'; allowed: a key prefix inside the bucket",
    ),
    (
        "channel-content-type-too-long",
        lambda e: Channel(name="train", bucket=e.bucket, prefix="train/", content_type="t" * 257),
        r"content_type: got 't{257}'; allowed: a string of 0 to 256 characters",
    ),
    (
        "metric-regex-too-long",
        lambda e: MetricDefinition(name="auc", regex="(x)" + "y" * 498),
        r"regex: got '\(x\)y{498}'; allowed: a string of 1 to 500 characters",
    ),
    (
        "processing-input-prefix-is-a-uri",
        lambda e: ProcessingInput(
            name="raw", bucket=e.bucket, prefix="s3://ml-data/raw/", local_path="/opt/ml/processing/raw"
        ),
        r"prefix: got 's3://ml-data/raw/'; allowed: a key prefix inside the bucket",
    ),
    (
        "transform-input-prefix-is-a-uri",
        lambda e: _transform(e, input_prefix="s3://ml-data/in/"),
        r"input_prefix: got 's3://ml-data/in/'; allowed: a key prefix inside the bucket",
    ),
    (
        "transform-model-name",
        lambda e: _transform(e, model_name="churn_model"),
        r"model_name: got 'churn_model'; allowed: a string of 0 to 63 characters matching",
    ),
    (
        "transform-batch-strategy",
        lambda e: _transform(e, batch_strategy="Multi"),
        r"batch_strategy: got 'Multi'; allowed: one of 'MultiRecord', 'SingleRecord'",
    ),
    (
        "transform-filter-too-long",
        lambda e: _transform(e, input_filter="$" + "[1]" * 21),
        r"input_filter: got '\$(\[1\]){21}'; allowed: a string of 0 to 63 characters",
    ),
]


@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in _JOBS], ids=[i for i, _, _ in _JOBS])
def test_fails_job_fields_the_api_model_refuses(env: Env, make: Callable[[Env], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(env)


def test_fails_a_state_with_a_request_sagemaker_refuses_naming_the_state() -> None:
    stack = Stack(make_app(), "S")
    tasks = TaskFactory(stack, "aws", sfn.Pass(stack, "Notify"))
    with pytest.raises(ValueError, match=r"state 'CreateModel' \(SageMaker CreateModel request\) is invalid:\n"
                       r"  - ModelName: got 'bad_name'; allowed: a string of 0 to 63 characters matching"):  # fmt: skip
        tasks.task("CreateModel", "sagemaker:createModel", {"ModelName": "bad_name"}, result_path="$.model")


def test_fails_a_request_member_sagemaker_does_not_know() -> None:
    problems = api.request_problems("DeleteModel", {"ModelName": "m", "Force": True})
    assert problems == [("Force", True, "a member of DeleteModelInput: ModelName")]


# --- serving, monitoring, pipelines, feature store --------------------------------------------------


def _variant(**kwargs: Any) -> Any:
    from tests.test_serving import Platform

    platform = Platform()
    from sagemaker_platform import VariantSpec

    return VariantSpec(**{"variant_name": "v", "model": platform.model("M"), **kwargs})


_OTHERS: list[tuple[str, Callable[[], Any], str]] = [
    (
        "endpoint-instance-type-that-does-not-exist",
        lambda: _variant(instance_type="ml.m5.3xlarge"),
        r"instance_type: got 'ml.m5.3xlarge'; allowed: a hosting instance type: .*the same family: 'ml.m5.large'",
    ),
    (
        "variant-weight-nan",
        lambda: _variant(initial_weight=math.nan),
        r"initial_weight: got nan; allowed: a finite number",
    ),
    (
        "variant-weight-infinite",
        lambda: _variant(initial_weight=math.inf),
        r"initial_weight: got inf; allowed: a finite",
    ),
    (
        "variant-volume-zero",
        lambda: _variant(volume_size_gb=0),
        r"volume_size_gb: got 0; allowed: an integer from 1 to 512",
    ),
    (
        "quality-gate-threshold-nan",
        lambda: QualityGate(report_bucket=_bucket(), report_key="e/evaluation.json", metric="auc", threshold=math.nan),
        r"threshold: got nan; allowed: a finite number \(not NaN or an infinity\)",
    ),
    (
        "quality-gate-threshold-infinite",
        lambda: QualityGate(report_bucket=_bucket(), report_key="e/evaluation.json", metric="auc", threshold=-math.inf),
        r"threshold: got -inf; allowed: a finite number",
    ),
    (
        "monitoring-every-thirty-minutes",
        lambda: MonitoringCadence(expression="cron(0/30 * ? * * *)", interval_hours=1),
        r"expression: got 'cron\(0/30 \* \? \* \* \*\)'; allowed: cron\(0 \* \? \* \* \*\) \(hourly\)",
    ),
    (
        "monitoring-now-is-one-time",
        lambda: MonitoringCadence(expression="NOW", interval_hours=1),
        r"expression: got 'NOW'; allowed: .*NOW \(a one-time run\) needs a data analysis window",
    ),
    (
        "monitoring-interval-mismatch",
        lambda: MonitoringCadence(expression="cron(0 0/6 ? * * *)", interval_hours=1),
        r"interval_hours: got 1; allowed: 6, the interval of cron\(0 0/6 \? \* \* \*\)",
    ),
    (
        "feature-group-description-too-long",
        lambda: feature_group_props(description="d" * 129),
        r"description: got 'd{129}'; allowed: a string of 0 to 128 characters",
    ),
    (
        "feature-group-offline-prefix-is-a-uri",
        lambda: feature_group_props(offline_store_prefix="s3://bucket/features/"),
        r"offline_store_prefix: got 's3://bucket/features/'; allowed: a key prefix inside the bucket",
    ),
    (
        "network-subnets-do-not-fit",
        lambda: IsolatedNetworkProps(flow_logs_key=_key(), cidr="10.0.0.0/24", max_azs=3, subnet_cidr_mask=25),
        r"subnet_cidr_mask: got 25; allowed: a mask of at least /26 so that 3 subnets \(one per AZ\) fit in 10.0.0.0/24",
    ),
]

_STACK: dict[str, Stack] = {}


def _stack() -> Stack:
    if "s" not in _STACK:
        _STACK["s"] = Stack(make_app(), "Others")
    return _STACK["s"]


def _bucket() -> s3.IBucket:
    return s3.Bucket.from_bucket_name(_stack(), f"B{len(_stack().node.children)}", "reports")


def _key() -> Any:
    return PlatformKeys(
        _stack(), f"K{len(_stack().node.children)}", PlatformKeysProps(purposes=(KeyPurpose.LOGS,))
    ).logs


@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in _OTHERS], ids=[i for i, _, _ in _OTHERS])
def test_fails_serving_monitoring_pipeline_and_store_fields(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("rate(1 hour)", True),
        ("rate(7 days)", True),
        ("cron(0 3 * * ? *)", True),
        ("cron(0 3 ? * MON *)", True),
        ("rate(1 hours)", False),
        ("rate(0 days)", False),
        ("cron(0 3 * * * *)", False),
        ("cron(0 3 ? * ? *)", False),
        ("cron(0 3 * *)", False),
    ],
)
def test_pipeline_schedules_follow_eventbridge_grammar(pipeline_app: Any, expression: str, ok: bool) -> None:
    props = pipeline_app("register").props
    schedule = events.Schedule.expression(expression)
    if ok:
        assert replace(props, schedule=schedule).schedule is schedule
    else:
        with pytest.raises(
            ValueError, match=rf"schedule: got '{re.escape(expression)}'; allowed: an EventBridge schedule"
        ):
            replace(props, schedule=schedule)


# --- cdk.json ----------------------------------------------------------------------------------------


def _stages(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"stages": list(stages)}


_CONFIG: list[tuple[str, dict[str, Any], str]] = [
    (
        "region-not-aws",
        {"region": "eu-west-9"},
        r"stages\[0\].region': got 'eu-west-9'; allowed: an AWS region where SageMaker",
    ),
    (
        "small-vpc-default-mask-too-many-azs",
        {"vpcCidr": "10.0.0.0/24", "maxAzs": 3, "subnetCidrMask": 25},
        r"stages\[0\].subnetCidrMask': got 25; allowed: /26 or longer: 3 subnets \(one per AZ",
    ),
    (
        "mask-out-of-range",
        {"subnetCidrMask": 30},
        r"stages\[0\].subnetCidrMask': got 30; allowed: an integer from 17 to 28",
    ),
    (
        "serving-instance-type",
        {"serving": {"instanceType": "ml.m5.3xlarge"}},
        r"serving.instanceType': got 'ml.m5.3xlarge'; allowed: a non-burstable hosting instance type",
    ),
    (
        "training-instance-type",
        {"training": {"instanceType": "ml.c5.large"}},
        r"training.instanceType': got 'ml.c5.large'; allowed: a training instance type: .*'ml.c5.xlarge'",
    ),
]


@pytest.mark.parametrize(("extra", "message"), [(x, m) for _, x, m in _CONFIG], ids=[i for i, _, _ in _CONFIG])
def test_fails_cdk_json_values_naming_the_key(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PlatformConfig.from_context(_stages({"name": "dev", "region": "eu-west-1", **extra}))


# --- valid input passes -------------------------------------------------------------------------------


def test_a_slash_24_vpc_synthesizes_with_subnets_that_fit(outdir: Any) -> None:
    from aws_cdk.assertions import Template

    from sagemaker_platform import IsolatedNetwork, availability_zones_context

    azs = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    raw = {
        "name": "dev",
        "region": "eu-west-1",
        "account": "111111111111",
        "vpcCidr": "10.9.0.0/24",
        "availabilityZones": azs,
        "s3PrefixListId": "pl-6da54004",
    }
    (stage,) = PlatformConfig.from_context(_stages(raw)).stages
    zones = availability_zones_context(account="111111111111", region="eu-west-1", zones=azs)
    stack = Stack(make_app(outdir, **zones), "Small", env={"account": "111111111111", "region": "eu-west-1"})
    keys = PlatformKeys(stack, "Keys", PlatformKeysProps(purposes=(KeyPurpose.LOGS,)))
    props = IsolatedNetworkProps(
        flow_logs_key=keys.logs,
        cidr=stage.vpc_cidr,
        availability_zones=azs,
        subnet_cidr_mask=stage.subnet_cidr_mask,
        s3_prefix_list_id=stage.s3_prefix_list_id,
    )
    assert props.effective_subnet_mask == 26
    IsolatedNetwork(stack, "Net", props)
    subnets = Template.from_stack(stack).find_resources("AWS::EC2::Subnet")
    assert sorted(s["Properties"]["CidrBlock"] for s in subnets.values()) == [
        "10.9.0.0/26",
        "10.9.0.128/26",
        "10.9.0.64/26",
    ]


def test_every_sagemaker_region_is_accepted_in_cdk_json() -> None:
    for region in ("eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-7", "mx-central-1"):
        assert region in api.regions()
        PlatformConfig.from_context(_stages({"name": "dev", "region": region}))


# --- ARNs where ARNs are meant, names and URIs where they are meant ------------------------------

_REPO_ARN = "arn:aws:ecr:eu-west-1:123456789012:repository/training"
_GROUP_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn"


def _release(**kwargs: Any) -> Any:
    from aws_cdk import aws_sns as sns

    from sagemaker_platform.pipelines.release import ModelReleaseProps

    topic = sns.Topic.from_topic_arn(_stack(), f"T{len(_stack().node.children)}", "arn:aws:sns:eu-west-1:1:t")
    base: dict[str, Any] = {
        "model_package_group_name": "churn",
        "parameter_name": "/ml/release/churn",
        "artifacts_bucket": _bucket(),
        "artifacts_prefix": "models/",
        "topic": topic,
        "log_key": _key(),
    }
    return ModelReleaseProps(**{**base, **kwargs})


def _processing(env: Env, **kwargs: Any) -> Any:
    return ProcessingJobSpec(
        **{"image_uri": IMAGE, "role_arn": ROLE, "security": env.security, "entrypoint": ["p"], **kwargs}
    )


_MIXUPS: list[tuple[str, Callable[[Env], Any], str]] = [
    (
        "training-image-is-a-repository-arn",
        lambda e: e.training(image_uri=_REPO_ARN),
        r"image_uri: got 'arn:aws:ecr:.*'; allowed: an image URI such as .*, not an ARN \(for a repository, use",
    ),
    (
        "processing-image-is-an-s3-uri",
        lambda e: _processing(e, image_uri="s3://images/processing.tar"),
        r"image_uri: got 's3://images/processing.tar'; allowed: an image URI .*, not an s3:// URI",
    ),
    (
        "training-image-without-a-registry",
        lambda e: e.training(image_uri="training:latest"),
        r"image_uri: got 'training:latest'; allowed: .*: a registry host and a repository",
    ),
    (
        "pyspark-image-is-a-repository-arn",
        lambda e: PySparkJob(
            image_uri=_REPO_ARN,
            role_arn=ROLE,
            security=e.security,
            code_bucket=e.bucket,
            submit_app_key="code/app.py",
        ),
        r"PySparkJob is invalid:\n  - image_uri: got 'arn:aws:ecr:",
    ),
    (
        "training-role-is-a-name",
        lambda e: e.training(role_arn="training"),
        r"role_arn: got 'training'; allowed: a string of 20 to 2048 characters matching arn:aws",
    ),
    (
        "processing-role-is-a-user-arn",
        lambda e: _processing(e, role_arn="arn:aws:iam::123456789012:user/ci"),
        r"role_arn: got 'arn:aws:iam::123456789012:user/ci'; allowed: .*:role/",
    ),
    (
        "transform-model-is-an-arn",
        lambda e: TransformJobSpec(
            model_name="arn:aws:sagemaker:eu-west-1:123456789012:model/churn",
            input_bucket=e.bucket,
            input_prefix="in/",
            output_bucket=e.bucket,
            output_prefix="out/",
            key=e.key,
        ).to_request("j"),
        r"model_name: got 'arn:aws:sagemaker:eu-west-1:123456789012:model/churn'; allowed: a string of 0 to 63",
    ),
    (
        "model-package-is-a-group-arn",
        lambda e: ContainerSpec(model_package_name=_GROUP_ARN),
        r"model_package_name: got '.*model-package-group/churn'; allowed: a model package name or versioned ARN",
    ),
    (
        "release-group-is-an-arn",
        lambda e: _release(model_package_group_name=_GROUP_ARN),
        r"model_package_group_name: got '.*model-package-group/churn'; allowed: 1-63 letters",
    ),
    (
        "release-bus-is-a-name",
        lambda e: _release(delivery_event_bus_arn="delivery"),
        r"delivery_event_bus_arn: got 'delivery'; allowed: an event bus ARN",
    ),
    (
        "release-parameter-is-an-arn",
        lambda e: _release(parameter_name="arn:aws:ssm:eu-west-1:123456789012:parameter/ml/release"),
        r"parameter_name: got 'arn:aws:ssm:.*'; allowed: an SSM parameter path",
    ),
    (
        "imported-feature-group-is-an-arn",
        lambda e: FeatureGroupAttributes(
            feature_group_name="arn:aws:sagemaker:eu-west-1:123456789012:feature-group/churn"
        ),
        r"feature_group_name: got 'arn:aws:sagemaker:.*feature-group/churn'; allowed: 1-64 letters",
    ),
]


@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in _MIXUPS], ids=[i for i, _, _ in _MIXUPS])
def test_fails_an_arn_for_a_name_or_a_name_for_an_arn(env: Env, make: Callable[[Env], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(env)


def test_image_uris_names_and_arns_of_every_valid_form_are_accepted(env: Env) -> None:
    builtin = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    private = "10.0.0.5:5000/team/training:1.0"  # a private registry (training in VPC mode)
    for image in (IMAGE, builtin, private, f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/training:v1"):
        env.training(image_uri=image).to_request("j")
    _processing(env, image_uri=builtin).to_request("j")
    ContainerSpec(model_package_name="churn")
    ContainerSpec(model_package_name="arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3")
    _release(delivery_event_bus_arn="arn:aws:events:eu-west-1:111111111111:event-bus/delivery")


def test_valid_values_the_old_hand_written_rules_refused() -> None:
    from sagemaker_platform import SageMakerExecutionRoleProps

    # A log-group prefix without a trailing '/' (IAM matches '<prefix>*').
    SageMakerExecutionRoleProps(description="jobs", log_group_prefix="/aws/sagemaker/TrainingJobs")
    # Processing input and output names: the API model has no pattern for them.
    env = Env()
    ProcessingInput(name="raw data", bucket=env.bucket, prefix="raw/", local_path="/opt/ml/processing/raw data")
    # An instance type each use offers.
    JobCompute(instance_type="ml.g5.2xlarge")
    env.training(compute=JobCompute(instance_type="ml.p4d.24xlarge"))
    MonitoringCadence.every_hours(6, starting_hour=2)
    assert MonitoringCadence(expression="cron(0 2/6 ? * * *)", interval_hours=6).expected_interval() == 6


def test_request_check_accepts_every_job_the_reference_pipelines_render(reference: Any) -> None:
    # The reference app synthesized: every task state passed TaskFactory's request check. Here, the
    # rendered definitions are checked again from the template, as CloudFormation will deliver them.
    from sagemaker_platform.compliance import state_machine_definitions

    checked = 0
    for path in reference.template_paths():
        for _, definition in state_machine_definitions(json.loads(path.read_text())):
            for state in _task_states(definition):
                operation = sagemaker_operation(state["Resource"].split(":::", 1)[-1])
                if operation is not None:
                    parameters = _as_references(state.get("Parameters", {}))
                    assert api.request_problems(operation, parameters) == [], state
                    checked += 1
    assert checked >= 10


def _as_references(node: Any) -> Any:
    """Template intrinsics (``__TOKEN__`` once parsed) back as references, which the check skips."""
    if isinstance(node, dict):
        return {k: _as_references(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_references(v) for v in node]
    return {"Ref": "Resolved"} if isinstance(node, str) and "__TOKEN__" in node else node


def _task_states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    from sagemaker_platform.compliance.rules import definition_states

    states = [s for _, s in definition_states(definition)]
    return [s for s in states if s.get("Type") == "Task" and isinstance(s.get("Resource"), str)]


# --- SageMakerPlatform-CFN1: what reaches the template, against CloudFormation's schema ----------


def _l1_app(outdir: Any, *, model_name: str, acknowledge_it: bool = False) -> dict[str, Any]:
    from aws_cdk import aws_sagemaker as sagemaker

    from sagemaker_platform import acknowledge, add_nag_packs

    app = make_app(outdir)
    stack = Stack(app, "UserL1")
    model = sagemaker.CfnModel(
        stack,
        "Model",
        model_name=model_name,
        execution_role_arn=ROLE,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(image=IMAGE),
        enable_network_isolation=True,
    )
    if acknowledge_it:
        acknowledge(model, "SageMakerPlatform-CFN1", reason="a test of the acknowledgment path, nothing deployed")
    add_nag_packs(app)
    with contextlib.suppress(RuntimeError):  # ValidationFailed: the report says why
        app.synth()
    return _schema_plugin(json.loads((outdir / "validation-report.json").read_text()))


def _schema_plugin(report: dict[str, Any]) -> dict[str, Any]:
    # CDK lists a plugin only when it reported or suppressed something.
    return next(
        (p for p in report["pluginReports"] if p["pluginName"] == "SageMakerPlatform-Schemas"), {"violations": []}
    )


def test_fails_a_user_l1_model_name_the_schema_refuses(outdir: Any) -> None:
    plugin = _l1_app(outdir, model_name="churn_model")
    (violation,) = plugin["violations"]
    assert violation["ruleName"] == "SageMakerPlatform-CFN1"
    assert re.match(
        r"UserL1/Model: ModelName: got 'churn_model'; allowed: a string (matching|of)", violation["description"]
    )


def test_a_valid_user_l1_model_passes_and_an_acknowledged_finding_is_not_reported(outdir: Any, tmp_path: Any) -> None:
    assert _l1_app(outdir, model_name="churn-model")["violations"] == []
    assert _l1_app(tmp_path / "ack", model_name="churn_model", acknowledge_it=True)["violations"] == []


def test_the_schema_rule_covers_every_sagemaker_type_the_library_synthesizes(reference: Any) -> None:
    from sagemaker_platform._constraints import schema

    seen = {
        r["Type"]
        for path in reference.template_paths()
        for r in json.loads(path.read_text())["Resources"].values()
        if r["Type"].startswith("AWS::SageMaker::")
    }
    assert seen <= set(schema.resource_types()), seen - set(schema.resource_types())
    assert reference.error is None
    assert _schema_plugin(reference.validation_report())["violations"] == []
