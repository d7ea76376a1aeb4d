"""Fleets: many models and endpoints from one list, split across nested stacks within CloudFormation's limits."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.fleet.fleet": (
        "DEFAULT_MEMBERS_PER_STACK",
        "MAX_MEMBERS_PER_STACK",
        "RESOURCES_PER_MEMBER",
        "STACK_RESOURCE_BUDGET",
        "ModelFleet",
        "ModelFleetProps",
    ),
    "sagemaker_platform.fleet.member": ("FleetMember",),
}

if TYPE_CHECKING:
    from sagemaker_platform.fleet.fleet import DEFAULT_MEMBERS_PER_STACK as DEFAULT_MEMBERS_PER_STACK
    from sagemaker_platform.fleet.fleet import MAX_MEMBERS_PER_STACK as MAX_MEMBERS_PER_STACK
    from sagemaker_platform.fleet.fleet import RESOURCES_PER_MEMBER as RESOURCES_PER_MEMBER
    from sagemaker_platform.fleet.fleet import STACK_RESOURCE_BUDGET as STACK_RESOURCE_BUDGET
    from sagemaker_platform.fleet.fleet import ModelFleet as ModelFleet
    from sagemaker_platform.fleet.fleet import ModelFleetProps as ModelFleetProps
    from sagemaker_platform.fleet.member import FleetMember as FleetMember
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
