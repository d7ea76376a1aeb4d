"""A VPC for SageMaker with no path to the internet: isolated subnets, VPC endpoints, closed groups."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Annotations, CfnResource, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import _defaults
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.compliance import CFN_GUARD_PLUGIN, acknowledge, acknowledge_wildcard_resources, skip_checkov

_DEFAULT_SG_PROVIDER_SKIPS = {
    "CKV_AWS_115": "CDK-owned custom resource handler, invoked only by CloudFormation during deploys; "
    "a concurrency limit adds nothing.",
    "CKV_AWS_116": "Invoked synchronously by CloudFormation, which reports and rolls back failures; "
    "a DLQ would never receive events.",
    "CKV_AWS_117": "Calls only the EC2 API to strip the default security group; placing it in the "
    "isolated VPC would need more endpoints for no gain.",
}

_S3_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]


@dataclass(frozen=True, kw_only=True)
class IsolatedNetworkProps:
    """Properties of :class:`IsolatedNetwork`."""

    #: Key for the flow-log group (use the platform's logs key). Required unless ``flow_logs`` is False.
    flow_logs_key: kms.IKey | None = None
    #: Use this VPC instead of creating one; its ``PRIVATE_ISOLATED`` subnets host endpoints and jobs
    #: (an imported VPC needs ``isolated_subnet_ids``, and ``isolated_subnet_route_table_ids`` for the
    #: S3 gateway endpoint). Default: a new VPC (``cidr``, ``max_azs`` / ``availability_zones`` apply
    #: only then).
    vpc: ec2.IVpc | None = None
    #: Add an S3 gateway endpoint (policy: the platform's buckets and ECR's layer bucket). False only
    #: with an existing ``vpc`` that has one already: its policy must then allow those buckets (synth
    #: warns). Default: True.
    s3_gateway_endpoint: bool = True
    #: Record all traffic in a KMS-encrypted flow-log group. False only with an existing ``vpc``
    #: whose flow logs are kept elsewhere. Default: True.
    flow_logs: bool = True
    #: An existing security group for jobs, models and monitors, used instead of a new one. Its rules
    #: are yours (nothing is added to it): HTTPS to the interface endpoints and to S3, and all
    #: traffic within the group for multi-instance jobs. Only with an existing ``vpc``.
    #: Default: a new self-referencing group with HTTPS egress to the endpoints and S3 only.
    jobs_security_group: ec2.ISecurityGroup | None = None
    #: Whether ``jobs_security_group`` allows all traffic from itself (multi-instance training needs
    #: it). Only with ``jobs_security_group``. Default: False.
    jobs_security_group_self_referencing: bool = False
    #: An existing security group for the interface endpoints, used instead of a new one; nothing is
    #: added to it (allow HTTPS from the jobs group yourself). Only with an existing ``vpc``.
    #: Default: a new group allowing HTTPS from the jobs group only.
    endpoints_security_group: ec2.ISecurityGroup | None = None
    #: Default: ``"10.0.0.0/16"``.
    cidr: str = "10.0.0.0/16"
    #: Number of AZs when ``availability_zones`` is not given. Default: 2 (the minimum).
    max_azs: int = 2
    #: Explicit AZs (required for stacks with a concrete account, to avoid context lookups).
    #: Default: the first ``max_azs`` AZs of the region, resolved at deploy time.
    availability_zones: Sequence[str] | None = None
    #: Size of each isolated subnet (17-28); one per AZ must fit in ``cidr``. Default: /20 (4,091
    #: addresses per AZ), or the largest that fits in a smaller VPC (a /24 over 2 AZs: /25).
    subnet_cidr_mask: int | None = None
    #: Interface endpoints by short name (see ``KNOWN_INTERFACE_ENDPOINTS``).
    #: Default: SageMaker API/runtime/feature store, STS, logs, monitoring, ECR, KMS, states, events.
    interface_endpoints: Sequence[str] = field(default_factory=lambda: _defaults.DEFAULT_INTERFACE_ENDPOINTS)
    #: ID of the region's S3 managed prefix list (``pl-...``, the list named ``com.amazonaws.<region>.s3``);
    #: the jobs security group's HTTPS egress to S3 goes to it only. CloudFormation cannot look the
    #: ID up, so it is given: required in a stack bound to an account (synth fails without it,
    #: unless ``allow_https_to_any_ipv4``). Default in an environment-agnostic stack: HTTPS egress to
    #: any IPv4 address, with a synth warning; in isolated subnets that reaches only the S3 gateway
    #: endpoint (the route tables have no other way out), under the endpoint's policy.
    s3_prefix_list_id: str | None = None
    #: Accept HTTPS egress to any IPv4 address from the jobs security group in an account-bound
    #: stack without ``s3_prefix_list_id`` (no warning either). Default: False.
    allow_https_to_any_ipv4: bool = False
    #: Default: one year.
    flow_log_retention: logs.RetentionDays = _defaults.LOG_RETENTION

    def __post_init__(self) -> None:
        errors = PropsErrors("IsolatedNetworkProps")
        errors.ipv4_cidr("cidr", self.cidr, 16, 24)
        errors.int_range("max_azs", self.max_azs, 2, 6)
        if self.availability_zones is not None:
            azs = list(self.availability_zones)
            errors.check(
                len(azs) >= 2 and len(set(azs)) == len(azs),
                "availability_zones",
                azs,
                "at least two distinct availability zones, e.g. ['eu-west-1a', 'eu-west-1b']",
            )
            for az in azs:
                errors.pattern(
                    "availability_zones",
                    az,
                    r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]",
                    "availability zone names such as 'eu-west-1a'",
                )
        if self.subnet_cidr_mask is not None:
            errors.int_range("subnet_cidr_mask", self.subnet_cidr_mask, 17, 28)
        prefix = _prefix_length(self.cidr)
        if prefix is not None and self.vpc is None and isinstance(self.max_azs, int):
            count = len(self.availability_zones) if self.availability_zones is not None else self.max_azs
            mask = self.effective_subnet_mask
            fits = _defaults.subnet_bits(count)
            errors.check(
                not isinstance(mask, int) or mask >= prefix + fits,
                "subnet_cidr_mask",
                mask,
                f"a mask of at least /{prefix + fits} so that {count} subnets (one per AZ) fit in {self.cidr}",
            )
        unknown = [e for e in self.interface_endpoints if e not in _defaults.KNOWN_INTERFACE_ENDPOINTS]
        errors.check(
            not unknown, "interface_endpoints", unknown, "names from " + ", ".join(_defaults.KNOWN_INTERFACE_ENDPOINTS)
        )
        errors.check(
            len(set(self.interface_endpoints)) == len(self.interface_endpoints),
            "interface_endpoints",
            list(self.interface_endpoints),
            "each endpoint at most once",
        )
        if self.s3_prefix_list_id is not None:
            errors.pattern(
                "s3_prefix_list_id",
                self.s3_prefix_list_id,
                r"pl-[0-9a-f]{8,17}",
                "a managed prefix list ID such as 'pl-6da54004'",
            )
        errors.check(
            not (self.allow_https_to_any_ipv4 and self.s3_prefix_list_id is not None),
            "allow_https_to_any_ipv4",
            True,
            "False when s3_prefix_list_id is given (egress then goes to the prefix list only)",
        )
        if self.vpc is not None:
            errors.check(
                self.availability_zones is None,
                "availability_zones",
                self.availability_zones,
                "None when an existing vpc is given",
            )
        self._check_optional_parts(errors)
        errors.raise_if_any()

    def _check_optional_parts(self, errors: PropsErrors) -> None:
        imported = self.vpc is not None
        # What the network adds may be left out only over a VPC that exists (and has its own).
        errors.check(
            imported or self.s3_gateway_endpoint,
            "s3_gateway_endpoint",
            False,
            "True when the network creates its VPC (False only with an existing vpc that has one)",
        )
        errors.check(
            imported or self.flow_logs,
            "flow_logs",
            False,
            "True when the network creates its VPC (False only with an existing vpc logged elsewhere)",
        )
        for name in ("jobs_security_group", "endpoints_security_group"):
            errors.check(
                imported or getattr(self, name) is None,
                name,
                "a security group",
                "None when the network creates its VPC (an existing group only with an existing vpc)",
            )
        if self.flow_logs:
            errors.check(
                self.flow_logs_key is not None,
                "flow_logs_key",
                None,
                "a KMS key for the flow-log group (the platform's logs key), or flow_logs=False",
            )
        else:
            errors.check(self.flow_logs_key is None, "flow_logs_key", "a key", "None with flow_logs=False")
        if self.jobs_security_group is not None:
            # Egress settings shape the group the network creates; an existing group's rules are its owner's.
            errors.check(
                self.s3_prefix_list_id is None,
                "s3_prefix_list_id",
                self.s3_prefix_list_id,
                "None with an existing jobs_security_group (its egress rules are its owner's)",
            )
            errors.check(
                not self.allow_https_to_any_ipv4,
                "allow_https_to_any_ipv4",
                True,
                "False with an existing jobs_security_group (its egress rules are its owner's)",
            )
        else:
            errors.check(
                not self.jobs_security_group_self_referencing,
                "jobs_security_group_self_referencing",
                True,
                "False unless jobs_security_group is given (the network's own group always is)",
            )

    @property
    def effective_subnet_mask(self) -> int:
        """``subnet_cidr_mask``, or the default for ``cidr`` and the number of AZs."""
        if self.subnet_cidr_mask is not None:
            return self.subnet_cidr_mask
        azs = len(self.availability_zones) if self.availability_zones is not None else self.max_azs
        return _defaults.subnet_mask(_prefix_length(self.cidr) or 16, azs)


def availability_zones_context_key(account: str, region: str) -> str:
    """The context key under which CDK keeps an account's availability zones in a region."""
    return f"availability-zones:account={account}:region={region}"


