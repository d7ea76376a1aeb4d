"""Architecture and state machine diagrams from a synthesized cloud assembly, rendered with graphviz.

Usage: ``python -m tools.diagrams cdk.out docs/diagrams [--formats svg,png]``

Per stage (a nested assembly ``assembly-*``; stacks at the top level form the stage ``app``):
``architecture-<stage>`` draws each stack as a cluster (nested stacks inside their parent), the
main resources one node each, every other resource folded into one node per stack and service
("IAM: ManagedPolicy x12, Role x3"), and edges for ``Ref``/``Fn::GetAtt``/``Fn::Sub`` and for
cross-stack references (nested-stack parameters and outputs, ``Fn::ImportValue``,
``Fn::GetStackOutput``; dashed). ``statemachine-<stack>-<name>`` draws each state machine's
states with their Next/End, Choice, Default and Catch edges. Each diagram is written as ``.dot``
plus the requested formats, rendered by graphviz ``dot`` (Debian package ``graphviz``). Output
is sorted, so the same assembly always gives the same files.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Types drawn as a node each, while a stack has at most ``MAX_INDIVIDUAL`` of the type.
PRIMARY_TYPES = frozenset(
    f"AWS::{t}"
    for t in (
        "SageMaker::Model", "SageMaker::EndpointConfig", "SageMaker::Endpoint", "SageMaker::FeatureGroup",
        "SageMaker::ModelPackageGroup", "SageMaker::MonitoringSchedule", "SageMaker::DataQualityJobDefinition",
        "S3::Bucket", "KMS::Key", "SNS::Topic", "EC2::VPC", "StepFunctions::StateMachine", "ApiGateway::RestApi",
        "Events::Rule", "Lambda::Function", "Logs::LogGroup", "CloudWatch::Dashboard", "CodePipeline::Pipeline",
        "CodeBuild::Project", "ECR::Repository", "SQS::Queue", "DynamoDB::Table", "Glue::Database",
    )
)  # fmt: skip
MAX_INDIVIDUAL = 6
#: Nested stacks are drawn as clusters, CDK metadata not at all.
_SKIPPED_TYPES = frozenset({"AWS::CDK::Metadata", "AWS::CloudFormation::Stack"})
_FILL = {
    "SageMaker": "#d5e8d4", "S3": "#dae8fc", "KMS": "#fff2cc", "SNS": "#f8cecc", "IAM": "#e1d5e7",
    "StepFunctions": "#ffe6cc", "CloudWatch": "#ffe6cc", "Events": "#f8cecc", "Logs": "#f5f5f5",
}  # fmt: skip
_STATE_FILL = {"Task": "#dae8fc", "Choice": "#fff2cc", "Succeed": "#d5e8d4", "Fail": "#f8cecc"}
_OPS = {"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">="}
_ASSET_KEY = re.compile(r"([0-9a-f]{64})\.json")
_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")

Target = tuple[str, str]  # (stack display name, logical ID)


@dataclass
class StackTemplate:
    """One stack's template; nested stacks hang below their parent."""

    name: str  # construct path: "Dev/Serving", "Dev/Serving/Fleet/Shard0"
    stack_name: str  # CloudFormation stack name, for cross-stack lookups ("" for nested stacks)
    template: dict[str, Any]
    parent: StackTemplate | None = None
    parent_resource: str | None = None  # the AWS::CloudFormation::Stack in the parent
    nested: list[StackTemplate] = field(default_factory=list)

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template.get("Resources", {})
        return resources

    def walk(self) -> Iterator[StackTemplate]:
        yield self
        for child in self.nested:
            yield from child.walk()


@dataclass
class Stage:
    """The stacks of one cloud assembly (a CDK ``Stage``, or the app's own stacks as ``app``)."""

    name: str
    stacks: list[StackTemplate]

    def all_stacks(self) -> list[StackTemplate]:
        return [s for top in self.stacks for s in top.walk()]


def load_stages(outdir: Path) -> list[Stage]:
    """Every stage with stacks in the assembly at ``outdir``, nested assemblies included, sorted by name."""
    stages: list[Stage] = []
    _load_assembly(outdir, "app", stages)
    return sorted(stages, key=lambda s: s.name)


