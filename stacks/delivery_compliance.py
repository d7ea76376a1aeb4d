"""What CDK Pipelines generates in the delivery stack, made least-privilege where IAM allows and acknowledged where not.

Runs at validation time, when every grant is in place (after ``build_pipeline`` and CDK's prepare
phase, before the templates are written and the validation plugins run), so the rewritten statements
are the ones the nag packs, cfn-guard and CloudFormation see.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import DefaultStackSynthesizer, Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from constructs import IValidation

from sagemaker_platform import acknowledge
from sagemaker_platform.compliance import CFN_GUARD_PLUGIN, nag_resource_id

if TYPE_CHECKING:
    from stacks.delivery_stack import DeliveryStack

#: The CDK CLI's default bootstrap stack name (``cdk bootstrap --toolkit-stack-name`` changes it).
TOOLKIT_STACK_NAME = "CDKToolkit"
#: CDK Pipelines grants its asset roles these on ``*``; they accept project ARNs.
BUILD_ACTIONS = frozenset({"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"})
#: CDK Pipelines grants the self-mutation role these on ``*``, to read the bootstrap stack and bucket.
SELF_MUTATION_READS = frozenset({"cloudformation:DescribeStacks", "s3:ListBucket"})

_INLINE = (
    "CDK Pipelines adds each action's permissions to that action's own role as its default policy; "
    "the roles exist only for this pipeline and are assumable only by CodePipeline or CodeBuild."
)
_REPO_URL = (
    "Source type CODEPIPELINE: the project receives the pipeline's artifact and never contacts a "
    "repository; the repository is reached only through the CodeConnections connection (no stored tokens)."
)
_PRIVILEGED = (
    "Privileged mode runs a container engine inside the build: the synth step runs the test suite, whose "
    "local-mode tests start podman containers and network namespaces, and the Docker asset project builds "
    "the image assets. Both run only this repository's pipeline source and CDK's generated buildspec."
)
_ARTIFACT_ACTIONS = (
    "CDK's standard read/write action groups (s3:GetObject*, kms:ReEncrypt*, ...) on the pipeline's own "
    "artifact bucket and its key only."
)
_ARTIFACT_OBJECTS = "Pipeline artifacts are objects with generated keys in the pipeline's own artifact bucket."
_BUILD_LOGS = "CodeBuild names its default log group after the project and a log stream after each build."
_REPORTS = "CodeBuild creates its test-report groups per project and build, under names it generates."
_BOOTSTRAP = (
    "Self-mutation runs cdk deploy, which may assume only roles tagged aws-cdk:bootstrap-role (the "
    "statement's condition): the CDK bootstrap roles of this account."
)
_TOOLKIT_STACK = (
    "cdk deploy reads the bootstrap stack's status before it assumes the bootstrap roles; CloudFormation "
    "stack ARNs end in a stack ID CloudFormation generates."
)


@jsii.implements(IValidation)
class DeliveryCompliance:
    """Scope CDK Pipelines' account-wide grants to the resources they are for, then acknowledge what remains.

    * Each asset-publishing role may start, stop and read builds of its own asset projects only
      (CDK grants ``*``; with ``*``, an asset role could start the self-mutation project with a
      buildspec override and reach the deploy roles).
    * The self-mutation role may describe only the bootstrap stack and this stack, and list only the
      bootstrap bucket (CDK grants both on ``*``).
    * Every other wildcard is acknowledged only when it is one of the known, generated shapes, so a new
      kind of wildcard stays a finding.
    """

    def __init__(self, stack: DeliveryStack) -> None:
        self.stack = stack
        account, region = re.escape(stack.config.account), re.escape(stack.config.region)
        bucket = stack.artifacts.bucket
        self.artifact_ids = {
            nag_resource_id(stack, arn)
            for arn in (bucket.bucket_arn, bucket.arn_for_objects("*"), stack.keys.data.key_arn)
        }
        artifacts = re.escape(nag_resource_id(stack, bucket.arn_for_objects("*")))
        self.known = (
            (f"Resource::{artifacts}", _ARTIFACT_OBJECTS),
            (rf"Resource::arn:[\w-]+:logs:{region}:{account}:log-group:/aws/codebuild/(<\w+>:)?\*", _BUILD_LOGS),
            (rf"Resource::arn:[\w-]+:codebuild:{region}:{account}:report-group/(<\w+>-)?\*", _REPORTS),
            (rf"Resource::arn:[\w-]+:cloudformation:{region}:{account}:stack/[\w-]+/\*", _TOOLKIT_STACK),
        )

    def validate(self) -> list[str]:
        projects = [c for c in self.stack.node.find_all() if isinstance(c, codebuild.CfnProject)]
        for child in self.stack.node.find_all():
            if isinstance(child, iam.CfnPolicy):
                self._policy(child, projects)
        for project in projects:
            if self._pipeline_source(project):
                acknowledge(project, "HIPAA.Security-CodeBuildProjectSourceRepoUrl", reason=_REPO_URL)
            if self.stack.resolve(project.environment).get("privilegedMode"):
                acknowledge(project, f"{CFN_GUARD_PLUGIN}::codebuild_project_environment_privileged_check",
                            reason=_PRIVILEGED)  # fmt: skip
        return []

    def _pipeline_source(self, project: codebuild.CfnProject) -> bool:
        return bool(self.stack.resolve(project.source).get("type") == "CODEPIPELINE")

    def _policy(self, policy: iam.CfnPolicy, projects: list[codebuild.CfnProject]) -> None:
        acknowledge(policy, "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy", reason=_INLINE)
        statements = self.scoped_statements(policy, projects)
        by_reason: dict[str, set[str]] = defaultdict(set)
        for statement in statements:
            actions, resources = _as_list(statement["Action"]), _as_list(statement["Resource"])
            rendered = {nag_resource_id(policy, r) for r in resources}
            findings = [f"Action::{a}" for a in actions if "*" in a] + [f"Resource::{r}" for r in rendered if "*" in r]
            for finding in findings:
                reason = self._reason(finding, set(actions), rendered, statement.get("Condition", {}))
                if reason is not None:
                    by_reason[reason].add(f"AwsSolutions-IAM5[{finding}]")
        for reason, ids in by_reason.items():
            acknowledge(policy, *sorted(ids), reason=reason)

    def scoped_statements(self, policy: iam.CfnPolicy, projects: list[codebuild.CfnProject]) -> list[dict[str, Any]]:
        """``policy``'s statements with CDK's ``*`` grants narrowed; replaces its document when any changed."""
        document: dict[str, Any] = self.stack.resolve(policy.policy_document)
        statements: list[dict[str, Any]] = document["Statement"]
        roles = {json.dumps(r, sort_keys=True) for r in self.stack.resolve(policy.roles) or []}
        out: list[dict[str, Any]] = []
        changed = False
        for statement in statements:
            actions = set(_as_list(statement["Action"]))
            if statement.get("Resource") != "*" or statement.get("Effect") != "Allow":
                out.append(statement)
            elif actions <= BUILD_ACTIONS and (own := self._projects_of(roles, projects)):
                out.append({**statement, "Resource": own})
                changed = True
            elif actions <= SELF_MUTATION_READS:
                out.extend(self._self_mutation_reads(actions))
                changed = True
            else:
                out.append(statement)
        if changed:
            # The L1 property itself, not an override: the nag packs read the resource, not the template.
            policy.policy_document = {**document, "Statement": out}
        return out

    def _projects_of(self, roles: set[str], projects: list[codebuild.CfnProject]) -> list[Any]:
        """ARNs of the projects whose service role is one of ``roles`` (``Ref`` of a role), in path order."""
        arns = []
        for project in projects:
            role = self.stack.resolve(project.service_role)
            ref = {"Ref": role["Fn::GetAtt"][0]} if isinstance(role, dict) and "Fn::GetAtt" in role else None
            if ref is not None and json.dumps(ref, sort_keys=True) in roles:
                arns.append(self.stack.resolve(project.attr_arn))
        return arns

    def _self_mutation_reads(self, actions: set[str]) -> list[dict[str, Any]]:
        stack = self.stack
        out = []
        if "cloudformation:DescribeStacks" in actions:
            stacks = [
                f"arn:{stack.partition}:cloudformation:{stack.region}:{stack.account}:stack/{name}/*"
                for name in (TOOLKIT_STACK_NAME, stack.stack_name)
            ]
            out.append({"Action": "cloudformation:DescribeStacks", "Effect": "Allow", "Resource": stacks})
        if "s3:ListBucket" in actions:
            out.append({"Action": "s3:ListBucket", "Effect": "Allow", "Resource": f"arn:{stack.partition}:s3:::"
                        + bootstrap_bucket(stack)})  # fmt: skip
        return out

    def _reason(self, finding: str, actions: set[str], resources: set[str], condition: dict[str, Any]) -> str | None:
        if finding.startswith("Action::"):
            grant = re.fullmatch(
                r"Action::(s3:(Abort|DeleteObject|GetBucket|GetObject|List)|kms:(GenerateDataKey|ReEncrypt))\*", finding
            )
            return _ARTIFACT_ACTIONS if grant and resources <= self.artifact_ids else None
        if finding == f"Resource::arn:*:iam::{self.stack.config.account}:role/*":
            tagged = "iam:ResourceTag/aws-cdk:bootstrap-role" in json.dumps(condition)
            return _BOOTSTRAP if actions == {"sts:AssumeRole"} and tagged else None
        return next((why for pattern, why in self.known if re.fullmatch(pattern, finding)), None)


def bootstrap_bucket(stack: Stack) -> str:
    """The name of the CDK bootstrap file-assets bucket of ``stack``'s environment (default qualifier)."""
    name = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME
    for placeholder, value in (
        ("${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER),
        ("${AWS::AccountId}", stack.account),
        ("${AWS::Region}", stack.region),
    ):
        name = name.replace(placeholder, value)
    return name


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
