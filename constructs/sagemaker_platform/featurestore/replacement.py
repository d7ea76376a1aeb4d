"""Replacement safety: which settings CloudFormation cannot update in place, and what changed.

From the AWS::SageMaker::FeatureGroup resource schema, ``createOnlyProperties``: FeatureGroupName,
RecordIdentifierFeatureName, EventTimeFeatureName, OnlineStoreConfig/SecurityConfig,
OnlineStoreConfig/EnableOnlineStore, OnlineStoreConfig/StorageType, OfflineStoreConfig, RoleArn,
Description and Tags. Changing any of them replaces the group; with a fixed name and RETAIN the
deploy then fails on the name, and after a manual delete the online store starts empty.
FeatureDefinitions can be updated, but SageMaker only adds features: removing or retyping one fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Keys of :func:`create_only_settings` whose change replaces the group.
CREATE_ONLY_KEYS = (
    "FeatureGroupName",
    "RecordIdentifierFeatureName",
    "EventTimeFeatureName",
    "OnlineStoreConfig.EnableOnlineStore",
    "OnlineStoreConfig.SecurityConfig",
    "OnlineStoreConfig.StorageType",
    "OfflineStoreConfig",
    "RoleArn",
    "Description",
    "Tags",
)


def create_only_settings(properties: Mapping[str, Any]) -> dict[str, str]:
    """The create-only settings (and features) of a resolved ``Properties`` block, as stable strings."""
    online = properties.get("OnlineStoreConfig") or {}
    values: dict[str, Any] = {
        "FeatureGroupName": properties.get("FeatureGroupName"),
        "RecordIdentifierFeatureName": properties.get("RecordIdentifierFeatureName"),
        "EventTimeFeatureName": properties.get("EventTimeFeatureName"),
        "OnlineStoreConfig.EnableOnlineStore": online.get("EnableOnlineStore", False),
        "OnlineStoreConfig.SecurityConfig": online.get("SecurityConfig"),
        "OnlineStoreConfig.StorageType": online.get("StorageType", "Standard") if online else None,
        "OfflineStoreConfig": properties.get("OfflineStoreConfig"),
        "RoleArn": properties.get("RoleArn"),
        "Description": properties.get("Description"),
        "Tags": sorted(properties.get("Tags") or [], key=lambda t: str(t.get("Key"))),
    }
    settings = {key: _stable(value) for key, value in values.items()}
    for feature in properties.get("FeatureDefinitions") or []:
        settings[f"Feature:{feature['FeatureName']}"] = str(feature["FeatureType"])
    return settings


def replacement_changes(deployed: Mapping[str, str], current: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(create-only settings that differ, features removed or retyped), both sorted."""
    replaced = sorted(key for key in CREATE_ONLY_KEYS if key in deployed and deployed[key] != current.get(key))
    features = sorted(
        key.removeprefix("Feature:")
        for key, value in deployed.items()
        if key.startswith("Feature:") and current.get(key) != value
    )
    return replaced, features


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
