"""Job specs: training and processing jobs described once, rendered for boto3 and Step Functions."""

from sagemaker_platform.foundations.placement import JobNetwork
from sagemaker_platform.jobs.common import JobCompute, JobSecurity, run_time_job_name
from sagemaker_platform.jobs.processing import ProcessingInput, ProcessingJobSpec, ProcessingOutput, UploadMode
from sagemaker_platform.jobs.spark import PySparkJob
from sagemaker_platform.jobs.training import (
    Channel,
    Distribution,
    InputMode,
    MetricDefinition,
    SpotTraining,
    TrainingJobSpec,
)
from sagemaker_platform.jobs.transform import JoinSource, SplitType, TransformJobSpec
from sagemaker_platform.jobs.tuning import (
    CategoricalRange,
    ContinuousRange,
    IntegerRange,
    Scaling,
    Strategy,
    TuningJobSpec,
)

__all__ = [
    "CategoricalRange",
    "Channel",
    "ContinuousRange",
    "Distribution",
    "InputMode",
    "IntegerRange",
    "JobCompute",
    "JobNetwork",
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
]
