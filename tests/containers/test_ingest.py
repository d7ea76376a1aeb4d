"""``process ingest``: a prepared dataset into a feature group with PutRecord, retried and reported.

What is real and what is fake, plainly:
- DescribeFeatureGroup runs against moto's SageMaker mock (moto 5.2.5 implements CreateFeatureGroup
  and DescribeFeatureGroup).
- moto has no ``sagemaker-featurestore-runtime`` mock at all, so PutRecord runs against a local fake,
  ``FakeFeatureStoreRuntime`` below. It hooks a real boto3 client at ``before-call``: by then botocore
  has validated our parameters against the real service model and serialized them to the wire
  request (``PUT /FeatureGroup/<name>`` with a JSON body), which is what the fake reads and answers,
  with the service's error shape for throttling and validation errors.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.config import Config
from moto import mock_aws
from sm_processing import cli, ingest

REGION = "eu-west-1"
FEATURES = [
    {"FeatureName": "customer_id", "FeatureType": "String"},
    {"FeatureName": "event_time", "FeatureType": "String"},
    {"FeatureName": "orders_30d", "FeatureType": "Integral"},
    {"FeatureName": "spend_30d", "FeatureType": "Fractional"},
]
SCHEMA = ingest.GroupSchema(
    "customers", "customer_id", "event_time", {f["FeatureName"]: f["FeatureType"] for f in FEATURES}
)


class _HttpResponse:
    def __init__(self, status: int) -> None:
        self.status_code, self.headers, self.content = status, {}, b""


class FakeFeatureStoreRuntime:
    """PutRecord as the service answers it: stores records, throttles and rejects on request."""

    def __init__(self, schema: ingest.GroupSchema) -> None:
        self.schema = schema
        self.records: dict[str, dict[str, str]] = {}
        self.requests: list[dict[str, Any]] = []
        #: record identifier -> how many more calls to throttle
        self.throttle: dict[str, int] = {}
        #: record identifier -> error code returned on every call
        self.fail: dict[str, str] = {}
        self._lock = threading.Lock()

    def client(self) -> Any:
        runtime = boto3.client(
            "sagemaker-featurestore-runtime",
            region_name=REGION,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        runtime.meta.events.register("before-call.sagemaker-featurestore-runtime.PutRecord", self._put_record)
        return runtime

    def _put_record(self, params: dict[str, Any], **_: Any) -> tuple[_HttpResponse, dict[str, Any]]:
        assert params["method"] == "PUT"
        group = params["url_path"].removeprefix("/FeatureGroup/")
        body = json.loads(params["body"])
        values = {f["FeatureName"]: f["ValueAsString"] for f in body["Record"]}
        record_id = values.get(self.schema.record_identifier, "")
        with self._lock:
            self.requests.append({"group": group, **body})
            if group != self.schema.name:
                return self._error(404, "ResourceNotFound", f"Resource Not Found: FeatureGroup {group}")
            if record_id in self.fail:
                return self._error(400, self.fail[record_id], f"{record_id} rejected")
            if self.throttle.get(record_id, 0) > 0:
                self.throttle[record_id] -= 1
                return self._error(400, "ThrottlingException", "Rate exceeded")
            unknown = sorted(set(values) - set(self.schema.types))
            if unknown:
                return self._error(400, "ValidationError", f"Unknown features {unknown}")
            self.records[record_id] = values
        return _HttpResponse(200), {"ResponseMetadata": {"HTTPStatusCode": 200}}

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[_HttpResponse, dict[str, Any]]:
        return _HttpResponse(status), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """Fake credentials, no AWS config files, and moto's SageMaker holding the ``customers`` group."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ):
            patch.setenv(name, value)
        with mock_aws():
            boto3.client("sagemaker", region_name=REGION).create_feature_group(
                FeatureGroupName="customers",
                RecordIdentifierFeatureName="customer_id",
                EventTimeFeatureName="event_time",
                FeatureDefinitions=FEATURES,
                OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://data/feature-store/customers"}},
                RoleArn="arn:aws:iam::123456789012:role/feature-store",
            )
            yield


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> FakeFeatureStoreRuntime:
    runtime = FakeFeatureStoreRuntime(SCHEMA)
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    monkeypatch.setattr(ingest, "make_clients", lambda region: (sagemaker, runtime.client()))
    monkeypatch.setattr(ingest, "SLEEP", lambda seconds: None)  # backoff without waiting
    return runtime


