"""What every state machine here has: a scoped role, encrypted logs of every event, X-Ray, the rules that start it."""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform.compliance import CFN_GUARD_PLUGIN, acknowledge

#: Step Functions log delivery and X-Ray: these APIs do not support resource-level permissions.
SERVICE_WIDE_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]


def service_principal(scope: Construct, service: str) -> iam.IPrincipal:
    """``service``, only on behalf of this account (``aws:SourceAccount``)."""
    return iam.ServicePrincipal(service).with_conditions(
        {"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
    )


def machine_role(scope: Construct, description: str) -> tuple[iam.Role, iam.ManagedPolicy]:
    """The machine's role (``Role``) with one customer-managed policy (``Policy``), to fill with statements."""
    policy = iam.ManagedPolicy(scope, "Policy", description=description)
    role = iam.Role(
        scope, "Role", assumed_by=service_principal(scope, "states.amazonaws.com"), managed_policies=[policy]
    )
    return role, policy


def logged_machine(
    scope: Construct, definition: sfn.IChainable, role: iam.Role, policy: iam.ManagedPolicy, log_key: kms.IKey,
    timeout: Duration,
) -> tuple[sfn.StateMachine, logs.LogGroup]:  # fmt: skip
    """The state machine (``Resource``) logging ALL events to a KMS-encrypted, retained group (``Logs``)."""
    log_group = logs.LogGroup(
        scope,
        "Logs",
        encryption_key=log_key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=RemovalPolicy.RETAIN,
    )
    acknowledge_key_across_stacks(log_group, log_key, "cloudwatch_log_group_encrypted_check")
    machine = sfn.StateMachine(
        scope,
        "Resource",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        role=role.without_policy_updates(),
        tracing_enabled=True,
        timeout=timeout,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    # The policy must exist before the first execution.
    machine.node.add_dependency(policy)
    cfn_machine = machine.node.default_child
    if isinstance(cfn_machine, CfnResource):
        # CDK's StateMachine adds a construct-level DependsOn on its role, already implied by
        # RoleArn; cfn-lint's W3005 (redundant dependency) is ignored on this resource only.
        cfn_machine.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    policy.add_statements(iam.PolicyStatement(actions=SERVICE_WIDE_ACTIONS, resources=["*"]))
    acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        reason=(
            "Step Functions log delivery (logs:*LogDelivery, resource policies) and X-Ray tracing APIs do not "
            "support resource-level permissions."
        ),
    )
    return machine, log_group


def acknowledge_key_across_stacks(resource: Construct, key: kms.IKey, guard_rule: str) -> None:
    """Acknowledge a cfn-guard rule that cannot see ``key`` because it lives in another stack.

    Control Tower's rules accept a key as a string or a reference within the template; a key
    from another stack arrives as a cross-stack reference (``Fn::GetStackOutput`` or
    ``Fn::ImportValue``), which they count as no key. The nag packs, which resolve it, still check.
    """
    if Stack.of(key) is not Stack.of(resource):
        acknowledge(
            resource,
            f"{CFN_GUARD_PLUGIN}::{guard_rule}",
            reason=(
                f"Encrypted with a customer-managed key of the {Stack.of(key).node.id} stack, referenced across "
                "stacks, which the Control Tower rule cannot resolve."
            ),
        )


def starting_rule(
    scope: Construct, prefix: str, machine: sfn.StateMachine, *, description: str,
    schedule: events.Schedule | None = None, event_pattern: events.EventPattern | None = None,
) -> events.Rule:  # fmt: skip
    """A rule (``<prefix>``) that starts ``machine``, as its own role (``<prefix>Role``) with a managed policy."""
    start = iam.ManagedPolicy(
        scope,
        f"{prefix}Policy",
        description=f"{description}: start executions",
        statements=[iam.PolicyStatement(actions=["states:StartExecution"], resources=[machine.state_machine_arn])],
    )
    # Our own role with a managed policy: the target's default grant would add an inline policy.
    role = iam.Role(
        scope, f"{prefix}Role", assumed_by=service_principal(scope, "events.amazonaws.com"), managed_policies=[start]
    )
    return events.Rule(
        scope,
        prefix,
        description=description,
        schedule=schedule,
        event_pattern=event_pattern,
        targets=[targets.SfnStateMachine(machine, role=role.without_policy_updates())],
    )
