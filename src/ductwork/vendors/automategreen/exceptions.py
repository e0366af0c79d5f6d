"""Automate Green's errors: the status codes of the document's table. A 401 is the plain-text
body `Unauthorized` (what the real service sends); the others are JSON `{"message": ...}`."""

from __future__ import annotations


class AutomateGreenError(Exception):
    """An answer other than success: HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> AutomateGreenError:
    """400: there is an error with the request."""
    return AutomateGreenError(400, message)


def unauthorized() -> AutomateGreenError:
    """401: no valid token (plain text `Unauthorized`)."""
    return AutomateGreenError(401, "Unauthorized")


def forbidden(message: str) -> AutomateGreenError:
    """403: the request is not allowed."""
    return AutomateGreenError(403, message)


def not_found(what: str) -> AutomateGreenError:
    """404: the resource does not exist (or belongs to another account: the same answer)."""
    return AutomateGreenError(404, f"{what} not found")


def unavailable(message: str = "Device is not responding") -> AutomateGreenError:
    """503: the device (or the service) does not answer."""
    return AutomateGreenError(503, message)