def _csv(base: Path, text: str, name: str = "part-0.csv") -> Path:
    path = base / "processing/input/features" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _report(base: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((base / "processing/output/report/ingest-report.json").read_text())
    return report


def _ingest(base: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("SM_BASE_DIR", str(base))
    return cli.main(["ingest", "--feature-group-name", "customers", "--batch-size", "2", "--workers", "3", *extra])


GOOD_CSV = (
    "customer_id,event_time,orders_30d,spend_30d,segment\n"
    "c-1,2024-05-01T12:00:00Z,3,19.5,gold\n"
    "c-2,2024-05-01T12:00:00.250Z,,0.1,\n"
    "c-3,2024-05-01T12:00:00Z,0,,silver\n"
)


def test_puts_every_row_in_the_put_record_wire_shape(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(base_dir, GOOD_CSV)
    assert _ingest(base_dir, monkeypatch) == 0
    assert fake.records == {
        "c-1": {"customer_id": "c-1", "event_time": "2024-05-01T12:00:00Z", "orders_30d": "3", "spend_30d": "19.5"},
        # Missing values are left out of the record, not sent as empty strings.
        "c-2": {"customer_id": "c-2", "event_time": "2024-05-01T12:00:00.250Z", "spend_30d": "0.1"},
        "c-3": {"customer_id": "c-3", "event_time": "2024-05-01T12:00:00Z", "orders_30d": "0"},
    }
    assert {r["group"] for r in fake.requests} == {"customers"}
    assert all(set(r) == {"group", "Record"} for r in fake.requests), "no TargetStores unless asked"
    report = _report(base_dir)
    assert (report["rows"], report["ingested"], report["failed"], report["retries"]) == (3, 3, 0, 0)
    assert report["ignoredColumns"] == ["segment"]
    message = (base_dir / "output/message").read_text()
    assert message == "ingested 3 of 3 records into customers (0 retries)"


def test_target_stores_are_passed_through(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(base_dir, GOOD_CSV)
    assert _ingest(base_dir, monkeypatch, "--target-stores", "OfflineStore") == 0
    assert {tuple(r["TargetStores"]) for r in fake.requests} == {("OfflineStore",)}


def test_throttled_records_are_retried_with_backoff_until_they_succeed(aws: None) -> None:
    fake = FakeFeatureStoreRuntime(SCHEMA)
    fake.throttle = {"c-1": 2, "c-3": 1}
    delays: list[float] = []
    ingester = ingest.Ingester(
        fake.client(), SCHEMA, workers=2, max_attempts=4, base_delay=0.5, max_delay=0.75, sleep=delays.append, seed=1
    )
    rows = [
        ingest.Row(f"part.csv:{i + 2}", {"customer_id": f"c-{i}", "event_time": "2024-05-01T00:00:00Z"})
        for i in range(5)
    ]
    ingester.put_batch(rows)
    assert ingester.report.ingested == 5 and not ingester.report.failed
    assert ingester.report.retries == 3
    assert len(fake.requests) == 8
    assert len(delays) == 3
    # Full jitter under a capped exponential ceiling: attempt 1 waits <= 0.5 s, attempt 2 <= min(1.0, 0.75).
    assert all(0 <= d <= 0.75 for d in delays)


def test_backoff_ceiling_doubles_and_is_capped() -> None:
    ingester = ingest.Ingester(None, SCHEMA, base_delay=0.1, max_delay=1.0, seed=7)
    samples = {attempt: [ingester.backoff(attempt) for _ in range(200)] for attempt in (1, 2, 3, 6)}
    assert max(samples[1]) <= 0.1 < max(samples[2]) <= 0.2 < max(samples[3]) <= 0.4
    assert 0.5 < max(samples[6]) <= 1.0
    assert min(samples[1]) >= 0


def test_records_still_throttled_after_the_last_attempt_fail_the_job_with_a_report(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(base_dir, GOOD_CSV)
    fake.throttle = {"c-2": 99}
    assert _ingest(base_dir, monkeypatch, "--max-attempts", "3") == 2
    report = _report(base_dir)
    assert (report["ingested"], report["failed"], report["retries"]) == (2, 1, 2)
    assert report["failedRecords"] == [
        {
            "source": "part-0.csv:3",
            "recordIdentifier": "c-2",
            "errorCode": "ThrottlingException",
            "message": "Rate exceeded",
            "attempts": 3,
        }
    ]
    message = (base_dir / "output/message").read_text()
    assert message.startswith("AlgorithmError: ingested 2 of 3 records into customers (2 retries); 1 failed")
    assert "ThrottlingException=1" in message and "ingest-report.json" in message


def test_invalid_rows_fail_locally_and_are_never_sent(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(
        base_dir,
        "customer_id,event_time,orders_30d,spend_30d\n"
        ",2024-05-01T12:00:00Z,1,1.0\n"
        "c-2,2024-05-01T12:00:00Z,three,1.0\n"
        "c-3,01/05/2024 12:00,1,1.0\n"
        "c-4,2024-05-01T12:00:00Z,4,inf\n"
        "c-5,2024-05-01T12:00:00Z,5,5.5\n",
    )
    assert _ingest(base_dir, monkeypatch, "--max-failed-records", "4") == 0
    assert list(fake.records) == ["c-5"]
    assert len(fake.requests) == 1
    failed = {f["source"]: f for f in _report(base_dir)["failedRecords"]}
    assert set(failed) == {"part-0.csv:2", "part-0.csv:3", "part-0.csv:4", "part-0.csv:5"}
    assert all(f["errorCode"] == "InvalidRecord" and f["attempts"] == 0 for f in failed.values())
    assert "customer_id is missing" in failed["part-0.csv:2"]["message"]
    assert "orders_30d='three' is not an integer" in failed["part-0.csv:3"]["message"]
    assert "is not an ISO-8601 UTC time" in failed["part-0.csv:4"]["message"]
    assert "spend_30d='inf' is infinite" in failed["part-0.csv:5"]["message"]
    assert "4 failed (InvalidRecord=4)" in (base_dir / "output/message").read_text()


def test_a_service_validation_error_is_reported_not_retried(aws: None) -> None:
    fake = FakeFeatureStoreRuntime(SCHEMA)
    fake.fail = {"c-1": "ValidationError"}
    ingester = ingest.Ingester(fake.client(), SCHEMA, sleep=lambda s: None)
    ingester.put_batch([ingest.Row("a.csv:2", {"customer_id": "c-1", "event_time": "2024-05-01T00:00:00Z"})])
    (failure,) = ingester.report.failed
    assert (failure.error_code, failure.attempts, failure.message) == ("ValidationError", 1, "c-1 rejected")


def test_access_denied_stops_the_job_at_once(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(base_dir, GOOD_CSV)
    fake.fail = {"c-1": "AccessDeniedException", "c-2": "AccessDeniedException", "c-3": "AccessDeniedException"}
    assert _ingest(base_dir, monkeypatch) == 1
    message = (base_dir / "output/message").read_text()
    assert message.startswith("UserError: PutRecord failed with AccessDeniedException")
    assert "no record can be ingested" in message
    assert len(fake.requests) == 2, "the first batch fails, the second is never sent"
    assert _report(base_dir)["failed"] == 2


def test_parquet_columns_keep_their_types(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    path = base_dir / "processing/input/features/part-0.parquet"
    path.parent.mkdir(parents=True)
    when = datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    table = pa.table(
        {
            "customer_id": ["c-1", "c-2"],
            "event_time": pa.array([when, when], pa.timestamp("us", tz="UTC")),
            "orders_30d": pa.array([7, None], pa.int64()),
            "spend_30d": pa.array([0.25, float("nan")], pa.float64()),
        }
    )
    pq.write_table(table, path)
    assert _ingest(base_dir, monkeypatch) == 0
    assert fake.records["c-1"] == {
        "customer_id": "c-1",
        "event_time": "2024-05-01T12:00:00.123Z",
        "orders_30d": "7",
        "spend_30d": "0.25",
    }
    assert fake.records["c-2"] == {"customer_id": "c-2", "event_time": "2024-05-01T12:00:00.123Z"}
    assert _report(base_dir)["rows"] == 2


def test_a_timestamp_for_a_fractional_event_time_becomes_epoch_seconds() -> None:
    import datetime

    schema = ingest.GroupSchema("g", "id", "t", {"id": "Integral", "t": "Fractional"})
    when = datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    assert ingest.to_record(ingest.Row("x[0]", {"id": 7, "t": when}), schema) == [
        {"FeatureName": "id", "ValueAsString": "7"},
        {"FeatureName": "t", "ValueAsString": "1714564800.123"},
    ]


def test_a_file_without_the_event_time_column_is_a_user_error(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _csv(base_dir, "customer_id,orders_30d\nc-1,3\n")
    assert _ingest(base_dir, monkeypatch) == 1
    assert (base_dir / "output/message").read_text() == (
        "UserError: part-0.csv has no column event_time; columns are customer_id, orders_30d"
    )
    assert not fake.requests


def test_a_missing_feature_group_is_a_user_error(base_dir: Path, aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto raises a bare KeyError for an unknown group, so this one answer comes from a hook too.
    sagemaker = boto3.client("sagemaker", region_name=REGION)

    def not_found(**_: Any) -> tuple[_HttpResponse, dict[str, Any]]:
        return FakeFeatureStoreRuntime._error(400, "ResourceNotFound", "Resource Not Found: FeatureGroup nope")

    sagemaker.meta.events.register("before-call.sagemaker.DescribeFeatureGroup", not_found)
    monkeypatch.setattr(ingest, "make_clients", lambda region: (sagemaker, None))
    _csv(base_dir, GOOD_CSV)
    assert _ingest(base_dir, monkeypatch) == 1
    assert (base_dir / "output/message").read_text() == (
        "UserError: DescribeFeatureGroup customers failed: ResourceNotFound: Resource Not Found: FeatureGroup nope"
    )


@pytest.mark.parametrize(("option", "value"), [("--batch-size", "0"), ("--workers", "0"), ("--max-attempts", "0")])
def test_fails_on_non_positive_settings(
    base_dir: Path, fake: FakeFeatureStoreRuntime, monkeypatch: pytest.MonkeyPatch, option: str, value: str
) -> None:
    _csv(base_dir, GOOD_CSV)
    assert _ingest(base_dir, monkeypatch, option, value) == 1
    assert (base_dir / "output/message").read_text() == f"UserError: {option}={value} must be at least 1"


def test_collection_features_are_refused() -> None:
    with pytest.raises(ingest.UserError, match="embedding is a Vector collection"):
        ingest.GroupSchema.from_describe(
            {
                "FeatureGroupName": "g",
                "RecordIdentifierFeatureName": "id",
                "EventTimeFeatureName": "t",
                "FeatureDefinitions": [
                    {"FeatureName": "embedding", "FeatureType": "Fractional", "CollectionType": "Vector"}
                ],
            }
        )


def test_process_ingest_help_documents_the_job(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.parser().parse_args(["ingest", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--feature-group-name", "--max-attempts", "--max-failed-records", "--target-stores"):
        assert option in text
    args = cli.parser().parse_args(["ingest", "--feature-group-name", "x"])
    assert isinstance(args, argparse.Namespace) and args.run is ingest.run
