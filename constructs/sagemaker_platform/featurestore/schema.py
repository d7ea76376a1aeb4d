"""Derive feature definitions from a dataclass, a pyarrow schema or a pandas DataFrame.

pyarrow and pandas are optional: they are imported only when these helpers are called (pandas
not even then; its dtypes are read through their ``kind`` code). Types without a Feature Store
equivalent raise a ``ValueError`` naming the column and its type instead of guessing.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from sagemaker_platform.featurestore.features import CollectionType, Feature, FeatureType

_PY_SCALARS: dict[Any, FeatureType] = {
    int: FeatureType.INTEGRAL,
    float: FeatureType.FRACTIONAL,
    str: FeatureType.STRING,
    # Feature Store has no timestamp type: event times are ISO-8601 strings (or epoch seconds).
    datetime.datetime: FeatureType.STRING,
    datetime.date: FeatureType.STRING,
}
_PY_COLLECTIONS: dict[Any, CollectionType] = {
    list: CollectionType.LIST,
    Sequence: CollectionType.LIST,
    set: CollectionType.SET,
    frozenset: CollectionType.SET,
}
# numpy/pandas dtype kind codes: signed and unsigned integers, floats, text/object, datetimes.
_KIND_TYPES = {
    "i": FeatureType.INTEGRAL,
    "u": FeatureType.INTEGRAL,
    "f": FeatureType.FRACTIONAL,
    "O": FeatureType.STRING,
    "U": FeatureType.STRING,
    "S": FeatureType.STRING,
    "M": FeatureType.STRING,
}


class SchemaError(ValueError):
    """A column or field has no Feature Store type; the message names every one of them."""


def features_from_dataclass(cls: type[Any]) -> list[Feature]:
    """One feature per field of a dataclass: ``int``, ``float``, ``str``, ``datetime`` and lists/sets of them.

    ``X | None`` is accepted as ``X`` (every feature may be missing from a record). ``bool`` is
    rejected rather than silently stored as 0/1: declare it ``int`` if that is what you mean.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise SchemaError(f"features_from_dataclass: got {cls!r}; allowed: a dataclass type")
    hints = typing.get_type_hints(cls)
    problems: list[str] = []
    features: list[Feature] = []
    for field in dataclasses.fields(cls):
        annotation = _strip_optional(hints[field.name])
        try:
            features.append(_feature_from_annotation(field.name, annotation))
        except SchemaError as err:
            problems.append(str(err))
    _raise_if(problems, cls.__name__)
    return features


def features_from_arrow_schema(schema: Any) -> list[Feature]:
    """One feature per field of a ``pyarrow.Schema`` (or a ``pyarrow.Table``'s schema).

    Integers -> Integral, floating point and decimals -> Fractional, strings, dates, times and
    timestamps -> String, lists of those -> List collections. Requires pyarrow.
    """
    pa_types = _import("pyarrow.types", "features_from_arrow_schema")
    schema = getattr(schema, "schema", schema)
    problems: list[str] = []
    features: list[Feature] = []
    for field in schema:
        arrow_type, collection = field.type, None
        if pa_types.is_list(arrow_type) or pa_types.is_large_list(arrow_type):
            arrow_type, collection = arrow_type.value_type, CollectionType.LIST
        feature_type = _arrow_scalar(pa_types, arrow_type)
        if feature_type is None:
            problems.append(f"{field.name}: arrow type {field.type} has no Feature Store type")
            continue
        features.append(Feature(name=field.name, feature_type=feature_type, collection_type=collection))
    _raise_if(problems, "arrow schema")
    return features


def features_from_pandas(frame: Any) -> list[Feature]:
    """One feature per column of a ``pandas.DataFrame``, from each dtype's kind code.

    Integer dtypes -> Integral, floats -> Fractional, object/string/category and datetimes ->
    String. Booleans, complex numbers and timedeltas are rejected. pandas itself is not imported.
    """
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        raise SchemaError(f"features_from_pandas: got {type(frame).__name__}; allowed: a pandas DataFrame")
    problems: list[str] = []
    features: list[Feature] = []
    for name, dtype in dtypes.items():
        kind = getattr(dtype, "kind", None)
        feature_type = _KIND_TYPES.get(str(kind))
        if feature_type is None:
            problems.append(f"{name}: dtype {dtype} has no Feature Store type")
            continue
        features.append(Feature(name=str(name), feature_type=feature_type))
    _raise_if(problems, "DataFrame")
    return features


def _feature_from_annotation(name: str, annotation: Any) -> Feature:
    if annotation in _PY_SCALARS and annotation is not bool:
        return Feature(name=name, feature_type=_PY_SCALARS[annotation])
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in _PY_COLLECTIONS and len(args) == 1:
        element = _strip_optional(args[0])
        if element in _PY_SCALARS and element is not bool:
            return Feature(name=name, feature_type=_PY_SCALARS[element], collection_type=_PY_COLLECTIONS[origin])
    raise SchemaError(f"{name}: type {_type_name(annotation)} has no Feature Store type")


def _arrow_scalar(pa_types: Any, arrow_type: Any) -> FeatureType | None:
    if pa_types.is_integer(arrow_type):
        return FeatureType.INTEGRAL
    if pa_types.is_floating(arrow_type) or pa_types.is_decimal(arrow_type):
        return FeatureType.FRACTIONAL
    textual = (pa_types.is_string, pa_types.is_large_string, pa_types.is_timestamp, pa_types.is_date, pa_types.is_time)
    if any(check(arrow_type) for check in textual):
        return FeatureType.STRING
    return None


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


def _import(module: str, caller: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{caller} needs pyarrow, an optional dependency: pip install pyarrow") from err


def _raise_if(problems: Iterable[str], source: str) -> None:
    found = list(problems)
    if found:
        lines = "\n".join(f"  - {p}" for p in found)
        raise SchemaError(
            f"{source} cannot be mapped to features:\n{lines}\n"
            "allowed: Integral (integers), Fractional (floats), String (text, dates, times) and lists of those"
        )
