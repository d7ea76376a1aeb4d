"""Job specs: one request per job, validated by botocore's own SageMaker model, bad input rejected."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from botocore.validate import ParamValidator

from sagemaker_platform.foundations import JobNetwork
from sagemaker_platform.jobs import (
    CategoricalRange,
    Channel,
    ContinuousRange,
    Distribution,
    InputMode,
    IntegerRange,
    JobCompute,
    JobSecurity,
    JoinSource,
    MetricDefinition,
    ProcessingInput,
    ProcessingJobSpec,
    ProcessingOutput,
    PySparkJob,
    Scaling,
    SplitType,
    SpotTraining,
    Strategy,
    TrainingJobSpec,
    TransformJobSpec,
    TuningJobSpec,
    UploadMode,
    run_time_job_name,
)
from tests.harness import make_app

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/training"
IMAGE = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/training@sha256:" + "b" * 64


class Env:
    """Concrete (token-free) resources, so rendered requests can be checked against the API model."""

    def __init__(self) -> None:
        self.stack = Stack(make_app(), "Jobs")
        self.bucket = s3.Bucket.from_bucket_name(self.stack, "B", "ml-data")
        self.key = kms.Key.from_key_arn(
            self.stack, "K", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        )
        self.network = JobNetwork(
            subnet_ids=["subnet-0a1b2c3d", "subnet-4e5f6a7b"], security_group_ids=["sg-0123abcd"], self_referencing=True
        )
        self.security = JobSecurity(network=self.network, volume_key=self.key, output_key=self.key)

    def training(self, **kwargs: Any) -> TrainingJobSpec:
        base: dict[str, Any] = {
            "image_uri": IMAGE,
            "role_arn": ROLE,
            "security": self.security,
            "output_bucket": self.bucket,
            "output_prefix": "models",
            "channels": [Channel(name="train", bucket=self.bucket, prefix="train/")],
        }
        return TrainingJobSpec(**{**base, **kwargs})


@pytest.fixture(scope="module")
def env() -> Env:
    return Env()


def _validate(operation: str, request: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    report = ParamValidator().validate(request, model.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def test_full_training_request_is_valid_for_the_sagemaker_api(env: Env) -> None:
    spec = env.training(
        channels=[
            Channel(
                name="train",
                bucket=env.bucket,
                prefix="train/",
                content_type="text/csv",
                input_mode=InputMode.PIPE,
                distribution=Distribution.SHARDED_BY_S3_KEY,
                gzip=True,
                record_io_wrapper=True,
            ),
            Channel(name="validation", bucket=env.bucket, prefix="validation/", input_mode=InputMode.FAST_FILE),
        ],
        compute=JobCompute(instance_type="ml.m5.2xlarge", instance_count=2, volume_size_gb=50),
        hyperparameters={"num_round": 100, "eta": 0.1, "early_stopping": True, "objective": "binary:logistic"},
        metric_definitions=[MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")],
        max_runtime_s=3600,
        spot=SpotTraining(checkpoint_bucket=env.bucket, checkpoint_prefix="ckpt/", max_wait_s=7200),
        environment={"SM_LOG_LEVEL": 20},
        retry_attempts=2,
        tags={"team": "ml"},
    )
    request = spec.to_request("churn-train-001")
    _validate("CreateTrainingJob", request)
    assert request["HyperParameters"] == {
        "early_stopping": "true",
        "eta": "0.1",
        "num_round": "100",
        "objective": "binary:logistic",
    }
    assert request["EnableNetworkIsolation"] is True and request["EnableInterContainerTrafficEncryption"] is True
    assert request["VpcConfig"] == {
        "SecurityGroupIds": ["sg-0123abcd"],
        "Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
    }
    assert request["ResourceConfig"]["VolumeKmsKeyId"] == request["OutputDataConfig"]["KmsKeyId"] == env.key.key_arn
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    # Per job: SageMaker restores a job's checkpoint location at start, so runs must not share one.
    assert request["CheckpointConfig"] == {
        "S3Uri": "s3://ml-data/ckpt/churn-train-001/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    train = request["InputDataConfig"][0]
    assert (train["InputMode"], train["CompressionType"], train["RecordWrapperType"]) == ("Pipe", "Gzip", "RecordIO")


def test_minimal_training_request_is_secure_by_default(env: Env) -> None:
    request = env.training().to_request("t")
    _validate("CreateTrainingJob", request)
    assert {"VpcConfig", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"} <= set(request)
    assert "EnableManagedSpotTraining" not in request


def test_processing_request_is_valid_for_the_sagemaker_api(env: Env) -> None:
    spec = ProcessingJobSpec(
        image_uri=IMAGE,
        role_arn=ROLE,
        security=env.security,
        entrypoint=["process", "prepare"],
        arguments=["--seed", "7"],
        inputs=[
            ProcessingInput(name="raw", bucket=env.bucket, prefix="raw/", local_path="/opt/ml/processing/input/raw")
        ],
        outputs=[
            ProcessingOutput(
                name="train",
                bucket=env.bucket,
                prefix="prepared/train/",
                local_path="/opt/ml/processing/output/train",
                upload_mode=UploadMode.CONTINUOUS,
            )
        ],
        environment={"SPLIT": 0.8},
        max_runtime_s=1800,
    )
    request = spec.to_request("prepare-001")
    _validate("CreateProcessingJob", request)
    assert request["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert request["ProcessingOutputConfig"]["KmsKeyId"] == env.key.key_arn
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == env.key.key_arn


def test_state_machine_parameters_name_the_job_at_run_time(env: Env) -> None:
    params = env.training().to_state_machine_parameters("churn-train")
    assert params["TrainingJobName.$"] == "States.Format('churn-train-{}', $$.Execution.Name)"
    assert "TrainingJobName" not in params
    body = {k: v for k, v in params.items() if not k.endswith(".$")}
    _validate("CreateTrainingJob", {"TrainingJobName": "x", **body})


def test_boto3_and_state_machine_requests_are_the_same_request(env: Env) -> None:
    spec = env.training(hyperparameters={"max_depth": 6})
    boto3_request = spec.to_request("run-1")
    sfn = spec.to_state_machine_parameters("run")
    assert {k: v for k, v in boto3_request.items() if k != "TrainingJobName"} == {
        k: v for k, v in sfn.items() if k != "TrainingJobName.$"
    }


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"name": "train data"},
            r"name: got 'train data'; allowed: a string of 1 to 64 characters matching \[A-Za-z0-9",
        ),
        ({"prefix": "/train/"}, r"prefix: got '/train/'; allowed: a key prefix without a leading '/'"),
        ({"gzip": True}, r"gzip: got True; allowed: False with input_mode File \(Pipe only\)"),
        (
            {"record_io_wrapper": True, "input_mode": InputMode.FAST_FILE},
            r"record_io_wrapper: got True; allowed: False with input_mode FastFile",
        ),
    ],
    ids=["channel-name-space", "channel-leading-slash", "gzip-in-file-mode", "recordio-in-fastfile-mode"],
)
def test_fails_channel(env: Env, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Channel(**{"name": "train", "bucket": env.bucket, "prefix": "train/", **kwargs})


@pytest.mark.parametrize(
    ("regex", "message"),
    [
        (r"auc=[0-9.]+", r"regex: got 'auc=\[0-9.\]\+'; allowed: a regex with exactly one capture group \(has 0\)"),
        (r"(auc)=([0-9.]+)", r"exactly one capture group \(has 2\)"),
        (r"auc=([0-9.]+", r"allowed: a valid regular expression"),
    ],
    ids=["no-group", "two-groups", "does-not-compile"],
)
def test_fails_metric_regex(regex: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricDefinition(name="auc", regex=regex)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": []}, r"channels: got 0; allowed: a list of 1 to 20 items"),
        ({"channels": "dup"}, r"channels: got \['train', 'train'\]; allowed: unique channel names"),
        ({"max_runtime_s": 0}, r"max_runtime_s: got 0; allowed: an integer from 1 to 2419200"),
        ({"spot": "short-wait"}, r"spot.max_wait_s: got 60; allowed: at least max_runtime_s \(3600\)"),
        (
            {"compute": "two-instances-no-self-ref"},
            r"security.network: got 'no self-referencing group'; allowed: a security group allowing traffic from itself",
        ),
        ({"retry_attempts": 31}, r"retry_attempts: got 31; allowed: an integer from 1 to 30"),
        (
            {"hyperparameters": {"layers": [1, 2]}},
            r"hyperparameters\['layers'\]: got \[1, 2\]; allowed: a str, int, float or bool",
        ),
        ({"metric_definitions": "dup"}, r"metric_definitions: got \['auc', 'auc'\]; allowed: unique names"),
        ({"environment": {"X": None}}, r"environment\['X'\]: got None"),
    ],
    ids=[
        "no-channels",
        "duplicate-channels",
        "zero-runtime",
        "max-wait-below-runtime",
        "multi-instance-without-self-referencing-group",
        "too-many-retries",
        "unstringable-hyperparameter",
        "duplicate-metrics",
        "none-environment-value",
    ],
)
def test_fails_training_spec(env: Env, kwargs: dict[str, Any], message: str) -> None:
    if kwargs.get("channels") == "dup":
        kwargs["channels"] = [
            Channel(name="train", bucket=env.bucket, prefix="a/"),
            Channel(name="train", bucket=env.bucket, prefix="b/"),
        ]
    if kwargs.get("spot") == "short-wait":
        kwargs = {
            "max_runtime_s": 3600,
            "spot": SpotTraining(checkpoint_bucket=env.bucket, checkpoint_prefix="c/", max_wait_s=60),
        }
    if kwargs.get("compute") == "two-instances-no-self-ref":
        plain = JobNetwork(subnet_ids=["subnet-1"], security_group_ids=["sg-1"])
        kwargs = {
            "compute": JobCompute(instance_count=2),
            "security": JobSecurity(network=plain, volume_key=env.key, output_key=env.key),
        }
    if kwargs.get("metric_definitions") == "dup":
        kwargs["metric_definitions"] = [MetricDefinition(name="auc", regex="auc=(.*)")] * 2
    with pytest.raises(ValueError, match=message):
        env.training(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instance_type": "m5.xlarge"}, r"instance_type: got 'm5.xlarge'"),
        ({"instance_count": 0}, r"instance_count: got 0; allowed: an integer from 1 to 100"),
        ({"volume_size_gb": 0}, r"volume_size_gb: got 0"),
    ],
    ids=["instance-type", "zero-instances", "zero-volume"],
)
def test_fails_compute(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobCompute(**kwargs)


def test_fails_network_limits() -> None:
    with pytest.raises(
        ValueError, match=r"subnet_ids: got 0; allowed: 1 to 16 subnets\n  - security_group_ids: got 6; allowed: 1 to 5"
    ):
        JobNetwork(subnet_ids=[], security_group_ids=[f"sg-{i}" for i in range(6)])


def test_fails_job_names(env: Env) -> None:
    with pytest.raises(ValueError, match=r"job_name: got 'my_job'"):
        env.training().to_request("my_job")
    with pytest.raises(ValueError, match=r"job name prefix: got 'a-very-long-prefix-for-jobs'; allowed: 1-20 letters"):
        run_time_job_name("a-very-long-prefix-for-jobs")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"entrypoint": []},
            r"entrypoint: got 0; allowed: a list of 1 to 100 items",
        ),
        ({"inputs": "same-name"}, r"inputs/outputs: got \['data', 'data'\]; allowed: unique names"),
        ({"inputs": "same-path"}, r"local_path: got .*; allowed: distinct local paths"),
        ({"max_runtime_s": 777_601}, r"max_runtime_s: got 777601; allowed: an integer from 1 to 777600"),
    ],
    ids=["empty-entrypoint", "duplicate-names", "duplicate-local-paths", "runtime-too-long"],
)
def test_fails_processing_spec(env: Env, kwargs: dict[str, Any], message: str) -> None:
    if kwargs.get("inputs") == "same-name":
        kwargs = {
            "inputs": [ProcessingInput(name="data", bucket=env.bucket, prefix="a/", local_path="/opt/ml/processing/a")],
            "outputs": [
                ProcessingOutput(name="data", bucket=env.bucket, prefix="b/", local_path="/opt/ml/processing/b")
            ],
        }
    if kwargs.get("inputs") == "same-path":
        kwargs = {
            "inputs": [
                ProcessingInput(name="a", bucket=env.bucket, prefix="a/", local_path="/opt/ml/processing/x"),
                ProcessingInput(name="b", bucket=env.bucket, prefix="b/", local_path="/opt/ml/processing/x"),
            ]
        }
    with pytest.raises(ValueError, match=message):
        ProcessingJobSpec(
            **{"image_uri": IMAGE, "role_arn": ROLE, "security": env.security, "entrypoint": ["process"], **kwargs}
        )


def test_fails_processing_paths_outside_the_contract(env: Env) -> None:
    with pytest.raises(
        ValueError, match=re.escape("local_path: got '/data'; allowed: an absolute path under /opt/ml/processing/")
    ):
        ProcessingInput(name="raw", bucket=env.bucket, prefix="raw/", local_path="/data")


# --- tuning and batch transform -----------------------------------------------------------------

AUC = MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")


def _tuning(env: Env, **kwargs: Any) -> TuningJobSpec:
    training = kwargs.pop("training", None) or env.training(
        metric_definitions=[AUC], hyperparameters={"objective": "binary:logistic"}
    )
    base: dict[str, Any] = {
        "training": training,
        "objective_metric": "validation:auc",
        "integer_ranges": [IntegerRange(name="max_depth", min_value=3, max_value=10)],
    }
    return TuningJobSpec(**{**base, **kwargs})


def test_tuning_request_is_valid_for_the_sagemaker_api(env: Env) -> None:
    spec = _tuning(
        env,
        continuous_ranges=[ContinuousRange(name="eta", min_value=0.01, max_value=0.3, scaling=Scaling.LOGARITHMIC)],
        categorical_ranges=[CategoricalRange(name="booster", values=["gbtree", "dart"])],
        max_training_jobs=30,
        max_parallel_jobs=3,
        warm_start_parents=["churn-tune-1"],
    )
    request = spec.to_request("churn-tune-2")
    _validate("CreateHyperParameterTuningJob", request)
    definition = request["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {"objective": "binary:logistic"}
    assert definition["EnableNetworkIsolation"] is True and "VpcConfig" in definition
    assert request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"] == {
        "Type": "Maximize",
        "MetricName": "validation:auc",
    }
    params = spec.to_state_machine_parameters("tune")
    assert params["HyperParameterTuningJobName.$"] == (
        "States.Format('tune-{}', States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 0))"
    )


def test_transform_request_is_valid_for_the_sagemaker_api(env: Env) -> None:
    spec = TransformJobSpec(
        model_name="churn-model",
        input_bucket=env.bucket,
        input_prefix="batch/in/",
        output_bucket=env.bucket,
        output_prefix="batch/out/",
        key=env.key,
        join_source=JoinSource.INPUT,
        input_filter="$[1:]",
        output_filter="$[0,-1]",
        max_concurrent_transforms=2,
    )
    request = spec.to_request("score-001")
    _validate("CreateTransformJob", request)
    assert request["TransformOutput"]["KmsKeyId"] == request["TransformResources"]["VolumeKmsKeyId"] == env.key.key_arn
    assert request["DataProcessing"] == {"JoinSource": "Input", "InputFilter": "$[1:]", "OutputFilter": "$[0,-1]"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"objective_metric": "auc"},
            r"objective_metric: got 'auc'; allowed: one of the training spec's metric definitions \['validation:auc'\]",
        ),
        ({"integer_ranges": []}, r"ranges: got 0; allowed: at least one"),
        (
            {"integer_ranges": [IntegerRange(name="d", min_value=5, max_value=5)]},
            r"range 'd': got \(5, 5\); allowed: min_value < max_value",
        ),
        (
            {
                "continuous_ranges": [
                    ContinuousRange(name="eta", min_value=0.0, max_value=0.3, scaling=Scaling.LOGARITHMIC)
                ]
            },
            r"range 'eta'.min_value: got 0.0; allowed: a value > 0 with Logarithmic scaling",
        ),
        (
            {
                "continuous_ranges": [
                    ContinuousRange(name="m", min_value=0.5, max_value=1.5, scaling=Scaling.REVERSE_LOGARITHMIC)
                ]
            },
            r"a continuous range below 1 with ReverseLogarithmic scaling",
        ),
        (
            {"categorical_ranges": [CategoricalRange(name="objective", values=["a"])]},
            r"ranges: got \['objective'\]; allowed: hyperparameters not also fixed",
        ),
        (
            {"categorical_ranges": [CategoricalRange(name="c", values=[])]},
            r"range 'c'.values: got 0; allowed: 1 to 30 values",
        ),
        (
            {"max_training_jobs": 2, "max_parallel_jobs": 3},
            r"max_parallel_jobs: got 3; allowed: at most max_training_jobs \(2\)",
        ),
        ({"strategy": Strategy.HYPERBAND}, r"early_stopping: got True; allowed: False with Hyperband"),
        ({"warm_start_parents": ["p"] * 6}, r"warm_start_parents: got 6; allowed: at most 5"),
        (
            {
                "integer_ranges": [
                    IntegerRange(name="d", min_value=1, max_value=9),
                    IntegerRange(name="d", min_value=2, max_value=3),
                ]
            },
            r"ranges: got \['d', 'd'\]; allowed: each hyperparameter in one range",
        ),
    ],
    ids=[
        "objective-not-defined",
        "no-ranges",
        "empty-range",
        "log-scale-zero-bound",
        "reverse-log-above-one",
        "range-also-fixed",
        "empty-categorical",
        "parallel-above-total",
        "hyperband-with-early-stopping",
        "too-many-parents",
        "duplicate-range",
    ],
)
def test_fails_tuning_spec(env: Env, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _tuning(env, **kwargs)


def test_fails_tuning_job_name_over_32(env: Env) -> None:
    with pytest.raises(ValueError, match=r"job_name: got 'x{33}'; allowed: 1-32"):
        _tuning(env).to_request("x" * 33)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_strategy": "Batch"}, r"batch_strategy: got 'Batch'; allowed: one of 'MultiRecord', 'SingleRecord'"),
        ({"max_payload_mb": 101}, r"max_payload_mb: got 101"),
        ({"input_filter": "[1:]"}, r"input_filter: got '\[1:\]'; allowed: a JSONPath expression"),
        (
            {"join_source": JoinSource.INPUT, "split_type": SplitType.NONE},
            r"join_source: got 'Input'; allowed: None unless split_type",
        ),
    ],
    ids=["bad-batch-strategy", "payload-too-big", "filter-not-jsonpath", "join-without-split"],
)
def test_fails_transform_spec(env: Env, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TransformJobSpec(
            model_name="m",
            input_bucket=env.bucket,
            input_prefix="i/",
            output_bucket=env.bucket,
            output_prefix="o/",
            key=env.key,
            **kwargs,
        )


SPARK_IMAGE = "571004829621.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-spark-processing:3.5-cpu-py39-v1.0"


def _spark(env: Env, **kwargs: Any) -> PySparkJob:
    base: dict[str, Any] = {
        "image_uri": SPARK_IMAGE,
        "role_arn": ROLE,
        "security": env.security,
        "code_bucket": env.bucket,
        "submit_app_key": "spark/prepare.py",
    }
    return PySparkJob(**{**base, **kwargs})


def test_pyspark_job_is_a_valid_processing_request(env: Env) -> None:
    job = _spark(
        env,
        py_files_prefix="spark/lib/",
        configuration_prefix="spark/conf/",
        event_logs_bucket=env.bucket,
        arguments=["--input", "s3://ml-data/raw/"],
        outputs=[
            ProcessingOutput(
                name="prepared", bucket=env.bucket, prefix="prepared/", local_path="/opt/ml/processing/output/prepared"
            )
        ],
    )
    request = job.to_processing_job().to_request("spark-prep-001")
    _validate("CreateProcessingJob", request)
    app = request["AppSpecification"]
    assert app["ContainerEntrypoint"] == [
        "smspark-submit",
        "--py-files",
        "/opt/ml/processing/input/py-files",
        "--local-spark-event-logs-dir",
        "/opt/ml/processing/spark-events/",
        "/opt/ml/processing/input/code/prepare.py",
    ]
    assert app["ContainerArguments"] == ["--input", "s3://ml-data/raw/"]
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["code"]["S3Uri"] == "s3://ml-data/spark/prepare.py"
    assert inputs["conf"]["LocalPath"] == "/opt/ml/processing/input/conf"
    events = next(o for o in request["ProcessingOutputConfig"]["Outputs"] if o["OutputName"] == "spark-events")
    assert events["S3Output"]["S3UploadMode"] == "Continuous"
    assert request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert request["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"submit_app_key": "spark/prepare.jar"}, r"submit_app_key: got 'spark/prepare.jar'; allowed: the S3 key of a"),
        ({"submit_app_key": "/spark/prepare.py"}, r"submit_app_key: got '/spark/prepare.py'"),
    ],
    ids=["not-a-py-file", "leading-slash"],
)
def test_fails_pyspark_job(env: Env, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _spark(env, **kwargs)


def test_state_machine_checkpoints_are_per_execution(env: Env) -> None:
    spec = env.training(spot=SpotTraining(checkpoint_bucket=env.bucket, checkpoint_prefix="ckpt", max_wait_s=90_000))
    config = spec.to_state_machine_parameters("churn-train")["CheckpointConfig"]
    assert config == {
        "S3Uri.$": "States.Format('s3://ml-data/ckpt/{}/', $$.Execution.Name)",
        "LocalPath": "/opt/ml/checkpoints",
    }


def test_fails_checkpoint_prefix_that_breaks_the_format(env: Env) -> None:
    with pytest.raises(
        ValueError, match=r"spot.checkpoint_prefix: got \"ck'pt/\"; allowed: a key prefix without quotes"
    ):
        env.training(spot=SpotTraining(checkpoint_bucket=env.bucket, checkpoint_prefix="ck'pt/", max_wait_s=90_000))


def test_fails_pyspark_input_named_like_the_containers_own(env: Env) -> None:
    conf = ProcessingInput(name="conf", bucket=env.bucket, prefix="x/", local_path="/opt/ml/processing/x")
    with pytest.raises(ValueError, match=r"inputs/outputs: got \['conf'\]; allowed: names other than"):
        _spark(env, inputs=[conf])


def test_fails_multi_node_spark_without_self_referencing_group(env: Env) -> None:
    network = JobNetwork(subnet_ids=["subnet-0a1b2c3d"], security_group_ids=["sg-0123abcd"])
    security = JobSecurity(network=network, volume_key=env.key, output_key=env.key)
    with pytest.raises(ValueError, match=r"security.network: got 'no self-referencing security group'"):
        _spark(env, security=security)


# --- instance types with NVMe instance storage: SageMaker refuses VolumeKmsKeyId ----------------


#: Which instance-type enum of the API model each job request uses.
_USES = {
    "CreateTrainingJob": "training",
    "CreateHyperParameterTuningJob": "training",
    "CreateProcessingJob": "processing",
    "CreateTransformJob": "transform",
}


def _storage_specs(env: Env, instance_type: str) -> dict[str, Any]:
    """One spec per job kind that offers ``instance_type`` (each kind has its own list in the API model)."""
    from sagemaker_platform._constraints import api

    offered = {op for op, use in _USES.items() if instance_type in api.instance_types(use)}
    assert offered, instance_type
    compute = JobCompute(instance_type=instance_type)
    auc = MetricDefinition(name="validation:auc", regex=r"validation:auc=([0-9.]+)")
    training = env.training(compute=compute, metric_definitions=[auc]) if "CreateTrainingJob" in offered else None
    specs = {
        "CreateTrainingJob": lambda: training,
        "CreateProcessingJob": lambda: ProcessingJobSpec(
            image_uri=IMAGE, role_arn=ROLE, security=env.security, entrypoint=["process"], compute=compute
        ),
        "CreateTransformJob": lambda: TransformJobSpec(
            model_name="m",
            input_bucket=env.bucket,
            input_prefix="in/",
            output_bucket=env.bucket,
            output_prefix="out/",
            key=env.key,
            compute=compute,
        ),
        "CreateHyperParameterTuningJob": lambda: TuningJobSpec(
            training=training,
            objective_metric="validation:auc",
            integer_ranges=[IntegerRange(name="max_depth", min_value=3, max_value=9)],
        ),
    }
    return {op: make() for op, make in specs.items() if op in offered}


def _volume_key(operation: str, request: dict[str, Any]) -> Any:
    section = {
        "CreateTrainingJob": lambda r: r["ResourceConfig"],
        "CreateProcessingJob": lambda r: r["ProcessingResources"]["ClusterConfig"],
        "CreateTransformJob": lambda r: r["TransformResources"],
        "CreateHyperParameterTuningJob": lambda r: r["TrainingJobDefinition"]["ResourceConfig"],
    }[operation](request)
    return section.get("VolumeKmsKeyId")


@pytest.mark.parametrize("instance_type", ["ml.g4dn.xlarge", "ml.g5.2xlarge", "ml.p4d.24xlarge", "ml.r5d.xlarge"])
def test_jobs_on_instance_storage_leave_out_the_volume_key_and_say_why(env: Env, instance_type: str) -> None:
    from sagemaker_platform.jobs.common import InstanceStorageWarning

    for operation, spec in _storage_specs(env, instance_type).items():
        with pytest.warns(InstanceStorageWarning, match=f"no VolumeKmsKeyId because {re.escape(instance_type)}"):
            request = spec.to_request("job-001")
        _validate(operation, request)
        assert _volume_key(operation, request) is None, operation
        assert spec.notes and "NVMe instance storage" in spec.notes[0]
        assert "VolumeKmsKeyId" not in str(spec.to_state_machine_parameters("job"))


@pytest.mark.parametrize("instance_type", ["ml.m5.xlarge", "ml.c5.2xlarge", "ml.p3.2xlarge", "ml.r5.xlarge"])
def test_jobs_on_ebs_instance_types_keep_the_volume_key(env: Env, instance_type: str) -> None:
    import warnings

    for operation, spec in _storage_specs(env, instance_type).items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            request = spec.to_request("job-001")
        assert _volume_key(operation, request) == env.key.key_arn, operation
        assert spec.notes == ()
