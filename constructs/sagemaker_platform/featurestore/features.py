"""Typed feature definitions: Integral, Fractional and String features, scalar or collections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sagemaker_platform._validation import PropsErrors
from sagemaker_platform.featurestore import _defaults


class FeatureType(Enum):
    """Value type of a feature (``FeatureDefinition.FeatureType``)."""

    INTEGRAL = "Integral"
    FRACTIONAL = "Fractional"
    STRING = "String"


class CollectionType(Enum):
    """Collection of same-typed values (``FeatureDefinition.CollectionType`` of the SageMaker API).

    Only ``InMemory`` online stores support collections, and a vector holds ``Fractional`` values
    of a fixed dimension. The AWS::SageMaker::FeatureGroup CloudFormation resource has no
    ``CollectionType`` property, so :class:`FeatureGroup` rejects collection features; they are
    modelled so that :meth:`Feature.to_api` renders a ``CreateFeatureGroup`` request for boto3.
    """

    LIST = "List"
    SET = "Set"
    VECTOR = "Vector"


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One feature of a feature group. Build them with :meth:`integral`, :meth:`fractional`, :meth:`string`."""

    #: 1-64 letters, digits, ``-`` and ``_``, starting and ending with a letter or digit; not a
    #: reserved name (``is_deleted``, ``write_time``, ``api_invocation_time``).
    name: str
    feature_type: FeatureType
    #: Default: a scalar feature.
    collection_type: CollectionType | None = None
    #: Number of elements of a ``Vector`` feature, 1 to 8192. Default: none (required for vectors).
    vector_dimension: int | None = None

    def __post_init__(self) -> None:
        errors = PropsErrors(f"Feature {self.name!r}")
        check_name(errors, "name", self.name)
        errors.check(
            str(self.name).lower() not in _defaults.RESERVED_FEATURE_NAMES,
            "name",
            self.name,
            "a name other than the reserved " + ", ".join(_defaults.RESERVED_FEATURE_NAMES),
        )
        errors.check(
            isinstance(self.feature_type, FeatureType),
            "feature_type",
            self.feature_type,
            "a FeatureType (INTEGRAL, FRACTIONAL or STRING)",
        )
        if self.collection_type is CollectionType.VECTOR:
            errors.check(
                self.feature_type is FeatureType.FRACTIONAL,
                "feature_type",
                getattr(self.feature_type, "value", self.feature_type),
                "'Fractional' for a Vector collection (vector elements are Fractional)",
            )
            errors.int_range("vector_dimension", self.vector_dimension, 1, _defaults.MAX_VECTOR_DIMENSION)
        else:
            errors.check(
                self.vector_dimension is None,
                "vector_dimension",
                self.vector_dimension,
                "None unless collection_type is CollectionType.VECTOR",
            )
        errors.raise_if_any()

    @classmethod
    def integral(cls, name: str, *, collection_type: CollectionType | None = None) -> Feature:
        """A 64-bit signed integer feature."""
        return cls(name=name, feature_type=FeatureType.INTEGRAL, collection_type=collection_type)

    @classmethod
    def fractional(cls, name: str, *, collection_type: CollectionType | None = None) -> Feature:
        """An IEEE 754 double feature (also the type of an event time in epoch seconds)."""
        return cls(name=name, feature_type=FeatureType.FRACTIONAL, collection_type=collection_type)

    @classmethod
    def string(cls, name: str, *, collection_type: CollectionType | None = None) -> Feature:
        """A UTF-8 string feature (also the type of an ISO-8601 event time)."""
        return cls(name=name, feature_type=FeatureType.STRING, collection_type=collection_type)

    @classmethod
    def vector(cls, name: str, *, dimension: int) -> Feature:
        """A fixed-size vector of Fractional values (InMemory online stores only)."""
        return cls(
            name=name,
            feature_type=FeatureType.FRACTIONAL,
            collection_type=CollectionType.VECTOR,
            vector_dimension=dimension,
        )

    @property
    def is_collection(self) -> bool:
        """True for List, Set and Vector features."""
        return self.collection_type is not None

    def to_cfn(self) -> dict[str, str]:
        """The ``FeatureDefinitions`` item of the CloudFormation resource (scalars only)."""
        if self.is_collection:
            raise ValueError(
                f"Feature {self.name!r}: collection_type {self.collection_type} cannot be expressed in "
                "AWS::SageMaker::FeatureGroup (its FeatureDefinition has only FeatureName and FeatureType)"
            )
        return {"FeatureName": self.name, "FeatureType": self.feature_type.value}

    def to_api(self) -> dict[str, Any]:
        """The ``FeatureDefinitions`` item of a ``CreateFeatureGroup`` API request (boto3)."""
        out: dict[str, Any] = {"FeatureName": self.name, "FeatureType": self.feature_type.value}
        if self.collection_type is not None:
            out["CollectionType"] = self.collection_type.value
        if self.collection_type is CollectionType.VECTOR:
            out["CollectionConfig"] = {"VectorConfig": {"Dimension": self.vector_dimension}}
        return out


def check_name(errors: PropsErrors, field: str, value: Any) -> None:
    """SageMaker's name rule for feature groups and features (1-64 characters)."""
    errors.check(
        is_valid_name(value),
        field,
        value,
        f"1-{_defaults.NAME_MAX_LENGTH} letters, digits, '-' and '_', starting and ending with a letter or digit",
    )


def is_valid_name(value: Any) -> bool:
    """True when ``value`` follows SageMaker's feature (group) name rule, length included."""
    return (
        isinstance(value, str)
        and len(value) <= _defaults.NAME_MAX_LENGTH
        and re.fullmatch(_defaults.NAME_PATTERN, value) is not None
    )
