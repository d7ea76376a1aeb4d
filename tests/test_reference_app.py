"""The reference app as a whole: every referee, snapshots, determinism and data safety."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from syrupy.extensions.json import JSONSnapshotExtension

from tests.harness import (
    SynthResult,
    cdk_context,
    make_app,
    normalize_template,
    run,
    venv_tool,
    violations,
)

# Logical IDs of everything that holds data or makes data readable. A renamed construct ID gives a
# new logical ID, and CloudFormation then REPLACES the resource: a replaced key leaves everything
# it encrypted unreadable once the old key is deleted; a replaced bucket strands its objects.
# Endpoints hold no data, but a replaced endpoint is downtime and lost autoscaled capacity.
PINNED_STATEFUL_IDS: dict[str, dict[str, set[str]]] = {
    "Foundation": {
        "AWS::KMS::Key": {
            "KeysDataKey8F3FE3A4",
            "KeysModelsKeyBBEE4091",
            "KeysLogsKeyD24E82DB",
            "KeysFeatureStoreKey56DB9B1A",
            "KeysNotificationsKeyF628B47E",
        },
        "AWS::S3::Bucket": {"AccessLogs247031D9", "DataBucketB1A7365C", "ModelBucket220C70D9"},
        "AWS::Logs::LogGroup": {"NetworkFlowLogGroup4F8CEEEF"},
    },
    "Serving": {
        "AWS::SageMaker::Endpoint": {"AbEndpoint1695E45A", "ShadowEndpointD9B8B347", "AsyncEndpoint78E71913"},
    },
    # The model registry holds every approved model's lineage; the log groups, every execution's history;
    # the release parameters, what the endpoints serve (a new parameter would start again at "seed").
    "Training": {
        "AWS::SageMaker::ModelPackageGroup": {"PipelineModelPackageGroup26A0C73B"},
        "AWS::Logs::LogGroup": {"PipelineLogs402221E7", "ChallengerReleaseLogsC3F65245"},
        "AWS::StepFunctions::StateMachine": {"Pipeline8E4BFAC9", "ChallengerRelease7491C8D7"},
        "AWS::SSM::Parameter": {"ChallengerReleaseParameterDB21634B", "ChampionReleaseParameter9542E4F8"},
    },
    # Nothing in monitoring holds data; the dashboard is pinned so its name and history survive edits.
    "Monitoring": {"AWS::CloudWatch::Dashboard": {"Dashboard7A06DACF"}},
    # A feature group's RoleArn is create-only: a new role ID would replace the group too.
    "FeatureStore": {
        "AWS::SageMaker::FeatureGroup": {"Customers6955EA0A", "Transactions098C5767"},
        "AWS::IAM::Role": {"CustomersRoleD266391B", "TransactionsRole6C4B5324"},
    },
}
RETAINED_TYPES = {
    "AWS::KMS::Key",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::SageMaker::FeatureGroup",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::SSM::Parameter",
}
STACKS = [
    f"{stage}/{stack}"
    for stage in ("Dev", "Prod")
    for stack in ("FeatureStore", "Foundation", "Monitoring", "Serving", "Training")
]
# Only dev configures a model fleet (cdk.json), split over nested stacks.
STACKS.insert(STACKS.index("Dev/FeatureStore") + 1, "Dev/Fleet")


def test_nag_packs_report_no_unacknowledged_findings(reference: SynthResult) -> None:
    found = violations(reference.validation_report())
    assert not found, "cdk-nag findings (fix them or acknowledge at the narrowest scope with a reason):\n" + "\n".join(
        found
    )
    assert reference.error is None, reference.error


def test_nag_packs_catch_an_unsafe_bucket(tmp_path: Path) -> None:
    # Negative control: successful packs are omitted from the report, so prove the wiring works by
    # adding a default (unencrypted, unlogged) bucket and expecting every pack to fail synthesis.
    import app as app_module

    app = make_app(tmp_path / "cdk.out", **cdk_context())
    config, stages = app_module.build_stages(app)
    s3.Bucket(stages[0].foundation, "UnsafeBucket")
    # The delivery pipeline synthesizes the stages early: the packs must still see their stacks.
    app_module.add_delivery(app, config, stages)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    failed = {p["pluginName"] for p in report["pluginReports"] if p["conclusion"] == "failure"}
    assert {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5"} <= failed
    paths = {
        c["constructPath"]
        for line in report["pluginReports"]
        for v in line["violations"]
        for c in v["violatingConstructs"]
    }
    assert paths == {"Dev/Foundation/UnsafeBucket/Resource"}, "only the unsafe bucket may be flagged"


def test_every_stage_and_stack_is_synthesized(reference: SynthResult) -> None:
    names = sorted(s.node.path for s in reference.stacks)
    assert names == STACKS
    nested = [p for p in reference.template_paths() if p.name.endswith(".nested.template.json")]
    assert len(reference.template_paths()) - len(nested) == len(STACKS)
    assert len(nested) == 2, "dev's 3 fleet members at 2 per stack make 2 nested stacks"


@pytest.mark.slow
def test_cfn_lint_reports_nothing(reference: SynthResult) -> None:
    cfn_lint = venv_tool("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency; run `make test` to install it"
    paths = [str(p) for p in reference.template_paths()]
    result = run([cfn_lint, "--format", "parseable", *paths])
    assert result.returncode == 0, f"cfn-lint findings (errors and warnings both fail):\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("stack_path", STACKS, ids=[s.replace("/", "") for s in STACKS])
def test_stack_snapshot(reference: SynthResult, stack_path: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    stack = next(s for s in reference.stacks if s.node.path == stack_path)
    template = normalize_template(Template.from_stack(stack).to_json())
    assert template == snapshot(extension_class=JSONSnapshotExtension)


@pytest.mark.parametrize("stack_path", STACKS)
def test_stateful_logical_ids_are_pinned(reference: SynthResult, stack_path: str) -> None:
    stack = next(s for s in reference.stacks if s.node.path == stack_path)
    resources = Template.from_stack(stack).to_json()["Resources"]
    for rtype, pinned in PINNED_STATEFUL_IDS.get(stack.node.id, {}).items():
        actual = {lid for lid, r in resources.items() if r["Type"] == rtype}
        # Pinned IDs must survive (a rename replaces the resource); data-holding types must all be
        # pinned (so a new bucket or key is pinned too). Other pinned types may have siblings.
        missing = pinned - actual
        unpinned = actual - pinned if rtype in RETAINED_TYPES else set()
        assert not missing and not unpinned, (
            f"{stack_path}: logical IDs of {rtype} changed.\n  missing: {sorted(missing)}\n  not pinned: {sorted(unpinned)}\n"
            "A changed logical ID makes CloudFormation replace the resource: data in a replaced "
            "bucket is stranded and data under a replaced key becomes unreadable. Restore the "
            "construct ID, or, if the replacement is intended and migrated, pin the new ID here."
        )
        for lid in actual if rtype in RETAINED_TYPES else ():
            assert resources[lid].get("DeletionPolicy") == "Retain", f"{stack_path}: {lid} must be retained"
            assert resources[lid].get("UpdateReplacePolicy") == "Retain", f"{stack_path}: {lid} must be retained"


def test_no_context_lookups_are_recorded(reference: SynthResult) -> None:
    # A lookup shows up as "missing" context in the manifest: the CLI would then call AWS.
    for manifest in reference.outdir.rglob("manifest.json"):
        assert "missing" not in json.loads(manifest.read_text()), f"{manifest} asks for context lookups"


def test_synth_says_what_to_provide_before_the_first_deploy_and_the_first_run(reference: SynthResult) -> None:
    from stacks.summary import required_inputs

    before_deploy, before_run = required_inputs(reference.outdir)
    assert before_deploy == [], "the endpoints start on the seed model, which the deploy publishes"
    assert before_run == [
        f"s3://<DataBucketB1A7365C of {stage}-Foundation>/raw/ (Prepare of {stage}/Training Pipeline8E4BFAC9 reads it)"
        for stage in ("Dev", "Prod")
    ]


def test_a_fleet_model_key_is_listed_as_something_to_upload_first(tmp_path: Path) -> None:
    import app as app_module
    from stacks.summary import required_inputs

    context = copy.deepcopy(cdk_context())
    # The dev stage alone (no delivery pipeline, no packs): the summary reads what the stage's fleet needs.
    context["sagemaker-platform"]["stages"] = context["sagemaker-platform"]["stages"][:1]
    members = context["sagemaker-platform"]["stages"][0]["fleet"]["members"]
    members[0]["modelKey"] = "fleet/churn-de/model.tar.gz"
    app = make_app(tmp_path / "cdk.out", **context)
    app_module.build_stages(app)
    app.synth()
    before_deploy, _ = required_inputs(tmp_path / "cdk.out")
    (line,) = before_deploy
    assert line.startswith("s3://<ModelBucket220C70D9 of Dev-Foundation>/fleet/churn-de/model.tar.gz (model devchurnde")
