"""Server start-up, graceful drain on SIGTERM, and the multi-model endpoint contract."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from container_helpers import Server

# Runs the containers' entrypoints or tools as processes (see the 'slow' marker in pyproject.toml).
pytestmark = pytest.mark.slow

ROW = ",".join(["0.5"] * 20).encode()


def _model_copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    model = next(source.glob("xgboost-model.*"))
    shutil.copy(model, target / model.name)
    return target


def test_sigterm_drains_in_flight_requests_and_exits_zero(tmp_path: Path, trained_model: Path) -> None:
    server = Server(tmp_path, workers=2, SM_MODEL_DIR=str(trained_model))
    server.wait_ready()
    idle = server.connection()
    idle.request("GET", "/ping")
    assert idle.getresponse().read() == b'{"status":"Healthy"}'
    busy = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % len(ROW)
    busy.sendall(head + ROW[:10])  # a request in flight: half of its body sent
    time.sleep(0.3)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert idle.sock is not None
    assert idle.sock.recv(1) == b""  # idle keep-alive connection closed by the server
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5)
    assert server.process.poll() is None  # still finishing the busy request
    busy.sendall(ROW[10:])
    answer = b""
    while chunk := busy.recv(65536):
        answer += chunk
    busy.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in answer
    assert float(answer.split(b"\r\n\r\n", 1)[1]) > 0
    assert server.process.wait(timeout=30) == 0, server.output()
    assert "stopped" in server.output()


def test_fails_to_start_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.pkl").write_bytes(b"\x80\x04pickle")
    server = Server(tmp_path, workers=2)
    assert server.process.wait(timeout=60) == 3
    assert "expected one XGBoost JSON/UBJ model" in server.output()


@pytest.fixture(scope="module")
def mme(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Any:
    base = tmp_path_factory.mktemp("mme")
    _model_copy(trained_model, base / "models" / "first" / "model")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 20)).astype(np.float32)
    second = xgb.train({"objective": "reg:squarederror", "max_depth": 2}, xgb.DMatrix(x, x[:, 0]), 5)
    (base / "models" / "second" / "model").mkdir(parents=True)
    second.save_model(str(base / "models" / "second" / "model" / "xgboost-model.ubj"))
    server = Server(base, workers=2, SAGEMAKER_MULTI_MODEL="true")
    server.wait_ready()
    yield server, xgb.Booster(model_file=str(next(trained_model.glob("xgboost-model.*")))), second
    assert server.stop() == 0, server.output()


def _load(server: Server, name: str, url: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"model_name": name, "url": url}).encode()
    status, _, answer = server.request("POST", "/models", body, {"Content-Type": "application/json"})
    return status, json.loads(answer)


def test_multi_model_contract(mme: Any) -> None:
    server, first, second = mme
    assert server.request("GET", "/ping")[0] == 200
    assert _load(server, "first", "/opt/ml/models/first/model") == (
        200,
        {"modelName": "first", "modelUrl": "/opt/ml/models/first/model"},
    )
    assert _load(server, "second", "/opt/ml/models/second/model")[0] == 200
    status, error = _load(server, "first", "/opt/ml/models/first/model")
    assert status == 409 and error["error"]["code"] == "Conflict"
    assert _load(server, "third", "/opt/ml/models/missing/model")[0] == 400

    status, _, body = server.request("GET", "/models")
    assert status == 200
    assert [m["modelName"] for m in json.loads(body)["models"]] == ["first", "second"]
    page = json.loads(server.request("GET", "/models?max_results=1")[2])
    assert [m["modelName"] for m in page["models"]] == ["first"]
    page = json.loads(server.request("GET", f"/models?max_results=1&next_page_token={page['nextPageToken']}")[2])
    assert [m["modelName"] for m in page["models"]] == ["second"] and "nextPageToken" not in page
    assert json.loads(server.request("GET", "/models/second")[2])["modelUrl"] == "/opt/ml/models/second/model"

    row = np.full((1, 20), 0.5, dtype=np.float32)
    # Fresh connections land on either worker: each must see models loaded through the other.
    for _ in range(6):
        for name, booster in (("first", first), ("second", second)):
            status, _, body = server.request("POST", f"/models/{name}/invoke", ROW, {"Content-Type": "text/csv"})
            assert status == 200, body
            assert np.float32(body.decode()) == booster.inplace_predict(row)[0]
    headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Target-Model": "second"}
    status, _, body = server.request("POST", "/invocations", ROW, headers)
    assert status == 200 and np.float32(body.decode()) == second.inplace_predict(row)[0]
    assert server.request("POST", "/invocations", ROW, {"Content-Type": "text/csv"})[0] == 400

    assert server.request("DELETE", "/models/first")[0] == 200
    assert server.request("DELETE", "/models/first")[0] == 404
    for _ in range(6):
        assert server.request("POST", "/models/first/invoke", ROW, {"Content-Type": "text/csv"})[0] == 404
    assert server.request("GET", "/models/first")[0] == 404
    assert _load(server, "first", "/opt/ml/models/first/model")[0] == 200  # loadable again
    assert server.request("POST", "/models/first/invoke", ROW, {"Content-Type": "text/csv"})[0] == 200
    assert server.request("PUT", "/models/first")[0] == 405


def test_registry_is_shared_between_workers(
    tmp_path: Path, trained_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Registry objects on one folder stand for two worker processes."""
    from sm_inference.errors import Conflict, NotFound
    from sm_inference.registry import Registry

    monkeypatch.setenv("SM_BASE_DIR", str(tmp_path))
    _model_copy(trained_model, tmp_path / "models" / "a" / "model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 20)).astype(np.float32)
    other = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(x, x[:, 1]), 3)
    (tmp_path / "models" / "b" / "model").mkdir(parents=True)
    other.save_model(str(tmp_path / "models" / "b" / "model" / "xgboost-model.json"))
    shared = tmp_path / "registry"
    shared.mkdir()
    one, two = Registry(shared, threads=1), Registry(shared, threads=1)

    one.load("m/1", "/opt/ml/models/a/model")  # opaque names may hold slashes
    with pytest.raises(Conflict):
        two.load("m/1", "/opt/ml/models/a/model")
    first = two.model("m/1")
    assert first.num_features == 20
    assert two.model("m/1") is first  # cached in the worker
    two.unload("m/1")
    with pytest.raises(NotFound):
        one.model("m/1")  # the other worker notices at once
    one.load("m/1", "/opt/ml/models/b/model")  # same name, different model
    np.testing.assert_array_equal(two.model("m/1").predict(x[:3]), other.inplace_predict(x[:3]))
    assert one.list(None, 10) == {"models": [{"modelName": "m/1", "modelUrl": "/opt/ml/models/b/model"}]}
