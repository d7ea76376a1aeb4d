"""Stand-ins for the resource types moto's CloudFormation engine does not model.

Without them moto skips such a resource: every ``Ref``/``Fn::GetAtt`` to it resolves to nothing,
outputs that export it vanish, and stacks that read them fail for the emulator's sake, not the
template's. A stand-in gives the resource the identity CloudFormation would (its name, or an ARN,
as AWS documents ``Ref`` for the type) and keeps the properties as the emulator resolved them, so
the reference checks still see them. Two types are also created through moto's own service API,
because later steps use them: alarms (CloudWatch ``PutMetricAlarm``; the checks read them back) and
model package groups (SageMaker ``CreateModelPackageGroup``; a pipeline registers into them).
"""

from __future__ import annotations

import re
from typing import Any

#: Types whose ``Ref`` is the resource's name, and the property that gives it.
_REF_IS_NAME = {
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::SageMaker::FeatureGroup": "FeatureGroupName",
}
#: Types whose ``Ref`` is the resource's ARN, and the property that names it.
_REF_IS_ARN = {
    "AWS::SageMaker::ModelPackageGroup": ("ModelPackageGroupName", "model-package-group"),
    "AWS::SageMaker::MonitoringSchedule": ("MonitoringScheduleName", "monitoring-schedule"),
    "AWS::SageMaker::DataQualityJobDefinition": ("JobDefinitionName", "data-quality-job-definition"),
}


def _api_shape(node: Any) -> Any:
    """CloudFormation properties as the service API takes them (same names; numbers as numbers)."""
    if isinstance(node, dict):
        return {k: _api_shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_api_shape(v) for v in node]
    if isinstance(node, str) and re.fullmatch(r"-?\d+(\.\d+)?", node):
        return float(node) if "." in node else int(node)
    return node


def _client(service: str, account: str, region: str) -> Any:
    """A client of the emulated ``account`` (credentials of a role assumed there)."""
    import boto3  # type: ignore[import-untyped]

    role = f"arn:aws:iam::{account}:role/rehearsal-standins"
    credentials = boto3.client("sts", region_name=region).assume_role(RoleArn=role, RoleSessionName="standin")[
        "Credentials"
    ]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


#: Properties of AWS::CloudWatch::Alarm that PutMetricAlarm does not take.
_ALARM_ONLY_IN_CLOUDFORMATION = {"AlarmName"}


def _create_through_api(kind: str, name: str, properties: dict[str, Any], account: str, region: str) -> None:
    if kind == "AWS::CloudWatch::Alarm":
        request = {k: v for k, v in _api_shape(properties).items() if k not in _ALARM_ONLY_IN_CLOUDFORMATION}
        _client("cloudwatch", account, region).put_metric_alarm(AlarmName=name, **request)
    elif kind == "AWS::SageMaker::ModelPackageGroup":
        request = {k: v for k, v in properties.items() if k in ("ModelPackageGroupDescription",)}
        _client("sagemaker", account, region).create_model_package_group(ModelPackageGroupName=name, **request)


#: The stand-in classes (moto finds models through ``__subclasses__``, which holds only weak references).
_INSTALLED: dict[str, type] = {}


def install(types: set[str]) -> list[str]:
    """Register a stand-in for each of ``types`` that moto does not model; returns the types stood in for."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    modelled = set(parsing.get_model_map())
    missing = sorted(t for t in types if t not in modelled and t not in parsing.NULL_MODELS)
    missing = [t for t in missing if not t.startswith("Custom::") and t not in _INSTALLED]
    for kind in missing:
        _INSTALLED[kind] = _make_standin(kind, CloudFormationModel)
    # moto caches its model list: forget it so the stand-ins are found.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    return missing


def _make_standin(kind: str, base: type) -> type:
    service = kind.split("::")[1].lower()

    class StandIn(base):  # type: ignore[misc]
        def __init__(self, name: str, properties: dict[str, Any], account: str, region: str) -> None:
            self.name, self.properties, self.account, self.region = name, properties, account, region
            resource = _REF_IS_ARN.get(kind, (None, kind.split("::")[2].lower()))[1]
            self.arn = (
                f"arn:aws:{service}:{region}:{account}:{resource}/{name.lower() if service == 'sagemaker' else name}"
            )

        @staticmethod
        def cloudformation_type() -> str:
            return kind

        @staticmethod
        def cloudformation_name_type() -> str:
            if kind in _REF_IS_NAME:
                return _REF_IS_NAME[kind]
            return _REF_IS_ARN.get(kind, ("", ""))[0]

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
        ) -> StandIn:
            properties = cloudformation_json.get("Properties", {})
            _create_through_api(kind, resource_name, properties, account_id, region_name)
            return cls(resource_name, properties, account_id, region_name)

        @classmethod
        def update_from_cloudformation_json(
            cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
            account_id: str, region_name: str,
        ) -> StandIn:  # fmt: skip
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
        ) -> None:
            return None

        @property
        def physical_resource_id(self) -> str:
            return self.arn if kind in _REF_IS_ARN else self.name

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name.endswith("Arn"):
                return self.arn
            if attribute_name.endswith("Name"):
                return self.name
            return f"{self.name}-{attribute_name}"

    StandIn.__name__ = "StandIn" + re.sub(r"\W", "", kind)
    return StandIn
