"""The deploy rehearsal as a referee: the reference app passes it, and it fails on each defect it exists for.

``make rehearse`` runs the same rehearsal on ``make synth``'s cloud assembly; here the reference app
is synthesized with its assets staged (as the CLI stages them) and rehearsed once per run. The
defect tests rehearse small apps that reintroduce, one each, the defects of issue 12: they fail on
the code before the fixes and must keep failing if a defect comes back.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_stepfunctions as sfn

from sagemaker_platform import (
    AccessLogsBucket,
    AlarmFactory,
    ContainerSpec,
    DataCaptureSettings,
    DataQualityMonitor,
    DataQualityMonitorProps,
    Endpoint,
    EndpointProps,
    IsolatedNetwork,
    IsolatedNetworkProps,
    Model,
    ModelArtifact,
    ModelImage,
    ModelProps,
    NotificationTopic,
    NotificationTopicProps,
    PlatformKeys,
    SecureBucket,
    SecureBucketProps,
    Thresholds,
    VariantSpec,
)
from tests.harness import IN_CI, REPO, S3_PREFIX_LIST, SynthResult, make_app, require_tool
from tools.rehearsal.assembly import DockerAsset
from tools.rehearsal.images import base_images
from tools.rehearsal.run import Rehearsal, Report

pytestmark = pytest.mark.slow


def _podman() -> None:
    require_tool(shutil.which("podman"), "podman (.ci/run installs it)")


@pytest.fixture(scope="module")
def rehearsed(reference: SynthResult) -> Report:
    _podman()
    assert reference.error is None, reference.error
    return Rehearsal(reference.outdir, note=lambda message: None).run()


# --- the reference app -----------------------------------------------------------------------------


def test_the_reference_app_survives_its_deploy_rehearsal(rehearsed: Report) -> None:
    assert rehearsed.passed, rehearsed.render()


def test_every_image_asset_builds_from_its_staged_folder_and_keeps_its_contract(rehearsed: Report) -> None:
    roles = {image.role: image for image in rehearsed.images}
    assert set(roles) == {"processing", "training", "serving"}
    for image in rehearsed.images:
        assert image.asset.directory.name == f"asset.{image.asset.asset_hash}", "built in the staged folder"
        assert "--build-arg" not in image.command, "no build arguments: the Dockerfile's defaults build"
    assert roles["serving"].contract.startswith("/ping 200, /invocations 200")
    assert roles["serving"].contract.endswith("SIGTERM exit 0")
    assert "ok" in roles["training"].contract and "ok" in roles["processing"].contract


def test_every_stack_deploys_in_the_clis_order(rehearsed: Report) -> None:
    order = [d.artifact.display_name for d in rehearsed.deployed]
    assert order.index("Dev/Foundation") < order.index("Dev/Training") < order.index("Dev/Serving")
    assert order.index("Dev/Serving") < order.index("Dev/Monitoring")
    assert {d.status for d in rehearsed.deployed} <= {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    assert len([d for d in rehearsed.deployed if d.artifact.display_name.startswith(("Dev/", "Prod/"))]) >= 11


def test_what_deployed_resources_refer_to_existed_when_they_were_deployed(rehearsed: Report) -> None:
    kinds = {r.kind for r in rehearsed.references}
    assert {"object", "image", "parameter", "location", "runtime"} <= kinds
    assert all(r.exists for r in rehearsed.references)
    seed = [r for r in rehearsed.references if r.path.endswith("ModelDataUrl") and "Serving" in r.stack]
    assert seed and all(".gz" in r.value for r in seed), "the endpoints' first model is the seed asset"


def test_the_challenger_takes_the_approved_model_only_through_a_cloudformation_update(rehearsed: Report) -> None:
    lines = "\n".join(rehearsed.executions)
    assert re.search(r"Dev: pipeline run SUCCEEDED .*Prepare -> Train .* -> RegisterModel -> Registered", lines)
    assert re.search(r"Dev: the release's event started the delivery: \S*StartOnRelease\S* -> \S*Pipeline", lines)
    assert "Dev: serving stack deployed again: UPDATE_COMPLETE" in lines
    assert re.search(r"Dev: smoke test \(after the release, through CloudFormation\) of challenger: exit 0, .*"
                     r"model-package/churn-dev-models/1", lines)  # fmt: skip
    # Prod waits for a person: the rehearsal approves as one would, and the same path follows; its
    # release event crosses to the pipeline account's bus.
    assert re.search(r"Prod: the release's event started the delivery: \S*StartOnRelease", lines)
    assert re.search(r"Prod: smoke test \(after the release, through CloudFormation\) of challenger: exit 0", lines)


# --- each defect, reintroduced ------------------------------------------------------------------


class DefectsApp:
    """One app with one instance of each of issue 12's template defects (2 to 7), for one rehearsal."""

    def __init__(self, outdir: Path) -> None:
        self.app = make_app(outdir, stage_assets=True)
        base = Stack(self.app, "Base")
        keys = PlatformKeys(base, "Keys")
        logs = AccessLogsBucket(base, "Logs").bucket
        self.models = SecureBucket(
            base, "Models", SecureBucketProps(encryption_key=keys.models, access_logs_bucket=logs)
        )
        self.data = SecureBucket(base, "Data", SecureBucketProps(encryption_key=keys.data, access_logs_bucket=logs))
        network = IsolatedNetwork(
            base, "Net", IsolatedNetworkProps(s3_prefix_list_id=S3_PREFIX_LIST, flow_logs_key=keys.logs)
        )
        topic = NotificationTopic(base, "Alerts", NotificationTopicProps(encryption_key=keys.notifications)).topic
        serving = Stack(self.app, "Serving")
        image = ModelImage.from_asset(REPO / "containers" / "inference")
        # Defect 2: a model whose artifact nobody uploaded.
        model = Model(
            serving,
            "Unseeded",
            ModelProps(
                containers=[ContainerSpec(image=image, model_data=ModelArtifact(bucket=self.models.bucket,
                                                                                 key="models/nobody/model.tar.gz"))],
                network=network,
                model_key=keys.models,
            ),
        )  # fmt: skip
        common: dict[str, Any] = {"alarm_topic": topic, "volume_key": keys.models}
        # Defect 5: autoscaling retains every variant property, weights included.
        ab = Endpoint(serving, "Ab", EndpointProps(production_variants=[
            VariantSpec(variant_name="a", model=model, initial_weight=90),
            VariantSpec(variant_name="b", model=model, initial_weight=10),
        ], **common))  # fmt: skip
        ab.scale_variant("a", min_capacity=1, max_capacity=2).scale_on_invocations(target_per_instance=100)
        ab.resource.add_property_deletion_override("ExcludeRetainedVariantProperties")
        # Defect 6: a volume key on an instance type with NVMe storage (a hand-written override).
        nvme = Endpoint(serving, "Nvme", EndpointProps(
            production_variants=[VariantSpec(variant_name="g", model=model, instance_type="ml.c5d.xlarge")],
            **common,
        ))  # fmt: skip
        nvme.config.add_property_override("KmsKeyId", keys.models.key_arn)
        # Defect 4: a monitor whose baseline no job writes, whose alarm goes quiet on missing data.
        captured = Endpoint(serving, "Captured", EndpointProps(
            production_variants=[VariantSpec(variant_name="live", model=model)],
            data_capture=DataCaptureSettings(bucket=self.data.bucket, prefix="capture/"),
            **common,
        ))  # fmt: skip
        quiet = Thresholds(critical=1, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                           treat_missing_data=cw.TreatMissingData.NOT_BREACHING)  # fmt: skip
        DataQualityMonitor(serving, "Monitor", DataQualityMonitorProps(
            endpoint=captured, network=network, baseline_bucket=self.data.bucket,
            constraints_key="baseline/constraints.json", statistics_key="baseline/statistics.json",
            output_bucket=self.data.bucket, volume_key=keys.models, alarms=AlarmFactory(topic),
            drift_features=["_c0"], missing_runs=quiet,
        ))  # fmt: skip
        # Defect 3 and 7: a state machine that updates an endpoint CloudFormation owns, and a notice
        # with no Retry or Catch.
        update = sfn.CustomState(serving, "UpdateEndpoint", state_json={
            "Type": "Task", "Resource": "arn:aws:states:::sagemaker:updateEndpoint",
            "Parameters": {"EndpointName": ab.endpoint_name, "EndpointConfigName": "made-by-the-pipeline"},
        })  # fmt: skip
        notify = sfn.CustomState(serving, "Notify", state_json={
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": topic.topic_arn, "Message": "failed"},
        })  # fmt: skip
        sfn.StateMachine(serving, "Deployer", definition_body=sfn.DefinitionBody.from_chainable(update.next(notify)))
        self.app.synth()
        self.outdir = outdir


