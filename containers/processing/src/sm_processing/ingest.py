"""Ingest a prepared CSV/Parquet dataset into a feature group: PutRecord, batched, retried, reported.

``process ingest --feature-group-name NAME`` reads every file of the ``features`` input (CSV with a
header row, or Parquet), learns the group's features from ``DescribeFeatureGroup``, and calls the
``sagemaker-featurestore-runtime`` ``PutRecord`` API once per row, a batch of rows at a time on a
thread pool. Throttling and transient errors are retried with capped exponential backoff and full
jitter; botocore's own retries are off so that every attempt is counted here. Every record that
still failed (or was invalid before any call) is listed, with its source line and error, in
``<report output>/ingest-report.json``; the job fails when more than ``--max-failed-records`` did.

boto3 is imported only when the job runs, so the other jobs of this image do not need it.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sm_processing import contract, tabular
from sm_processing.errors import AlgorithmError, UserError

#: Error codes worth another attempt: throttling and the service's transient failures.
RETRYABLE = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "InternalFailure", "InternalServerError", "RequestTimeout"}
)
#: Error codes that no record can get past: stop at once instead of failing every row.
FATAL = frozenset(
    {"ResourceNotFound", "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "ExpiredToken"}
)
#: ISO-8601 event times Feature Store accepts: yyyy-MM-dd'T'HH:mm:ssZ and yyyy-MM-dd'T'HH:mm:ss.SSSZ.
ISO_EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z")
REPORT_FILE = "ingest-report.json"
#: How backoff waits (a module attribute so tests can record waits instead of sleeping).
SLEEP: Callable[[float], None] = time.sleep
#: Failed records listed in the report at most (the counts are always complete).
MAX_LISTED_FAILURES = 10_000


class FatalIngestError(UserError):
    """The feature group, the credentials or the permissions make every PutRecord fail."""


@dataclass(frozen=True)
class GroupSchema:
    """What ingestion needs to know about a feature group, from DescribeFeatureGroup."""

    name: str
    record_identifier: str
    event_time: str
    #: feature name -> "Integral" | "Fractional" | "String"
    types: dict[str, str]

    @classmethod
    def from_describe(cls, response: dict[str, Any]) -> GroupSchema:
        """Read a DescribeFeatureGroup response; collection features are not supported here."""
        types: dict[str, str] = {}
        for definition in response["FeatureDefinitions"]:
            if definition.get("CollectionType"):
                raise UserError(
                    f"feature {definition['FeatureName']} is a {definition['CollectionType']} collection; "
                    "this job ingests scalar features only"
                )
            types[definition["FeatureName"]] = definition["FeatureType"]
        return cls(
            response["FeatureGroupName"],
            response["RecordIdentifierFeatureName"],
            response["EventTimeFeatureName"],
            types,
        )


@dataclass(frozen=True)
class Row:
    """One input row: where it came from and its values by column."""

    source: str
    values: dict[str, Any]


@dataclass
class FailedRecord:
    """A row that is not in the feature group, and why."""

    source: str
    record_identifier: str | None
    error_code: str
    message: str
    attempts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "recordIdentifier": self.record_identifier,
            "errorCode": self.error_code,
            "message": self.message[:500],
            "attempts": self.attempts,
        }


@dataclass
class IngestReport:
    """Counts of one run and every failed record."""

    feature_group: str
    rows: int = 0
    ingested: int = 0
    retries: int = 0
    failed: list[FailedRecord] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        listed = self.failed[:MAX_LISTED_FAILURES]
        return {
            "featureGroupName": self.feature_group,
            "rows": self.rows,
            "ingested": self.ingested,
            "failed": len(self.failed),
            "retries": self.retries,
            "ignoredColumns": self.ignored_columns,
            "failuresByCode": dict(sorted(Counter(f.error_code for f in self.failed).items())),
            "failedRecords": [f.to_json() for f in listed],
            "failedRecordsTruncated": len(listed) < len(self.failed),
        }


def to_record(row: Row, schema: GroupSchema) -> list[dict[str, str]]:
    """The PutRecord ``Record``: one ``{"FeatureName", "ValueAsString"}`` per present feature.

    Missing values (None, empty, NaN) are left out, as Feature Store allows for any feature but
    the record identifier and the event time. Raises ``ValueError`` naming the bad feature.
    """
    record = []
    for name, feature_type in schema.types.items():
        text = _format(row.values.get(name), feature_type, name)
        if text is not None:
            record.append({"FeatureName": name, "ValueAsString": text})
    present = {r["FeatureName"]: r["ValueAsString"] for r in record}
    for required in (schema.record_identifier, schema.event_time):
        if required not in present:
            raise ValueError(f"{required} is missing (the record identifier and event time are required)")
    if schema.types[schema.event_time] == "String" and not ISO_EVENT_TIME.fullmatch(present[schema.event_time]):
        raise ValueError(
            f"{schema.event_time}={present[schema.event_time]!r} is not an ISO-8601 UTC time such as "
            "2024-05-01T12:00:00Z or 2024-05-01T12:00:00.123Z"
        )
    return record


def _format(value: Any, feature_type: str, name: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name}={value!r}: a boolean has no {feature_type} form; store it as 0/1 Integral")
    if feature_type == "Integral":
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise ValueError(f"{name}={value!r} is not an integer (feature type Integral)") from None
        if not -(2**63) <= number < 2**63:
            raise ValueError(f"{name}={value!r} is outside the 64-bit range of Integral")
        return str(number)
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC) if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        if feature_type == "Fractional":  # an event time in epoch seconds, millisecond precision
            return repr(round(utc.timestamp(), 3))
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if feature_type == "Fractional":
        try:
            number_f = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}={value!r} is not a number (feature type Fractional)") from None
        if math.isnan(number_f):
            return None
        if math.isinf(number_f):
            raise ValueError(f"{name}={value!r} is infinite (feature type Fractional)")
        return repr(number_f)
    return str(value)


class Ingester:
    """Puts rows into one feature group: thread pool per batch, retries with backoff, a report."""

    def __init__(
        self,
        client: Any,
        schema: GroupSchema,
        *,
        workers: int = 8,
        max_attempts: int = 6,
        base_delay: float = 0.2,
        max_delay: float = 20.0,
        target_stores: list[str] | None = None,
        sleep: Callable[[float], None] | None = None,
        seed: int | None = None,
    ) -> None:
        self.client, self.schema = client, schema
        self.workers, self.max_attempts = workers, max_attempts
        self.base_delay, self.max_delay = base_delay, max_delay
        self.target_stores, self.sleep = target_stores, sleep or SLEEP
        self.report = IngestReport(schema.name)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def put_batch(self, rows: list[Row]) -> None:
        """Put every row of a batch; returns when all are in or finally failed."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(self._put, rows))
        fatal = None
        for attempts, failure in results:
            self.report.rows += 1
            self.report.retries += max(attempts - 1, 0)
            if failure is None:
                self.report.ingested += 1
            else:
                self.report.failed.append(failure)
            if isinstance(failure, _Fatal) and fatal is None:
                fatal = failure
        if fatal is not None:
            raise FatalIngestError(
                f"PutRecord failed with {fatal.error_code} for {fatal.source}: {fatal.message}; "
                "no record can be ingested"
            )

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))]."""
        with self._lock:
            return self._random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def _put(self, row: Row) -> tuple[int, FailedRecord | None]:
        record_id = row.values.get(self.schema.record_identifier)
        record_id = None if record_id is None else str(record_id)
        try:
            record = to_record(row, self.schema)
        except ValueError as exc:
            return 0, FailedRecord(row.source, record_id, "InvalidRecord", str(exc), 0)
        request: dict[str, Any] = {"FeatureGroupName": self.schema.name, "Record": record}
        if self.target_stores:
            request["TargetStores"] = self.target_stores
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.client.put_record(**request)
                return attempt, None
            except Exception as exc:  # classified below; programming errors are re-raised
                code, message = _error(exc)
                if code in FATAL:
                    return attempt, _Fatal(row.source, record_id, code, message, attempt)
                if code not in RETRYABLE or attempt == self.max_attempts:
                    return attempt, FailedRecord(row.source, record_id, code, message, attempt)
                self.sleep(self.backoff(attempt))
        raise AssertionError("unreachable: the last attempt returns")


class _Fatal(FailedRecord):
    """A failure no other record can avoid (wrong group, no permission, bad credentials)."""


def _error(exc: Exception) -> tuple[str, str]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        return str(error.get("Code") or "Unknown"), str(error.get("Message") or exc)
    # botocore's connection and timeout errors have no response: transient, worth a retry.
    if type(exc).__module__.startswith("botocore") or isinstance(exc, (ConnectionError, TimeoutError)):
        return "ServiceUnavailable", f"{type(exc).__name__}: {exc}"
    raise exc


def read_rows(path: Path, batch_size: int, columns: set[str]) -> Iterator[tuple[list[Row], list[str]]]:
    """Batches of rows of one CSV (header required) or Parquet file, and the columns it has.

    A row's ``source`` is ``file:line`` for CSV (line 1 is the header) and ``file[index]`` for Parquet.
    """
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    parquet = path.suffix.lower() in tabular.PARQUET_SUFFIXES
    if parquet:
        try:
            reader = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise UserError(f"{path}: not a readable Parquet file: {exc}") from exc
        names = list(reader.schema_arrow.names)
        batches = reader.iter_batches(batch_size=batch_size, columns=[n for n in names if n in columns])
    else:
        names = _csv_header(path)
        # Strings throughout: each value is converted for its feature, so one bad cell fails one row.
        try:
            batches = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    include_columns=[n for n in names if n in columns],
                    strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise UserError(f"{path}: malformed CSV: {exc}") from exc
    number = 0
    for batch in batches:
        rows = []
        for values in batch.to_pylist():
            rows.append(Row(f"{path.name}[{number}]" if parquet else f"{path.name}:{number + 2}", values))
            number += 1
        for start in range(0, len(rows), batch_size):
            yield rows[start : start + batch_size], names


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), [])
    names = [n.strip() for n in header]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise UserError(f"{path}: CSV input needs a header row naming each column once, got {header!r}")
    return names


def make_clients(region: str | None) -> tuple[Any, Any]:
    """(sagemaker, sagemaker-featurestore-runtime) clients; botocore retries off, this job retries."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=64)
    return (
        boto3.client("sagemaker", region_name=region, config=config),
        boto3.client("sagemaker-featurestore-runtime", region_name=region, config=config),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``process ingest``."""
    parser.add_argument("--feature-group-name", required=True)
    parser.add_argument(
        "--input-name",
        default="features",
        help="processing input to read (default: features -> /opt/ml/processing/input/features)",
    )
    parser.add_argument(
        "--report-output", default="report", help=f"processing output for {REPORT_FILE} (default: report)"
    )
    parser.add_argument("--batch-size", type=int, default=500, help="rows read and put per batch (default: 500)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent PutRecord calls (default: 8)")
    parser.add_argument("--max-attempts", type=int, default=6, help="attempts per record (default: 6)")
    parser.add_argument("--base-delay", type=float, default=0.2, help="first backoff ceiling in seconds")
    parser.add_argument("--max-delay", type=float, default=20.0, help="largest backoff in seconds")
    parser.add_argument(
        "--max-failed-records", type=int, default=0, help="fail the job when more records than this failed (default: 0)"
    )
    parser.add_argument(
        "--target-stores",
        nargs="+",
        choices=("OnlineStore", "OfflineStore"),
        help="write to these stores only (default: every store of the group)",
    )
    parser.add_argument("--region", default=None, help="default: the container's AWS region")


def run(args: argparse.Namespace) -> str:
    """Run the ingestion job; returns the one-line summary for the exit message."""
    for option, value in (
        ("--batch-size", args.batch_size),
        ("--workers", args.workers),
        ("--max-attempts", args.max_attempts),
    ):
        if value < 1:
            raise UserError(f"{option}={value} must be at least 1")
    files = tabular.data_files(contract.input_dir(args.input_name))
    sagemaker, runtime = make_clients(args.region)
    try:
        schema = GroupSchema.from_describe(sagemaker.describe_feature_group(FeatureGroupName=args.feature_group_name))
    except UserError:
        raise
    except Exception as exc:
        code, message = _error(exc)
        raise UserError(f"DescribeFeatureGroup {args.feature_group_name} failed: {code}: {message}") from exc
    ingester = Ingester(
        runtime,
        schema,
        workers=args.workers,
        max_attempts=args.max_attempts,
        base_delay=args.base_delay,
        max_delay=args.max_delay,
        target_stores=args.target_stores,
    )
    ignored: set[str] = set()
    try:
        for path in files:
            for rows, names in read_rows(path, args.batch_size, set(schema.types)):
                missing = [n for n in (schema.record_identifier, schema.event_time) if n not in names]
                if missing:
                    raise UserError(f"{path.name} has no column {', '.join(missing)}; columns are {', '.join(names)}")
                ignored.update(n for n in names if n not in schema.types)
                ingester.put_batch(rows)
    finally:
        ingester.report.ignored_columns = sorted(ignored)
        report_path = _write_report(ingester.report, contract.output_dir_for(args.report_output))
    return _summary(ingester.report, report_path, args.max_failed_records)


def _write_report(report: IngestReport, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REPORT_FILE
    path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    return path


def _summary(report: IngestReport, report_path: Path, max_failed: int) -> str:
    text = f"ingested {report.ingested} of {report.rows} records into {report.feature_group} ({report.retries} retries)"
    if not report.failed:
        return text
    codes = ", ".join(f"{code}={n}" for code, n in sorted(Counter(f.error_code for f in report.failed).items()))
    text += f"; {len(report.failed)} failed ({codes}); see {report_path}"
    if len(report.failed) > max_failed:
        raise AlgorithmError(f"{text} (more than --max-failed-records={max_failed})")
    return text
