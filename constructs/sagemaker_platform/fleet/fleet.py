"""Many models behind their own endpoints, split over nested stacks that stay far from CloudFormation's limits.

Placement rule: member ``i`` of ``members`` lives in nested stack ``Shard{i // members_per_stack}``.
A member adds at most 10 resources (execution role and its managed policy, model, endpoint
config, endpoint, two rollback alarms, scalable target and its role, target-tracking policy;
8 with a shared execution role) and about 14 KB of template (measured with weak cross-stack
references), so the default of 30 members per stack is at most 300 resources and ~0.42 MB,
against CloudFormation's 500 resources and 1 MB per template. Each nested stack's resources are
counted again at synth, after the caller may have added alarms or policies, against a budget of 400.
Template size is not checked at synth: members with large container environments (up to 100 KB
per container) need a smaller ``members_per_stack``.

Placement only depends on positions, so appending members never moves or renames existing ones.
To retire a member without moving the ones after it, replace it with ``None``: moving an endpoint
to another stack would make CloudFormation create its (fixed) name again before deleting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import CfnResource, NestedStack, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.fleet.member import FleetMember
from sagemaker_platform.foundations.network import IsolatedNetwork
from sagemaker_platform.foundations.placement import JobNetwork, require_vpc_for_new_role
from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.serving.endpoint import Endpoint, EndpointProps
from sagemaker_platform.serving.model import Model, ModelProps
from sagemaker_platform.serving.variants import VariantSpec

#: CloudFormation's hard limit of resources per stack (nested stacks included, each on its own).
STACK_RESOURCE_LIMIT = 500
#: What the fleet lets one nested stack hold: a fifth of the limit stays free for what callers add.
STACK_RESOURCE_BUDGET = 400
#: Worst case of one member: 10 resources (see the module docstring).
RESOURCES_PER_MEMBER = 10
DEFAULT_MEMBERS_PER_STACK = 30
#: 40 x 10 = 400 resources: the whole budget, before anything else is added.
MAX_MEMBERS_PER_STACK = STACK_RESOURCE_BUDGET // RESOURCES_PER_MEMBER
#: Every member's single production variant.
VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True, kw_only=True)
class ModelFleetProps:
    """Properties of :class:`ModelFleet`."""

    #: The fleet, in placement order. ``None`` keeps the slot of a retired member (see the module docstring).
    members: Sequence[FleetMember | None]
    #: Network the models run in: the platform's :class:`IsolatedNetwork` or a :class:`JobNetwork`
    #: of a VPC you bring, with its ``vpc`` (``JobNetwork.from_vpc``).
    network: IsolatedNetwork | JobNetwork
    #: Key that encrypts model artifacts (every model's role may decrypt with it).
    model_key: kms.IKey
    #: Every alarm of every member notifies this (KMS-encrypted) topic.
    alarm_topic: sns.ITopic
    #: Key for the endpoints' ML storage volumes. Default: ``model_key``.
    volume_key: kms.IKey | None = None
    #: Execution role of every model. Default: one least-privilege role per model, reading only its model data.
    role: SageMakerExecutionRole | None = None
    #: Members per nested stack, 1-40. Default: 30. Changing it after a deploy moves members between stacks.
    members_per_stack: int = DEFAULT_MEMBERS_PER_STACK

    def __post_init__(self) -> None:
        errors = PropsErrors("ModelFleetProps")
        errors.int_range("members_per_stack", self.members_per_stack, 1, MAX_MEMBERS_PER_STACK)
        require_vpc_for_new_role(self.network, errors, "each model's role")
        present = [(i, m) for i, m in enumerate(self.members) if m is not None]
        errors.check(
            bool(present), "members", f"{len(present)} members", "at least one FleetMember (None marks a retired slot)"
        )
        # SageMaker endpoint names are unique per account and region regardless of case.
        first: dict[str, tuple[int, str]] = {}
        for index, member in present:
            if not isinstance(member, FleetMember):
                errors.add(f"members[{index}]", member, "a FleetMember, or None for a retired slot")
                continue
            key = member.name.lower()
            if key in first:
                other, other_name = first[key]
                errors.add(
                    f"members[{index}].name",
                    member.name,
                    f"a name unique in the fleet, ignoring case (members[{other}] is {other_name!r})",
                )
            else:
                first[key] = (index, member.name)
        errors.raise_if_any()


class ModelFleet(Construct):
    """Models with one autoscaled, alarmed, guarded endpoint each, spread over nested stacks.

    Shared inputs (network, keys, topic, role) may live in the parent stack, whence they reach
    each nested stack as parameters, or in another stack of the app, which then gets one output
    (or export) per shared value however many members there are. Members are in
    :attr:`models` and :attr:`endpoints` by name, for grants, metrics and more alarms.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ModelFleetProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        #: Nested stacks by shard index (an index whose members are all retired has none).
        self.stacks: dict[int, NestedStack] = {}
        self.models: dict[str, Model] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self._shard_of: dict[str, int] = {}
        for index, member in enumerate(props.members):
            if member is None:
                continue
            shard = index // props.members_per_stack
            self._shard_of[member.name] = shard
            try:
                self._add_member(self._stack(shard), member)
            except ValueError as err:
                raise ValueError(f"ModelFleet {construct_id}: members[{index}] ({member.name!r}): {err}") from err
        for stack in self.stacks.values():
            stack.node.add_validation(_ResourceBudget(stack, construct_id, props.members_per_stack))

    def stack_of(self, name: str) -> NestedStack:
        """The nested stack that holds member ``name``."""
        if name not in self._shard_of:
            raise ValueError(f"ModelFleet {self.node.id}: name: got {name!r}; allowed: one of {sorted(self._shard_of)}")
        return self.stacks[self._shard_of[name]]

    def _stack(self, shard: int) -> NestedStack:
        if shard not in self.stacks:
            first = shard * self.props.members_per_stack
            self.stacks[shard] = NestedStack(
                self,
                f"Shard{shard}",
                description=f"Model fleet {self.node.id}: members {first}-{first + self.props.members_per_stack - 1}",
            )
        return self.stacks[shard]

    def _add_member(self, stack: NestedStack, member: FleetMember) -> None:
        group = Construct(stack, member.name)
        # The model shares the member's ID: CDK drops the repeated path part from logical IDs.
        model = Model(
            group,
            member.name,
            ModelProps(
                containers=member.container_specs,
                network=self.props.network,
                model_key=self.props.model_key,
                role=self.props.role,
            ),
        )
        endpoint = Endpoint(
            group,
            "Endpoint",
            EndpointProps(
                production_variants=[
                    VariantSpec(
                        variant_name=VARIANT_NAME,
                        model=model,
                        instance_type=member.instance_type,
                        initial_instance_count=member.initial_instance_count,
                    )
                ],
                alarm_topic=self.props.alarm_topic,
                volume_key=self.props.volume_key or self.props.model_key,
                deployment=member.deployment,
                rollback_5xx=member.rollback_5xx,
                rollback_latency_us=member.rollback_latency_us,
                endpoint_name=member.name,
            ),
        )
        scaling = endpoint.scale_variant(
            VARIANT_NAME, min_capacity=member.min_capacity, max_capacity=member.max_capacity
        )
        scaling.scale_on_invocations(member.invocations_per_instance)
        self.models[member.name] = model
        self.endpoints[member.name] = endpoint


@jsii.implements(IValidation)
class _ResourceBudget:
    """Fails synth when a nested stack outgrows the budget (the caller may add resources after the fleet)."""

    def __init__(self, stack: NestedStack, fleet_id: str, members_per_stack: int) -> None:
        self.stack, self.fleet_id, self.members_per_stack = stack, fleet_id, members_per_stack

    def validate(self) -> list[str]:
        # Python isinstance checks: a kernel round trip per construct made this ~3 ms per member.
        nodes = self.stack.node.find_all()
        inner = any(isinstance(c, Stack) for c in nodes[1:])  # only then can a resource belong elsewhere
        count = sum(1 for c in nodes if isinstance(c, CfnResource) and (not inner or Stack.of(c) is self.stack))
        if count <= STACK_RESOURCE_BUDGET:
            return []
        return [
            f"ModelFleet {self.fleet_id}: {self.stack.node.id} holds {count} resources; allowed: at most "
            f"{STACK_RESOURCE_BUDGET} per nested stack (CloudFormation's limit is {STACK_RESOURCE_LIMIT}). "
            f"Lower members_per_stack (now {self.members_per_stack}) before the first deploy."
        ]
