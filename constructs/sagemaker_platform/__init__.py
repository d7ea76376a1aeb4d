"""sagemaker-platform: AWS CDK v2 constructs for running Amazon SageMaker in production.

Every public name of the construct subpackages (``serving``, ``observability``, ``jobs``,
``pipelines``, ``fleet``, ``featurestore``, ``foundations``, ``compliance``) is importable from
here: ``from sagemaker_platform import Endpoint, MonitoredVariant, TrainingJobSpec``. Imports are
lazy (PEP 562): ``import sagemaker_platform`` loads neither ``aws_cdk`` nor jsii, a name loads
its own module on first use, and local mode (``sagemaker_platform.local``) never loads them.
"""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

__version__ = "0.1.0"

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.compliance": (
        "CFN_GUARD_PLUGIN",
        "NAG_PACK_NAMES",
        "acknowledge",
        "acknowledge_wildcard_resources",
        "add_nag_packs",
        "job_request_findings",
        "nag_resource_id",
        "skip_checkov",
        "state_machine_definitions",
    ),
    "sagemaker_platform.featurestore": (
        "CollectionType",
        "Feature",
        "FeatureGroup",
        "FeatureGroupAlarmProps",
        "FeatureGroupAttributes",
        "FeatureGroupBase",
        "FeatureGroupProps",
        "FeatureStoreChecks",
        "FeatureType",
        "Finding",
        "ImportedFeatureGroup",
        "SchemaError",
        "StorageType",
        "TableFormat",
        "ThroughputMode",
        "Ttl",
        "TtlUnit",
        "check_feature_group_encryption",
        "features_from_arrow_schema",
        "features_from_dataclass",
        "features_from_pandas",
    ),
    "sagemaker_platform.fleet": (
        "DEFAULT_MEMBERS_PER_STACK",
        "FleetMember",
        "MAX_MEMBERS_PER_STACK",
        "ModelFleet",
        "ModelFleetProps",
        "RESOURCES_PER_MEMBER",
        "STACK_RESOURCE_BUDGET",
    ),
    "sagemaker_platform.foundations": (
        "AccessLogsBucket",
        "AccessLogsBucketProps",
        "BucketAccess",
        "IsolatedNetwork",
        "IsolatedNetworkProps",
        "JobNetwork",
        "KeyPurpose",
        "ManagedPolicyGrantee",
        "PlatformKeys",
        "PlatformKeysProps",
        "SageMakerExecutionRole",
        "SageMakerExecutionRoleProps",
        "SecureBucket",
        "SecureBucketProps",
        "availability_zones_context",
    ),
    "sagemaker_platform.jobs": (
        "CategoricalRange",
        "Channel",
        "ContinuousRange",
        "Distribution",
        "InputMode",
        "InstanceStorageWarning",
        "IntegerRange",
        "JobCompute",
        "JobSecurity",
        "JoinSource",
        "MetricDefinition",
        "ProcessingInput",
        "ProcessingJobSpec",
        "ProcessingOutput",
        "PySparkJob",
        "Scaling",
        "SplitType",
        "SpotTraining",
        "Strategy",
        "TrainingJobSpec",
        "TransformJobSpec",
        "TuningJobSpec",
        "UploadMode",
        "run_time_job_name",
    ),
    "sagemaker_platform.observability": (
        "AlarmDefaults",
        "AlarmFactory",
        "AlarmTier",
        "DashboardEndpoint",
        "DataQualityMetrics",
        "DataQualityMonitor",
        "DataQualityMonitorProps",
        "EndpointMetrics",
        "EndpointMonitoring",
        "EndpointMonitoringProps",
        "EndpointSignal",
        "EndpointThresholds",
        "FeatureGroupMetrics",
        "JobFailureEvents",
        "JobFailureEventsProps",
        "JobType",
        "MonitoredVariant",
        "MonitoringCadence",
        "NotificationTopic",
        "NotificationTopicProps",
        "PipelineMetrics",
        "PipelineMonitoring",
        "PipelineMonitoringProps",
        "PipelineThresholds",
        "PlatformDashboard",
        "PlatformDashboardProps",
        "Thresholds",
        "TieredAlarms",
        "allow_service_publishers",
    ),
    "sagemaker_platform.pipelines": (
        "BatchTransform",
        "DataQualityBaseline",
        "MlPipeline",
        "MlPipelineProps",
        "ModelRelease",
        "ModelReleaseProps",
        "QualityGate",
        "RELEASE_DETAIL_TYPE",
        "RELEASE_SOURCE",
        "RETRYABLE",
        "SEED",
        "TaskFactory",
        "approval_pattern",
    ),
    "sagemaker_platform.serving": (
        "AlarmSettings",
        "AsyncInferenceSettings",
        "BlueGreenDeployment",
        "ContainerSpec",
        "DataCaptureSettings",
        "Endpoint",
        "EndpointProps",
        "ImportedEndpoint",
        "InferenceMode",
        "Model",
        "ModelArtifact",
        "ModelImage",
        "ModelProps",
        "PLATFORM_CONTAINERS",
        "ReleaseSource",
        "RollingDeployment",
        "ServerlessSettings",
        "TrafficShift",
        "VariantScaling",
        "VariantSpec",
        "has_instance_storage",
        "is_burstable",
        "platform_container_directory",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.compliance import CFN_GUARD_PLUGIN as CFN_GUARD_PLUGIN
    from sagemaker_platform.compliance import NAG_PACK_NAMES as NAG_PACK_NAMES
    from sagemaker_platform.compliance import acknowledge as acknowledge
    from sagemaker_platform.compliance import acknowledge_wildcard_resources as acknowledge_wildcard_resources
    from sagemaker_platform.compliance import add_nag_packs as add_nag_packs
    from sagemaker_platform.compliance import job_request_findings as job_request_findings
    from sagemaker_platform.compliance import nag_resource_id as nag_resource_id
    from sagemaker_platform.compliance import skip_checkov as skip_checkov
    from sagemaker_platform.compliance import state_machine_definitions as state_machine_definitions
    from sagemaker_platform.featurestore import CollectionType as CollectionType
    from sagemaker_platform.featurestore import Feature as Feature
    from sagemaker_platform.featurestore import FeatureGroup as FeatureGroup
    from sagemaker_platform.featurestore import FeatureGroupAlarmProps as FeatureGroupAlarmProps
    from sagemaker_platform.featurestore import FeatureGroupAttributes as FeatureGroupAttributes
    from sagemaker_platform.featurestore import FeatureGroupBase as FeatureGroupBase
    from sagemaker_platform.featurestore import FeatureGroupProps as FeatureGroupProps
    from sagemaker_platform.featurestore import FeatureStoreChecks as FeatureStoreChecks
    from sagemaker_platform.featurestore import FeatureType as FeatureType
    from sagemaker_platform.featurestore import Finding as Finding
    from sagemaker_platform.featurestore import ImportedFeatureGroup as ImportedFeatureGroup
    from sagemaker_platform.featurestore import SchemaError as SchemaError
    from sagemaker_platform.featurestore import StorageType as StorageType
    from sagemaker_platform.featurestore import TableFormat as TableFormat
    from sagemaker_platform.featurestore import ThroughputMode as ThroughputMode
    from sagemaker_platform.featurestore import Ttl as Ttl
    from sagemaker_platform.featurestore import TtlUnit as TtlUnit
    from sagemaker_platform.featurestore import check_feature_group_encryption as check_feature_group_encryption
    from sagemaker_platform.featurestore import features_from_arrow_schema as features_from_arrow_schema
    from sagemaker_platform.featurestore import features_from_dataclass as features_from_dataclass
    from sagemaker_platform.featurestore import features_from_pandas as features_from_pandas
    from sagemaker_platform.fleet import DEFAULT_MEMBERS_PER_STACK as DEFAULT_MEMBERS_PER_STACK
    from sagemaker_platform.fleet import MAX_MEMBERS_PER_STACK as MAX_MEMBERS_PER_STACK
    from sagemaker_platform.fleet import RESOURCES_PER_MEMBER as RESOURCES_PER_MEMBER
    from sagemaker_platform.fleet import STACK_RESOURCE_BUDGET as STACK_RESOURCE_BUDGET
    from sagemaker_platform.fleet import FleetMember as FleetMember
    from sagemaker_platform.fleet import ModelFleet as ModelFleet
    from sagemaker_platform.fleet import ModelFleetProps as ModelFleetProps
    from sagemaker_platform.foundations import AccessLogsBucket as AccessLogsBucket
    from sagemaker_platform.foundations import AccessLogsBucketProps as AccessLogsBucketProps
    from sagemaker_platform.foundations import BucketAccess as BucketAccess
    from sagemaker_platform.foundations import IsolatedNetwork as IsolatedNetwork
    from sagemaker_platform.foundations import IsolatedNetworkProps as IsolatedNetworkProps
    from sagemaker_platform.foundations import JobNetwork as JobNetwork
    from sagemaker_platform.foundations import KeyPurpose as KeyPurpose
    from sagemaker_platform.foundations import ManagedPolicyGrantee as ManagedPolicyGrantee
    from sagemaker_platform.foundations import PlatformKeys as PlatformKeys
    from sagemaker_platform.foundations import PlatformKeysProps as PlatformKeysProps
    from sagemaker_platform.foundations import SageMakerExecutionRole as SageMakerExecutionRole
    from sagemaker_platform.foundations import SageMakerExecutionRoleProps as SageMakerExecutionRoleProps
    from sagemaker_platform.foundations import SecureBucket as SecureBucket
    from sagemaker_platform.foundations import SecureBucketProps as SecureBucketProps
    from sagemaker_platform.foundations import availability_zones_context as availability_zones_context
    from sagemaker_platform.jobs import CategoricalRange as CategoricalRange
    from sagemaker_platform.jobs import Channel as Channel
    from sagemaker_platform.jobs import ContinuousRange as ContinuousRange
    from sagemaker_platform.jobs import Distribution as Distribution
    from sagemaker_platform.jobs import InputMode as InputMode
    from sagemaker_platform.jobs import InstanceStorageWarning as InstanceStorageWarning
    from sagemaker_platform.jobs import IntegerRange as IntegerRange
    from sagemaker_platform.jobs import JobCompute as JobCompute
    from sagemaker_platform.jobs import JobSecurity as JobSecurity
    from sagemaker_platform.jobs import JoinSource as JoinSource
    from sagemaker_platform.jobs import MetricDefinition as MetricDefinition
    from sagemaker_platform.jobs import ProcessingInput as ProcessingInput
    from sagemaker_platform.jobs import ProcessingJobSpec as ProcessingJobSpec
    from sagemaker_platform.jobs import ProcessingOutput as ProcessingOutput
    from sagemaker_platform.jobs import PySparkJob as PySparkJob
    from sagemaker_platform.jobs import Scaling as Scaling
    from sagemaker_platform.jobs import SplitType as SplitType
    from sagemaker_platform.jobs import SpotTraining as SpotTraining
    from sagemaker_platform.jobs import Strategy as Strategy
    from sagemaker_platform.jobs import TrainingJobSpec as TrainingJobSpec
    from sagemaker_platform.jobs import TransformJobSpec as TransformJobSpec
    from sagemaker_platform.jobs import TuningJobSpec as TuningJobSpec
    from sagemaker_platform.jobs import UploadMode as UploadMode
    from sagemaker_platform.jobs import run_time_job_name as run_time_job_name
    from sagemaker_platform.observability import AlarmDefaults as AlarmDefaults
    from sagemaker_platform.observability import AlarmFactory as AlarmFactory
    from sagemaker_platform.observability import AlarmTier as AlarmTier
    from sagemaker_platform.observability import DashboardEndpoint as DashboardEndpoint
    from sagemaker_platform.observability import DataQualityMetrics as DataQualityMetrics
    from sagemaker_platform.observability import DataQualityMonitor as DataQualityMonitor
    from sagemaker_platform.observability import DataQualityMonitorProps as DataQualityMonitorProps
    from sagemaker_platform.observability import EndpointMetrics as EndpointMetrics
    from sagemaker_platform.observability import EndpointMonitoring as EndpointMonitoring
    from sagemaker_platform.observability import EndpointMonitoringProps as EndpointMonitoringProps
    from sagemaker_platform.observability import EndpointSignal as EndpointSignal
    from sagemaker_platform.observability import EndpointThresholds as EndpointThresholds
    from sagemaker_platform.observability import FeatureGroupMetrics as FeatureGroupMetrics
    from sagemaker_platform.observability import JobFailureEvents as JobFailureEvents
    from sagemaker_platform.observability import JobFailureEventsProps as JobFailureEventsProps
    from sagemaker_platform.observability import JobType as JobType
    from sagemaker_platform.observability import MonitoredVariant as MonitoredVariant
    from sagemaker_platform.observability import MonitoringCadence as MonitoringCadence
    from sagemaker_platform.observability import NotificationTopic as NotificationTopic
    from sagemaker_platform.observability import NotificationTopicProps as NotificationTopicProps
    from sagemaker_platform.observability import PipelineMetrics as PipelineMetrics
    from sagemaker_platform.observability import PipelineMonitoring as PipelineMonitoring
    from sagemaker_platform.observability import PipelineMonitoringProps as PipelineMonitoringProps
    from sagemaker_platform.observability import PipelineThresholds as PipelineThresholds
    from sagemaker_platform.observability import PlatformDashboard as PlatformDashboard
    from sagemaker_platform.observability import PlatformDashboardProps as PlatformDashboardProps
    from sagemaker_platform.observability import Thresholds as Thresholds
    from sagemaker_platform.observability import TieredAlarms as TieredAlarms
    from sagemaker_platform.observability import allow_service_publishers as allow_service_publishers
    from sagemaker_platform.pipelines import RELEASE_DETAIL_TYPE as RELEASE_DETAIL_TYPE
    from sagemaker_platform.pipelines import RELEASE_SOURCE as RELEASE_SOURCE
    from sagemaker_platform.pipelines import RETRYABLE as RETRYABLE
    from sagemaker_platform.pipelines import SEED as SEED
    from sagemaker_platform.pipelines import BatchTransform as BatchTransform
    from sagemaker_platform.pipelines import DataQualityBaseline as DataQualityBaseline
    from sagemaker_platform.pipelines import MlPipeline as MlPipeline
    from sagemaker_platform.pipelines import MlPipelineProps as MlPipelineProps
    from sagemaker_platform.pipelines import ModelRelease as ModelRelease
    from sagemaker_platform.pipelines import ModelReleaseProps as ModelReleaseProps
    from sagemaker_platform.pipelines import QualityGate as QualityGate
    from sagemaker_platform.pipelines import TaskFactory as TaskFactory
    from sagemaker_platform.pipelines import approval_pattern as approval_pattern
    from sagemaker_platform.serving import PLATFORM_CONTAINERS as PLATFORM_CONTAINERS
    from sagemaker_platform.serving import AlarmSettings as AlarmSettings
    from sagemaker_platform.serving import AsyncInferenceSettings as AsyncInferenceSettings
    from sagemaker_platform.serving import BlueGreenDeployment as BlueGreenDeployment
    from sagemaker_platform.serving import ContainerSpec as ContainerSpec
    from sagemaker_platform.serving import DataCaptureSettings as DataCaptureSettings
    from sagemaker_platform.serving import Endpoint as Endpoint
    from sagemaker_platform.serving import EndpointProps as EndpointProps
    from sagemaker_platform.serving import ImportedEndpoint as ImportedEndpoint
    from sagemaker_platform.serving import InferenceMode as InferenceMode
    from sagemaker_platform.serving import Model as Model
    from sagemaker_platform.serving import ModelArtifact as ModelArtifact
    from sagemaker_platform.serving import ModelImage as ModelImage
    from sagemaker_platform.serving import ModelProps as ModelProps
    from sagemaker_platform.serving import ReleaseSource as ReleaseSource
    from sagemaker_platform.serving import RollingDeployment as RollingDeployment
    from sagemaker_platform.serving import ServerlessSettings as ServerlessSettings
    from sagemaker_platform.serving import TrafficShift as TrafficShift
    from sagemaker_platform.serving import VariantScaling as VariantScaling
    from sagemaker_platform.serving import VariantSpec as VariantSpec
    from sagemaker_platform.serving import has_instance_storage as has_instance_storage
    from sagemaker_platform.serving import is_burstable as is_burstable
    from sagemaker_platform.serving import platform_container_directory as platform_container_directory
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS, submodules=("local",))