def availability_zones_context(*, account: str, region: str, zones: Sequence[str]) -> dict[str, list[str]]:
    """Context telling CDK an account's availability zones in a region, so synth never looks them up.

    ``App(context=availability_zones_context(account="111111111111", region="eu-west-1",
    zones=["eu-west-1a", "eu-west-1b"]))``, or put the same key in ``cdk.json``. An
    :class:`IsolatedNetwork` that creates its VPC in a stack bound to an account requires it.
    """
    return {availability_zones_context_key(account, region): list(zones)}


def _prefix_length(cidr: str) -> int | None:
    try:
        return ipaddress.IPv4Network(cidr, strict=True).prefixlen
    except (ValueError, TypeError):
        return None


class IsolatedNetwork(Construct):
    """A VPC for SageMaker with only ``PRIVATE_ISOLATED`` subnets and no internet path.

    No internet or NAT gateway; an S3 gateway endpoint whose policy allows only the platform's
    buckets (add them with :meth:`allow_bucket`) and ECR's layer bucket; interface endpoints
    reachable only from :attr:`jobs_security_group`; a self-referencing jobs security group with
    no open egress (multi-node training talks to itself); KMS-encrypted flow logs of all traffic;
    and the VPC's default security group stripped of its rules.

    Over an existing VPC (``props.vpc``, e.g. ``ec2.Vpc.from_vpc_attributes`` with its isolated
    subnets and their route tables), each addition can be left out where the VPC has its own: the
    S3 gateway endpoint (``s3_gateway_endpoint=False``), flow logs (``flow_logs=False``), the
    interface endpoints (``interface_endpoints=[]``) and either security group (give yours). A team
    that wants none of it passes a :class:`JobNetwork` from ``JobNetwork.from_vpc`` to the
    constructs instead.
    """

    def __init__(self, scope: Construct, construct_id: str, props: IsolatedNetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.vpc: ec2.IVpc = props.vpc or self._create_vpc(props)
        self.subnet_selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        if props.vpc is not None:
            self._check_existing_vpc(props)

        #: Jobs, models and monitors run in this group: the network's own, or ``props.jobs_security_group``.
        self.jobs_security_group: ec2.ISecurityGroup = props.jobs_security_group or self._own_jobs_group()
        #: Whether :attr:`jobs_security_group` allows all traffic from itself (the network's own group does).
        self.jobs_security_group_self_referencing = (
            props.jobs_security_group is None or props.jobs_security_group_self_referencing
        )
        #: The interface endpoints' group: the network's own, or ``props.endpoints_security_group``.
        self.endpoints_security_group: ec2.ISecurityGroup = props.endpoints_security_group or ec2.SecurityGroup(
            self,
            "EndpointsSecurityGroup",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="Interface VPC endpoints: HTTPS from SageMaker jobs and endpoints only",
        )
        self._wire_security_groups()

        #: The network's S3 gateway endpoint; None with ``s3_gateway_endpoint=False``.
        self.s3_endpoint: ec2.GatewayVpcEndpoint | None = None
        if props.s3_gateway_endpoint:
            self.s3_endpoint = self.vpc.add_gateway_endpoint(
                "S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.subnet_selection]
            )
            self._allow_ecr_layers()
        else:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:network-existing-s3-endpoint",
                f"IsolatedNetwork {construct_id}: no S3 gateway endpoint of its own (s3_gateway_endpoint=False); the "
                "VPC's existing endpoint must allow the platform's buckets and ECR's layer bucket "
                f"({self._ecr_layer_bucket_objects()}), or jobs cannot read data and images cannot be pulled.",
            )
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for name in props.interface_endpoints:
            self.interface_endpoints[name] = ec2.InterfaceVpcEndpoint(
                self,
                _endpoint_id(name),
                vpc=self.vpc,
                service=ec2.InterfaceVpcEndpointAwsService(name),
                subnets=self.subnet_selection,
                security_groups=[self.endpoints_security_group],
                open=False,
                private_dns_enabled=True,
            )
        #: The flow-log group; None with ``flow_logs=False``.
        self.flow_log_group: logs.LogGroup | None = self._add_flow_logs(props) if props.flow_logs else None

    def _own_jobs_group(self) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "JobsSecurityGroup",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="SageMaker jobs and endpoints: talk to each other and to VPC endpoints only",
        )
        acknowledge(
            group,
            "HIPAA.Security-EC2RestrictedCommonPorts",
            "NIST.800.53.R5-EC2RestrictedCommonPorts",
            reason="All-port ingress comes only from this same security group: distributed training "
            "(NCCL, MPI, parameter servers) uses dynamic ports between job instances; nothing else "
            "can reach them.",
        )
        skip_checkov(
            group.node.default_child,  # type: ignore[arg-type]
            "CKV2_AWS_5",
            "Attached at run time through the VpcConfig of SageMaker jobs, models and endpoints.",
        )
        return group

    def _check_existing_vpc(self, props: IsolatedNetworkProps) -> None:
        # CDK's own errors here ("CanTGatewayEndpointVpc", "There are no 'Isolated' subnet groups")
        # name neither the prop nor the fix.
        errors = PropsErrors("IsolatedNetworkProps")
        subnets = self.vpc.isolated_subnets
        errors.check(
            bool(subnets),
            "vpc",
            f"{self.vpc.vpc_id if not Token.is_unresolved(self.vpc.vpc_id) else 'a VPC'} without isolated subnets",
            "a VPC whose PRIVATE_ISOLATED subnets host the platform (ec2.Vpc.from_vpc_attributes(..., "
            "isolated_subnet_ids=[...])); for private subnets with a NAT route, use JobNetwork.from_vpc instead",
        )
        if subnets and props.s3_gateway_endpoint:
            missing = [s.subnet_id for s in subnets if not _has_route_table(s)]
            errors.check(
                not missing,
                "vpc",
                f"isolated subnets without route table IDs ({', '.join(missing)})",
                "route tables for the S3 gateway endpoint (ec2.Vpc.from_vpc_attributes(..., "
                "isolated_subnet_route_table_ids=[...])), or s3_gateway_endpoint=False when the VPC has one",
            )
        errors.raise_if_any()

    @property
    def subnet_ids(self) -> list[str]:
        """IDs of the isolated subnets, as SageMaker ``VpcConfig.Subnets`` expects."""
        return self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids

    def allow_bucket(self, bucket: s3.IBucket) -> None:
        """Let principals of this account reach ``bucket`` through the S3 gateway endpoint.

        Without an endpoint of the network's own (``s3_gateway_endpoint=False``), the VPC's existing
        endpoint's policy is its owner's: synth notes the bucket to allow there.
        """
        account = Stack.of(self).account
        if self.s3_endpoint is None:
            Annotations.of(self).add_info(
                f"IsolatedNetwork {self.node.id}: allow {bucket.node.path} in the VPC's existing S3 endpoint policy."
            )
            return
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=_S3_ACTIONS,
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions={"StringEquals": {"aws:PrincipalAccount": account}},
            )
        )

    def allow_endpoint_access_from(self, peer: ec2.IConnectable, description: str) -> None:
        """Let another security group (a Lambda, a notebook) reach the interface endpoints on 443.

        Nothing is added to an existing ``endpoints_security_group`` (its rules are its owner's): with one,
        allow the peer there.
        """
        self.endpoints_security_group.connections.allow_from(peer, ec2.Port.tcp(443), description)

    def _check_zones_known(self, props: IsolatedNetworkProps) -> None:
        # ec2.Vpc reads Stack.availability_zones even when given its zones (to check them), and in a
        # stack bound to an account that is a context lookup: `cdk synth` would call AWS, or fail
        # without credentials ("Need to perform AWS calls"), long after this line.
        stack = Stack.of(self)
        if Token.is_unresolved(stack.account) or Token.is_unresolved(stack.region):
            return
        key = availability_zones_context_key(stack.account, stack.region)
        if self.node.try_get_context(key) is not None:
            return
        zones = list(props.availability_zones or [f"{stack.region}a", f"{stack.region}b"])
        raise ValueError(
            f"IsolatedNetwork {self.node.id}: stack {stack.stack_name} is bound to account {stack.account}, so CDK "
            f"looks its availability zones up (an AWS call at synth) unless the context key {key!r} is set; allowed: "
            f"App(context=availability_zones_context(account={stack.account!r}, region={stack.region!r}, "
            f'zones={zones!r})), or that key in cdk.json\'s "context"'
            + ("" if props.availability_zones else ", with availability_zones=[...] naming the zones to use")
        )

    def _create_vpc(self, props: IsolatedNetworkProps) -> ec2.Vpc:
        self._check_zones_known(props)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.cidr),
            max_azs=None if props.availability_zones else props.max_azs,
            availability_zones=list(props.availability_zones) if props.availability_zones else None,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=props.effective_subnet_mask
                )
            ],
            restrict_default_security_group=True,
            enable_dns_hostnames=True,
            enable_dns_support=True,
        )
        self._tidy_default_sg_provider()
        if props.availability_zones:
            # Explicit AZs are how account-bound stacks avoid context lookups (AZ names are
            # per-account); cfn-lint's W3010 "avoid hardcoding AZs" is ignored on these subnets only.
            for subnet in vpc.isolated_subnets:
                cfn_subnet = subnet.node.default_child
                if isinstance(cfn_subnet, CfnResource):
                    cfn_subnet.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3010"]}})
        return vpc

    def _tidy_default_sg_provider(self) -> None:
        # restrict_default_security_group is implemented by a CDK-owned singleton Lambda (one per
        # stack) that strips the default group's rules once at deploy time.
        provider = Stack.of(self).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        if provider is None:
            return
        handler = provider.node.find_child("Handler")
        role = provider.node.find_child("Role")
        if isinstance(handler, CfnResource) and isinstance(role, CfnResource):
            # The handler's GetAtt on the role already orders them; the extra DependsOn is W3005.
            handler.remove_resource_dependency(role)
            for check, reason in _DEFAULT_SG_PROVIDER_SKIPS.items():
                skip_checkov(handler, check, reason)
            acknowledge(
                handler,
                f"{CFN_GUARD_PLUGIN}::lambda_inside_vpc_check",
                reason=_DEFAULT_SG_PROVIDER_SKIPS["CKV_AWS_117"],
            )

    def _wire_security_groups(self) -> None:
        # Rules go only on the groups this network creates: an existing group's rules are its owner's.
        jobs, endpoints = self.jobs_security_group, self.endpoints_security_group
        if self.props.endpoints_security_group is None:
            endpoints.add_ingress_rule(jobs, ec2.Port.tcp(443), "HTTPS from SageMaker jobs and endpoints")
        if self.props.jobs_security_group is not None:
            return
        jobs.add_ingress_rule(jobs, ec2.Port.all_traffic(), "Distributed training and multi-container traffic")
        jobs.add_egress_rule(jobs, ec2.Port.all_traffic(), "Distributed training and multi-container traffic")
        jobs.add_egress_rule(endpoints, ec2.Port.tcp(443), "HTTPS to interface VPC endpoints")
        if self.props.s3_prefix_list_id:
            s3_peer = ec2.Peer.prefix_list(self.props.s3_prefix_list_id)
            jobs.add_egress_rule(s3_peer, ec2.Port.tcp(443), "HTTPS to S3 through the gateway endpoint")
            # Every egress rule above is its own resource, so the group itself would declare none, and
            # EC2 gives a group created without egress rules its allow-all default until CloudFormation
            # adds the first rule. An inline rule matching no traffic (CDK's own) keeps it declared.
            jobs.add_egress_rule(
                ec2.Peer.ipv4("255.255.255.255/32"), ec2.Port.icmp_type_and_code(252, 86), "Disallow all traffic"
            )
        else:
            self._check_any_ipv4_egress()
            jobs.add_egress_rule(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(443),
                "HTTPS to S3 through the gateway endpoint (no other route exists)",
            )

    def _check_any_ipv4_egress(self) -> None:
        if self.props.allow_https_to_any_ipv4:
            return
        stack = Stack.of(self)
        region = "<region>" if Token.is_unresolved(stack.region) else stack.region
        fix = (
            "the region's S3 prefix list ID, from `aws ec2 describe-managed-prefix-lists --filters "
            f"Name=prefix-list-name,Values=com.amazonaws.{region}.s3 --query 'PrefixLists[0].PrefixListId'`"
        )
        if not Token.is_unresolved(stack.account):
            raise ValueError(
                f"IsolatedNetworkProps is invalid:\n  - s3_prefix_list_id: got None; allowed: {fix} (required in "
                f"stack {stack.stack_name}, bound to account {stack.account}), or allow_https_to_any_ipv4=True"
            )
        Annotations.of(self).add_warning_v2(
            "sagemaker-platform:network-any-ipv4-egress",
            f"IsolatedNetwork {self.node.id}: the jobs security group allows HTTPS to any IPv4 address (it reaches "
            f"only the S3 gateway endpoint in these isolated subnets); give s3_prefix_list_id ({fix}) to limit it "
            "to S3's addresses.",
        )

    def _ecr_layer_bucket_objects(self) -> str:
        stack = Stack.of(self)
        region = "<region>" if Token.is_unresolved(stack.region) else stack.region
        partition = "aws" if Token.is_unresolved(stack.partition) else stack.partition
        return f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*"

    def _allow_ecr_layers(self) -> None:
        # ECR serves image layers from an AWS-owned S3 bucket; without this, image pulls fail.
        assert self.s3_endpoint is not None
        region = Stack.of(self).region
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[f"arn:{Stack.of(self).partition}:s3:::prod-{region}-starport-layer-bucket/*"],
            )
        )

    def _add_flow_logs(self, props: IsolatedNetworkProps) -> logs.LogGroup:
        assert props.flow_logs_key is not None  # IsolatedNetworkProps requires it with flow_logs
        group = logs.LogGroup(
            self,
            "FlowLogGroup",
            encryption_key=props.flow_logs_key,
            retention=props.flow_log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        stack = Stack.of(self)
        # A role with a customer-managed policy instead of the inline DefaultPolicy CDK would add.
        policy = iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            description="VPC flow logs: write to the flow-log group only",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[group.log_group_arn],
                )
            ],
        )
        role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            managed_policies=[policy],
        )
        acknowledge_wildcard_resources(
            policy,
            [group.log_group_arn],
            reason="A log group ARN ends in ':*' to cover its streams; streams are created per ENI at run time.",
        )
        ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(group, role.without_policy_updates()),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        return group


def _has_route_table(subnet: ec2.ISubnet) -> bool:
    try:  # an imported subnet without a route table ID fails to render it
        return subnet.route_table.route_table_id is not None
    except RuntimeError:
        return False


def _endpoint_id(name: str) -> str:
    # "sagemaker.featurestore-runtime" -> "SagemakerFeaturestoreRuntimeEndpoint": stable and readable.
    parts = name.replace("-", ".").split(".")
    return "".join(p.capitalize() for p in parts) + "Endpoint"
