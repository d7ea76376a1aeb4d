"""After the deploy: the smoke test, one pipeline run with its jobs in the built images, one approval.

moto keeps SageMaker's control plane (models, endpoints, jobs as records) but runs no container, so
the rehearsal does the data plane itself, with local mode's podman runner and the images it built:

- **Smoke test** (``scripts/smoke_test.py``, as the delivery pipeline runs it): its ``sagemaker-runtime``
  client is an adapter that follows the deployed endpoint to its config, the variant's model and that
  model's image and ``model.tar.gz`` in the emulated ECR and S3, serves them, and forwards the request.
- **Pipeline run**: the deployed state machine's definition (``.sync`` rewritten, see ``interpreter``)
  runs in moto's interpreter against the deployed bucket, topic and registry. Each training and
  processing job it creates runs to its end in its image (inputs downloaded from the emulated S3,
  outputs uploaded back) before the create call returns. Jobs on SageMaker's own images (Model
  Monitor's analyzer) cannot run here: their requests are recorded, and nothing is written for them.
- **Approval**: the package's "SageMaker Model Package State Change" event is matched against the
  deployed rules with moto's own pattern matcher and given to the release state machine they target;
  the endpoints must not change then. The serving stack is then deployed again, as the delivery
  pipeline does on the release's event, and the challenger must now serve the released package.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.rehearsal.dataplane import Images, JobRunner, RuntimeAdapter, split_uri, upload
from tools.rehearsal.emulator import Account, deploy
from tools.rehearsal.images import BuiltImage
from tools.rehearsal.interpreter import acting_in, aws_like_interpreter, sync_rewritten

if TYPE_CHECKING:
    from tools.rehearsal.assembly import StackArtifact, Stage
    from tools.rehearsal.emulator import _CustomResources
    from tools.rehearsal.run import Report

_REPO = Path(__file__).resolve().parents[2]


def _physical(account: Account, stack: str, kind: str, prefix: str) -> str:
    """The physical ID of the stack's one resource of ``kind`` whose logical ID starts with ``prefix``."""
    resources = account.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    (found,) = [r["PhysicalResourceId"] for r in resources
                if r["ResourceType"] == kind and r["LogicalResourceId"].startswith(prefix)]  # fmt: skip
    return str(found)


def _interpreted_copy(account: Account, arn: str, name: str) -> tuple[str, dict[str, Any]]:
    """A copy of a deployed state machine (same definition and role) that moto's interpreter can run.

    moto keeps the state machines its CloudFormation creates apart from those its interpreter runs
    (with ``execute_state_machine`` on, the API serves another backend): the copy is the bridge.
    """
    from moto.stepfunctions.models import stepfunctions_backends

    deployed = stepfunctions_backends[account.account][account.region].describe_state_machine(arn)
    definition = json.loads(deployed.definition)
    copy = account.client("stepfunctions").create_state_machine(
        name=name, definition=sync_rewritten(deployed.definition), roleArn=deployed.roleArn
    )
    return str(copy["stateMachineArn"]), definition


