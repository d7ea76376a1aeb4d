"""Job specs: training and processing jobs described once, rendered for boto3 and Step Functions."""

from sagemaker_platform.jobs.common import JobCompute, JobNetwork, JobSecurity, run_time_job_name
from sagemaker_platform.jobs.processing import ProcessingInput, ProcessingJobSpec, ProcessingOutput, UploadMode
from sagemaker_platform.jobs.training import (
    Channel,
    Distribution,
    InputMode,
    MetricDefinition,
    SpotTraining,
    TrainingJobSpec,
)

__all__ = [
    "Channel",
    "Distribution",
    "InputMode",
    "JobCompute",
    "JobNetwork",
    "JobSecurity",
    "MetricDefinition",
    "ProcessingInput",
    "ProcessingJobSpec",
    "ProcessingOutput",
    "SpotTraining",
    "TrainingJobSpec",
    "UploadMode",
    "run_time_job_name",
]
