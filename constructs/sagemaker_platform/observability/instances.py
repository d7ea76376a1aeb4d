"""What an instance type tells monitoring: its vCPU and GPU counts, so utilization alarms use 0-100 %.

SageMaker reports ``CPUUtilization`` summed over vCPUs (0-400 % on four vCPUs) and ``GPUUtilization``
/ ``GPUMemoryUtilization`` summed over GPUs, so a fixed threshold means different things on
different sizes. The alarms here divide by the counts below and take thresholds in percent of the
whole instance.

GPU alarms apply to NVIDIA GPU families only: ``ml.g*`` (g4dn, g5, g5g, g6, g6e, gr6) and ``ml.p*``
(p2 to p5). Inferentia (``ml.inf*``) and Trainium (``ml.trn*``) accelerators are Neuron devices:
SageMaker does not publish ``GPUUtilization`` for them, so an alarm there would only ever see
missing data.
"""

from __future__ import annotations

import re

_INSTANCE_TYPE = re.compile(r"ml\.([a-z][a-z0-9-]*)\.(medium|large|([0-9]*)xlarge)")

#: GPUs of the multi-GPU sizes; every other size of a GPU family has one GPU.
_GPUS: dict[str, int] = {
    "g4dn.12xlarge": 4,
    "g4dn.metal": 8,
    **{f"{f}.{s}": 4 for f in ("g5", "g6", "g6e", "gr6") for s in ("12xlarge", "24xlarge")},
    **{f"{f}.48xlarge": 8 for f in ("g5", "g6", "g6e")},
    "p2.8xlarge": 8,
    "p2.16xlarge": 16,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p3dn.24xlarge": 8,
    **{f"{f}.24xlarge": 8 for f in ("p4d", "p4de")},
    **{f"{f}.48xlarge": 8 for f in ("p5", "p5e", "p5en")},
}


def instance_family(instance_type: str) -> str | None:
    """``"g5"`` for ``"ml.g5.2xlarge"``; None when ``instance_type`` is not an ``ml.<family>.<size>`` type."""
    match = _INSTANCE_TYPE.fullmatch(instance_type)
    return match.group(1) if match else None


def has_nvidia_gpu(instance_type: str) -> bool:
    """True for ``ml.g*`` and ``ml.p*`` types, the families SageMaker publishes GPU metrics for."""
    family = instance_family(instance_type)
    return bool(family and family[0] in "gp")


def vcpu_count(instance_type: str) -> int | None:
    """vCPUs of ``instance_type``; None when the type is not recognized.

    The rule holds for every current SageMaker family: medium and large have 2, xlarge 4, Nxlarge 4*N.
    Older types that break it (ml.c4.8xlarge has 36) take an explicit ``vcpus`` on the variant.
    """
    match = _INSTANCE_TYPE.fullmatch(instance_type)
    if not match:
        return None
    size, multiple = match.group(2), match.group(3)
    if size in ("medium", "large"):
        return 2
    return 4 * int(multiple) if multiple else 4


def gpu_count(instance_type: str) -> int:
    """GPUs of ``instance_type``: 0 without NVIDIA GPUs, the table's count for multi-GPU sizes, else 1."""
    if not has_nvidia_gpu(instance_type):
        return 0
    return _GPUS.get(instance_type.removeprefix("ml."), 1)
