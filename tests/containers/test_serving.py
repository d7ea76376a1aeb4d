"""The ``serve`` entrypoint as a process on a loopback port: formats, errors, fuzzing, batching."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from container_helpers import Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow

CSV, JSON, NPY = "text/csv", "application/json", "application/x-npy"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("serve"), workers=2, SM_MODEL_DIR=str(trained_model))
    try:
        running.wait_ready()
        yield running
    finally:
        code = running.stop()
        assert code == 0, running.output()


@pytest.fixture(scope="module")
def booster(trained_model: Path) -> xgb.Booster:
    return xgb.Booster(model_file=str(next(trained_model.glob("xgboost-model.*"))))


@pytest.fixture(scope="module")
def rows(dataset: tuple[Any, Any]) -> np.ndarray:
    return np.asarray(dataset[0][:50], dtype=np.float32)


def _csv(rows: np.ndarray) -> bytes:
    return "\n".join(",".join(f"{v:.9g}" for v in row) for row in rows.tolist()).encode()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _decode(content_type: str, body: bytes) -> np.ndarray:
    if content_type == CSV:
        return np.array(body.decode().split(), dtype=np.float32)
    if content_type == JSON:
        return np.array(json.loads(body)["predictions"], dtype=np.float32)
    return np.load(io.BytesIO(body), allow_pickle=False)


def _healthy(server: Server) -> None:
    assert server.request("GET", "/ping")[0] == 200
    status, _, body = server.request("POST", "/invocations", b"0," * 19 + b"0", {"Content-Type": CSV})
    assert status == 200 and float(body) > 0


def test_ping(server: Server) -> None:
    status, headers, body = server.request("GET", "/ping")
    assert status == 200
    assert json.loads(body) == {"status": "Healthy"}
    assert headers["content-type"] == JSON


@pytest.mark.parametrize("request_type", [CSV, JSON, NPY])
@pytest.mark.parametrize("accept", [None, CSV, JSON, NPY])
def test_predictions_match_the_model_in_process(
    server: Server, booster: xgb.Booster, rows: np.ndarray, request_type: str, accept: str | None
) -> None:
    bodies = {CSV: _csv(rows), JSON: json.dumps(rows.tolist()).encode(), NPY: _npy(rows)}
    headers = {"Content-Type": request_type, **({"Accept": accept} if accept else {})}
    status, response_headers, body = server.request("POST", "/invocations", bodies[request_type], headers)
    assert status == 200, body
    assert response_headers["content-type"] == (accept or request_type)
    expected = booster.inplace_predict(rows)
    np.testing.assert_array_equal(_decode(accept or request_type, body), expected)


def test_single_row_forms(server: Server, booster: xgb.Booster, rows: np.ndarray) -> None:
    expected = booster.inplace_predict(rows[:1])
    for body, content_type in [
        (_csv(rows[:1]) + b"\n", CSV),
        (json.dumps(rows[0].tolist()).encode(), JSON),
        (json.dumps({"instances": [{"features": rows[0].tolist()}]}).encode(), JSON),
        (_npy(rows[0]), NPY),
    ]:
        status, _, answer = server.request("POST", "/invocations", body, {"Content-Type": content_type})
        assert status == 200, answer
        np.testing.assert_array_equal(_decode(content_type, answer), expected)


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"1,2,3", {"Content-Type": CSV}, 400, "line 1 has 3 fields, expected 20 features"),
        (b"[1, 2, 3]", {"Content-Type": JSON}, 400, "expected 20 features per row, got 3"),
        (b"1," * 20 + b"1", {"Content-Type": CSV}, 400, "without the label"),
        (b"1,2,abc" + b",1" * 17, {"Content-Type": CSV}, 400, "field 3: 'abc' is not a number"),
        (b"", {"Content-Type": CSV}, 400, "the request body is empty"),
        (b"\x00\xff\xfe\x93garbage", {"Content-Type": NPY}, 400, "NUMPY magic"),
        (b"{]", {"Content-Type": JSON}, 400, "not valid JSON"),
        (b"1,2", {"Content-Type": "application/x-recordio-protobuf"}, 415, "is not supported"),
        (b"1" + b",1" * 19, {"Content-Type": CSV, "Accept": "image/png"}, 406, "allows none"),
    ],
)
def test_bad_requests_get_typed_4xx_and_the_server_stays_healthy(
    server: Server, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    got, response_headers, answer = server.request("POST", "/invocations", body, headers)
    assert got == status
    assert response_headers["content-type"] == JSON
    error = json.loads(answer)["error"]
    assert code in error["message"]
    _healthy(server)


def test_oversized_body_gets_413(server: Server) -> None:
    body = (b"0," * 19 + b"0\n") * (7 * 1024 * 1024 // 40)  # ~7 MB, over the 6 MB limit
    status, headers, answer = server.request("POST", "/invocations", body, {"Content-Type": CSV}, timeout=30)
    assert status == 413
    assert headers.get("connection") == "close"
    assert json.loads(answer)["error"]["limit_bytes"] == 6 * 1024 * 1024
    _healthy(server)


def test_routes_and_methods(server: Server) -> None:
    assert server.request("GET", "/nothing")[0] == 404
    status, headers, _ = server.request("GET", "/invocations")
    assert status == 405 and headers["allow"] == "POST"
    assert server.request("GET", "/models")[0] == 404  # multi-model API is off here
    status, _, body = server.request("GET", "/execution-parameters")
    assert status == 200 and json.loads(body)["MaxPayloadInMB"] == 6


def test_malformed_http_gets_400(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GARBAGE / HTTP/9.9\r\n\x00\x01\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 ")
    _healthy(server)


def test_client_half_close_still_gets_its_answer(server: Server) -> None:
    body = b"0," * 19 + b"0"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n")
        sock.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert float(answer.split(b"\r\n\r\n", 1)[1]) > 0


def test_keep_alive_and_pipelining_keep_request_order(server: Server, booster: xgb.Booster, rows: np.ndarray) -> None:
    requests = b""
    for row in rows[:5]:
        body = _csv(row[None, :])
        requests += b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        requests += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    requests += b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(requests)  # all six at once, in one write
        data = b""
        while data.count(b"HTTP/1.1 200") < 6 or not data.endswith(b'{"status":"Healthy"}'):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK\r\n")[1:]]
    np.testing.assert_array_equal(
        np.array([float(b) for b in bodies[:5]], dtype=np.float32), booster.inplace_predict(rows[:5])
    )


def test_concurrent_mixed_requests_each_get_their_own_answer(
    server: Server, booster: xgb.Booster, rows: np.ndarray
) -> None:
    """Dynamic batching concatenates concurrent requests; each must get back its own rows."""
    errors: list[str] = []

    def client(worker: int) -> None:
        conn = server.connection()
        try:
            for i in range(30):
                start = (worker * 7 + i) % 45
                chunk = rows[start : start + 1 + i % 5]
                content_type = (CSV, JSON, NPY)[(worker + i) % 3]
                body = {CSV: _csv(chunk), JSON: json.dumps(chunk.tolist()).encode(), NPY: _npy(chunk)}[content_type]
                conn.request("POST", "/invocations", body=body, headers={"Content-Type": content_type})
                response = conn.getresponse()
                got = _decode(content_type, response.read())
                if response.status != 200 or not np.array_equal(got, booster.inplace_predict(chunk)):
                    errors.append(f"client {worker} request {i}: {response.status}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


BODIES = st.one_of(
    st.binary(max_size=400),
    st.text(alphabet="0123456789.,-e \n", max_size=400).map(str.encode),
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=25).map(
        lambda v: ",".join(map(str, v)).encode()
    ),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5), st.lists, max_leaves=30).map(
        lambda doc: json.dumps(doc).encode()
    ),
)


@settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, content_type=st.sampled_from([CSV, JSON, NPY, "text/plain", "", "text/csv; charset=x"]))
def test_fuzzed_bodies_never_get_5xx(server: Server, body: bytes, content_type: str) -> None:
    conn = _fuzz_connection(server)
    headers = {"Content-Type": content_type} if content_type else {}
    conn.request("POST", "/invocations", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status in (200, 400, 413, 415), (response.status, body[:100], content_type)
    if response.getheader("Connection") == "close":
        _CONNECTIONS.pop(server.port).close()


_CONNECTIONS: dict[int, Any] = {}


def _fuzz_connection(server: Server) -> Any:
    """Reuse one keep-alive connection across fuzz examples (as a real client would)."""
    if server.port not in _CONNECTIONS:
        _CONNECTIONS[server.port] = server.connection()
    return _CONNECTIONS[server.port]


def test_server_is_healthy_after_the_fuzz(server: Server) -> None:
    _healthy(server)
    assert "Traceback" not in server.output()


def test_sagemaker_sdk_serializers_as_a_real_client(server: Server, booster: xgb.Booster, rows: np.ndarray) -> None:
    """Request bodies built by the SageMaker SDK's own serializers, as a boto3/SDK client would send them."""
    serializers = pytest.importorskip("sagemaker.core.serializers", reason="sagemaker-core is a dev dependency")
    expected = booster.inplace_predict(rows)
    for serializer, data in (
        (serializers.CSVSerializer(), rows.tolist()),
        (serializers.JSONSerializer(), rows.tolist()),
        (serializers.NumpySerializer(), rows),
    ):
        body = serializer.serialize(data)
        body = body.encode() if isinstance(body, str) else body
        status, _headers, answer = server.request(
            "POST", "/invocations", body, {"Content-Type": serializer.CONTENT_TYPE, "Accept": NPY}
        )
        assert status == 200, (serializer.CONTENT_TYPE, answer[:200])
        np.testing.assert_allclose(_decode(NPY, answer).ravel(), expected, rtol=1e-6, err_msg=serializer.CONTENT_TYPE)
