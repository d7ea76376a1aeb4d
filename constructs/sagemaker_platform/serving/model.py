"""A SageMaker model: one container, multi-model, or a serial / direct multi-container pipeline."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, CfnCondition, CfnParameter, Fn, Stack, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.compliance.nag import acknowledge, skip_checkov
from sagemaker_platform.foundations.placement import JobNetwork, require_vpc_for_new_role
from sagemaker_platform.foundations.roles import BucketAccess, SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.serving.image import ModelImage

if TYPE_CHECKING:
    # An annotation only: the network module imports aws_ec2, which serverless models never need.
    from sagemaker_platform.foundations.network import IsolatedNetwork

#: SageMaker's name pattern for models, endpoint configs, endpoints and variants.
NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
NAME_RULE = "1-63 letters, digits and '-', starting and ending with a letter or digit"


class InferenceMode(Enum):
    """How the containers of a multi-container model are invoked."""

    SERIAL = "Serial"  #: an inference pipeline: each container's output feeds the next
    DIRECT = "Direct"  #: each container invoked by ``TargetContainerHostname``


@dataclass(frozen=True, kw_only=True)
class ModelArtifact:
    """A ``model.tar.gz`` (or, for multi-model containers, a prefix of them) in S3."""

    bucket: s3.IBucket
    #: Object key of ``model.tar.gz``, or the prefix (ending in '/') for multi-model containers.
    key: str

    def __post_init__(self) -> None:
        errors = PropsErrors("ModelArtifact")
        errors.check(
            bool(self.key) and not self.key.startswith("/"), "key", self.key, "an S3 key without a leading '/'"
        )
        errors.raise_if_any()

    @property
    def url(self) -> str:
        return self.bucket.s3_url_for_object(self.key)

    @staticmethod
    def from_asset(scope: Construct, construct_id: str, path: str) -> ModelArtifact:
        """A ``model.tar.gz`` in this repository, published as a file asset when the stack deploys.

        The deployment itself puts the object there (the CDK bootstrap bucket), so a first deploy into
        an empty account has a model to serve. The file is published as it is: pack it yourself, as
        ``tar.gz`` (SageMaker extracts it into ``/opt/ml/model``).
        """
        if not str(path).endswith((".tar.gz", ".tgz")) or not Path(path).is_file():
            raise ValueError(
                f"ModelArtifact.from_asset: path: got {str(path)!r}; allowed: an existing model.tar.gz file"
            )
        asset = s3_assets.Asset(scope, construct_id, path=str(path))
        return ModelArtifact(bucket=asset.bucket, key=asset.s3_object_key)


#: The release parameter's value before a first release (see ``pipelines.release.SEED``).
SEED = "seed"


@dataclass(frozen=True, kw_only=True)
class ReleaseSource:
    """A model release (``pipelines.ModelRelease.source``): its SSM parameter and its packages' artifacts."""

    #: The SSM parameter holding the released model package ARN, or ``"seed"`` before a first release.
    parameter_name: str
    #: Where released packages keep their model artifacts: the serving model's role may read them.
    artifacts_bucket: s3.IBucket
    artifacts_prefix: str
    #: The stack that creates the parameter: a model's stack deploys after it. Default: unknown (the
    #: parameter must then exist before the model's stack deploys).
    owner: Stack | None = None