def _load_assembly(directory: Path, name: str, stages: list[Stage]) -> None:
    artifacts: dict[str, Any] = json.loads((directory / "manifest.json").read_text()).get("artifacts", {})
    nested_files: dict[str, tuple[Path, str]] = {}
    for artifact in artifacts.values():
        if artifact["type"] == "cdk:asset-manifest":
            assets = json.loads((directory / artifact["properties"]["file"]).read_text())
            for asset_hash, asset in assets.get("files", {}).items():
                path = asset.get("source", {}).get("path", "")
                if path.endswith(".nested.template.json"):
                    nested_files[asset_hash] = (directory / path, asset.get("displayName", ""))
    stacks = []
    for artifact_id, artifact in sorted(artifacts.items()):
        props = artifact.get("properties", {})
        if artifact["type"] == "aws:cloudformation:stack":
            stack = StackTemplate(
                name=artifact.get("displayName", artifact_id),
                stack_name=props.get("stackName", artifact_id),
                template=json.loads((directory / props["templateFile"]).read_text()),
            )
            _attach_nested(stack, nested_files)
            stacks.append(stack)
        elif artifact["type"] == "cdk:cloud-assembly":
            sub = props["directoryName"]
            _load_assembly(directory / sub, artifact.get("displayName") or sub.removeprefix("assembly-"), stages)
    if stacks:
        stages.append(Stage(name=name, stacks=sorted(stacks, key=lambda s: s.name)))


def _attach_nested(stack: StackTemplate, nested_files: dict[str, tuple[Path, str]]) -> None:
    for logical_id, resource in sorted(stack.resources.items()):
        if resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        match = _ASSET_KEY.search(json.dumps(resource.get("Properties", {}).get("TemplateURL")))
        if not match or match.group(1) not in nested_files:
            continue
        path, display = nested_files[match.group(1)]
        # The asset's display name is the nested stack's construct path relative to its parent stack.
        label = display.removesuffix(" Nested Stack Template") or _HASH_SUFFIX.sub("", logical_id)
        child = StackTemplate(
            name=f"{stack.name}/{label}",
            stack_name="",
            template=json.loads(path.read_text()),
            parent=stack,
            parent_resource=logical_id,
        )
        stack.nested.append(child)
        _attach_nested(child, nested_files)


class References:
    """Which resources a template value points at, following parameters, outputs and exports across stacks."""

    def __init__(self, stage: Stage) -> None:
        self.stacks = {s.stack_name: s for s in stage.all_stacks() if s.stack_name}
        self.exports: dict[str, tuple[StackTemplate, Any]] = {}
        for stack in stage.all_stacks():
            for output in stack.template.get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if isinstance(export, str):
                    self.exports[export] = (stack, output.get("Value"))

    def targets(self, stack: StackTemplate, value: Any) -> set[Target]:
        found: set[Target] = set()
        self._walk(stack, value, found, 0)
        return found

    def _walk(self, stack: StackTemplate, node: Any, found: set[Target], depth: int) -> None:
        if depth > 16:  # parameters and outputs chain through a few stacks at most
            return
        if isinstance(node, list):
            for item in node:
                self._walk(stack, item, found, depth)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref" and isinstance(arg, str):
                return self._ref(stack, arg, "", found, depth)
            if fn == "Fn::GetAtt":
                name, _, attr = (arg if isinstance(arg, str) else ".".join(map(str, arg))).partition(".")
                return self._ref(stack, name, attr, found, depth)
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                self._walk(stack, variables, found, depth)
                for ref in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    name, _, attr = ref.partition(".")
                    if name not in variables:
                        self._ref(stack, name, attr, found, depth)
                return None
            if fn == "Fn::ImportValue" and isinstance(arg, str) and arg in self.exports:
                producer, value = self.exports[arg]
                return self._walk(producer, value, found, depth + 1)
            if fn == "Fn::GetStackOutput" and isinstance(arg, dict) and arg.get("StackName") in self.stacks:
                producer = self.stacks[arg["StackName"]]
                output = producer.template.get("Outputs", {}).get(arg.get("OutputName"), {})
                return self._walk(producer, output.get("Value"), found, depth + 1)
        for value in node.values():
            self._walk(stack, value, found, depth)
        return None

    def _ref(self, stack: StackTemplate, name: str, attr: str, found: set[Target], depth: int) -> None:
        resource = stack.resources.get(name)
        if resource is not None:
            if resource.get("Type") == "AWS::CloudFormation::Stack" and attr.startswith("Outputs."):
                for child in stack.nested:
                    if child.parent_resource == name:
                        output = child.template.get("Outputs", {}).get(attr.removeprefix("Outputs."), {})
                        self._walk(child, output.get("Value"), found, depth + 1)
            else:
                found.add((stack.name, name))
        elif stack.parent is not None and stack.parent_resource is not None:
            passed = stack.parent.resources[stack.parent_resource].get("Properties", {}).get("Parameters", {})
            if name in passed:
                self._walk(stack.parent, passed[name], found, depth + 1)


