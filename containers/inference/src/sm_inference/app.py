"""Routing and dynamic batching: requests that arrive together are predicted in one call.

Connections submit parsed requests; a callback scheduled with ``call_soon`` runs after every
socket that was readable in this loop iteration has been parsed, decodes the queued requests,
concatenates the rows that go to the same model into one matrix, predicts once, and splits the
result. Under concurrent load this pays XGBoost's fixed per-call cost once per batch instead of
once per request, and adds no waiting: nothing is held back for a batch to fill.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import numpy as np

from sm_inference import codecs
from sm_inference.contract import Settings
from sm_inference.errors import BadRequest, MethodNotAllowed, NotFound, ServingError
from sm_inference.model import Model
from sm_inference.protocol import JSON_TYPE, Request, Response, error_response
from sm_inference.registry import Registry

PING = Response(200, JSON_TYPE, b'{"status":"Healthy"}')
TARGET_HEADER = b"x-amzn-sagemaker-target-model"


@dataclass(slots=True)
class Job:
    """Decoded rows waiting for their model's batched prediction."""

    model: Model
    rows: np.ndarray
    accept: str


def _json(payload: Any, status: int = 200) -> Response:
    return Response(status, JSON_TYPE, json.dumps(payload, separators=(",", ":")).encode())


def _method(request: Request, *allowed: bytes) -> None:
    if request.method not in allowed:
        allow = ", ".join(m.decode() for m in allowed)
        raise MethodNotAllowed(
            f"{request.method.decode(errors='replace')} {request.path} is not allowed; use {allow}", allow=allow
        )


class App:
    """The request dispatcher of one worker."""

    def __init__(
        self, settings: Settings, model: Model | None, registry: Registry | None, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.settings = settings
        self.model = model
        self.registry = registry
        self.loop = loop
        self.queue: list[Request] = []
        self.scheduled = False

    def submit(self, request: Request) -> None:
        """Queue a request; the flush runs once this loop iteration's I/O is parsed."""
        self.queue.append(request)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Answer every queued request, predicting once per model."""
        queue, self.queue, self.scheduled = self.queue, [], False
        responses: list[Response | None] = [None] * len(queue)
        batches: dict[int, list[tuple[int, Job]]] = {}
        for index, request in enumerate(queue):
            if request.response is not None:
                responses[index] = request.response
                continue
            try:
                outcome = self.route(request)
            except ServingError as exc:
                outcome = error_response(exc)
            except Exception:  # one bad request must not take the worker down
                outcome = self._internal_error()
            if isinstance(outcome, Job):
                batches.setdefault(id(outcome.model), []).append((index, outcome))
            else:
                responses[index] = outcome
        for jobs in batches.values():
            self._predict(jobs, responses)
        for request, response in zip(queue, responses, strict=True):
            request.conn.send(request, response or self._internal_error())

    def _internal_error(self) -> Response:
        traceback.print_exc(file=sys.stderr)
        return _json(
            {"error": {"code": "InternalServerError", "message": "the server failed; see the endpoint's logs"}}, 500
        )

    def _predict(self, jobs: list[tuple[int, Job]], responses: list[Response | None]) -> None:
        model = jobs[0][1].model
        rows = jobs[0][1].rows if len(jobs) == 1 else np.concatenate([j.rows for _, j in jobs])
        try:
            predictions = model.predict(rows)
        except Exception:
            if len(jobs) > 1:  # find the one request that breaks the batch; answer the others
                for item in jobs:
                    self._predict([item], responses)
                return
            responses[jobs[0][0]] = self._internal_error()
            return
        start = 0
        for index, job in jobs:
            end = start + job.rows.shape[0]
            body = codecs.ENCODERS[job.accept](predictions[start:end])
            responses[index] = Response(200, job.accept, body)
            start = end

    # routes ------------------------------------------------------------------------------
    def route(self, request: Request) -> Response | Job:
        """Map a request to an immediate response or a prediction job."""
        path = request.path
        if path == "/invocations":
            _method(request, b"POST")
            return self._job(self._invocation_model(request), request)
        if path == "/ping":
            _method(request, b"GET")
            return PING
        if path == "/execution-parameters":
            _method(request, b"GET")
            return _json(
                {
                    "MaxConcurrentTransforms": self.settings.max_concurrent_transforms,
                    "BatchStrategy": self.settings.batch_strategy,
                    "MaxPayloadInMB": self.settings.max_payload_bytes >> 20,
                }
            )
        if path == "/models" or path.startswith("/models/"):
            if self.registry is None:
                raise NotFound("the multi-model API is off; start the server with SAGEMAKER_MULTI_MODEL=true")
            return self._models(request, self.registry)
        raise NotFound(f"no route for {path[:100]}; use POST /invocations or GET /ping")

    def _invocation_model(self, request: Request) -> Model:
        if self.model is not None:
            return self.model
        assert self.registry is not None
        target = request.headers.get(TARGET_HEADER)
        if not target:
            raise BadRequest(
                "this is a multi-model endpoint: POST /models/<name>/invoke, or send "
                "the X-Amzn-SageMaker-Target-Model header"
            )
        return self.registry.model(target)

    @staticmethod
    def _job(model: Model, request: Request) -> Job:
        request_type = codecs.media_type(request.headers.get(b"content-type"))
        accept = codecs.negotiate(request.headers.get(b"accept"), request_type)
        rows = codecs.DECODERS[request_type](request.body, model.num_features)
        return Job(model, rows, accept)

    def _models(self, request: Request, registry: Registry) -> Response | Job:
        """The multi-model endpoint contract: list, load, get, unload, invoke."""
        parts = request.path.split("/")  # ['', 'models', name?, 'invoke'?]
        if len(parts) == 2:
            _method(request, b"GET", b"POST")
            if request.method == b"GET":
                query = parse_qs(request.query)
                token = query.get("next_page_token", [None])[0]
                limit = query.get("max_results", ["100"])[0]
                return _json(registry.list(token, int(limit) if limit.isdigit() else 100))
            try:
                doc = json.loads(request.body or b"null")
            except ValueError:
                raise BadRequest('LoadModel needs a JSON body {"model_name": ..., "url": ...}') from None
            if not (
                isinstance(doc, dict) and isinstance(doc.get("model_name"), str) and isinstance(doc.get("url"), str)
            ):
                raise BadRequest('LoadModel needs a JSON body {"model_name": ..., "url": ...}')
            return _json(registry.load(doc["model_name"], doc["url"]))
        name = unquote(parts[2])
        if len(parts) == 3:
            _method(request, b"GET", b"DELETE")
            if request.method == b"GET":
                return _json(registry.get(name))
            registry.unload(name)
            return _json({"modelName": name, "status": "Unloaded"})
        if len(parts) == 4 and parts[3] == "invoke":
            _method(request, b"POST")
            return self._job(registry.model(name), request)
        raise NotFound(f"no route for {request.path[:100]}")