@dataclass(frozen=True, kw_only=True)
class ContainerSpec:
    """One container of a model."""

    #: The image. Required unless ``model_package_name`` is given (the package names its image).
    image: ModelImage | None = None
    #: Model data. Default: none (the image carries the model, or it comes from a model package).
    model_data: ModelArtifact | None = None
    #: Versioned model package ARN instead of image/model data. Default: none.
    model_package_name: str | None = None
    #: Serve many models from ``model_data`` (a prefix). Default: single model.
    multi_model: bool = False
    #: Environment variables. Default: none.
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Hostname for direct invocation (required with ``InferenceMode.DIRECT``). Default: none.
    hostname: str | None = None
    #: Serve the model package this release records; ``image`` and ``model_data`` are then the seed,
    #: served until the first release. CloudFormation resolves the release at every deploy, so a new
    #: release reaches the endpoint through a stack update (with the endpoint's guardrails). Default: none.
    release: ReleaseSource | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("ContainerSpec")
        errors.check(
            (self.image is None) != (self.model_package_name is None),
            "image/model_package_name",
            "both" if self.image else "neither",
            "exactly one of image and model_package_name",
        )
        if self.model_package_name is not None:
            errors.pattern(
                "model_package_name",
                self.model_package_name,
                r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:model-package/)?"
                r"[a-zA-Z0-9]([a-zA-Z0-9-]){0,62}(/[0-9]{1,9})?",
                "a model package name or versioned ARN (...:model-package/<group>/<version>)",
            )
            errors.check(self.model_data is None, "model_data", "set", "None with model_package_name")
        if self.multi_model:
            errors.check(
                self.model_data is not None and self.model_data.key.endswith("/"),
                "model_data",
                self.model_data.key if self.model_data else None,
                "a key prefix ending in '/' when multi_model is True",
            )
        if self.hostname is not None:
            errors.pattern("hostname", self.hostname, NAME_PATTERN, NAME_RULE)
        if self.release is not None:
            errors.check(
                self.image is not None and self.model_data is not None and not self.multi_model,
                "release",
                self.release.parameter_name,
                "a single-model container whose image and model_data are the seed served before a first release",
            )
        for name, value in self.environment.items():
            errors.check(
                re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,1023}", name) is not None,
                "environment",
                name,
                "variable names of letters, digits and '_', not starting with a digit",
            )
            errors.check(
                isinstance(value, str) and len(value) <= 1024,
                "environment",
                f"{name}=...",
                "string values of at most 1024 characters",
            )
        errors.check(len(self.environment) <= 100, "environment", len(self.environment), "at most 100 variables")
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class ModelProps:
    """Properties of :class:`Model`."""

    #: 1 container, or 2-15 for a serial pipeline / direct multi-container model.
    containers: Sequence[ContainerSpec]
    #: Key that encrypts the model artifacts (the role gets decrypt on it).
    model_key: kms.IKey
    #: Network the model runs in: the platform's :class:`IsolatedNetwork` (its isolated subnets and
    #: jobs security group), or a :class:`JobNetwork` of a VPC you bring (``JobNetwork.from_vpc``;
    #: it needs ``vpc`` unless you give ``role``). Required unless ``serverless``; None with it.
    network: IsolatedNetwork | JobNetwork | None = None
    #: With 2+ containers. Default: SERIAL.
    inference_mode: InferenceMode = InferenceMode.SERIAL
    #: Default: True. Turning it off lets containers make outbound calls; it warns at synth.
    network_isolation: bool = True
    #: A model for serverless variants. SageMaker Serverless Inference refuses VPC configuration and
    #: network isolation, so such a model has neither: its container runs in SageMaker's network and
    #: can open outbound connections (the trade-off warns at synth). Only one container, not
    #: multi-model. Default: False (a model for instance-backed variants, in ``network``, isolated).
    serverless: bool = False
    #: Execution role. Default: a new least-privilege role reading only the model data.
    role: SageMakerExecutionRole | None = None
    #: Default: generated by CloudFormation (so changes never collide on names).
    model_name: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("ModelProps")
        count = len(self.containers)
        errors.check(1 <= count <= 15, "containers", count, "1 to 15 containers")
        if self.serverless:
            # SageMaker's Serverless Inference exclusions: no VPC, no isolation, no pipelines, no multi-model.
            errors.check(self.network is None, "network", "a network", "None with serverless=True "
                         "(Serverless Inference refuses VPC configuration)")  # fmt: skip
            errors.check(count == 1, "containers", count, "1 container with serverless=True (Serverless Inference "
                         "supports no inference pipelines)")  # fmt: skip
            errors.check(
                not any(c.multi_model for c in self.containers),
                "containers",
                "multi_model=True",
                "single-model containers with serverless=True (Serverless Inference supports no multi-model endpoints)",
            )
        else:
            errors.check(
                self.network is not None, "network", None, "an IsolatedNetwork or a JobNetwork (or serverless=True)"
            )
            if self.role is None:
                require_vpc_for_new_role(self.network, errors, "the model's new role", "; or give role")
        if self.model_name is not None:
            errors.pattern("model_name", self.model_name, NAME_PATTERN, NAME_RULE)
        if count > 1:
            errors.check(
                not any(c.release for c in self.containers),
                "containers",
                "release=...",
                "a release only on a single-container model",
            )
            errors.check(
                not any(c.multi_model for c in self.containers),
                "containers",
                "multi_model=True",
                "multi-model mode only on a single-container model",
            )
        if self.inference_mode is InferenceMode.DIRECT:
            hostnames = [c.hostname for c in self.containers]
            errors.check(
                None not in hostnames and len(set(hostnames)) == count,
                "containers[*].hostname",
                hostnames,
                "a unique hostname on every container with InferenceMode.DIRECT",
            )
        errors.raise_if_any()


