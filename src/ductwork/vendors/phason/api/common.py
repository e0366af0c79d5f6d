"""What both Phason API versions share on the wire: JSON encoding and the error shape."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

from ductwork.http.dispatch import ErrorShape, JsonBytes
from ductwork.vendors.phason.exceptions import PhasonError

_encoder = msgspec.json.Encoder()


def json_response(body: Any, status: int = 200) -> Response:
    """Encode a wire struct (or pre-encoded bytes) as application/json."""
    return JsonBytes(body if isinstance(body, bytes) else _encoder.encode(body), status)


def error_response(status: int, message: str) -> Response:
    """Phason's error body: {"message": "..."}."""
    return json_response({"message": message}, status)


def _render(exc: Exception) -> Response | None:
    if isinstance(exc, PhasonError):
        return error_response(exc.status, exc.message)
    return None


# ---------------------------------------------------------------- OpenAPI schemas both versions use
INT32 = 2**31 - 1  # ids are stored as 32-bit integers; larger ones are simply not found


def id_schema(example: int) -> dict[str, Any]:
    """An id parameter's schema: a positive 32-bit integer (others are not found: 404)."""
    return {"type": "integer", "minimum": 1, "maximum": INT32, "examples": [example]}


def int_schema(low: int, high: int, example: int | None = None) -> dict[str, Any]:
    """An integer within [low, high] (the server answers 422 outside it)."""
    schema: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    if example is not None:
        schema["examples"] = [example]
    return schema


def number_schema(low: float, high: float) -> dict[str, Any]:
    """A number within [low, high] (the server answers 422 outside it)."""
    return {"type": "number", "minimum": low, "maximum": high}


# A module or I/O position.
POSITION = int_schema(0, 255, 1)
# A date (yyyy-mm-dd), or a date-time with minutes and optional seconds (a space or a T between).
DATE_BOUND = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$",
}
RANGE_RULES = (
    "Give start and end together or neither (neither: the latest record only); end must be "
    "after start and the range at most 7 days, else 422."
)
# A name: some text that is not only white space, without NUL characters (nothing stores one).
NAME = {"type": "string", "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"}

PHASON_ERRORS = ErrorShape(
    render=_render,
    not_found=lambda: error_response(404, "Endpoint not found."),
    method_not_allowed=lambda: error_response(405, "Method not allowed."),
    server_error=lambda: error_response(500, "Internal server error."),
)
