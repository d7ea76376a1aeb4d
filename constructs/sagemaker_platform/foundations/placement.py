"""Where SageMaker runs containers: subnets and security groups of the platform network or of a VPC you bring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import Token

from sagemaker_platform._validation import PropsErrors, is_token

if TYPE_CHECKING:
    # Annotations only: aws_ec2 and the network module load when a VPC is actually used.
    from aws_cdk import aws_ec2 as ec2

    from sagemaker_platform.foundations.network import IsolatedNetwork


@dataclass(frozen=True, kw_only=True)
class JobNetwork:
    """Where a job's, model's or monitor's containers run: subnets, security groups and their VPC.

    Every construct and spec that runs containers in a VPC takes one (``Model``, ``ModelFleet``,
    ``DataQualityMonitor``, the job specs), so a team that does not own its VPC can use the library
    without :class:`IsolatedNetwork`. Build it with :meth:`from_isolated_network` (the platform's
    network) or :meth:`from_vpc` (an existing VPC, subnets and security groups), or from IDs.
    """

    #: Subnets for the containers' network interfaces (SageMaker ``VpcConfig.Subnets``), 1 to 16.
    subnet_ids: Sequence[str]
    #: Security groups for them (``VpcConfig.SecurityGroupIds``), 1 to 5.
    security_group_ids: Sequence[str]
    #: True when a security group allows all traffic from itself (multi-instance jobs need it).
    #: Default: False.
    self_referencing: bool = False
    #: The subnets' VPC. Roles the library creates (a model's, a monitor's) limit the network
    #: interfaces SageMaker creates to it (the ``ec2:Vpc`` condition), so those constructs need it;
    #: job specs, which take your role, do not. Default: None.
    vpc: ec2.IVpc | None = None

    @staticmethod
    def from_isolated_network(network: IsolatedNetwork) -> JobNetwork:
        """The platform network: isolated subnets and the self-referencing jobs security group."""
        return JobNetwork(
            subnet_ids=network.subnet_ids,
            security_group_ids=[network.jobs_security_group.security_group_id],
            self_referencing=network.jobs_security_group_self_referencing,
            vpc=network.vpc,
        )

    @staticmethod
    def from_vpc(
        vpc: ec2.IVpc,
        *,
        security_groups: Sequence[ec2.ISecurityGroup],
        subnets: ec2.SubnetSelection | None = None,
        self_referencing: bool = False,
    ) -> JobNetwork:
        """An existing VPC (``ec2.Vpc.from_vpc_attributes`` or one of your own) and security groups.

        ``subnets`` default to the VPC's ``PRIVATE_ISOLATED`` subnets, or its ``PRIVATE_WITH_EGRESS``
        ones when it has no isolated subnets; public subnets are refused (SageMaker gives its
        network interfaces no public address). The groups' rules are yours: SageMaker needs HTTPS
        to the VPC endpoints (or a NAT path) and to S3, and multi-instance jobs need traffic within
        the group (say so with ``self_referencing=True``).
        """
        errors = PropsErrors("JobNetwork.from_vpc")
        selection = subnets or _default_selection(vpc)
        try:
            selected = vpc.select_subnets(
                subnet_type=selection.subnet_type,
                subnet_group_name=selection.subnet_group_name,
                subnets=selection.subnets,
                availability_zones=selection.availability_zones,
                one_per_az=selection.one_per_az,
                subnet_filters=selection.subnet_filters,
            )
        except RuntimeError as err:  # jsii surfaces CDK's selection errors as RuntimeError
            errors.add("subnets", _describe(selection), f"a selection of the VPC's private subnets ({err})")
            errors.raise_if_any()
            raise  # unreachable: raise_if_any raised
        public = {s.subnet_id for s in vpc.public_subnets}
        errors.check(
            not any(s.subnet_id in public for s in selected.subnets),
            "subnets",
            _describe(selection),
            "private or isolated subnets (SageMaker network interfaces get no public address)",
        )
        errors.check(bool(security_groups), "security_groups", [], "1 to 5 security groups of the VPC")
        errors.raise_if_any()
        return JobNetwork(
            subnet_ids=selected.subnet_ids,
            security_group_ids=[g.security_group_id for g in security_groups],
            self_referencing=self_referencing,
            vpc=vpc,
        )

    @staticmethod
    def of(network: IsolatedNetwork | JobNetwork) -> JobNetwork:
        """``network`` as a :class:`JobNetwork` (an :class:`IsolatedNetwork` through :meth:`from_isolated_network`)."""
        return network if isinstance(network, JobNetwork) else JobNetwork.from_isolated_network(network)

    def __post_init__(self) -> None:
        errors = PropsErrors("JobNetwork")
        if not is_token(self.subnet_ids):
            errors.check(1 <= len(self.subnet_ids) <= 16, "subnet_ids", len(self.subnet_ids), "1 to 16 subnets")
            for subnet in self.subnet_ids:
                errors.pattern("subnet_ids", subnet, r"subnet-[0-9a-z]+", "subnet IDs such as 'subnet-0a1b2c3d'")
        errors.check(
            1 <= len(self.security_group_ids) <= 5,
            "security_group_ids",
            len(self.security_group_ids),
            "1 to 5 security groups",
        )
        for group in self.security_group_ids:
            errors.pattern("security_group_ids", group, r"sg-[0-9a-z]+", "security group IDs such as 'sg-0123abcd'")
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        """The ``VpcConfig`` of a SageMaker request."""
        return {"SecurityGroupIds": list(self.security_group_ids), "Subnets": list(self.subnet_ids)}


def require_vpc_for_new_role(network: object, errors: PropsErrors, whose: str, otherwise: str = "") -> None:
    """Record a problem when ``network`` is a :class:`JobNetwork` without ``vpc`` and a new role will use it.

    The roles the library creates limit the network interfaces SageMaker makes to one VPC (the
    ``ec2:Vpc`` condition), so they need it; ``whose`` names that role in the error.
    """
    if isinstance(network, JobNetwork):
        errors.check(
            network.vpc is not None,
            "network.vpc",
            None,
            f"the subnets' VPC (JobNetwork.from_vpc sets it): {whose} may create network interfaces in that VPC only"
            + otherwise,
        )


def _default_selection(vpc: ec2.IVpc) -> ec2.SubnetSelection:
    from aws_cdk import aws_ec2 as ec2

    kind = ec2.SubnetType.PRIVATE_ISOLATED if vpc.isolated_subnets else ec2.SubnetType.PRIVATE_WITH_EGRESS
    return ec2.SubnetSelection(subnet_type=kind)


def _describe(selection: ec2.SubnetSelection) -> str:
    if selection.subnets:
        return "subnets " + ", ".join(
            s.subnet_id if not Token.is_unresolved(s.subnet_id) else "<token>" for s in selection.subnets
        )
    if selection.subnet_group_name:
        return f"subnet group {selection.subnet_group_name!r}"
    return f"subnet type {selection.subnet_type.name if selection.subnet_type else 'default'}"
