"""Feature Store defaults and service limits, in one place (see STYLE.md, point 6).

Limits come from the AWS::SageMaker::FeatureGroup resource schema (the one cfn-lint ships) and
the SageMaker API reference; each constant names its source so a reviewer can check it.
"""

from __future__ import annotations

#: FeatureGroupName, FeatureName, RecordIdentifierFeatureName, EventTimeFeatureName: SageMaker API
#: pattern ``[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}``, 1-64 characters.
NAME_PATTERN = r"[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}"
NAME_MAX_LENGTH = 64
#: FeatureDefinitions: maxItems 2500 (resource schema); "up to 2,500 FeatureDefinitions per FeatureGroup".
MAX_FEATURES = 2500
#: FeatureName "cannot be any of the following: is_deleted, write_time, api_invocation_time".
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
#: Description: maxLength 128 (resource schema).
#: ThroughputConfig.Provisioned*CapacityUnits: minimum 0, maximum 10,000,000 (resource schema).
MAX_CAPACITY_UNITS = 10_000_000
#: Vector collections: "The max dimension limit is 8192" (Feature Store collection types guide).
MAX_VECTOR_DIMENSION = 8192
#: S3StorageConfig.S3Uri: maxLength 1024 (resource schema).
S3_URI_MAX_LENGTH = 1024
#: DataCatalogConfig.Catalog/Database/TableName: 1-255 characters (resource schema).
GLUE_NAME_MAX_LENGTH = 255

#: The Glue Data Catalog of the account, as Athena names it.
GLUE_CATALOG = "AwsDataCatalog"
#: Database Feature Store uses for the tables it creates (and AmazonSageMakerFeatureStoreAccess scopes to).
GLUE_DATABASE = "sagemaker_featurestore"
#: Offline-store prefix in the bucket; the group's name is appended so every group has its own prefix.
OFFLINE_STORE_PREFIX = "feature-store/"

#: Operations whose metrics carry the FeatureGroupName + OperationName dimensions.
RUNTIME_OPERATIONS = ("PutRecord", "GetRecord", "DeleteRecord")
