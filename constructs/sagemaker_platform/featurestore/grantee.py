"""Grant into a customer-managed policy instead of a role's inline default policy."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import aws_iam as iam


@jsii.implements(iam.IPrincipal)
class ManagedPolicyGrantee:
    """A role as a grantee whose grants land in ``policy`` (attached to the role), not in an inline policy.

    ``grant_*`` methods of CDK and of this library add statements to the grantee's principal
    policy; for an ``iam.Role`` that is an inline ``DefaultPolicy``, which the HIPAA and NIST packs
    reject (IAMNoInlinePolicy). Pass ``ManagedPolicyGrantee(role, policy)`` instead, e.g. with a
    :class:`SageMakerExecutionRole`'s ``role`` and ``policy``.
    """

    def __init__(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        self.role = role
        self.policy = policy

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
