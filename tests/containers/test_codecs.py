"""Request decoding and response encoding, in process (fast, so fuzzed harder than the server)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sm_inference import codecs
from sm_inference.errors import BadRequest, NotAcceptable, ServingError, UnsupportedMediaType


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_csv_single_row_batch_and_missing_values() -> None:
    np.testing.assert_array_equal(codecs.decode_csv(b"1,2.5,-3e2\n", 3), [[1, 2.5, -300]])
    batch = codecs.decode_csv(b"1,2,3\r\n4,5,6\r\n", 3)
    assert batch.dtype == np.float32 and batch.flags.c_contiguous
    np.testing.assert_array_equal(batch, [[1, 2, 3], [4, 5, 6]])
    missing = codecs.decode_csv(b"1,,3\n4,5, \n", 3)
    assert np.isnan(missing[0, 1]) and np.isnan(missing[1, 2])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the request body is empty"),
        (b" \n\n", "the request body is empty"),
        (b"1,2", "line 1 has 2 fields, expected 3 features"),
        (b"1,2,3,4", "send the features only, without the label"),
        # 2 + 4 fields: the comma total fits 2 rows of 3, the per-line check must catch it.
        (b"1,2\n3,4,5,6", "line 1 has 2 fields"),
        (b"1,2,x\n", "line 1, field 3: 'x' is not a number"),
        (b"f1,f2,f3\n1,2,3\n", "line 1, field 1: 'f1' is not a number"),
        (b"\xff\xfe\x00,1,2", "not UTF-8"),
    ],
)
def test_fails_on_bad_csv(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        codecs.decode_csv(body, 3)
    assert message in caught.value.message


def test_json_shapes() -> None:
    expected = [[1, 2, 3]]
    for doc in ([1, 2, 3], [[1, 2, 3]], {"instances": [[1, 2, 3]]}, {"instances": [{"features": [1, 2, 3]}]}):
        np.testing.assert_array_equal(codecs.decode_json(json.dumps(doc).encode(), 3), expected)
    np.testing.assert_array_equal(codecs.decode_json(b'{"features": [1, 2, 3]}', 3), expected)
    assert codecs.decode_json(b"[[1,2,3],[4,5,6]]", 3).shape == (2, 3)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"rows": []}', b"[]", b'"text"', b"[[1,2,3],[4,5]]", b'[1,"a",3]', b"[[[1,2,3]]]", b"[1e999999]x"],
)
def test_fails_on_bad_json(body: bytes) -> None:
    with pytest.raises(BadRequest):
        codecs.decode_json(body, 3)


def test_npy_round_trip_and_dtypes() -> None:
    floats = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.testing.assert_array_equal(codecs.decode_npy(_npy(floats), 3), floats)
    np.testing.assert_array_equal(codecs.decode_npy(_npy(np.asfortranarray(floats)), 3), floats)
    np.testing.assert_array_equal(codecs.decode_npy(_npy(np.array([1, 0, 1], dtype=bool)), 3), [[1, 0, 1]])
    np.testing.assert_array_equal(codecs.decode_npy(_npy(np.array([1, 2, 3], dtype=np.int16)), 3), [[1, 2, 3]])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_npy(np.array([{"a": 1}, 2, 3], dtype=object)), "not a plain numeric type"),  # would need unpickling
        (_npy(np.array([1 + 2j, 2, 3])), "not a plain numeric type"),
        (_npy(np.zeros(3, dtype=[("a", "f4"), ("b", "f4")])), "not a plain numeric type"),
        (_npy(np.zeros(3))[:-8], "body length does not match"),
        (_npy(np.zeros(3)) + b"trailing", "body length does not match"),
        (_npy(np.zeros((2, 2, 3))), "got 3 dimensions"),
        (b"PK\x03\x04 an npz archive", "missing the \\x93NUMPY magic"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': garbage", "malformed .npy header"),
    ],
)
def test_fails_on_bad_npy(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        codecs.decode_npy(body, 3)
    assert message in caught.value.message


def test_npy_with_a_huge_declared_shape_is_refused_before_allocation() -> None:
    forged = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**13, 3)}
    np.lib.format.write_array_header_1_0(forged, header)  # 240 TB declared...
    with pytest.raises(BadRequest, match="body length does not match"):
        codecs.decode_npy(forged.getvalue() + bytes(24), 3)  # ...24 bytes sent


def test_content_negotiation() -> None:
    assert codecs.media_type(None) == codecs.CSV
    assert codecs.media_type("text/csv; charset=utf-8") == codecs.CSV
    assert codecs.media_type("Application/JSON") == codecs.JSON
    with pytest.raises(UnsupportedMediaType):
        codecs.media_type("application/x-recordio-protobuf")
    assert codecs.negotiate(None, codecs.NPY) == codecs.NPY
    assert codecs.negotiate("*/*", codecs.JSON) == codecs.JSON
    assert codecs.negotiate("application/json;q=0.4, text/csv;q=0.9", codecs.NPY) == codecs.CSV
    assert codecs.negotiate("image/png, application/*", codecs.CSV) == codecs.JSON
    assert codecs.negotiate("text/*", codecs.NPY) == codecs.CSV
    with pytest.raises(NotAcceptable):
        codecs.negotiate("image/png, text/csv;q=0", codecs.CSV)


def test_encoders() -> None:
    predictions = np.array([0.1, 0.25, 1 / 3], dtype=np.float32)
    lines = codecs.encode_csv(predictions).decode().splitlines()
    np.testing.assert_array_equal(np.array(lines, dtype=np.float32), predictions)  # exact float32 round trip
    assert codecs.encode_csv(np.array([[0.5, 0.5]], dtype=np.float32)) == b"0.5,0.5\n"
    doc = json.loads(codecs.encode_json(predictions))
    np.testing.assert_array_equal(np.array(doc["predictions"], dtype=np.float32), predictions)
    loaded = np.load(io.BytesIO(codecs.encode_npy(predictions)), allow_pickle=False)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, predictions)


@settings(max_examples=300, deadline=None, database=None)
@given(
    hnp.arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 8)), elements=st.floats(-1e6, 1e6, width=32))
)
def test_csv_fast_and_slow_paths_agree_with_the_data(matrix: np.ndarray) -> None:
    body = "\n".join(",".join(f"{v:.9g}" for v in row) for row in matrix.tolist()).encode()
    np.testing.assert_array_equal(codecs.decode_csv(body, matrix.shape[1]), matrix)
    # A trailing empty field per row forces the slow path, which must read the same numbers.
    slow = codecs.decode_csv(body.replace(b"\n", b",\n") + b",", matrix.shape[1] + 1)
    np.testing.assert_array_equal(slow[:, :-1], matrix)
    assert np.isnan(slow[:, -1]).all()


NPY_PREFIXES = st.sampled_from([b"", b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"\x93NUMPY\x01\x00v\x00{'descr'"])
TEXTY = st.text(alphabet='0123456789.,-+eE \nnaif[]{}":x', max_size=200).map(str.encode)


@settings(max_examples=1500, deadline=None, database=None)
@given(NPY_PREFIXES, st.one_of(st.binary(max_size=300), TEXTY), st.sampled_from([codecs.CSV, codecs.JSON, codecs.NPY]))
def test_decoders_only_raise_typed_errors(prefix: bytes, rest: bytes, media: str) -> None:
    body = prefix + rest
    try:
        rows = codecs.DECODERS[media](body, 3)
    except ServingError as exc:
        assert 400 <= exc.status < 500
    else:
        assert rows.shape[1] == 3 and rows.dtype == np.float32