@pytest.fixture(scope="module")
def defects(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    app = DefectsApp(tmp_path_factory.mktemp("defects") / "cdk.out")
    report = Rehearsal(app.outdir, images=False, afterwards=False, note=lambda message: None).run()
    assert not report.passed
    return report.problems


def _one(problems: list[str], *patterns: str) -> str:
    found = [p for p in problems if all(re.search(pattern, p) for pattern in patterns)]
    assert len(found) == 1, f"{patterns} in:\n" + "\n".join(problems)
    return found[0]


def test_defect_2_a_model_whose_artifact_nobody_uploaded(defects: list[str]) -> None:
    _one(defects, r"Serving Unseeded\w+ \(AWS::SageMaker::Model\) PrimaryContainer.ModelDataUrl",
         r"models/nobody/model.tar.gz refers to a object that does not exist")  # fmt: skip


def test_defect_3_a_state_machine_that_changes_cloudformations_endpoint(defects: list[str]) -> None:
    _one(defects, r"state 'UpdateEndpoint' calls updateEndpoint on endpoint Serving-Ab-\w+, which Serving owns")


def test_defect_4_a_monitor_without_a_baseline_and_without_an_alarm_on_missing_runs(defects: list[str]) -> None:
    _one(defects, r"ConstraintsResource s3://.*/baseline/constraints.json is written by no deployed pipeline")
    _one(defects, r"no alarm on schedule .*treats missing data as breaching")


def test_defect_5_retained_variant_weights(defects: list[str]) -> None:
    _one(defects, r"Serving Ab\w+: RetainAllVariantProperties keeps the live variant weights")


def test_defect_6_a_volume_key_on_nvme_instance_storage(defects: list[str]) -> None:
    _one(defects, r"NvmeConfig\w+: a volume KMS key on ml.c5d.xlarge, which has NVMe instance storage")


def test_defect_7_a_notice_without_retry_or_catch(defects: list[str]) -> None:
    _one(defects, r"state 'Notify': an SNS notice without Retry and Catch")


#: The inference Dockerfile as it was before issue 12: local mode's base by default, a gitignored wheelhouse.
_LOCAL_ONLY = """ARG BASE_IMAGE=localhost/sagemaker-platform/python-base:bookworm-py311
FROM ${BASE_IMAGE}
COPY requirements.txt /build/requirements.txt
COPY wheelhouse/ /build/wheelhouse/
COPY src/ /opt/program/src/
CMD ["serve"]
"""


def test_defect_1_an_image_that_only_builds_on_this_machine(tmp_path: Path) -> None:
    _podman()
    from sagemaker_platform.local import PodmanRunner, Workspace
    from sagemaker_platform.local.images import ImageBuilder
    from tools.rehearsal.images import AssetBuilder

    staged = tmp_path / "asset.0123"
    shutil.copytree(REPO / "containers" / "inference", staged)
    (staged / "Dockerfile").write_text(_LOCAL_ONLY)
    runner = PodmanRunner(Workspace(REPO), install_missing=IN_CI)
    builder = AssetBuilder(runner.engine, ImageBuilder(runner.engine, note=lambda m: None).build_base(), lambda m: None)
    asset = DockerAsset(asset_hash="0123", display_name="Old/ImageAsset", directory=staged, dockerfile=None,
                        build_args={}, platform="linux/amd64", target=None, repository="r", tag="0123")  # fmt: skip
    image, problems = builder.build(asset)
    assert image is None
    (problem,) = problems
    assert "Old/ImageAsset: `podman build --tag localhost/cdkasset-0123:latest --platform linux/amd64" in problem
    assert "wheelhouse" in problem, problem[-500:]


@pytest.mark.parametrize(
    ("dockerfile", "args", "bases"),
    [
        ("ARG BASE_IMAGE=python:3.11-slim-bookworm\nARG BUILD_IMAGE=${BASE_IMAGE}\nFROM ${BUILD_IMAGE} AS build\n"
         "FROM ${BASE_IMAGE}\nCOPY --from=build /x /x\n", {}, ["python:3.11-slim-bookworm"]),
        ("ARG BASE_IMAGE=python:3.11-slim-bookworm\nARG BUILD_IMAGE=${BASE_IMAGE}\nFROM ${BUILD_IMAGE} AS build\n"
         "FROM ${BASE_IMAGE}\n", {"BUILD_IMAGE": "localhost/b@sha256:1"}, ["localhost/b@sha256:1", "python:3.11-slim-bookworm"]),
        ("FROM scratch\n", {}, []),
    ],
    ids=["defaults", "build-arg", "scratch"],
)  # fmt: skip
def test_base_images_follow_arg_defaults_and_build_args(
    dockerfile: str, args: dict[str, str], bases: list[str]
) -> None:
    assert base_images(dockerfile, args) == bases


def test_the_committed_dockerfiles_start_from_an_official_image() -> None:
    for name in ("training", "processing", "inference"):
        (base,) = set(base_images((REPO / "containers" / name / "Dockerfile").read_text(), {}))
        assert base == "python:3.11-slim-bookworm", (name, base)
        assert json.dumps(base).count("/") == 0, "no registry host"


def test_the_readme_names_what_moto_creates_and_what_is_stood_in_for(rehearsed: Report) -> None:
    rows = {
        line.split("|")[1].strip(): set(re.findall(r"`(AWS::[\w:]+)`", line))
        for line in (REPO / "README.md").read_text().splitlines()
        if line.startswith(("| moto creates |", "| stood in for |"))
    }
    assert rows["stood in for"] == set(rehearsed.standins)
    deployed = {kind for d in rehearsed.deployed for _, kind, _ in d.resources if not kind.startswith("Custom::")}
    assert rows["moto creates"] == deployed - set(rehearsed.standins)
