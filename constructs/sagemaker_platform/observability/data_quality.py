"""Model Monitor data quality: a job definition, a schedule and a drift alarm for an endpoint with data capture."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Annotations, IStableStringProducer, Lazy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.foundations.network import IsolatedNetwork
from sagemaker_platform.foundations.placement import JobNetwork, require_vpc_for_new_role
from sagemaker_platform.foundations.roles import BucketAccess, SageMakerExecutionRole, SageMakerExecutionRoleProps
from sagemaker_platform.jobs.common import instance_storage_note
from sagemaker_platform.observability import _defaults
from sagemaker_platform.observability.alarm_factory import AlarmFactory, Thresholds, TieredAlarms
from sagemaker_platform.observability.metrics import DataQualityMetrics
from sagemaker_platform.observability.schedule import MonitoringCadence
from sagemaker_platform.serving.image import ModelImage
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE

if TYPE_CHECKING:
    from sagemaker_platform.serving.endpoint import Endpoint

_FEATURE = r"[A-Za-z0-9_.-]{1,200}"
_KEY_RULE = "an S3 key of a JSON file without a leading '/', e.g. 'baselines/churn/constraints.json'"
_INPUT_PATH = "/opt/ml/processing/input/endpoint"
_OUTPUT_PATH = "/opt/ml/processing/output"


@dataclass(frozen=True, kw_only=True)
class DataQualityMonitorProps:
    """Properties of :class:`DataQualityMonitor`."""

    #: The monitored endpoint; it must capture request inputs (``EndpointProps.data_capture``).
    endpoint: Endpoint
    #: Where the jobs run: the platform's :class:`IsolatedNetwork` (its isolated subnets and jobs
    #: security group) or a :class:`JobNetwork` of a VPC you bring, with its ``vpc`` (``JobNetwork.from_vpc``).
    network: IsolatedNetwork | JobNetwork
    #: Baseline files a baselining job wrote (``constraints.json`` with ``emit_metrics`` enabled, ``statistics.json``).
    baseline_bucket: s3.IBucket
    constraints_key: str
    statistics_key: str
    #: Reports go to ``s3://<bucket>/<output_prefix><endpoint name>/``, encrypted with the bucket's key.
    output_bucket: s3.IBucket
    #: Encrypts the jobs' ML storage volumes.
    volume_key: kms.IKey
    alarms: AlarmFactory
    #: Features whose ``feature_baseline_drift_<name>`` metrics the drift alarm watches (1 to 10).
    drift_features: Sequence[str]
    #: Default: warn above 0.05, critical above 0.1 (Model Monitor's own violation distance), one run each.
    drift_thresholds: Thresholds = field(default_factory=_defaults.feature_drift)
    #: Runs that published results, per interval. Default: critical when two intervals in a row have
    #: none, missing data breaching (a failed run, a missing baseline or no captures publish nothing).
    missing_runs: Thresholds = field(default_factory=_defaults.missing_monitoring_runs)
    #: Default: ``"model-monitor/"``.
    output_prefix: str = "model-monitor/"
    #: Default: hourly.
    cadence: MonitoringCadence = field(default_factory=MonitoringCadence.hourly)
    #: Default: one ``ml.m5.xlarge`` with 20 GB.
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    volume_size_gb: int = 20
    #: At most the cadence's interval (SageMaker's rule). Default: 3600 s.
    max_runtime_s: int = 3600
    #: Default: ``<endpoint name>-data-quality`` (cut to 63 characters).
    schedule_name: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("DataQualityMonitorProps")
        capture = getattr(getattr(self.endpoint, "props", None), "data_capture", None)
        errors.check(
            capture is not None and capture.capture_input,
            "endpoint",
            getattr(getattr(self.endpoint, "node", None), "path", self.endpoint),
            "an Endpoint of this app whose data_capture records inputs",
        )
        for name in ("constraints_key", "statistics_key"):
            key = getattr(self, name)
            errors.check(key.endswith(".json") and not key.startswith("/"), name, key, _KEY_RULE)
        errors.check(
            self.output_prefix.endswith("/") and not self.output_prefix.startswith("/"),
            "output_prefix",
            self.output_prefix,
            "a key prefix ending with '/', without a leading '/'",
        )
        errors.check(
            self.output_bucket.encryption_key is not None,
            "output_bucket",
            self.output_bucket.node.path,
            "a bucket encrypted with a customer-managed KMS key (e.g. a SecureBucket)",
        )
        errors.check(1 <= len(self.drift_features) <= 10, "drift_features", len(self.drift_features), "1 to 10")
        for i, feature in enumerate(self.drift_features):
            errors.pattern(f"drift_features[{i}]", feature, _FEATURE, "1-200 letters, digits, '_', '.' and '-'")
        self.drift_thresholds.check(errors, self.alarms.defaults, "drift_thresholds.")
        self.missing_runs.check(errors, self.alarms.defaults, "missing_runs.")
        # Monitoring jobs run on processing instances (MonitoringClusterConfig.InstanceType).
        api.check_instance_type(errors, "instance_type", self.instance_type, "processing")
        cluster = "JobResources.ClusterConfig"
        api.check_fields(
            errors,
            "CreateDataQualityJobDefinition",
            {
                "instance_count": (f"{cluster}.InstanceCount", self.instance_count),
                "volume_size_gb": (f"{cluster}.VolumeSizeInGB", self.volume_size_gb),
            },
        )
        errors.s3_prefix("output_prefix", self.output_prefix)
        errors.int_range("max_runtime_s", self.max_runtime_s, 1, self.cadence.interval_hours * 3600)
        errors.pattern("schedule_name", self.resolved_schedule_name, NAME_PATTERN, NAME_RULE)
        require_vpc_for_new_role(self.network, errors, "the monitor's role")
        errors.raise_if_any()

    @property
    def resolved_schedule_name(self) -> str:
        """The schedule's name: given, or ``<endpoint name>-data-quality`` cut to 63 characters."""
        if self.schedule_name is not None:
            return self.schedule_name
        return f"{self.endpoint.endpoint_name[:50]}-data-quality"


