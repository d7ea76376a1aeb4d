"""Alarms for one endpoint, built from its name so they can feed the endpoint's own auto-rollback.

An endpoint lists its rollback alarms when it is created, so those alarms must exist first; if they
were made from the ``Endpoint`` construct, the two would depend on each other. Everything here is
therefore addressed by endpoint NAME and by :class:`MonitoredVariant` (made from the same
``VariantSpec`` objects the endpoint gets). The pattern, in a stack::

    variants = [VariantSpec(variant_name="champion", model=model, instance_type="ml.c5.xlarge")]
    monitoring = EndpointMonitoring(self, "ChurnMonitoring", EndpointMonitoringProps(
        endpoint_name="churn",
        variants=[MonitoredVariant.from_spec(v) for v in variants],
        alarms=AlarmFactory(topic),
    ))
    endpoint = Endpoint(self, "Churn", EndpointProps(
        endpoint_name="churn",                  # the same fixed name
        production_variants=variants,
        rollback_5xx=None, rollback_latency_us=None,   # monitoring's CRITICAL alarms replace them
        extra_rollback_alarms=monitoring.rollback_alarms,
        alarm_topic=topic, volume_key=key,
    ))
    monitoring.check_endpoint(endpoint)         # fails at synth if name or variants disagree

CloudFormation then creates the alarms, then the endpoint that names them; nothing refers back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.observability.alarm_factory import AlarmFactory, TieredAlarms
from sagemaker_platform.observability.endpoint_signals import (
    EndpointSignal,
    EndpointThresholds,
    MonitoredVariant,
    describe,
)
from sagemaker_platform.serving.model import NAME_PATTERN, NAME_RULE

if TYPE_CHECKING:
    from sagemaker_platform.serving.endpoint import Endpoint

#: SageMaker accepts at most 10 auto-rollback alarms per endpoint.
MAX_ROLLBACK_ALARMS = 10


@dataclass(frozen=True, kw_only=True)
class EndpointMonitoringProps:
    """Properties of :class:`EndpointMonitoring`."""

    #: The endpoint's fixed name (pass the same string as ``EndpointProps.endpoint_name``).
    endpoint_name: str
    #: The production variants, e.g. ``[MonitoredVariant.from_spec(v) for v in production_variants]``.
    variants: Sequence[MonitoredVariant]
    #: Makes the alarms and sends them to its KMS-encrypted topic.
    alarms: AlarmFactory
    #: Asynchronous inference: adds backlog age and size alarms. Default: real-time.
    asynchronous: bool = False
    #: Default: see ``EndpointThresholds``.
    thresholds: EndpointThresholds = field(default_factory=EndpointThresholds)
    #: Signals whose CRITICAL alarms (per variant) go into :attr:`EndpointMonitoring.rollback_alarms`.
    #: Default: 5xx errors and p99 model latency, the signals a bad model version shows first.
    rollback_signals: Sequence[EndpointSignal] = (EndpointSignal.INVOCATION_5XX, EndpointSignal.MODEL_LATENCY)

    def __post_init__(self) -> None:
        errors = PropsErrors("EndpointMonitoringProps")
        errors.pattern("endpoint_name", self.endpoint_name, NAME_PATTERN, NAME_RULE)
        errors.check(1 <= len(self.variants) <= 10, "variants", len(self.variants), "1 to 10 production variants")
        names = [v.variant_name for v in self.variants]
        dupes = sorted({n for n in names if names.count(n) > 1})
        errors.check(not dupes, "variants[*].variant_name", dupes, "unique names (variant names are case-sensitive)")
        for i, variant in enumerate(self.variants):
            variant.check(errors, f"variants[{i}]")
        if self.asynchronous:
            errors.check(
                len(self.variants) == 1 and not self.variants[0].serverless,
                "asynchronous",
                True,
                "one instance-based variant (async endpoints have exactly one and no serverless)",
            )
        for signal in EndpointSignal:
            thresholds = self.thresholds.for_signal(signal)
            if thresholds is not None:
                thresholds.check(errors, self.alarms.defaults, f"thresholds.{self.thresholds.field_name(signal)}.")
        self._check_rollback(errors)
        errors.raise_if_any()

    def _check_rollback(self, errors: PropsErrors) -> None:
        for signal in self.rollback_signals:
            thresholds = self.thresholds.for_signal(signal)
            errors.check(
                thresholds is not None and thresholds.critical is not None,
                "rollback_signals",
                signal.name,
                f"signals with a critical threshold (thresholds.{self.thresholds.field_name(signal)} has none)",
            )
        count = len(self.rollback_plan())
        errors.check(
            count <= MAX_ROLLBACK_ALARMS,
            "rollback_signals",
            f"{count} alarms",
            f"at most {MAX_ROLLBACK_ALARMS} rollback alarms per endpoint (signals x variants)",
        )

    def rollback_plan(self) -> list[tuple[str | None, EndpointSignal]]:
        """(variant name or None for endpoint-wide, signal) of every rollback alarm that will exist."""
        plan: list[tuple[str | None, EndpointSignal]] = []
        for signal in self.rollback_signals:
            if signal.endpoint_wide:
                if self.asynchronous:
                    plan.append((None, signal))
                continue
            plan.extend((v.variant_name, signal) for v in self.variants if signal in v.signals())
        return plan


class EndpointMonitoring(Construct):
    """WARNING and CRITICAL alarms per variant of one endpoint, and the ones that roll deployments back.

    Per variant: 5xx errors, 4xx rate, p99 model and overhead latency; on instances CPU (percent of
    all vCPUs), memory and disk, plus GPU and GPU memory on ``ml.g*``/``ml.p*`` types; on serverless
    variants p99 ModelSetupTime. Per async endpoint: backlog age and size. See the module docstring
    for how to wire :attr:`rollback_alarms` into the endpoint without a dependency cycle.
    """

    def __init__(self, scope: Construct, construct_id: str, props: EndpointMonitoringProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.endpoint_name = props.endpoint_name
        self._alarms: dict[tuple[str | None, EndpointSignal], TieredAlarms] = {}
        for variant in props.variants:
            for signal in variant.signals():
                self._add(variant, signal)
        if props.asynchronous:
            for signal in (EndpointSignal.BACKLOG_AGE, EndpointSignal.BACKLOG_SIZE):
                self._add(props.variants[0], signal, endpoint_wide=True)
        self.rollback_alarms: list[cw.IAlarm] = [
            alarm
            for key in props.rollback_plan()
            if key in self._alarms and (alarm := self._alarms[key].critical) is not None
        ]

    def alarms_for(self, signal: EndpointSignal, variant_name: str | None = None) -> TieredAlarms:
        """The alarms of ``signal`` (for ``variant_name``; None for the endpoint-wide backlog signals)."""
        key = (None if signal.endpoint_wide else variant_name, signal)
        if key not in self._alarms:
            have = sorted(f"{v or 'endpoint'}/{s.name}" for v, s in self._alarms)
            raise KeyError(f"EndpointMonitoring {self.node.id}: no alarms for {key}; have: {have}")
        return self._alarms[key]

    @property
    def all_alarms(self) -> list[cw.Alarm]:
        """Every alarm this construct made."""
        return [a for tiered in self._alarms.values() for a in tiered.all]

    def check_endpoint(self, endpoint: Endpoint) -> None:
        """Raise ``ValueError`` unless ``endpoint`` has this name and exactly these production variants."""
        errors = PropsErrors(f"EndpointMonitoring {self.node.id}.check_endpoint")
        errors.check(
            endpoint.endpoint_name == self.endpoint_name,
            "endpoint_name",
            endpoint.endpoint_name,
            f"{self.endpoint_name!r}, the name the alarms watch",
        )
        theirs = sorted(v.variant_name for v in endpoint.props.production_variants)
        ours = sorted(v.variant_name for v in self.props.variants)
        errors.check(theirs == ours, "variants", theirs, f"the monitored variants {ours}")
        errors.raise_if_any()

    def _add(self, variant: MonitoredVariant, signal: EndpointSignal, *, endpoint_wide: bool = False) -> None:
        thresholds = self.props.thresholds.for_signal(signal)
        if thresholds is None:
            return
        owner = "endpoint" if endpoint_wide else variant.variant_name
        name = f"{self.endpoint_name}-{owner}-{signal.value}"
        self._alarms[(None if endpoint_wide else variant.variant_name, signal)] = self.props.alarms.add(
            self,
            f"{'Endpoint' if endpoint_wide else variant.variant_name}{signal.value}",
            metric=variant.metric(signal, self.endpoint_name),
            thresholds=thresholds,
            description=f"{self.endpoint_name}/{owner}: {describe(signal)}",
            name=name,
        )
