"""The user module of the SageMaker inference toolkit (``/opt/ml/model/code/inference.py``) on MMS.

The toolkit imports it in every MMS worker and calls ``model_fn`` once, then ``transform_fn`` per
request (after decoding text/csv bodies to ``str``). Same codecs and model wrapper as every baseline.
"""

from pathlib import Path

from sm_inference import codecs
from sm_inference.model import Model


def model_fn(model_dir: str) -> Model:
    """Load the booster with one thread, as each of our workers does."""
    return Model.load(Path(model_dir), threads=1)


def transform_fn(model: Model, input_data: str | bytes, content_type: str, accept: str) -> tuple[bytes, str]:
    """CSV rows in, one CSV line per prediction out."""
    body = input_data.encode() if isinstance(input_data, str) else bytes(input_data)
    rows = codecs.decode_csv(body, model.num_features)
    return codecs.encode_csv(model.predict(rows)), "text/csv"
