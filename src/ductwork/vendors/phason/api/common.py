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


PHASON_ERRORS = ErrorShape(
    render=_render,
    not_found=lambda: error_response(404, "Endpoint not found."),
    method_not_allowed=lambda: error_response(405, "Method not allowed."),
    server_error=lambda: error_response(500, "Internal server error."),
)
