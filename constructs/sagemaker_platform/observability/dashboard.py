"""One CloudWatch dashboard per platform stage: alarms, endpoints, pipelines and feature groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.featurestore._defaults import NAME_PATTERN as FEATURE_GROUP_NAME
from sagemaker_platform.observability.endpoint_monitoring import EndpointMonitoring
from sagemaker_platform.observability.metrics import EndpointMetrics, FeatureGroupMetrics, PipelineMetrics
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE

#: CloudWatch: at most 500 widgets per dashboard.
MAX_WIDGETS = 500
_WIDTH, _HEIGHT = 8, 6


@dataclass(frozen=True, kw_only=True)
class DashboardEndpoint:
    """An endpoint on the dashboard: its name, its variants, and whether it is asynchronous."""

    endpoint_name: str
    variant_names: Sequence[str]
    asynchronous: bool = False

    @staticmethod
    def of(monitoring: EndpointMonitoring) -> DashboardEndpoint:
        """The endpoint an :class:`EndpointMonitoring` watches."""
        return DashboardEndpoint(
            endpoint_name=monitoring.endpoint_name,
            variant_names=[v.variant_name for v in monitoring.props.variants],
            asynchronous=monitoring.props.asynchronous,
        )

    @property
    def widget_count(self) -> int:
        return 3 + self.asynchronous


@dataclass(frozen=True, kw_only=True)
class PlatformDashboardProps:
    """Properties of :class:`PlatformDashboard`."""

    #: The stage the dashboard shows, e.g. ``"prod"``.
    stage_name: str
    #: Default: none.
    endpoints: Sequence[DashboardEndpoint] = ()
    #: Pipeline name -> its state machine (``MlPipeline(...).state_machine``). Default: none.
    pipelines: Mapping[str, sfn.IStateMachine] = field(default_factory=dict)
    #: Feature group names. Default: none.
    feature_groups: Sequence[str] = ()
    #: Alarms whose state is shown at the top (e.g. ``EndpointMonitoring.all_alarms``). Default: none.
    alarms: Sequence[cw.IAlarm] = ()
    #: Default: ``sagemaker-platform-<stage_name>``.
    dashboard_name: str | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors("PlatformDashboardProps")
        errors.pattern("stage_name", self.stage_name, r"[A-Za-z0-9_-]{1,64}", "1-64 letters, digits, '_' and '-'")
        errors.pattern(
            "dashboard_name", self.resolved_name, r"[A-Za-z0-9_-]{1,255}", "1-255 letters, digits, '_' and '-'"
        )
        errors.check(
            bool(self.endpoints or self.pipelines or self.feature_groups),
            "endpoints/pipelines/feature_groups",
            "nothing",
            "at least one endpoint, pipeline or feature group",
        )
        names = [e.endpoint_name for e in self.endpoints]
        errors.check(len(set(names)) == len(names), "endpoints", names, "each endpoint once")
        for i, endpoint in enumerate(self.endpoints):
            errors.pattern(f"endpoints[{i}].endpoint_name", endpoint.endpoint_name, NAME_PATTERN, NAME_RULE)
            errors.check(
                1 <= len(endpoint.variant_names) <= 10,
                f"endpoints[{i}].variant_names",
                list(endpoint.variant_names),
                "1 to 10 variant names",
            )
        errors.check(
            len(self.alarms) <= 100, "alarms", len(self.alarms), "at most 100 (an alarm status widget's limit)"
        )
        for name in self.pipelines:
            errors.pattern("pipelines", name, r"[A-Za-z0-9_-]{1,80}", "names of 1-80 letters, digits, '_' and '-'")
        for i, group in enumerate(self.feature_groups):
            errors.pattern(f"feature_groups[{i}]", group, FEATURE_GROUP_NAME, "a feature group name")
        widgets = self.widget_count
        errors.check(
            widgets <= MAX_WIDGETS,
            "endpoints/pipelines/feature_groups",
            f"{widgets} widgets",
            f"at most {MAX_WIDGETS} widgets per dashboard (split the stage across dashboards)",
        )
        errors.raise_if_any()

    @property
    def resolved_name(self) -> str:
        return self.dashboard_name or f"sagemaker-platform-{self.stage_name}"

    @property
    def widget_count(self) -> int:
        """Widgets the dashboard will hold: header, alarm status, 3-4 per endpoint, 2 per pipeline, 3 per group."""
        return (
            1
            + bool(self.alarms)
            + sum(e.widget_count for e in self.endpoints)
            + 2 * len(self.pipelines)
            + 3 * len(self.feature_groups)
        )


class PlatformDashboard(Construct):
    """A dashboard with a row per endpoint, pipeline and feature group, metrics from the metric factories."""

    def __init__(self, scope: Construct, construct_id: str, props: PlatformDashboardProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.dashboard = cw.Dashboard(self, "Resource", dashboard_name=props.resolved_name)
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"# sagemaker-platform: {props.stage_name}", width=24, height=1)
        )
        if props.alarms:
            self.dashboard.add_widgets(cw.AlarmStatusWidget(alarms=list(props.alarms), title="Alarms", width=24))
        for endpoint in props.endpoints:
            self.dashboard.add_widgets(*self._endpoint_row(endpoint))
        for name, machine in props.pipelines.items():
            self.dashboard.add_widgets(*self._pipeline_row(name, PipelineMetrics.of(machine)))
        for group in props.feature_groups:
            self.dashboard.add_widgets(*self._feature_group_row(group, FeatureGroupMetrics(feature_group_name=group)))

    @staticmethod
    def _graph(title: str, left: list[cw.IMetric], right: list[cw.IMetric] | None = None) -> cw.GraphWidget:
        return cw.GraphWidget(title=title, left=left, right=right or None, width=_WIDTH, height=_HEIGHT)

    def _endpoint_row(self, endpoint: DashboardEndpoint) -> list[cw.IWidget]:
        name = endpoint.endpoint_name
        variants = [EndpointMetrics(endpoint_name=name, variant_name=v) for v in endpoint.variant_names]
        row: list[cw.IWidget] = [
            self._graph(
                f"{name}: invocations and errors",
                [m.invocations() for m in variants],
                [e for m in variants for e in (m.invocation_5xx_errors(), m.invocation_4xx_errors())],
            ),
            self._graph(
                f"{name}: p99 latency (us)",
                [e for m in variants for e in (m.model_latency(), m.overhead_latency())],
            ),
            self._graph(
                f"{name}: utilization (%)",
                [e for m in variants for e in (m.cpu_utilization(), m.memory_utilization(), m.disk_utilization())],
            ),
        ]
        if endpoint.asynchronous:
            row.append(self._graph(f"{name}: async backlog", [variants[0].backlog_size()], [variants[0].backlog_age()]))
        return row

    def _pipeline_row(self, name: str, m: PipelineMetrics) -> list[cw.IWidget]:
        return [
            self._graph(
                f"{name}: executions",
                [m.executions_started(), m.executions_succeeded()],
                [m.executions_failed(), m.executions_timed_out(), m.execution_throttled()],
            ),
            self._graph(f"{name}: execution time (ms)", [m.execution_time()]),
        ]

    def _feature_group_row(self, name: str, m: FeatureGroupMetrics) -> list[cw.IWidget]:
        ops = ("GetRecord", "PutRecord")
        return [
            self._graph(f"{name}: invocations", [m.invocations(op) for op in ops]),
            self._graph(f"{name}: p99 latency (us)", [m.latency(op) for op in ops]),
            self._graph(
                f"{name}: throttles and 5xx",
                [m.throttled_requests(op) for op in ops],
                [m.errors_5xx(op) for op in ops],
            ),
        ]
