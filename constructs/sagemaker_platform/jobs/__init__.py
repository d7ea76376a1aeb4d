"""Job specs: training and processing jobs described once, rendered for boto3 and Step Functions."""

from typing import TYPE_CHECKING

from sagemaker_platform._lazy import exports

#: Module -> the names this package exports from it, imported on first use (see sagemaker_platform._lazy).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "sagemaker_platform.jobs.common": (
        "InstanceStorageWarning",
        "JobCompute",
        "JobSecurity",
        "run_time_job_name",
    ),
    "sagemaker_platform.jobs.processing": (
        "ProcessingInput",
        "ProcessingJobSpec",
        "ProcessingOutput",
        "UploadMode",
    ),
    "sagemaker_platform.jobs.spark": ("PySparkJob",),
    "sagemaker_platform.jobs.training": (
        "Channel",
        "Distribution",
        "InputMode",
        "MetricDefinition",
        "SpotTraining",
        "TrainingJobSpec",
    ),
    "sagemaker_platform.jobs.transform": (
        "JoinSource",
        "SplitType",
        "TransformJobSpec",
    ),
    "sagemaker_platform.jobs.tuning": (
        "CategoricalRange",
        "ContinuousRange",
        "IntegerRange",
        "Scaling",
        "Strategy",
        "TuningJobSpec",
    ),
}

if TYPE_CHECKING:
    from sagemaker_platform.jobs.common import InstanceStorageWarning as InstanceStorageWarning
    from sagemaker_platform.jobs.common import JobCompute as JobCompute
    from sagemaker_platform.jobs.common import JobSecurity as JobSecurity
    from sagemaker_platform.jobs.common import run_time_job_name as run_time_job_name
    from sagemaker_platform.jobs.processing import ProcessingInput as ProcessingInput
    from sagemaker_platform.jobs.processing import ProcessingJobSpec as ProcessingJobSpec
    from sagemaker_platform.jobs.processing import ProcessingOutput as ProcessingOutput
    from sagemaker_platform.jobs.processing import UploadMode as UploadMode
    from sagemaker_platform.jobs.spark import PySparkJob as PySparkJob
    from sagemaker_platform.jobs.training import Channel as Channel
    from sagemaker_platform.jobs.training import Distribution as Distribution
    from sagemaker_platform.jobs.training import InputMode as InputMode
    from sagemaker_platform.jobs.training import MetricDefinition as MetricDefinition
    from sagemaker_platform.jobs.training import SpotTraining as SpotTraining
    from sagemaker_platform.jobs.training import TrainingJobSpec as TrainingJobSpec
    from sagemaker_platform.jobs.transform import JoinSource as JoinSource
    from sagemaker_platform.jobs.transform import SplitType as SplitType
    from sagemaker_platform.jobs.transform import TransformJobSpec as TransformJobSpec
    from sagemaker_platform.jobs.tuning import CategoricalRange as CategoricalRange
    from sagemaker_platform.jobs.tuning import ContinuousRange as ContinuousRange
    from sagemaker_platform.jobs.tuning import IntegerRange as IntegerRange
    from sagemaker_platform.jobs.tuning import Scaling as Scaling
    from sagemaker_platform.jobs.tuning import Strategy as Strategy
    from sagemaker_platform.jobs.tuning import TuningJobSpec as TuningJobSpec
else:
    __all__, __getattr__, __dir__ = exports(__name__, _EXPORTS)
