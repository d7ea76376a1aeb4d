"""The Flask app behind nginx -> gunicorn: ``gunicorn -k gevent flask_app:app``.

Like every baseline it predicts with our codecs and model wrapper, so the benchmark compares
serving stacks, not CSV parsers.
"""

import os
from pathlib import Path

import flask
from sm_inference import codecs
from sm_inference.model import Model

MODEL = Model.load(Path(os.environ["SM_MODEL_DIR"]), threads=1)
app = flask.Flask(__name__)


@app.get("/ping")
def ping() -> flask.Response:
    """Health check."""
    return flask.Response(b'{"status":"Healthy"}', mimetype="application/json")


@app.post("/invocations")
def invocations() -> flask.Response:
    """CSV rows in, one CSV line per prediction out."""
    rows = codecs.decode_csv(flask.request.get_data(), MODEL.num_features)
    return flask.Response(codecs.encode_csv(MODEL.predict(rows)), mimetype="text/csv")