class DataQualityMonitor(Construct):
    """Scheduled data-quality checks of an endpoint's captured traffic against a baseline, with a drift alarm.

    The job runs SageMaker's Model Monitor analyzer image for the stack's region in the isolated
    network, with network isolation, inter-container encryption, a KMS-encrypted volume and
    KMS-encrypted reports, as a role that can read only the captured data and the two baseline
    files, and write only its report prefix. The job definition's name is a hash of its content,
    so any change deploys as a new definition that the schedule moves to.
    """

    def __init__(self, scope: Construct, construct_id: str, props: DataQualityMonitorProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        endpoint_name = props.endpoint.endpoint_name
        capture = props.endpoint.props.data_capture
        assert capture is not None and props.output_bucket.encryption_key is not None  # validated in props
        self.schedule_name = props.resolved_schedule_name
        self.output_prefix = f"{props.output_prefix}{endpoint_name}/"
        self.placement = JobNetwork.of(props.network)
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            SageMakerExecutionRoleProps(
                description=f"Model Monitor data quality of endpoint {endpoint_name}",
                buckets=(
                    BucketAccess(bucket=capture.bucket, prefix=capture.prefix),
                    BucketAccess(bucket=props.baseline_bucket, prefix=props.constraints_key),
                    BucketAccess(bucket=props.baseline_bucket, prefix=props.statistics_key),
                    BucketAccess(bucket=props.output_bucket, prefix=self.output_prefix, write=True),
                ),
                keys=(props.volume_key,),
                vpc=self.placement.vpc,
            ),
        )
        image = ModelImage.from_builtin("model-monitor").bind(self, self.role)
        self.volume_key_note = instance_storage_note(f"DataQualityMonitor {construct_id}", props.instance_type)
        if self.volume_key_note:
            Annotations.of(self).add_warning_v2("sagemaker-platform:volume-key-skipped", self.volume_key_note)
        properties = self._properties(props, image.image_uri, endpoint_name, props.output_bucket.encryption_key)
        self.job_definition = sagemaker.CfnDataQualityJobDefinition(
            self,
            "JobDefinition",
            role_arn=self.role.role_arn,
            endpoint_name=endpoint_name,
            job_definition_name=Lazy.string(_ContentName(self, properties)),
            **properties,
        )
        # The role's policy must exist before SageMaker validates and first runs the definition.
        self.job_definition.node.add_dependency(self.role.policy)
        self.schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Resource",
            monitoring_schedule_name=self.schedule_name,
            endpoint_name=endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=self.job_definition.job_definition_name,
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=props.cadence.expression
                ),
            ),
        )
        self.schedule.node.add_dependency(self.job_definition)
        # SageMaker checks that the endpoint exists and captures data when the schedule is created.
        self.schedule.node.add_dependency(props.endpoint)
        self.metrics = DataQualityMetrics(
            endpoint_name=endpoint_name,
            schedule_name=self.schedule_name,
            period_hours=props.cadence.interval_hours,
        )
        self.drift_alarms: TieredAlarms = props.alarms.add(
            self,
            "FeatureDrift",
            metric=self.metrics.max_baseline_drift(list(props.drift_features)),
            thresholds=props.drift_thresholds,
            description=f"{endpoint_name}: largest baseline drift of {', '.join(props.drift_features)} "
            f"(schedule {self.schedule_name})",
            name=f"{self.schedule_name}-FeatureDrift",
        )
        self.missing_run_alarms: TieredAlarms = props.alarms.add(
            self,
            "RunsMissing",
            metric=self.metrics.runs_reported(props.drift_features[0]),
            thresholds=props.missing_runs,
            description=f"{endpoint_name}: no data-quality results from schedule {self.schedule_name} (runs fail, "
            "lack a baseline or captured data, or do not run)",
            name=f"{self.schedule_name}-RunsMissing",
        )

    @property
    def monitoring_schedule_arn(self) -> str:
        """The schedule's ARN."""
        return self.schedule.attr_monitoring_schedule_arn

    def _properties(self, props: DataQualityMonitorProps, image_uri: str, endpoint: str, output_key: kms.IKey) -> Any:
        dq = sagemaker.CfnDataQualityJobDefinition
        return {
            "data_quality_app_specification": dq.DataQualityAppSpecificationProperty(
                image_uri=image_uri, environment={"publish_cloudwatch_metrics": "Enabled"}
            ),
            "data_quality_baseline_config": dq.DataQualityBaselineConfigProperty(
                constraints_resource=dq.ConstraintsResourceProperty(
                    s3_uri=props.baseline_bucket.s3_url_for_object(props.constraints_key)
                ),
                statistics_resource=dq.StatisticsResourceProperty(
                    s3_uri=props.baseline_bucket.s3_url_for_object(props.statistics_key)
                ),
            ),
            "data_quality_job_input": dq.DataQualityJobInputProperty(
                endpoint_input=dq.EndpointInputProperty(
                    endpoint_name=endpoint,
                    local_path=_INPUT_PATH,
                    s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated",
                )
            ),
            "data_quality_job_output_config": dq.MonitoringOutputConfigProperty(
                kms_key_id=output_key.key_arn,
                monitoring_outputs=[
                    dq.MonitoringOutputProperty(
                        s3_output=dq.S3OutputProperty(
                            local_path=_OUTPUT_PATH,
                            s3_uri=props.output_bucket.s3_url_for_object(self.output_prefix.rstrip("/")),
                            s3_upload_mode="EndOfJob",
                        )
                    )
                ],
            ),
            "job_resources": dq.MonitoringResourcesProperty(
                cluster_config=dq.ClusterConfigProperty(
                    instance_count=props.instance_count,
                    instance_type=props.instance_type,
                    volume_size_in_gb=props.volume_size_gb,
                    # None on NVMe instance types: SageMaker refuses a volume key there.
                    volume_kms_key_id=None if self.volume_key_note else props.volume_key.key_arn,
                )
            ),
            "network_config": dq.NetworkConfigProperty(
                enable_inter_container_traffic_encryption=True,
                enable_network_isolation=True,
                vpc_config=dq.VpcConfigProperty(
                    security_group_ids=list(self.placement.security_group_ids),
                    subnets=list(self.placement.subnet_ids),
                ),
            ),
            "stopping_condition": dq.StoppingConditionProperty(max_runtime_in_seconds=props.max_runtime_s),
        }


@jsii.implements(IStableStringProducer)
class _ContentName:
    """``<schedule name>-<hash of the definition's resolved properties>``: stable until the content changes."""

    def __init__(self, monitor: DataQualityMonitor, properties: dict[str, Any]) -> None:
        self.monitor, self.properties = monitor, properties

    def produce(self) -> str:
        rendered = Stack.of(self.monitor).resolve(self.properties)
        digest = hashlib.sha256(json.dumps(rendered, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.monitor.schedule_name[:52]}-{digest}"
