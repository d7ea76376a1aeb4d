"""Where a registered model goes: an endpoint update (with a wait for the rollout) or a batch transform."""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.foundations.roles import SageMakerExecutionRole
from sagemaker_platform.jobs.transform import TransformJobSpec
from sagemaker_platform.serving.endpoint import Endpoint

#: Endpoint states that mean "still rolling out": keep polling.
ROLLING_OUT = ("Creating", "Updating", "SystemUpdating")


@dataclass(frozen=True, kw_only=True)
class EndpointDeployment:
    """Deploy the approved model to one production variant of an endpoint this app owns.

    The pipeline creates a model, a new endpoint config that keeps every other setting of
    ``endpoint`` (variants, shadow, data capture, key, guardrails), and calls UpdateEndpoint, which
    shifts traffic with the endpoint's blue/green policy and rolls back on its alarms. It then polls
    DescribeEndpoint until the rollout ends: in service on the new config succeeds; anything else
    (failed, rolled back to the old config) fails the execution.
    """

    endpoint: Endpoint
    #: The production variant that receives the new model (e.g. the challenger of an A/B endpoint).
    variant_name: str
    #: Seconds between DescribeEndpoint polls while the rollout runs. Default: 60.
    poll_interval_s: int = 60

    def __post_init__(self) -> None:
        errors = PropsErrors("EndpointDeployment")
        errors.int_range("poll_interval_s", self.poll_interval_s, 1, 3600)
        names = [v.variant_name for v in self.endpoint.props.production_variants]
        errors.one_of("variant_name", self.variant_name, names)
        errors.raise_if_any()

    @property
    def model_role(self) -> SageMakerExecutionRole:
        """The role of the model the variant serves today: the new model runs with the same rights."""
        return self.endpoint.production_variant(self.variant_name).model.role


@dataclass(frozen=True, kw_only=True)
class BatchTransform:
    """Score a dataset with the approved model in a batch transform job instead of deploying it.

    ``spec.model_name`` is replaced at run time by the model the pipeline creates.
    """

    spec: TransformJobSpec
    #: Role of the model the pipeline creates (reads the model artifact, pulls the image).
    model_role: SageMakerExecutionRole
