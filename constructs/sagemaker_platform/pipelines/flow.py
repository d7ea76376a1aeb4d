"""The states of an ML pipeline and the permissions each one needs, built together so they cannot drift."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform.jobs.common import run_time_job_name
from sagemaker_platform.jobs.tuning import TuningJobSpec
from sagemaker_platform.pipelines.permissions import PipelineGrants
from sagemaker_platform.pipelines.run_scope import scope_to_run, scoped_expression, scoped_pattern
from sagemaker_platform.pipelines.targets import BatchTransform
from sagemaker_platform.pipelines.tasks import TaskFactory
from sagemaker_platform.serving.image import ModelImage

if TYPE_CHECKING:
    from sagemaker_platform.pipelines.ml_pipeline import MlPipelineProps

#: Where the evaluate job finds the model (the processing container's default model input).
MODEL_INPUT = "/opt/ml/processing/model"
_CONTENT_TYPES = ["text/csv", "application/json", "application/x-npy"]


class PipelineFlow:
    """Prepare -> train or tune -> describe the model -> evaluate -> gate (-> baseline) -> register (-> transform)."""

    def __init__(self, scope: Construct, props: MlPipelineProps, grants: PipelineGrants) -> None:
        self._scope, self._props, self._grants = scope, props, grants
        p = props.name_prefix
        self._model_name = run_time_job_name(p)  # models for batch transform: "<prefix>-<execution name>"
        # A fixed error name: names starting "States." (e.g. States.Runtime) are reserved for the service.
        failed = sfn.Fail(
            scope, "Failed", error="PipelineFailed", cause_path="States.Format('{}: {}', $.error.Error, $.error.Cause)"
        )
        self._notify = sfn.CustomState(
            scope,
            "NotifyFailure",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Stack.of(scope).partition}:states:::sns:publish",
                "Parameters": {
                    "TopicArn": props.topic.topic_arn,
                    "Subject": f"{p} pipeline failed",
                    "Message.$": (
                        "States.Format('Execution {} failed with {}: {}', $$.Execution.Name, $.error.Error, "
                        "$.error.Cause)"
                    ),
                },
                # Not "$": the Fail state reads $.error after the notification.
                "ResultPath": "$.notification",
                # The notice is the only one a failed run sends: ride out SNS throttling, and if SNS
                # still refuses, end in Failed anyway with the run's own error (not the notifier's).
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notificationError", "Next": "Failed"}],
            },
        ).next(failed)
        grants.topics.append(props.topic.topic_arn)
        grants.key(props.topic.master_key)
        self._tasks = TaskFactory(scope, Stack.of(scope).partition, self._notify)
        for role in props.job_roles:
            grants.pass_role(role.role_arn)

        prepare = self._job("Prepare", "ProcessingJob", props.prepare.to_state_machine_parameters(f"{p}-prep"))
        train, training_job_name = self._train()
        describe = self._tasks.sdk(
            "DescribeModel",
            "sagemaker:describeTrainingJob",
            {"TrainingJobName.$": training_job_name},
            result_path="$.model",
            result_selector={
                "TrainingJobName.$": "$.TrainingJobName",
                "ModelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts",
            },
        )
        evaluate = self._job("Evaluate", "ProcessingJob", self._evaluate_parameters())
        gate = props.gate
        report_key = self._scoped(gate.report_key)
        read_report = self._tasks.sdk(
            "ReadEvaluation",
            "s3:getObject",
            {"Bucket": gate.report_bucket.bucket_name, **report_key},
            result_path="$.evaluation",
            result_selector={"report.$": "States.StringToJson($.Body)"},
        )
        pattern = scoped_pattern(gate.report_key, props.run_scoped_prefixes)
        report_objects = gate.report_bucket.arn_for_objects(pattern or gate.report_key)
        grants.read_objects.append(report_objects)
        if pattern is not None:
            grants.run_scoped_objects.append(report_objects)
        grants.key(gate.report_bucket.encryption_key)
        self.register_state = self._register()
        after_gate = self._after_register()
        if props.baseline is not None:
            after_gate = self._baseline(props).next(after_gate)
        self.definition = (
            prepare.next(train).next(describe).next(evaluate).next(read_report).next(self._gate(after_gate))
        )

    # --- training -----------------------------------------------------------------------------

    def _job(
        self, name: str, kind: str, parameters: dict[str, Any], *, on_error: sfn.IChainable | None = None
    ) -> sfn.CustomState:
        self._grants.job_kinds.add(kind)
        return self._tasks.job(name, kind, scope_to_run(parameters, self._props.run_scoped_prefixes), on_error=on_error)

    def _scoped(self, key: str, field: str = "Key") -> dict[str, str]:
        """``{field: key}``, or ``{field.$: expression}`` when ``key`` is under a run-scoped prefix."""
        expression = scoped_expression(key, self._props.run_scoped_prefixes)
        return {field: key} if expression is None else {f"{field}.$": expression}

    def _train(self) -> tuple[sfn.IChainable, str]:
        """The training (or tuning) states and the expression naming the training job that made the model."""
        p, spec = self._props.name_prefix, self._props.train
        if isinstance(spec, TuningJobSpec):
            self._grants.job_kinds.add("TrainingJob")  # SageMaker names the tuning's jobs after it
            tune = self._job(
                "Tune",
                "HyperParameterTuningJob",
                spec.to_state_machine_parameters(f"{p}-tune"),
            )
            best = self._tasks.sdk(
                "BestTrainingJob",
                "sagemaker:describeHyperParameterTuningJob",
                {"HyperParameterTuningJobName.$": run_time_job_name(f"{p}-tune", short=True)},
                result_path="$.tuning",
                result_selector={"BestTrainingJobName.$": "$.BestTrainingJob.TrainingJobName"},
            )
            return tune.next(best), "$.tuning.BestTrainingJobName"
        train = self._job("Train", "TrainingJob", spec.to_state_machine_parameters(f"{p}-train"))
        return train, run_time_job_name(f"{p}-train")

    def _evaluate_parameters(self) -> dict[str, Any]:
        parameters = self._props.evaluate.to_state_machine_parameters(f"{self._props.name_prefix}-eval")
        model_input = {
            "InputName": "model",
            "S3Input": {
                "S3Uri.$": "$.model.ModelDataUrl",
                "LocalPath": MODEL_INPUT,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            },
        }
        parameters["ProcessingInputs"] = [*parameters.get("ProcessingInputs", []), model_input]
        return parameters

    def _baseline(self, props: MlPipelineProps) -> sfn.CustomState:
        """The Model Monitor analyzer over this run's training features, written where the schedule reads."""
        baseline = props.baseline
        assert baseline is not None
        image = ModelImage.from_builtin("model-monitor").bind(Construct(self._scope, "BaselineImage"), baseline.role)
        self._grants.pass_role(baseline.role.role_arn)
        spec = baseline.spec(image.image_uri)
        return self._job("Baseline", "ProcessingJob", spec.to_state_machine_parameters(f"{props.name_prefix}-base"))

    # --- gate and registry --------------------------------------------------------------------

    def _gate(self, passed: sfn.IChainable) -> sfn.Choice:
        gate, scope = self._props.gate, self._scope
        path = f"$.evaluation.report.{gate.metric}"
        reaches = (
            sfn.Condition.number_greater_than_equals(path, gate.threshold)
            if gate.higher_is_better
            else sfn.Condition.number_less_than_equals(path, gate.threshold)
        )
        below = sfn.Fail(
            scope, "BelowThreshold", error="QualityGateFailed", cause=f"{gate.metric} did not reach {gate.threshold}"
        )
        return (
            sfn.Choice(scope, "QualityGate")
            .when(sfn.Condition.and_(sfn.Condition.is_present(path), sfn.Condition.is_numeric(path), reaches), passed)
            .otherwise(below)
        )

    def _register(self) -> sfn.CustomState:
        props = self._props
        report = self._scoped(props.gate.report_bucket.s3_url_for_object(props.gate.report_key), "S3Uri")
        return self._tasks.sdk(
            "RegisterModel",
            "sagemaker:createModelPackage",
            {
                "ModelPackageGroupName": props.resolved_model_package_group_name,
                "ModelApprovalStatus": props.approval_status,
                "ModelPackageDescription.$": "States.Format('Trained by {}', $.model.TrainingJobName)",
                "InferenceSpecification": {
                    "Containers": [{"Image": props.inference_image_uri, "ModelDataUrl.$": "$.model.ModelDataUrl"}],
                    "SupportedContentTypes": _CONTENT_TYPES,
                    "SupportedResponseMIMETypes": _CONTENT_TYPES,
                },
                "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json", **report}}},
            },
            result_path="$.registration",
        )

    def _after_register(self) -> sfn.IChainable:
        deploy, scope = self._props.deploy, self._scope
        if deploy is None:
            return self.register_state.next(sfn.Succeed(scope, "Registered"))
        return self.register_state.next(self._create_model(deploy)).next(self._transform(deploy))

    # --- batch transform ----------------------------------------------------------------------

    def _create_model(self, deploy: BatchTransform) -> sfn.CustomState:
        props, grants = self._props, self._grants
        role = deploy.model_role
        grants.pass_role(role.role_arn)
        grants.creates_models = True
        network = (
            props.train.training.security.network
            if isinstance(props.train, TuningJobSpec)
            else props.train.security.network
        )
        return self._tasks.task(
            "CreateModel",
            "sagemaker:createModel",
            {
                "ModelName.$": self._model_name,
                "ExecutionRoleArn": role.role_arn,
                "PrimaryContainer": {"Image": props.inference_image_uri, "ModelDataUrl.$": "$.model.ModelDataUrl"},
                "VpcConfig": network.render(),
                "EnableNetworkIsolation": True,
            },
            result_path="$.transform.model",
            result_selector={"Arn.$": "$.ModelArn"},
        )

    def _transform(self, deploy: BatchTransform) -> sfn.IChainable:
        """Transform, then delete the model the run created, also when the job failed."""
        parameters = deploy.spec.to_state_machine_parameters(f"{self._props.name_prefix}-score")
        del parameters["ModelName"]
        parameters["ModelName.$"] = self._model_name
        self._grants.key(deploy.spec.key, for_resources=True)
        self._grants.deletes_models = True
        delete = {"ModelName.$": self._model_name}
        # The job's error stays at $.error for the notice; a failed clean-up keeps its own error apart.
        cleanup_after_failure = self._tasks.task(
            "DeleteModelAfterFailure",
            "sagemaker:deleteModel",
            delete,
            result_path="$.transform.deleted",
            error_path="$.transform.cleanupError",
        ).next(self._notify)
        transform = self._job("Transform", "TransformJob", parameters, on_error=cleanup_after_failure)
        cleanup = self._tasks.task("DeleteModel", "sagemaker:deleteModel", delete, result_path="$.transform.deleted")
        return transform.next(cleanup).next(sfn.Succeed(self._scope, "Scored"))