# --- architecture ---------------------------------------------------------------------------------


def architecture_dot(stage: Stage) -> str:
    """The stage's architecture as DOT: stacks as clusters, main resources, folded rest, references."""
    node_of: dict[Target, str] = {}
    node_lines: dict[str, list[str]] = {}
    for stack in stage.all_stacks():
        by_type: dict[str, list[str]] = defaultdict(list)
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") not in _SKIPPED_TYPES:
                by_type[resource["Type"]].append(logical_id)
        folded: dict[str, Counter[str]] = defaultdict(Counter)
        lines = node_lines.setdefault(stack.name, [])
        for rtype, ids in sorted(by_type.items()):
            service, short = _service(rtype)
            # CDK's singleton providers (custom resource handlers and their roles) are plumbing.
            plumbing = [i for i in ids if "CustomResourceProvider" in i]
            if plumbing:
                folded["Custom"]["ResourceProvider " + short] += len(plumbing)
                for logical_id in plumbing:
                    node_of[(stack.name, logical_id)] = f"{stack.name}::Custom"
                ids = [i for i in ids if i not in plumbing]
            if not ids:
                continue
            if rtype in PRIMARY_TYPES and len(ids) <= MAX_INDIVIDUAL:
                for logical_id in sorted(ids):
                    node = f"{stack.name}::{logical_id}"
                    node_of[(stack.name, logical_id)] = node
                    label = f"{service} {short}\n{_resource_name(stack, logical_id)}"
                    lines.append(f"{_q(node)} [label={_q(label)}, fillcolor={_q(_FILL.get(service, '#ffffff'))}];")
            else:
                folded[service][short] += len(ids)
                for logical_id in ids:
                    node_of[(stack.name, logical_id)] = f"{stack.name}::{service}"
        for service, counts in sorted(folded.items()):
            label = service + "\n" + "\n".join(f"{short} x{n}" for short, n in sorted(counts.items()))
            node = f"{stack.name}::{service}"
            fill = _FILL.get(service, "#ffffff")
            lines.append(f"{_q(node)} [label={_q(label)}, fillcolor={_q(fill)}, style={_q('filled,dashed')}];")
    refs = References(stage)
    edges: set[tuple[str, str, bool]] = set()
    for stack in stage.all_stacks():
        for logical_id, resource in stack.resources.items():
            source = node_of.get((stack.name, logical_id))
            if source is None:
                continue
            for target in refs.targets(stack, resource.get("Properties", {})):
                dest = node_of.get(target)
                if dest is not None and dest != source:
                    edges.add((source, dest, target[0] != stack.name))
    out = [
        f"digraph {_q(stage.name)} {{",
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=14, label={_q(f"Stage {stage.name}")}, labelloc=t];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    for top in stage.stacks:
        out.extend(_cluster(top, node_lines, "  "))
    for source, dest, cross in sorted(edges):
        out.append(f"  {_q(source)} -> {_q(dest)}{' [style=dashed]' if cross else ''};")
    out.append("}")
    return "\n".join(out) + "\n"


def _cluster(stack: StackTemplate, node_lines: dict[str, list[str]], indent: str) -> list[str]:
    kind = "nested stack" if stack.parent is not None else "stack"
    out = [
        f"{indent}subgraph {_q('cluster_' + stack.name)} {{",
        f'{indent}  label={_q(f"{stack.name} ({kind})")}; style=rounded; color="#888888";',
    ]
    out.extend(f"{indent}  {line}" for line in sorted(node_lines.get(stack.name, [])))
    for child in sorted(stack.nested, key=lambda s: s.name):
        out.extend(_cluster(child, node_lines, indent + "  "))
    out.append(f"{indent}}}")
    return out


def _service(rtype: str) -> tuple[str, str]:
    parts = rtype.split("::")
    if parts[0] == "AWS" and len(parts) == 3:
        return parts[1], parts[2]
    return parts[0], "::".join(parts[1:]) or rtype  # Custom::VpcRestrictDefaultSG -> ("Custom", ...)


def _resource_name(stack: StackTemplate, logical_id: str) -> str:
    path = stack.resources[logical_id].get("Metadata", {}).get("aws:cdk:path")
    if not isinstance(path, str):
        return _HASH_SUFFIX.sub("", logical_id) or logical_id
    name = path.removeprefix(stack.name + "/")
    while name.endswith(("/Resource", "/Default")):
        name = name.rsplit("/", 1)[0]
    return name


# --- state machines -------------------------------------------------------------------------------


