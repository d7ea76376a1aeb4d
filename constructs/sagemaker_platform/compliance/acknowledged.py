"""Whether a finding of our own validation plugins is acknowledged, the way cdk-nag decides it."""

from __future__ import annotations

import re

from aws_cdk import Validations
from constructs import IConstruct

#: The pack our own rules report under (``SageMakerPlatform-FS1``, ``SageMakerPlatform-CFN1``).
PACK_NAME = "SageMakerPlatform"
_UNQUALIFY = re.compile(rf"^(annotation|{re.escape(PACK_NAME)})::", re.IGNORECASE)


def is_acknowledged(construct: IConstruct, rule_id: str) -> bool:
    """True when ``rule_id`` is acknowledged on ``construct`` or any of its parents.

    Like cdk-nag: whatever prefix CDK recorded it under ('annotation::' before aws-cdk-lib 2.262.1,
    'Annotation::' since, or the 'SageMakerPlatform::' that CDK's report suggests).
    """
    current: IConstruct | None = construct
    while current is not None:
        for entry in current.node.metadata:
            if (
                entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
                and isinstance(entry.data, dict)
                and rule_id in {_UNQUALIFY.sub("", k) for k in entry.data}
            ):
                return True
        current = current.node.scope
    return False
