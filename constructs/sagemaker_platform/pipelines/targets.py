"""Where a registered model can go straight from the pipeline: a batch transform (endpoints are CloudFormation's).

A pipeline never deploys to an endpoint: an endpoint belongs to the stack that created it, and a
model put there by ``UpdateEndpoint`` would be reverted by the stack's next deploy. Approved models
reach endpoints through a :class:`~sagemaker_platform.pipelines.ModelRelease` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.jobs.transform import TransformJobSpec


@dataclass(frozen=True, kw_only=True)
class BatchTransform:
    """Score a dataset with the approved model in a batch transform job.

    The pipeline creates a model for the job (``spec.model_name`` is replaced at run time) and
    deletes it when the job ends, whether it succeeded or failed.
    """

    spec: TransformJobSpec
    #: Role of the model the pipeline creates (reads the model artifact, pulls the image).
    model_role: SageMakerExecutionRole
