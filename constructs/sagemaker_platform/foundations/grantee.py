"""Grant into a customer-managed policy instead of a role's inline default policy."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct


@jsii.implements(iam.IPrincipal)
class ManagedPolicyGrantee:
    """A role as a grantee whose grants land in ``policy`` (attached to the role), not in an inline policy.

    ``grant_*`` methods of CDK and of this library add statements to the grantee's principal
    policy; for an ``iam.Role`` (a Lambda function's, a task's) that is an inline
    ``DefaultPolicy``, which the HIPAA and NIST packs reject (IAMNoInlinePolicy). Pass a
    ``ManagedPolicyGrantee`` instead: :meth:`for_role` makes the policy and attaches it, or give
    a :class:`SageMakerExecutionRole`'s ``role`` and ``policy``. It is the first choice for every
    ``grant_*`` of this library (``Endpoint.grant_invoke``, ``SecureBucket.grant_read``,
    ``FeatureGroup.grant_ingest``, ...).
    """

    def __init__(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        self.role = role
        self.policy = policy

    @staticmethod
    def for_role(
        scope: Construct, construct_id: str, role: iam.IRole, *, description: str | None = None
    ) -> ManagedPolicyGrantee:
        """A new customer-managed policy in ``scope``, attached to ``role``, to grant into.

        ``grantee = ManagedPolicyGrantee.for_role(self, "InvokePolicy", handler.role)`` then
        ``endpoint.grant_invoke(grantee)``.
        """
        policy = iam.ManagedPolicy(scope, construct_id, description=description, roles=[role])
        return ManagedPolicyGrantee(role, policy)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self.role.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self.role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self.role.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        """Deprecated by CDK in favour of :meth:`add_to_principal_policy`; kept for the interface."""
        return bool(self.add_to_principal_policy(statement).statement_added)

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        """Add ``statement`` to the customer-managed policy."""
        self.policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.policy)


def acknowledgment_scope(grantee: Any) -> Any:
    """The construct that holds a grantee's policy statements, if there is one."""
    if isinstance(grantee, ManagedPolicyGrantee):
        return grantee.policy
    return grantee if hasattr(grantee, "node") else None