class Model(Construct):
    """A SageMaker model in the platform VPC (or yours), network-isolated, with a scoped role.

    The model's name is generated by CloudFormation unless given; every change of containers or
    settings creates a new model (the resource's properties are create-only), which the endpoint
    config picks up.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ModelProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        buckets = [_access(c.model_data) for c in props.containers if c.model_data]
        keys = [props.model_key]
        for release in (c.release for c in props.containers if c.release):
            # A released package's artifacts come from its pipeline's output, not from model_data.
            buckets.append(BucketAccess(bucket=release.artifacts_bucket, prefix=release.artifacts_prefix))
            if release.artifacts_bucket.encryption_key is not None:
                keys.append(release.artifacts_bucket.encryption_key)
        placement = JobNetwork.of(props.network) if props.network is not None else None
        self.role = props.role or SageMakerExecutionRole(
            self,
            "Role",
            SageMakerExecutionRoleProps(
                description=f"SageMaker model {construct_id}: pull its images, read its artifacts",
                buckets=tuple(buckets),
                keys=tuple(keys),
                vpc=placement.vpc if placement is not None else None,
            ),
        )
        if props.serverless:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:model-serverless",
                f"Model {construct_id}: serverless, so no VPC configuration and no network isolation (Serverless "
                "Inference supports neither): the container runs in SageMaker's network and can open outbound "
                "connections.",
            )
        elif not props.network_isolation:
            Annotations.of(self).add_warning_v2(
                "sagemaker-platform:model-network-isolation-off",
                f"Model {construct_id}: network_isolation is False; containers can open outbound connections.",
            )
        containers: list[Any] = [self._render_container(i, c) for i, c in enumerate(props.containers)]
        multi = len(containers) > 1
        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            model_name=props.model_name,
            execution_role_arn=self.role.role_arn,
            enable_network_isolation=props.network_isolation and not props.serverless,
            primary_container=None if multi else containers[0],
            containers=containers if multi else None,
            inference_execution_config={"mode": props.inference_mode.value} if multi else None,
            vpc_config=sagemaker.CfnModel.VpcConfigProperty(
                subnets=list(placement.subnet_ids), security_group_ids=list(placement.security_group_ids)
            )
            if placement is not None
            else None,
        )
        if props.serverless:
            skip_checkov(
                self.resource,
                "CKV_AWS_370",
                "A model for Serverless Inference, which refuses network isolation (ModelProps(serverless=True)).",
            )
        # The role's policy must exist before SageMaker validates the model against it.
        self.resource.node.add_dependency(self.role.policy)
        if any(c.release for c in props.containers):
            acknowledge(
                self.resource,
                "CloudFormation-Validate::F3031",
                reason="ModelPackageName is the release parameter (an AWS::SSM::Parameter::Value<String>): its "
                "default is the parameter's name, resolved to the released package ARN when the stack deploys.",
            )

    @property
    def model_name(self) -> str:
        """The model's name (generated by CloudFormation unless given)."""
        return self.resource.attr_model_name

    def _render_container(self, index: int, spec: ContainerSpec) -> Any:
        if spec.release is not None:
            return self._render_released(index, spec, spec.release)
        container: dict[str, Any] = {"mode": "MultiModel" if spec.multi_model else "SingleModel"}
        if spec.image is not None:
            container["image"] = spec.image.bind(Construct(self, f"Container{index}"), self.role).image_uri
        if spec.model_data is not None:
            container["modelDataUrl"] = spec.model_data.url
        if spec.model_package_name is not None:
            container["modelPackageName"] = spec.model_package_name
        if spec.environment:
            container["environment"] = dict(sorted(spec.environment.items()))
        if spec.hostname is not None:
            container["containerHostname"] = spec.hostname
        if spec.multi_model:
            container["multiModelConfig"] = {"modelCacheSetting": "Enabled"}
        return container

    def _render_released(self, index: int, spec: ContainerSpec, release: ReleaseSource) -> Any:
        """``Fn::If(<release is the seed>, <the seed>, <the released package>)``, resolved at each deploy."""
        assert spec.image is not None and spec.model_data is not None  # validated in ContainerSpec
        stack = Stack.of(self)
        if release.owner is stack:
            raise ValueError(
                f"Model {self.node.id}: release: got {release.parameter_name!r} created in this model's own stack "
                f"{stack.stack_name}; allowed: a release parameter of a stack that deploys before it (CloudFormation "
                "resolves SSM parameter types before it creates any resource)"
            )
        if release.owner is not None:
            stack.add_stack_dependency(release.owner)
        base = "Release" + re.sub(r"[^A-Za-z0-9]", "", release.parameter_name.title())
        parameter = stack.node.try_find_child(base)
        if not isinstance(parameter, CfnParameter):
            parameter = CfnParameter(
                stack,
                base,
                type="AWS::SSM::Parameter::Value<String>",
                default=release.parameter_name,
                description=f"The model package released in {release.parameter_name} ('{SEED}' before a first one)",
            )
        condition = stack.node.try_find_child(f"{base}IsSeed")
        if not isinstance(condition, CfnCondition):
            condition = CfnCondition(
                stack, f"{base}IsSeed", expression=Fn.condition_equals(parameter.value_as_string, SEED)
            )
        environment = {"Environment": dict(sorted(spec.environment.items()))} if spec.environment else {}
        seed = {
            "Image": spec.image.bind(Construct(self, f"Container{index}"), self.role).image_uri,
            "ModelDataUrl": spec.model_data.url,
            "Mode": "SingleModel",
            **environment,
        }
        released = {"ModelPackageName": parameter.value_as_string, **environment}
        return Fn.condition_if(condition.logical_id, seed, released)


def _access(artifact: ModelArtifact) -> BucketAccess:
    """Read access to the artifact's "directory" (model.tar.gz plus anything beside it); a key at the
    bucket's top (an asset's ``<hash>.gz``) gets the object alone, never the whole bucket."""
    key = artifact.key
    if Token.is_unresolved(key):
        return BucketAccess(bucket=artifact.bucket)
    if "/" in key:
        return BucketAccess(bucket=artifact.bucket, prefix=key.rsplit("/", 1)[0] + "/")
    return BucketAccess(bucket=artifact.bucket, prefix=key, exact=True)
