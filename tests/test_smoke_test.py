"""scripts/smoke_test.py without AWS: payloads, answer checks, and botocore's Stubber for the calls."""

from __future__ import annotations

import importlib.util
import io
import math
import sys
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tests.harness import REPO, run

# scripts/ is no package: load the script as the pipeline runs it, by path.
_spec = importlib.util.spec_from_file_location("smoke_test", REPO / "scripts" / "smoke_test.py")
assert _spec is not None and _spec.loader is not None
smoke_test = sys.modules.setdefault("smoke_test", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(smoke_test)

ENDPOINT = "DevServing-AbEndpoint-5CD3D703"


def _client(service: str) -> Any:
    return botocore.session.get_session().create_client(
        service, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _answer(body: bytes, content_type: str = "text/csv", variant: str = "champion") -> dict[str, Any]:
    return {
        "Body": StreamingBody(io.BytesIO(body), len(body)),
        "ContentType": content_type,
        "InvokedProductionVariant": variant,
    }


@pytest.fixture
def runtime() -> Iterator[tuple[Any, Stubber]]:
    client = _client("sagemaker-runtime")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_generated_payload_is_one_headerless_csv_row_of_the_asked_width() -> None:
    payload = smoke_test.build_payload(features=20)
    assert payload.endswith(b"\n") and payload.count(b"\n") == 1
    values = [float(v) for v in payload.decode().strip().split(",")]
    assert len(values) == 20 and all(-1 <= v <= 1 for v in values)
    assert payload == smoke_test.build_payload(features=20), "deterministic"


def test_given_row_is_sent_as_is() -> None:
    assert smoke_test.build_payload(row=[0.5, 2, -3.25]) == b"0.5,2.0,-3.25\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of features or row"),
        ({"features": 3, "row": [1.0]}, "exactly one of features or row"),
        ({"features": 0}, "features: got 0"),
        ({"row": []}, "row: got \\[\\]"),
        ({"row": [1.0, math.nan]}, "row: got \\[1.0, nan\\]"),
    ],
    ids=["neither", "both", "zero-width", "empty-row", "nan-in-row"],
)
def test_fails_bad_payload_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        smoke_test.build_payload(**kwargs)


def test_probability_answers_pass() -> None:
    assert smoke_test.check_answer(b"0.73\n", "text/csv") == [[0.73]]
    assert smoke_test.check_answer(b"0,1\n", "text/csv; charset=utf-8") == [[0.0, 1.0]]
    assert smoke_test.check_answer(b"42.5\n", "text/csv", probability=False) == [[42.5]]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"0.5\n", "application/json", "Content-Type: got 'application/json'"),
        (b"", "text/csv", "0 lines for 1 rows"),
        (b"0.1\n0.2\n", "text/csv", "2 lines for 1 rows"),
        (b"yes\n", "text/csv", "not numbers: 'yes'"),
        (b"nan\n", "text/csv", "non-finite number"),
        (b"1.5\n", "text/csv", "1.5 is not a probability"),
        (b"-0.01\n", "text/csv", "-0.01 is not a probability"),
        (b"\xff\xfe\n", "text/csv", "not UTF-8"),
    ],
    ids=["json", "empty", "too-many-lines", "word", "nan", "above-one", "negative", "binary"],
)
def test_fails_answers_that_are_not_a_probability(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(smoke_test.SmokeTestError, match=message):
        smoke_test.check_answer(body, content_type)


def test_invoke_sends_csv_to_the_variant_and_checks_the_answer(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    payload = smoke_test.build_payload(features=4)
    stubber.add_response(
        "invoke_endpoint",
        _answer(b"0.25\n"),
        {
            "EndpointName": ENDPOINT,
            "ContentType": "text/csv",
            "Accept": "text/csv",
            "Body": payload,
            "TargetVariant": "champion",
        },
    )
    answer = smoke_test.invoke(client, ENDPOINT, payload, target_variant="champion")
    assert (answer.values, answer.variant) == ([[0.25]], "champion")
    assert answer.millis >= 0


def test_fails_when_another_variant_answers(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_response("invoke_endpoint", _answer(b"0.25\n", variant="challenger"))
    with pytest.raises(smoke_test.SmokeTestError, match="asked for variant 'champion'; 'challenger' answered"):
        smoke_test.invoke(client, ENDPOINT, b"1.0\n", target_variant="champion")


def test_main_passes_on_a_probability(runtime: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]) -> None:
    client, stubber = runtime
    stubber.add_response("invoke_endpoint", _answer(b"0.9\n"))
    code = smoke_test.main(["--endpoint-name", ENDPOINT, "--region", "eu-west-1", "--features", "3"], runtime=client)
    assert code == 0
    assert (
        f"smoke test passed: endpoint {ENDPOINT} in eu-west-1, variant champion, answer [0.9]"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (lambda s: s.add_response("invoke_endpoint", _answer(b"7\n")), "7.0 is not a probability"),
        (
            lambda s: s.add_client_error(
                "invoke_endpoint", "ModelError", "Received client error (400) from primary", http_status_code=424
            ),
            "ModelError",
        ),
        (
            lambda s: s.add_client_error("invoke_endpoint", "ValidationError", f"Endpoint {ENDPOINT} not found."),
            "not found",
        ),
    ],
    ids=["regressor-answer", "model-error", "no-endpoint"],
)
def test_fails_main_with_exit_1_and_the_reason(
    runtime: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str], respond: Any, message: str
) -> None:
    client, stubber = runtime
    respond(stubber)
    code = smoke_test.main(["--endpoint-name", ENDPOINT, "--region", "eu-west-1"], runtime=client)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"smoke test FAILED: endpoint {ENDPOINT} in eu-west-1: ") and message in err


