"""A hyperparameter tuning job over a TrainingJobSpec, rendered as CreateHyperParameterTuningJob."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sagemaker_platform._constraints import api
from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.jobs.common import checked_job_name, run_time_job_name, warn_notes
from sagemaker_platform.jobs.training import TrainingJobSpec

#: Tuning job names are shorter than other job names.
_TUNING_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"


class Strategy(Enum):
    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    HYPERBAND = "Hyperband"
    GRID = "Grid"


class Scaling(Enum):
    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


@dataclass(frozen=True, kw_only=True)
class IntegerRange:
    name: str
    min_value: int
    max_value: int
    scaling: Scaling = Scaling.AUTO


@dataclass(frozen=True, kw_only=True)
class ContinuousRange:
    name: str
    min_value: float
    max_value: float
    scaling: Scaling = Scaling.AUTO


@dataclass(frozen=True, kw_only=True)
class CategoricalRange:
    name: str
    values: Sequence[str]


@dataclass(frozen=True, kw_only=True)
class TuningJobSpec:
    """Search hyperparameters of ``training`` for the best ``objective_metric``."""

    training: TrainingJobSpec
    #: Must be one of the training spec's metric definitions.
    objective_metric: str
    maximize: bool = True
    strategy: Strategy = Strategy.BAYESIAN
    integer_ranges: Sequence[IntegerRange] = field(default_factory=tuple)
    continuous_ranges: Sequence[ContinuousRange] = field(default_factory=tuple)
    categorical_ranges: Sequence[CategoricalRange] = field(default_factory=tuple)
    max_training_jobs: int = 20
    max_parallel_jobs: int = 2
    #: Stop training jobs that are unlikely to beat the best so far. Default: on (not with Hyperband).
    early_stopping: bool = True
    #: Parent tuning job names to warm-start from. Default: none.
    warm_start_parents: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        errors = PropsErrors("TuningJobSpec")
        metrics = [m.name for m in self.training.metric_definitions]
        errors.check(
            self.objective_metric in metrics,
            "objective_metric",
            self.objective_metric,
            f"one of the training spec's metric definitions {metrics}",
        )
        numeric: list[IntegerRange | ContinuousRange] = [*self.integer_ranges, *self.continuous_ranges]
        ranges: list[IntegerRange | ContinuousRange | CategoricalRange] = [*numeric, *self.categorical_ranges]
        names = [r.name for r in ranges]
        errors.check(len(ranges) >= 1, "ranges", 0, "at least one integer, continuous or categorical range")
        errors.check(len(set(names)) == len(names), "ranges", names, "each hyperparameter in one range")
        fixed = sorted(set(names) & set(self.training.hyperparameters))
        errors.check(not fixed, "ranges", fixed, "hyperparameters not also fixed in training.hyperparameters")
        for r in numeric:
            errors.check(
                r.min_value < r.max_value, f"range {r.name!r}", (r.min_value, r.max_value), "min_value < max_value"
            )
            if r.scaling in (Scaling.LOGARITHMIC, Scaling.REVERSE_LOGARITHMIC):
                errors.check(
                    r.min_value > 0,
                    f"range {r.name!r}.min_value",
                    r.min_value,
                    f"a value > 0 with {r.scaling.value} scaling",
                )
            if r.scaling is Scaling.REVERSE_LOGARITHMIC:
                errors.check(
                    isinstance(r, ContinuousRange) and r.max_value < 1,
                    f"range {r.name!r}",
                    r.max_value,
                    "a continuous range below 1 with ReverseLogarithmic scaling",
                )
        for c in self.categorical_ranges:
            errors.check(1 <= len(c.values) <= 30, f"range {c.name!r}.values", len(c.values), "1 to 30 values")
        errors.int_range("max_training_jobs", self.max_training_jobs, 1, 10_000)
        errors.int_range("max_parallel_jobs", self.max_parallel_jobs, 1, 100)
        if isinstance(self.max_parallel_jobs, int) and isinstance(self.max_training_jobs, int):
            errors.check(
                self.max_parallel_jobs <= self.max_training_jobs,
                "max_parallel_jobs",
                self.max_parallel_jobs,
                f"at most max_training_jobs ({self.max_training_jobs})",
            )
        if self.strategy is Strategy.HYPERBAND:
            errors.check(not self.early_stopping, "early_stopping", True, "False with Hyperband (it stops jobs itself)")
        errors.check(len(self.warm_start_parents) <= 5, "warm_start_parents", len(self.warm_start_parents), "at most 5")
        for parent in self.warm_start_parents:
            errors.pattern("warm_start_parents", parent, _TUNING_NAME, "tuning job names (1-32 letters, digits, '-')")
        errors.raise_if_any()

    def to_request(self, job_name: str) -> dict[str, Any]:
        """The CreateHyperParameterTuningJob request, as boto3 takes it."""
        warn_notes(self.notes)
        request = {
            "HyperParameterTuningJobName": checked_job_name("TuningJobSpec", job_name, max_length=32),
            **self._request_body(),
        }
        api.check_request("TuningJobSpec", "CreateHyperParameterTuningJob", request)
        return request

    def to_state_machine_parameters(self, name_prefix: str) -> dict[str, Any]:
        """The same request for a ``createHyperParameterTuningJob.sync`` task (name made at run time).

        Tuning job names allow 32 characters: the name is the prefix plus the first part of the
        execution name, so keep prefixes short and execution names unique in their first characters.
        """
        return {"HyperParameterTuningJobName.$": run_time_job_name(name_prefix, short=True), **self._request_body()}

    @property
    def notes(self) -> tuple[str, ...]:
        """What the request leaves out and why: its training definition's notes."""
        return self.training.notes

    def _request_body(self) -> dict[str, Any]:
        training = self.training.request_body()
        # In a tuning job, static hyperparameters and stopping condition live in the definition.
        definition: dict[str, Any] = {
            "AlgorithmSpecification": training.pop("AlgorithmSpecification"),
            **{k: v for k, v in training.items() if k not in ("HyperParameters", "Tags", "RetryStrategy")},
        }
        if "HyperParameters" in training:
            definition["StaticHyperParameters"] = training["HyperParameters"]
        ranges: dict[str, Any] = {}
        numeric: dict[str, Sequence[IntegerRange | ContinuousRange]] = {
            "IntegerParameterRanges": self.integer_ranges,
            "ContinuousParameterRanges": self.continuous_ranges,
        }
        for field_name, numeric_ranges in numeric.items():
            if numeric_ranges:
                ranges[field_name] = [
                    {
                        "Name": r.name,
                        "MinValue": str(r.min_value),
                        "MaxValue": str(r.max_value),
                        "ScalingType": r.scaling.value,
                    }
                    for r in numeric_ranges
                ]
        if self.categorical_ranges:
            ranges["CategoricalParameterRanges"] = [
                {"Name": c.name, "Values": list(c.values)} for c in self.categorical_ranges
            ]
        config: dict[str, Any] = {
            "Strategy": self.strategy.value,
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize" if self.maximize else "Minimize",
                "MetricName": self.objective_metric,
            },
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": self.max_training_jobs,
                "MaxParallelTrainingJobs": self.max_parallel_jobs,
            },
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": "Auto" if self.early_stopping else "Off",
        }
        body: dict[str, Any] = {"HyperParameterTuningJobConfig": config, "TrainingJobDefinition": definition}
        if self.warm_start_parents:
            body["WarmStartConfig"] = {
                "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": p} for p in self.warm_start_parents],
                "WarmStartType": "IdenticalDataAndAlgorithm",
            }
        return body