def state_machines(stage: Stage) -> list[tuple[str, dict[str, Any]]]:
    """(label, parsed definition) of every state machine in the stage; intrinsics become ``${...}`` placeholders."""
    found = []
    for stack in stage.all_stacks():
        for logical_id, resource in sorted(stack.resources.items()):
            if resource.get("Type") != "AWS::StepFunctions::StateMachine":
                continue
            props = resource.get("Properties", {})
            definition = props.get("Definition")
            if not isinstance(definition, dict):
                text = definition_text(props.get("DefinitionString"))
                definition = json.loads(text) if text is not None else None
            if isinstance(definition, dict):
                found.append((f"{stack.name}/{_resource_name(stack, logical_id)}", definition))
    return sorted(found, key=lambda item: item[0])


def definition_text(raw: Any) -> str | None:
    """A ``DefinitionString`` as JSON text, each intrinsic replaced by a placeholder string."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and "Fn::Join" in raw:
        separator, parts = raw["Fn::Join"]
        pieces: list[Any] = []
        for i, part in enumerate(parts):
            pieces.extend([separator, part] if i else [part])
        return _assemble(pieces)
    if isinstance(raw, dict) and "Fn::Sub" in raw:
        text = raw["Fn::Sub"] if isinstance(raw["Fn::Sub"], str) else raw["Fn::Sub"][0]
        split = re.split(r"(\$\{[^!}][^}]*\})", text)
        return _assemble([{"Ref": p[2:-1]} if p.startswith("${") else p.replace("${!", "${") for p in split])
    return None


def _assemble(pieces: list[Any]) -> str:
    # A placeholder inside a JSON string is inserted as is, elsewhere as a JSON string of its own.
    out, in_string, escaped = [], False, False
    for piece in pieces:
        if isinstance(piece, str):
            for ch in piece:
                if escaped:
                    escaped = False
                elif ch == "\\" and in_string:
                    escaped = True
                elif ch == '"':
                    in_string = not in_string
            out.append(piece)
        else:
            text = _placeholder(piece)
            out.append(text if in_string else json.dumps(text))
    return "".join(out)


def _placeholder(node: Any) -> str:
    if isinstance(node, dict) and len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return f"${{{arg}}}"
        if fn == "Fn::GetAtt":
            return "${" + (arg if isinstance(arg, str) else ".".join(map(str, arg))) + "}"
        return f"${{{fn}}}"
    return "${token}"


def state_machine_dot(label: str, definition: dict[str, Any]) -> str:
    """A state machine's graph as DOT: states, Next/End, Choice rules, Default and Catch edges."""
    lines = [
        f"digraph {_q(label)} {{",
        f'  graph [rankdir=TB, fontname="Helvetica", fontsize=14, label={_q(label)}, labelloc=t];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555", arrowsize=0.6];',
        '  "__start" [shape=circle, label="", width=0.2, fillcolor="#333333"];',
        '  "__end" [shape=doublecircle, label="", width=0.15, fillcolor="#333333"];',
    ]
    edges: list[str] = []
    start = _emit_states(definition, "", lines, edges, "__end", "  ")
    # Edges go after every cluster: a node first named in a cluster's edge would join that cluster.
    lines.extend(f"  {edge}" for edge in [*edges, f'"__start" -> {_q(start)};'])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _emit_states(
    definition: dict[str, Any], prefix: str, lines: list[str], edges: list[str], after: str, indent: str
) -> str:
    for name, state in sorted(definition.get("States", {}).items()):
        node, kind = prefix + name, state.get("Type", "?")
        detail = {"Task": _short_resource(state.get("Resource", "")), "Fail": state.get("Error", "")}.get(kind, "")
        label = f"{name}\n[{kind}{': ' + detail if detail else ''}]"
        shape = ", shape=diamond" if kind == "Choice" else ""
        lines.append(
            f"{indent}{_q(node)} [label={_q(label)}, fillcolor={_q(_STATE_FILL.get(kind, '#f5f5f5'))}{shape}];"
        )
        following = prefix + state["Next"] if "Next" in state else after
        branches = list(state.get("Branches", []))
        branches += [state[k] for k in ("ItemProcessor", "Iterator") if isinstance(state.get(k), dict)]
        for i, branch in enumerate(branches):
            title = f"{name} branch {i}" if kind == "Parallel" else f"{name}: each item"
            lines.append(f"{indent}subgraph {_q(f'cluster_{node}/{i}')} {{")
            lines.append(f'{indent}  label={_q(title)}; style="rounded,dashed"; color="#888888";')
            first = _emit_states(branch, f"{node}/{i}/", lines, edges, following, indent + "  ")
            lines.append(f"{indent}}}")
            edges.append(f"{_q(node)} -> {_q(first)} [style=dotted];")
        for rule in state.get("Choices", []):
            edges.append(f"{_q(node)} -> {_q(prefix + rule['Next'])} [label={_q(_condition(rule))}];")
        if "Default" in state:
            edges.append(f'{_q(node)} -> {_q(prefix + state["Default"])} [label="default"];')
        for catch in state.get("Catch", []):
            errors = ", ".join(catch.get("ErrorEquals", []))
            style = f'label={_q("catch " + errors)}, style=dashed, color="#b85450", fontcolor="#b85450"'
            edges.append(f"{_q(node)} -> {_q(prefix + catch['Next'])} [{style}];")
        if not branches and kind not in ("Choice", "Succeed", "Fail"):
            edges.append(f"{_q(node)} -> {_q(following)};")
        elif kind == "Succeed":
            edges.append(f"{_q(node)} -> {_q(after)};")
    return prefix + str(definition.get("StartAt", ""))


