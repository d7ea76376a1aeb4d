"""Typed request errors; each maps to one HTTP status and a JSON body that says how to fix it."""

from __future__ import annotations

import json


class ServingError(Exception):
    """A request the server refuses; ``status`` is the HTTP status to answer with."""

    status = 400
    code = "BadRequest"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def body(self) -> bytes:
        """``{"error": {"code", "message", ...detail}}`` as JSON bytes."""
        return json.dumps(
            {"error": {"code": self.code, "message": self.message, **self.detail}}, separators=(",", ":")
        ).encode()


class BadRequest(ServingError):
    """Malformed, empty or wrongly shaped payload."""


class NotFound(ServingError):
    """Unknown path or model."""

    status, code = 404, "NotFound"


class MethodNotAllowed(ServingError):
    """Known path, wrong method."""

    status, code = 405, "MethodNotAllowed"


class NotAcceptable(ServingError):
    """No supported type in the Accept header."""

    status, code = 406, "NotAcceptable"


class Conflict(ServingError):
    """MME: a model with this name is already loaded."""

    status, code = 409, "Conflict"


class PayloadTooLarge(ServingError):
    """Body over the real-time payload limit."""

    status, code = 413, "PayloadTooLarge"


class UnsupportedMediaType(ServingError):
    """Content-Type the server cannot decode."""

    status, code = 415, "UnsupportedMediaType"


class InsufficientStorage(ServingError):
    """MME: not enough memory to load another model (SageMaker then unloads idle ones)."""

    status, code = 507, "InsufficientStorage"
