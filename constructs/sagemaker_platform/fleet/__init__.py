"""Fleets: many models and endpoints from one list, split across nested stacks within CloudFormation's limits."""

from sagemaker_platform.fleet.fleet import (
    DEFAULT_MEMBERS_PER_STACK,
    MAX_MEMBERS_PER_STACK,
    RESOURCES_PER_MEMBER,
    STACK_RESOURCE_BUDGET,
    ModelFleet,
    ModelFleetProps,
)
from sagemaker_platform.fleet.member import FleetMember

__all__ = [
    "DEFAULT_MEMBERS_PER_STACK",
    "MAX_MEMBERS_PER_STACK",
    "RESOURCES_PER_MEMBER",
    "STACK_RESOURCE_BUDGET",
    "FleetMember",
    "ModelFleet",
    "ModelFleetProps",
]
