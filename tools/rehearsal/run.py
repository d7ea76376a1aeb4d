"""The rehearsal's phases in order: build the image assets, deploy every stage, check, then use what was deployed."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.rehearsal import checks, standins
from tools.rehearsal.assembly import Stage, read_stages
from tools.rehearsal.emulator import Account, Deployed, _CustomResources, deploy, emulated_aws, publish_files
from tools.rehearsal.images import AssetBuilder, BuiltImage, placeholder_manifest, run_contracts
from tools.rehearsal.references import Checker, Reference

#: Where environment-agnostic stacks deploy (the CLI uses its credentials' account).
DEFAULT_ACCOUNT = "111111111111"


@dataclass
class Report:
    """Everything the rehearsal did and found."""

    images: list[BuiltImage] = field(default_factory=list)
    deployed: list[Deployed] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: What the emulator could not do and what the rehearsal did instead.
    notes: list[str] = field(default_factory=list)
    #: What ran against the deployed resources afterwards.
    executions: list[str] = field(default_factory=list)
    standins: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    def render(self) -> str:
        lines = ["Deploy rehearsal", ""]
        if self.images:
            lines.append("Images (built as the CDK CLI builds them, then run under their contract):")
            for image in self.images:
                lines.append(
                    f"  {image.asset.display_name:<40} {image.role:<11} {image.seconds:6.1f}s  {image.contract}"
                )
            lines.append("")
        lines.append("Stacks (deployed into the emulator in the CLI's order):")
        for d in self.deployed:
            standin = sum(d.accepted_only.values())
            lines.append(
                f"  {d.artifact.display_name:<28} {d.status:<16} {len(d.resources):4d} resources "
                f"({standin} stood in for) {d.seconds:5.1f}s  account {d.account}"
            )
        kinds: dict[str, int] = {}
        for ref in self.references:
            kinds[ref.kind] = kinds.get(ref.kind, 0) + 1
        lines += ["", "References checked: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))]
        if self.executions:
            lines += ["", "Afterwards:", *(f"  {e}" for e in self.executions)]
        if self.notes:
            lines += [
                "",
                "What the emulator cannot model, and what the rehearsal did instead:",
                *(f"  - {n}" for n in self.notes),
            ]
        lines += ["", f"Problems: {len(self.problems)}", *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


def _template_types(outdir: Path) -> set[str]:
    types: set[str] = set()
    for path in outdir.rglob("*.template.json"):
        types |= {r["Type"] for r in json.loads(path.read_text()).get("Resources", {}).values()}
    return types


def _aws_image_accounts() -> set[str]:
    from sagemaker_platform.serving.image import builtin_images

    return {account for entry in builtin_images().values() for account in entry["accounts"].values()}


@dataclass
class Rehearsal:
    """One rehearsal of a cloud assembly. ``images=False`` skips building (image manifests stand in)."""

    outdir: Path
    images: bool = True
    #: After the deploy: the smoke test, a pipeline run with its jobs in the images, an approval (needs ``images``).
    afterwards: bool = True
    stages: tuple[str, ...] = ()
    default_account: str = DEFAULT_ACCOUNT
    note: Callable[[str], None] = print
    report: Report = field(default_factory=Report)
    raw_data: Path | None = None

    def run(self) -> Report:
        logging.getLogger("moto").setLevel(logging.ERROR)
        stages = [s for s in read_stages(self.outdir, default_account=self.default_account)
                  if not self.stages or s.name in self.stages]  # fmt: skip
        built = self._build_images(stages) if self.images else {}
        started = time.monotonic()
        with warnings.catch_warnings(), emulated_aws():
            warnings.simplefilter("ignore")
            self.report.standins = standins.install(_template_types(self.outdir))
            answers = _CustomResources()
            answers.install()
            accounts: dict[tuple[str, str], Account] = {}
            for stage in stages:
                self._deploy_stage(stage, built, answers, accounts)
            alarms = [
                a for acct in accounts.values() for a in acct.client("cloudwatch").describe_alarms()["MetricAlarms"]
            ]
            self._check(alarms)
            self.report.seconds["deploy"] = time.monotonic() - started
            if self.afterwards and self.images and not self.report.problems:
                from tools.rehearsal.afterwards import Afterwards

                started = time.monotonic()
                Afterwards(self.report, stages, accounts, built, self.default_account, self.note, answers,
                           self.raw_data).run()  # fmt: skip
                self.report.seconds["afterwards"] = time.monotonic() - started
            elif self.afterwards:
                why = "the images were not built" if not self.images else "the deployment has problems (see below)"
                self.report.executions.append(f"not run: {why}")
        self._notes(answers)
        if self.raw_data is not None:  # the contracts' work folder (synthetic data, models, logs)
            shutil.rmtree(self.raw_data.parent, ignore_errors=True)
        return self.report

    # --- phases ---------------------------------------------------------------------------

    def _build_images(self, stages: list[Stage]) -> dict[str, BuiltImage]:
        from sagemaker_platform.local import PodmanRunner, Workspace
        from sagemaker_platform.local.images import ImageBuilder

        started = time.monotonic()
        workspace = Workspace.discover(Path(__file__).resolve())
        runner = PodmanRunner(workspace, install_missing=True, note=self.note)
        builder = ImageBuilder(runner.engine, note=self.note)
        assets = AssetBuilder(runner.engine, builder.build_base(), self.note)
        for stage in stages:
            for stack in stage.stacks:
                for asset in stack.images:
                    _image, problems = assets.build(asset)
                    self.report.problems += problems
        self.report.images = list(assets.built.values())
        self.report.seconds["images"] = time.monotonic() - started
        started = time.monotonic()
        problems, self.raw_data = run_contracts(self.report.images, runner, self.note)
        self.report.problems += problems
        self.report.seconds["contracts"] = time.monotonic() - started
        return assets.built

    def _deploy_stage(
        self,
        stage: Stage,
        built: dict[str, BuiltImage],
        answers: _CustomResources,
        accounts: dict[tuple[str, str], Account],
    ) -> None:
        outputs: dict[tuple[str, str], str] = {}
        aws_images = _aws_image_accounts()
        for artifact in stage.stacks:
            key = (artifact.account or self.default_account, artifact.region)
            if key not in accounts:
                accounts[key] = Account(*key)
                accounts[key].bootstrap()
            account = accounts[key]
            checker = Checker(account.client, aws_images)
            if artifact.required_bootstrap_version > int(account.client("ssm").get_parameter(
                    Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"]):  # fmt: skip
                self.report.problems.append(
                    f"{artifact.display_name}: needs bootstrap version {artifact.required_bootstrap_version}"
                )
            parameters = checker.template_parameters(artifact.display_name, artifact.template)
            self.report.references += parameters
            missing_parameters = [r for r in parameters if not r.exists]
            self._push_images(account, artifact.images, built)
            missing_outputs = publish_files(account, artifact.files, outputs)
            if missing_parameters:
                self.report.problems += [r.problem for r in missing_parameters]
                self.note(f"{artifact.display_name}: not deployed, it resolves parameters nobody created")
                continue
            deployed = deploy(account, artifact, outputs, answers)
            self.report.deployed.append(deployed)
            count = len(deployed.resources)
            self.note(f"{artifact.display_name}: {deployed.status} ({count} resources, {deployed.seconds:.1f}s)")
            if missing_outputs:
                self.report.problems.append(
                    f"{artifact.display_name}: nested templates read outputs nobody exports: {missing_outputs}"
                )
            if deployed.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                self.report.problems.append(f"{artifact.display_name}: {deployed.status}: {deployed.reason}")
                continue
            outputs.update({(artifact.stack_name, k): v for k, v in deployed.outputs.items()})
            for logical_id, kind, properties in deployed.resources:
                refs = checker.resource(artifact.display_name, logical_id, kind, properties)
                self.report.references += refs
                self.report.problems += [r.problem for r in refs if not r.exists]

    def _push_images(self, account: Account, images: Any, built: dict[str, BuiltImage]) -> None:
        ecr = account.client("ecr")
        for asset in images:
            image = built.get(asset.asset_hash)
            if image is None and self.images:
                continue  # it failed to build: that is already a problem, and its references will say so
            manifest = image.manifest() if image else placeholder_manifest(asset.asset_hash)
            with contextlib.suppress(ecr.exceptions.ImageAlreadyExistsException):
                ecr.put_image(repositoryName=asset.repository, imageManifest=manifest, imageTag=asset.tag)

    def _check(self, alarms: list[dict[str, Any]]) -> None:
        deployed = self.report.deployed
        for check in (checks.endpoint_ownership, checks.retained_weights, checks.instance_storage_keys,
                      checks.notification_retries, checks.baseline_producers):  # fmt: skip
            self.report.problems += check(deployed)
        self.report.problems += checks.monitoring_runs_alarm(deployed, alarms)

    def _notes(self, answers: _CustomResources) -> None:
        notes = self.report.notes
        if self.report.standins:
            notes.append(
                "moto's CloudFormation does not model " + ", ".join(self.report.standins) + ": stand-ins gave them the "
                "identity CloudFormation would (Ref, Fn::GetAtt), kept their resolved properties for the checks, and "
                "created alarms and model package groups through moto's own APIs"
            )
        if answers.answered:
            notes.append(
                f"custom resources answered by the rehearsal after checking their handler exists (moto runs Lambda "
                f"code only in Docker): {sorted(set(answers.answered))}"
            )
        notes.append(
            "Fn::GetStackOutput (CDK's weak cross-stack references) resolved from the producing stacks' outputs"
        )
        notes.append(
            "SageMaker's update semantics, refusals and CloudWatch's missing data are checked by the rehearsal's own "
            "checks (tools/rehearsal/checks.py), not by the emulator"
        )
        notes.append(
            "stack updates: CloudFormation re-resolves SSM-typed parameters and updates what uses a changed value; "
            "moto compares only the template, so the rehearsal adds that rule (emulator.parameter_updates)"
        )
        notes.append(
            "event targets moto cannot deliver to (state machines, CodePipeline) are recorded; the rehearsal "
            "starts what they would have started (the release state machine; the delivery's deploy)"
        )
        if self.report.executions and not self.report.executions[0].startswith("not run"):
            notes.append(
                "moto runs no container and keeps CloudFormation's state machines apart from its interpreter: "
                "the rehearsal serves the deployed models in their images (podman), runs a copy of each deployed "
                "definition (.sync rewritten) with its tasks acting in the stage's account, and runs each job it "
                "starts in its image; SageMaker's own images (Model Monitor's analyzer) cannot be pulled, so the "
                "baseline job is recorded, not run"
            )
            notes.append(
                "moto ignores EndpointName and names endpoints itself; the rehearsal follows the stack's physical "
                "IDs. Its SageMaker API also refuses instance types newer than its enum (ml.g5 and later)"
            )
        if not self.images:
            notes.append("images not built in this run (images=False): their manifests stood in")
