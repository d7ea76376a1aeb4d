"""The data plane moto does not have: jobs run in their images, endpoints served in theirs, both on emulated S3."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tools.rehearsal.emulator import Account
from tools.rehearsal.images import BuiltImage
from tools.rehearsal.interpreter import patched

_THREADS = {"OMP_NUM_THREADS": "1", "SM_NUM_CPUS": "1"}


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def download(s3: Any, uri: str, target: Path) -> Path:
    """Every object under ``uri`` (a prefix or one key) into ``target``, keeping the keys' relative paths."""
    bucket, prefix = split_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    objects = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
               for o in page.get("Contents", [])]  # fmt: skip
    for key in objects:
        relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return target


def upload(s3: Any, source: Path, uri: str) -> int:
    """Every file under ``source`` to ``uri`` (a prefix); returns how many."""
    bucket, prefix = split_uri(uri)
    prefix = prefix if prefix.endswith("/") or not prefix else prefix + "/"
    count = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, prefix + path.relative_to(source).as_posix())
        count += 1
    return count


class Images:
    """Image URIs of the deployment -> the images built here (CDK asset images are tagged with their hash)."""

    def __init__(self, built: dict[str, BuiltImage]) -> None:
        self.built = built

    def local(self, uri: str) -> str | None:
        tag = uri.rsplit(":", 1)[-1] if "@" not in uri else None
        image = self.built.get(tag or "")
        return image.tag if image else None


@dataclass
class JobRunner:
    """Runs the training and processing jobs a pipeline creates in moto, in their images, to the end."""

    s3: Any
    images: Images
    runner: Any
    note: Callable[[str], None]
    work: Path
    ran: list[str]

    @contextmanager
    def installed(self) -> Iterator[None]:
        from moto.sagemaker.responses import SageMakerResponse

        runner = self

        def wrap(original: Callable[[Any], Any], run: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
            def create(response: Any) -> Any:
                result = original(response)  # the job exists in moto (and the request was valid for it) first
                run(response._get_params())
                return result

            return create

        with ExitStack() as stack:
            for name, run in (("create_training_job", runner.training), ("create_processing_job", runner.processing)):
                stack.enter_context(patched(SageMakerResponse, name, wrap(getattr(SageMakerResponse, name), run)))
            yield

    def _image(self, uri: str, job: str) -> str | None:
        local = self.images.local(uri)
        if local is None:
            self.ran.append(f"{job}: not run here (image {uri.split('/', 1)[-1]} is AWS's, not built by this app)")
        return local

    def training(self, request: dict[str, Any]) -> None:
        from sagemaker_platform.local import Container, run_training, training_job_from_request

        name = request["TrainingJobName"]
        image = self._image(request["AlgorithmSpecification"]["TrainingImage"], name)
        if image is None:
            return
        work = self.work / name
        data = {c["DataSource"]["S3DataSource"]["S3Uri"]: download(self.s3, c["DataSource"]["S3DataSource"]["S3Uri"],
                                                                  work / "in" / c["ChannelName"])
                for c in request.get("InputDataConfig", [])}  # fmt: skip
        job = training_job_from_request(request, container=Container(image=image), data=data)
        job = replace(job, environment={**job.environment, **_THREADS})
        started = time.monotonic()
        result = run_training(job, self.runner, output=work / "out").check()
        assert result.model is not None
        artifact = f"{request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/output/model.tar.gz"
        bucket, key = split_uri(artifact)
        self.s3.upload_file(str(result.model), bucket, key)
        self.ran.append(f"{name}: trained in {time.monotonic() - started:.1f}s in its image, model at {artifact}")

    def processing(self, request: dict[str, Any]) -> None:
        from sagemaker_platform.local import Container, processing_job_from_request, run_processing

        name = request["ProcessingJobName"]
        image = self._image(request["AppSpecification"]["ImageUri"], name)
        if image is None:
            return
        work = self.work / name
        data: dict[str, Path] = {}
        for entry in request.get("ProcessingInputs", []):
            uri = entry["S3Input"]["S3Uri"]
            data[uri] = download(self.s3, uri, work / "in" / entry["InputName"])
        outputs = request.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for entry in outputs:
            data[entry["S3Output"]["S3Uri"]] = work / "out" / entry["OutputName"]
        job = processing_job_from_request(request, container=Container(image=image), data=data)
        job = replace(job, environment={**job.environment, **_THREADS})
        started = time.monotonic()
        run_processing(job, self.runner, output=work / "log").check()
        files = sum(upload(self.s3, work / "out" / e["OutputName"], e["S3Output"]["S3Uri"]) for e in outputs
                    if (work / "out" / e["OutputName"]).is_dir())  # fmt: skip
        self.ran.append(f"{name}: ran in {time.monotonic() - started:.1f}s in its image, {files} output files")


class RuntimeAdapter:
    """A ``sagemaker-runtime`` client for the smoke test: serves what the deployed endpoint points at."""

    def __init__(self, account: Account, images: Images, runner: Any, work: Path, note: Callable[[str], None]) -> None:
        self.sm, self.s3 = account.client("sagemaker"), account.client("s3")
        self.images, self.runner, self.work, self.note = images, runner, work, note
        self.served: dict[tuple[str, str], Any] = {}
        self.seen: list[str] = []

    def container(self, model_name: str) -> dict[str, Any]:
        """The model's container, or its model package's (image and ModelDataUrl)."""
        model = self.sm.describe_model(ModelName=model_name)
        container: dict[str, Any] = model.get("PrimaryContainer") or model["Containers"][0]
        if "ModelPackageName" in container:
            package = self.sm.describe_model_package(ModelPackageName=container["ModelPackageName"])
            return {
                **package["InferenceSpecification"]["Containers"][0],
                "ModelPackageName": container["ModelPackageName"],
            }
        return container

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        from sagemaker_platform.local import Container, ServingJob, serve

        endpoint = self.sm.describe_endpoint(EndpointName=request["EndpointName"])
        config = self.sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        variants = config["ProductionVariants"]
        target = request.get("TargetVariant")
        (variant,) = [v for v in variants if v["VariantName"] == target] if target else [
            max(variants, key=lambda v: v.get("InitialVariantWeight", 1))
        ]  # fmt: skip
        container = self.container(variant["ModelName"])
        key = (container["Image"], container["ModelDataUrl"])
        if key not in self.served:
            image = self.images.local(container["Image"])
            if image is None:
                raise RuntimeError(f"{container['Image']} was not built by this app")
            bucket, object_key = split_uri(container["ModelDataUrl"])
            path = self.work / f"model-{len(self.served)}.tar.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(bucket, object_key, str(path))  # fails if the deployment did not put it there
            job = ServingJob(name=f"smoke-{len(self.served)}", container=Container(image=image), model=path,
                             environment={"SAGEMAKER_MODEL_SERVER_WORKERS": "1", **_THREADS})  # fmt: skip
            self.served[key] = serve(job, self.runner)
        what = container.get("ModelPackageName") or container["ModelDataUrl"]
        self.seen.append(f"{request['EndpointName']}/{variant['VariantName']} -> {what}")
        answer = self.served[key].invoke(request["Body"], request["ContentType"], request.get("Accept"))
        if answer.status != 200:
            raise RuntimeError(f"the model answered {answer.status}: {answer.body[:200]!r}")
        return {"Body": io.BytesIO(answer.body), "ContentType": answer.content_type,
                "InvokedProductionVariant": variant["VariantName"]}  # fmt: skip

    def close(self) -> None:
        for endpoint in self.served.values():
            endpoint.stop()
        self.served.clear()