def _smoke_test() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("smoke_test", _REPO / "scripts" / "smoke_test.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class Afterwards:
    """The rehearsal's last phase, on what was deployed (see the module docstring)."""

    def __init__(self, report: Report, stages: list[Stage], accounts: dict[tuple[str, str], Account],
                 built: dict[str, BuiltImage], default_account: str, note: Callable[[str], None],
                 answers: _CustomResources, raw_data: Path | None) -> None:  # fmt: skip
        self.report, self.stages, self.accounts, self.note = report, stages, accounts, note
        self.images, self.default_account, self.answers, self.raw_data = (
            Images(built),
            default_account,
            answers,
            raw_data,
        )

    def run(self) -> None:
        from sagemaker_platform.local import PodmanRunner, Workspace

        runner = PodmanRunner(Workspace.discover(_REPO))
        with tempfile.TemporaryDirectory(prefix="rehearsal-afterwards-") as folder, aws_like_interpreter():
            work = Path(folder)
            for stage in self.stages:
                serving = next((s for s in stage.stacks if s.stack_name.endswith("-Serving")), None)
                if serving is None:
                    continue
                account = self.accounts[(serving.account or self.default_account, serving.region)]
                adapter = RuntimeAdapter(account, self.images, runner, work / stage.name, self.note)
                try:
                    with acting_in(account.session):
                        self._stage(stage, serving, account, adapter, runner, work / stage.name)
                except Exception as err:  # every failure here is a finding, with where it happened
                    where = "".join(traceback.format_exception(err)[-4:])
                    self.report.problems.append(f"{stage.name} afterwards: {type(err).__name__}: {err}\n{where}")
                finally:
                    adapter.close()

    def _stage(self, stage: Stage, serving: StackArtifact, account: Account, adapter: RuntimeAdapter,
               runner: Any, work: Path) -> None:  # fmt: skip
        endpoint = self._ab_endpoint(account, serving)
        self._smoke(stage, endpoint, account, adapter, "before any release")
        training = next((s for s in stage.stacks if s.stack_name.endswith("-Training")), None)
        if training is None or self.raw_data is None:
            self.report.executions.append(f"{stage.name}: no training stack or no raw data: no pipeline run")
            return
        package = self._pipeline(stage, training, account, runner, work)
        if package is None:
            return
        self._approve(stage, training, serving, account, adapter, package, endpoint)

    def _ab_endpoint(self, account: Account, serving: StackArtifact) -> str:
        """The name of the serving stack's A/B endpoint (the one the delivery pipeline smoke-tests)."""
        arn = _physical(account, serving.stack_name, "AWS::SageMaker::Endpoint", "AbEndpoint")
        names = [e["EndpointName"] for e in account.client("sagemaker").list_endpoints()["Endpoints"]]
        (name,) = [n for n in names if arn.lower().endswith(f"/{n.lower()}") or arn == n]
        return str(name)

    def _smoke(self, stage: Stage, endpoint: str, account: Account, adapter: RuntimeAdapter, when: str) -> None:
        smoke = _smoke_test()
        config = account.client("sagemaker").describe_endpoint_config(
            EndpointConfigName=account.client("sagemaker").describe_endpoint(EndpointName=endpoint)[
                "EndpointConfigName"
            ]
        )
        for variant in config["ProductionVariants"]:
            before = len(adapter.seen)
            code = smoke.main(["--endpoint-name", endpoint, "--region", account.region, "--features", "20",
                               "--target-variant", variant["VariantName"]], runtime=adapter)  # fmt: skip
            served = adapter.seen[before:] or ["nothing"]
            self.report.executions.append(
                f"{stage.name}: smoke test ({when}) of {variant['VariantName']}: exit {code}, {served[-1]}"
            )
            if code != 0:
                self.report.problems.append(
                    f"{stage.name}: the smoke test of {endpoint}/{variant['VariantName']} failed"
                )

    def _pipeline(self, stage: Stage, training: StackArtifact, account: Account, runner: Any, work: Path) -> str | None:
        sfn, s3, sm = account.client("stepfunctions"), account.client("s3"), account.client("sagemaker")
        pipeline = _physical(account, training.stack_name, "AWS::StepFunctions::StateMachine", "Pipeline")
        copy, definition = _interpreted_copy(account, pipeline, f"rehearsal-{stage.name}-pipeline")
        data_bucket, raw_prefix = split_uri(
            definition["States"]["Prepare"]["Parameters"]["ProcessingInputs"][0]["S3Input"]["S3Uri"]
        )
        # What the README asks a team to provide before the first run: raw data where Prepare reads.
        upload(s3, self.raw_data, f"s3://{data_bucket}/{raw_prefix}")  # type: ignore[arg-type]
        ran: list[str] = []
        jobs = JobRunner(s3, self.images, runner, self.note, work / "jobs", ran)
        started = time.monotonic()
        with jobs.installed():
            execution = sfn.start_execution(stateMachineArn=copy, name="00000000-0000-4000-8000-rehearsal000")[
                "executionArn"
            ]
            while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
                if time.monotonic() - started > 1800:
                    raise TimeoutError("the pipeline run took over 30 minutes")
                time.sleep(0.5)
        history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        states = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        took = time.monotonic() - started
        self.report.executions.append(
            f"{stage.name}: pipeline run {described['status']} in {took:.0f}s: {' -> '.join(states)}"
        )
        self.report.executions += [f"{stage.name}:   {line}" for line in ran]
        if described["status"] != "SUCCEEDED":
            self.report.problems.append(
                f"{stage.name}: the pipeline run {described['status']}: {described.get('cause')}"
            )
            return None
        group = definition["States"]["RegisterModel"]["Parameters"]["ModelPackageGroupName"]
        packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        return str(packages[-1]["ModelPackageArn"])

    def _approve(self, stage: Stage, training: StackArtifact, serving: StackArtifact, account: Account,
                 adapter: RuntimeAdapter, package: str, endpoint: str) -> None:  # fmt: skip
        from moto.events.models import EventPattern, EventPatternParser

        sm, sfn, events = account.client("sagemaker"), account.client("stepfunctions"), account.client("events")
        described = sm.describe_model_package(ModelPackageName=package)
        if described["ModelApprovalStatus"] != "Approved":
            sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")  # a person approves
            described = sm.describe_model_package(ModelPackageName=package)
        event = {
            "version": "0", "id": "rehearsal", "source": "aws.sagemaker", "account": account.account,
            "detail-type": "SageMaker Model Package State Change", "region": account.region, "resources": [package],
            "detail": {k: described[k] for k in ("ModelPackageGroupName", "ModelPackageArn", "ModelApprovalStatus",
                                                   "ModelPackageStatus")},
        }  # fmt: skip
        config_before = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        started = []
        for rule in events.list_rules()["Rules"]:
            pattern = rule.get("EventPattern")
            matcher = EventPattern(pattern, EventPatternParser(pattern).parse()) if pattern else None
            if matcher is not None and matcher.matches_event(event):  # type: ignore[arg-type]
                for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                    if ":states:" in target["Arn"]:
                        machine, _ = _interpreted_copy(account, target["Arn"], f"rehearsal-{rule['Name'][:40]}")
                        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(event))["executionArn"]
                        while (done := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                            time.sleep(0.2)
                        started.append(f"{rule['Name']} -> {done['status']}")
        self.report.executions.append(
            f"{stage.name}: approval of {package.rsplit('/', 2)[-2:]}: {started or 'no rule'}"
        )
        if not any(s.endswith("SUCCEEDED") for s in started):
            self.report.problems.append(f"{stage.name}: no deployed rule released the approved package {package}")
            return
        if sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"] != config_before:
            self.report.problems.append(f"{stage.name}: the endpoint changed outside CloudFormation on approval")
        self._delivery(stage, package)
        # The delivery pipeline starts on the release's event and deploys the stage: here, the serving stack.
        updated = deploy(account, serving, self._outputs(stage, account), self.answers)
        self.report.executions.append(f"{stage.name}: serving stack deployed again: {updated.status}")
        config_after = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        variants = sm.describe_endpoint_config(EndpointConfigName=config_after)["ProductionVariants"]
        challenger = next(v for v in variants if v["VariantName"] == "challenger")
        serves = adapter.container(challenger["ModelName"]).get("ModelPackageName")
        if config_after == config_before or serves != package:
            self.report.problems.append(
                f"{stage.name}: after the CloudFormation update the challenger serves {serves}, not the release "
                f"{package}"
            )
            return
        self._smoke(stage, endpoint, account, adapter, "after the release, through CloudFormation")

    def _delivery(self, stage: Stage, package: str) -> None:
        """The release's event must reach a rule that starts the delivery pipeline, when one is deployed."""
        from tools.rehearsal.emulator import DELIVERIES

        pipelines = [s for st in self.stages for s in st.stacks if "AWS::CodePipeline::Pipeline" in json.dumps(
            [r["Type"] for r in s.template["Resources"].values()])]  # fmt: skip
        reached = [
            f"{rule} -> {arn.rsplit(':', 1)[-1]}"
            for rule, arn, event in DELIVERIES
            if ":codepipeline:" in arn and event.get("detail", {}).get("modelPackageArn") == package
        ]
        if reached:
            self.report.executions.append(f"{stage.name}: the release's event started the delivery: {reached[0]}")
        elif pipelines:
            self.report.problems.append(f"{stage.name}: the release of {package} reached no delivery pipeline")
        else:
            self.report.executions.append(f"{stage.name}: no delivery pipeline in this app: deploying as it would")

    def _outputs(self, stage: Stage, account: Account) -> dict[tuple[str, str], str]:
        cfn = account.client("cloudformation")
        found: dict[tuple[str, str], str] = {}
        for artifact in stage.stacks:
            for stack in cfn.describe_stacks(StackName=artifact.stack_name)["Stacks"]:
                for output in stack.get("Outputs", []):
                    found[(artifact.stack_name, output["OutputKey"])] = output["OutputValue"]
        return found
