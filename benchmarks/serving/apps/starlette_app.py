"""The Starlette app: ``uvicorn --loop uvloop --http httptools starlette_app:app``.

Predicts inline on the event loop (a thread pool only adds hand-offs for sub-millisecond work),
with our codecs and model wrapper, like every baseline.
"""

import os
from pathlib import Path

from sm_inference import codecs
from sm_inference.model import Model
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODEL = Model.load(Path(os.environ["SM_MODEL_DIR"]), threads=1)


async def ping(request: Request) -> Response:
    """Health check."""
    return Response(b'{"status":"Healthy"}', media_type="application/json")


async def invocations(request: Request) -> Response:
    """CSV rows in, one CSV line per prediction out."""
    rows = codecs.decode_csv(await request.body(), MODEL.num_features)
    return Response(codecs.encode_csv(MODEL.predict(rows)), media_type="text/csv")


app = Starlette(routes=[Route("/ping", ping), Route("/invocations", invocations, methods=["POST"])])