def _short_resource(resource: Any) -> str:
    text = resource if isinstance(resource, str) else json.dumps(resource)
    return text.removeprefix("arn:aws:states:::").split(":::")[-1][:60]


def _condition(rule: dict[str, Any]) -> str:
    """A Choice rule as a short edge label: one line per operand of And/Or, long paths shortened."""
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"])[:60]
    for op in ("And", "Or"):
        if op in rule:
            return f"\n{op.lower()} ".join(_condition(r) for r in rule[op])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    variable = _short_path(rule.get("Variable", "?"))
    for key, value in sorted(rule.items()):
        if key in ("Variable", "Next"):
            continue
        if key.startswith("Is"):  # IsPresent, IsNull, IsNumeric, ...: true or false
            return f"{variable} {'' if value else 'not '}{key[2:].lower()}"
        operand = _short_path(value) if key.endswith("Path") else json.dumps(value)
        base = key.removesuffix("Path")
        for suffix, symbol in _OPS.items():
            if base.endswith(suffix) and base.removesuffix(suffix) in ("String", "Numeric", "Boolean", "Timestamp"):
                return f"{variable} {symbol} {operand}"[:60]
        return f"{variable} {key} {operand}"[:60]
    return variable


def _short_path(path: Any) -> str:
    # "$.evaluation.report.metrics.auc" -> "$..metrics.auc": the end says what is compared.
    parts = str(path).split(".")
    return str(path) if len(parts) <= 3 else f"{parts[0]}..{'.'.join(parts[-2:])}"


# --- output ---------------------------------------------------------------------------------------


def diagrams(stages: Sequence[Stage]) -> list[tuple[str, str]]:
    """(file stem, DOT text) of every diagram: one architecture per stage, one graph per state machine."""
    out = []
    for stage in stages:
        out.append((f"architecture-{_slug(stage.name)}", architecture_dot(stage)))
        for label, definition in state_machines(stage):
            out.append((f"statemachine-{_slug(label)}", state_machine_dot(label, definition)))
    return sorted(out)


def write_diagrams(assembly: Path, target: Path, formats: Sequence[str] = ("svg", "png")) -> list[Path]:
    """Write every diagram as ``.dot`` plus ``formats`` into ``target``, replacing earlier ones."""
    dot = shutil.which("dot") if formats else "dot"
    if dot is None:
        raise RuntimeError("graphviz `dot` is not installed: apt-get install graphviz (or --formats dot)")
    target.mkdir(parents=True, exist_ok=True)
    for stale in sorted([*target.glob("architecture-*"), *target.glob("statemachine-*")]):
        stale.unlink()
    written = []
    for stem, text in diagrams(load_stages(assembly)):
        source = target / f"{stem}.dot"
        source.write_text(text)
        written.append(source)
        for fmt in formats:
            image = target / f"{stem}.{fmt}"
            result = subprocess.run(
                [dot, f"-T{fmt}", "-o", str(image), str(source)], capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise RuntimeError(f"dot -T{fmt} {source} failed: {result.stderr.strip()}")
            written.append(image)
    return written


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diagrams", description=__doc__.splitlines()[0])
    parser.add_argument("assembly", type=Path, help="cloud assembly directory (cdk.out)")
    parser.add_argument("output", type=Path, help="where to write the diagrams (e.g. docs/diagrams)")
    parser.add_argument("--formats", default="svg,png", help="comma-separated dot output formats; 'dot' for none")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f and f != "dot"]
    if not (args.assembly / "manifest.json").is_file():
        print(f"{args.assembly}: not a cloud assembly (no manifest.json); run `cdk synth` first", file=sys.stderr)
        return 2
    try:
        written = write_diagrams(args.assembly, args.output, formats)
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
