"""Feature definitions derived from a dataclass, a pyarrow schema and a pandas DataFrame.

pyarrow is installed (the processing image needs it). pandas is not a dependency of this project
and is not installed here: ``features_from_pandas`` only reads ``frame.dtypes`` and each dtype's
``kind`` code, so it is exercised with a stand-in whose dtypes are real numpy dtypes, which share
pandas' kind codes ('i', 'u', 'f', 'O', 'M', 'b', ...).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pytest

from sagemaker_platform.featurestore import (
    CollectionType,
    Feature,
    FeatureType,
    SchemaError,
    features_from_arrow_schema,
    features_from_dataclass,
    features_from_pandas,
)


@dataclasses.dataclass
class CustomerRow:
    customer_id: str
    event_time: datetime.datetime
    orders_30d: int
    spend_30d: float | None
    segments: list[str]
    visited: set[int]
    scores: Sequence[float]


def test_dataclass_fields_become_features_in_order() -> None:
    assert features_from_dataclass(CustomerRow) == [
        Feature.string("customer_id"),
        Feature.string("event_time"),
        Feature.integral("orders_30d"),
        Feature.fractional("spend_30d"),
        Feature.string("segments", collection_type=CollectionType.LIST),
        Feature.integral("visited", collection_type=CollectionType.SET),
        Feature.fractional("scores", collection_type=CollectionType.LIST),
    ]


def test_arrow_schema_and_table_map_types() -> None:
    schema = pa.schema(
        [
            ("id", pa.large_string()),
            ("count", pa.uint16()),
            ("ratio", pa.float32()),
            ("price", pa.decimal128(10, 2)),
            ("seen", pa.timestamp("ms", tz="UTC")),
            ("day", pa.date32()),
            ("tags", pa.list_(pa.string())),
        ]
    )
    expected = [
        ("id", FeatureType.STRING, None),
        ("count", FeatureType.INTEGRAL, None),
        ("ratio", FeatureType.FRACTIONAL, None),
        ("price", FeatureType.FRACTIONAL, None),
        ("seen", FeatureType.STRING, None),
        ("day", FeatureType.STRING, None),
        ("tags", FeatureType.STRING, CollectionType.LIST),
    ]
    for source in (schema, schema.empty_table()):
        got = [(f.name, f.feature_type, f.collection_type) for f in features_from_arrow_schema(source)]
        assert got == expected


class _Frame:
    """Stands in for a pandas DataFrame: ``dtypes`` with ``items()``, dtypes with pandas' kind codes."""

    def __init__(self, **dtypes: str) -> None:
        self.dtypes = {name: np.dtype(dtype) for name, dtype in dtypes.items()}


def test_dataframe_dtypes_map_by_kind() -> None:
    frame = _Frame(id="O", n="int64", u="uint8", x="float32", when="datetime64[ns]", code="U8")
    assert [(f.name, f.feature_type) for f in features_from_pandas(frame)] == [
        ("id", FeatureType.STRING),
        ("n", FeatureType.INTEGRAL),
        ("u", FeatureType.INTEGRAL),
        ("x", FeatureType.FRACTIONAL),
        ("when", FeatureType.STRING),
        ("code", FeatureType.STRING),
    ]


def test_dataframe_booleans_and_complex_numbers_are_refused() -> None:
    with pytest.raises(SchemaError, match=r"flag: dtype bool has no Feature Store type\n  - z: dtype complex128"):
        features_from_pandas(_Frame(flag="bool", z="complex128"))


def test_derived_features_are_validated_like_declared_ones() -> None:
    with pytest.raises(ValueError, match=r"name: got 'write_time'; allowed: a name other than the reserved"):
        features_from_arrow_schema(pa.schema([("write_time", pa.string())]))
