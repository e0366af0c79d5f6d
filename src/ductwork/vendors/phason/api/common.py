"""What both Phason API versions share on the wire: JSON encoding and the error shape."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ductwork.vendors.phason.exceptions import PhasonError

log = logging.getLogger("ductwork.phason")
_encoder = msgspec.json.Encoder()


def json_response(body: Any, status: int = 200) -> Response:
    """Encode a wire struct (or pre-encoded bytes) as application/json."""
    content = body if isinstance(body, bytes) else _encoder.encode(body)
    return Response(content, status_code=status, media_type="application/json")


def error_response(status: int, message: str) -> Response:
    """Phason's error body: {"message": "..."}."""
    return Response(
        _encoder.encode({"message": message}), status_code=status, media_type="application/json"
    )


async def on_phason_error(_request: Request, exc: Exception) -> Response:
    """Map a PhasonError to its status and message."""
    assert isinstance(exc, PhasonError)
    return error_response(exc.status, exc.message)


async def on_http_error(_request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in Phason's shape."""
    assert isinstance(exc, HTTPException)
    messages = {404: "Endpoint not found.", 405: "Method not allowed."}
    response = error_response(exc.status_code, messages.get(exc.status_code, str(exc.detail)))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """Last resort: log the failure (never the request's secrets) and answer in Phason's shape."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    PhasonError: on_phason_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
