"""tools.diagrams: architecture and state machine graphs from a cloud assembly, rendered by graphviz."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aws_cdk import CfnOutput, Duration, Fn, NestedStack, Stack, Stage
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from tests.harness import make_app, require_tool
from tools import diagrams
from tools.diagrams import definition_text, load_stages, write_diagrams


def build_assembly(outdir: Path) -> None:
    """A stage with a foundation, a workflow stack with a nested stack, and one stack outside any stage."""
    app = make_app(outdir, **{"aws:cdk:enable-path-metadata": True})
    stage = Stage(app, "Dev")
    base = Stack(stage, "Base")
    key = kms.Key(base, "Key", enable_key_rotation=True)
    topic = sns.Topic(base, "Alerts", master_key=key)
    CfnOutput(base, "AlertsArn", value=topic.topic_arn, export_name="DevAlertsArn")

    workflow = Stack(stage, "Workflow")
    group = logs.LogGroup(workflow, "Runs")
    inner = NestedStack(workflow, "Inner")
    bucket = s3.Bucket(inner, "Reports")
    ssm.StringParameter(inner, "RunsGroup", string_value=group.log_group_name)  # parent -> nested parameter
    ssm.StringParameter(workflow, "ReportsBucket", string_value=bucket.bucket_name)  # nested output -> parent
    ssm.StringParameter(workflow, "AlertsImport", string_value=Fn.import_value("DevAlertsArn"))

    notify = tasks.SnsPublish(workflow, "Notify", topic=topic, message=sfn.TaskInput.from_json_path_at("$.report"))
    notify.add_catch(sfn.Fail(workflow, "Failed", error="NotifyFailed"), errors=["States.ALL"])
    fanout = sfn.Parallel(workflow, "Fanout")
    fanout.branch(sfn.Wait(workflow, "Pause", time=sfn.WaitTime.duration(Duration.seconds(5))).next(
        sfn.Pass(workflow, "Left")
    ))  # fmt: skip
    fanout.branch(sfn.Pass(workflow, "Right"))
    gate = (
        sfn.Choice(workflow, "Good enough?")
        .when(sfn.Condition.number_greater_than("$.auc", 0.8), fanout.next(notify).next(sfn.Succeed(workflow, "Done")))
        .otherwise(sfn.Fail(workflow, "Rejected", error="LowAuc"))
    )
    sfn.StateMachine(
        workflow,
        "Release",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(workflow, "Prepare").next(gate)),
    )

    s3.Bucket(Stack(app, "Global"), "Artifacts")  # a stack outside any stage: the "app" diagram
    app.synth()


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("diagrams") / "cdk.out"
    build_assembly(outdir)
    return outdir


@pytest.fixture(scope="module")
def dots(assembly: Path) -> dict[str, str]:
    return dict(diagrams.diagrams(load_stages(assembly)))


def test_one_architecture_per_stage_and_one_graph_per_state_machine(dots: dict[str, str]) -> None:
    assert sorted(dots) == [
        "architecture-Dev",
        "architecture-app",
        "statemachine-Dev-Workflow-Release",
    ]


def test_stacks_are_clusters_with_nested_stacks_inside(dots: dict[str, str]) -> None:
    dot = dots["architecture-Dev"]
    assert 'subgraph "cluster_Dev/Base" {' in dot
    assert 'subgraph "cluster_Dev/Workflow" {' in dot
    workflow = dot.index('subgraph "cluster_Dev/Workflow" {')
    nested = dot.index('subgraph "cluster_Dev/Workflow/Inner" {')
    assert workflow < nested < dot.index("  }\n", workflow), "the nested stack's cluster sits inside its parent's"
    assert 'label="Dev/Workflow/Inner (nested stack)"' in dot
    assert "AWS::CloudFormation::Stack" not in dot and "CDK" not in dot


def test_main_resources_are_nodes_and_the_rest_is_folded_per_service(dots: dict[str, str]) -> None:
    dot = dots["architecture-Dev"]
    assert 'label="KMS Key\\nKey", fillcolor="#fff2cc"];' in dot
    assert 'label="SNS Topic\\nAlerts"' in dot
    assert 'label="StepFunctions StateMachine\\nRelease"' in dot
    assert 'label="S3 Bucket\\nReports"' in dot
    assert 'label="Logs LogGroup\\nRuns"' in dot
    # IAM and SSM never get a node per resource.
    assert '"Dev/Workflow::IAM" [label="IAM\\nPolicy x1\\nRole x1"' in dot
    assert '"Dev/Workflow::SSM" [label="SSM\\nParameter x2"' in dot
    assert '"Dev/Workflow/Inner::SSM" [label="SSM\\nParameter x1"' in dot


def _edges(dot: str) -> set[tuple[str, str, bool]]:
    found = set()
    for line in dot.splitlines():
        if " -> " in line:
            left, right = line.strip().rstrip(";").split(" -> ")
            target, _, attrs = right.partition(" [")
            found.add((_short(left), _short(target), "dashed" in attrs))
    return found


def _short(node: str) -> str:
    # "Dev/Base::AlertsE664E991" -> "Dev/Base::Alerts" (the hash suffix depends on the path only)
    stack, _, logical_id = json.loads(node).partition("::")
    return f"{stack}::{logical_id[:-8] if logical_id[-8:].isupper() and len(logical_id) > 8 else logical_id}"


def test_edges_follow_refs_inside_and_across_stacks(dots: dict[str, str]) -> None:
    edges = _edges(dots["architecture-Dev"])
    assert ("Dev/Base::Alerts", "Dev/Base::Key", False) in edges  # Fn::GetAtt in the same stack
    assert ("Dev/Workflow::Release", "Dev/Workflow::IAM", False) in edges  # role of the state machine
    assert ("Dev/Workflow::Release", "Dev/Base::Alerts", True) in edges  # Fn::GetStackOutput in the definition
    assert ("Dev/Workflow::SSM", "Dev/Base::Alerts", True) in edges  # Fn::ImportValue of an export
    assert ("Dev/Workflow/Inner::SSM", "Dev/Workflow::Runs", True) in edges  # nested-stack parameter
    assert ("Dev/Workflow::SSM", "Dev/Workflow/Inner::Reports", True) in edges  # nested-stack output
    assert all(a != b for a, b, _ in edges)


def test_state_machine_graph_has_every_transition(dots: dict[str, str]) -> None:
    dot = dots["statemachine-Dev-Workflow-Release"]
    lines = set(dot.splitlines())
    for edge in [
        '"__start" -> "Prepare";',
        '"Prepare" -> "Good enough?";',
        '"Good enough?" -> "Fanout" [label="$.auc > 0.8"];',
        '"Good enough?" -> "Rejected" [label="default"];',
        '"Fanout" -> "Fanout/0/Pause" [style=dotted];',
        '"Fanout" -> "Fanout/1/Right" [style=dotted];',
        '"Fanout/0/Pause" -> "Fanout/0/Left";',
        '"Fanout/0/Left" -> "Notify";',
        '"Fanout/1/Right" -> "Notify";',
        '"Notify" -> "Done";',
        '"Notify" -> "Failed" [label="catch States.ALL", style=dashed, color="#b85450", fontcolor="#b85450"];',
        '"Done" -> "__end";',
    ]:
        assert f"  {edge}" in lines, edge
    assert '"Notify" [label="Notify\\n[Task: sns:publish]", fillcolor="#dae8fc"];' in dot
    assert '"Good enough?" [label="Good enough?\\n[Choice]", fillcolor="#fff2cc", shape=diamond];' in dot
    assert '"Rejected" [label="Rejected\\n[Fail: LowAuc]", fillcolor="#f8cecc"];' in dot
    assert 'subgraph "cluster_Fanout/0" {' in dot


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"StartAt":"A"}', {"StartAt": "A"}),
        (
            {"Fn::Join": ["", ['{"Arn":"', {"Ref": "Topic"}, '","N":', {"Ref": "Count"}, "}"]]},
            {"Arn": "${Topic}", "N": "${Count}"},
        ),
        ({"Fn::Join": ["", ['{"A":"x\\"', {"Fn::GetAtt": ["Role", "Arn"]}, '"}']]}, {"A": 'x"${Role.Arn}'}),
        ({"Fn::Join": ["", ['{"A":', {"Fn::ImportValue": "E"}, "}"]]}, {"A": "${Fn::ImportValue}"}),
        (
            {"Fn::Sub": '{"A":"${Topic}","B":"${!Literal}","C":${Count}}'},
            {"A": "${Topic}", "B": "${Literal}", "C": "${Count}"},
        ),
    ],
)
def test_definition_text_replaces_tokens_with_placeholders(raw: object, expected: dict[str, str]) -> None:
    text = definition_text(raw)
    assert text is not None
    assert json.loads(text) == expected


def test_definition_text_gives_up_on_unknown_intrinsics() -> None:
    assert definition_text({"Fn::If": ["C", "a", "b"]}) is None


def test_writes_dot_svg_and_png_deterministically(assembly: Path, tmp_path: Path) -> None:
    require_tool(shutil.which("dot"), "graphviz dot (Debian package graphviz)")
    target = tmp_path / "diagrams"
    target.mkdir()
    (target / "architecture-Gone.svg").write_text("stale")
    (target / "keep.txt").write_text("not ours")
    written = write_diagrams(assembly, target)
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{stem}.{ext}"
        for stem in ("architecture-Dev", "architecture-app", "statemachine-Dev-Workflow-Release")
        for ext in ("dot", "svg", "png")
    )
    assert sorted(p.name for p in target.iterdir()) == sorted([*names, "keep.txt"])
    svg = (target / "architecture-Dev.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "Dev/Workflow/Inner (nested stack)" in svg
    assert (target / "statemachine-Dev-Workflow-Release.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = {p.name: p.read_bytes() for p in written}
    write_diagrams(assembly, target)
    assert {p.name: p.read_bytes() for p in written} == first


def test_cli_writes_dot_only_and_reports_bad_input(
    assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert diagrams.main([str(assembly), str(tmp_path / "out"), "--formats", "dot"]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == [
        "architecture-Dev.dot",
        "architecture-app.dot",
        "statemachine-Dev-Workflow-Release.dot",
    ]
    assert diagrams.main([str(tmp_path / "nothing"), str(tmp_path / "out")]) == 2
    assert "not a cloud assembly" in capsys.readouterr().err


def test_choice_rules_and_map_states_render_compactly() -> None:
    metric = "$.report.metrics.auc"
    definition = {
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": metric, "IsPresent": True},
                            {"Variable": metric, "NumericGreaterThanEqualsPath": "$.config.thresholds.auc"},
                        ],
                        "Next": "Each",
                    },
                    {"Not": {"Variable": "$.name", "StringMatches": "champion-*"}, "Next": "Stop"},
                ],
                "Default": "Stop",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Score",
                    "States": {"Score": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}},
                },
                "Next": "Stop",
            },
            "Stop": {"Type": "Succeed"},
        },
    }
    dot = diagrams.state_machine_dot("Router", definition)
    lines = set(dot.splitlines())
    assert '  "Route" -> "Each" [label="$..metrics.auc present\\nand $..metrics.auc >= $..thresholds.auc"];' in lines
    assert '  "Route" -> "Stop" [label="not ($.name StringMatches \\"champion-*\\")"];' in lines
    assert '  "Each" -> "Each/0/Score" [style=dotted];' in lines
    assert '  "Each/0/Score" -> "Stop";' in lines
    assert '  "Stop" -> "__end";' in lines
    assert 'label="Each: each item"' in dot
    assert '"Each/0/Score" [label="Score\\n[Task: lambda:invoke]"' in dot
