"""Phason's error shape: a JSON object with one `message`, under a fitting HTTP status."""

from __future__ import annotations

AUTH_FAILED = "API Key Authentication Failed."
NOT_ON_DEVICE = "Phason User Account does not exists on this device."
INVALID_USER = "Invalid User."
INVALID_PASSWORD = "Invalid Password."  # noqa: S105 (a message, not a password)
END_BEFORE_START = "End date should be greater than start date."
MODULE_NOT_SUPPORTED = "This module type is not supported."


class PhasonError(Exception):
    """An error answered as `{"message": ...}` with the given status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unauthorized(message: str = AUTH_FAILED) -> PhasonError:
    """401: a missing or unknown key or login."""
    return PhasonError(401, message)


def not_found(message: str = NOT_ON_DEVICE) -> PhasonError:
    """404: no such device for this account (another account's device looks the same)."""
    return PhasonError(404, message)


def invalid(message: str) -> PhasonError:
    """422: a missing or malformed parameter."""
    return PhasonError(422, message)
