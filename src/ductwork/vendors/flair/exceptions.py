"""Flair's error shape: a JSON:API `errors` array, each error with status, title and detail."""

from __future__ import annotations

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}


class FlairError(Exception):
    """An error answered as `{"errors": [{"status", "title", "detail"}]}` with its status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    @property
    def title(self) -> str:
        """The HTTP reason phrase of the status, as the real service titles its errors."""
        return TITLES[self.status]


def unauthorized(detail: str = "A valid bearer token is required.") -> FlairError:
    """401: no token, or an unknown, revoked or expired one."""
    return FlairError(401, detail)


def forbidden(detail: str) -> FlairError:
    """403: the token lacks the scope, or the action is not permitted."""
    return FlairError(403, detail)


def not_found(type_name: str, resource_id: str) -> FlairError:
    """404: no such resource for this account (another account's looks the same)."""
    return FlairError(404, f"{type_name} resource with id {resource_id} was not found")


def invalid(detail: str) -> FlairError:
    """422: a write that names a non-editable or unknown attribute, or a bad value."""
    return FlairError(422, detail)


def bad_request(detail: str) -> FlairError:
    """400: a body that is not a JSON:API document, or a malformed query parameter."""
    return FlairError(400, detail)


def conflict(detail: str) -> FlairError:
    """409: the document's type or id does not match the endpoint (JSON:API)."""
    return FlairError(409, detail)