def test_any_number_accepts_a_regressor(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_response("invoke_endpoint", _answer(b"7\n"))
    args = ["--endpoint-name", ENDPOINT, "--region", "eu-west-1", "--row", "1,2", "--any-number"]
    assert smoke_test.main(args, runtime=client) == 0


def test_assumed_role_credentials_come_from_sts() -> None:
    sts = _client("sts")
    role = "arn:aws:iam::123456789012:role/sagemaker-platform-smoke-invoker-prod"
    with Stubber(sts) as stubber:
        stubber.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
                    "SecretAccessKey": "secret",
                    "SessionToken": "token",
                    "Expiration": "2026-11-23T12:00:00Z",
                }
            },
            {"RoleArn": role, "RoleSessionName": "smoke-test", "DurationSeconds": 900},
        )
        creds = smoke_test.assumed_credentials(sts, role)
        stubber.assert_no_pending_responses()
    assert creds == {
        "aws_access_key_id": "ASIAEXAMPLEEXAMPLE01",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--region", "eu-west-1"], "the following arguments are required: --endpoint-name"),
        (["--endpoint-name", "bad_name", "--region", "eu-west-1"], "--endpoint-name: got 'bad_name'"),
        (["--endpoint-name", ENDPOINT, "--region", "Ireland"], "--region: got 'Ireland'"),
        (["--endpoint-name", ENDPOINT, "--region", "eu-west-1", "--features", "0"], "--features: got 0"),
        (["--endpoint-name", ENDPOINT, "--region", "eu-west-1", "--row", "1,x"], "--row: got '1,x'"),
        (
            ["--endpoint-name", ENDPOINT, "--region", "eu-west-1", "--row", "1", "--features", "2"],
            "not allowed with argument",
        ),
    ],
    ids=["no-endpoint", "bad-endpoint-name", "bad-region", "zero-features", "bad-row", "row-and-features"],
)
def test_fails_bad_arguments_with_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        smoke_test.parse_args(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_script_runs_standalone_as_the_pipeline_calls_it() -> None:
    result = run(
        [sys.executable, str(REPO / "scripts" / "smoke_test.py"), "--endpoint-name", "x_y", "--region", "eu-west-1"]
    )
    assert result.returncode == 2 and "--endpoint-name: got 'x_y'" in result.stderr
    result = run([sys.executable, str(REPO / "scripts" / "smoke_test.py"), "--help"])
    assert result.returncode == 0 and "--role-arn" in result.stdout
