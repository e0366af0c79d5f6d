"""The HTTP server itself: status lines as the real vendors' servers write them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World


@pytest.mark.parametrize(
    ("method", "path", "status", "phrase"),
    [
        ("GET", "/_ductwork/health", 200, "OK"),
        ("GET", "/phason/v1.0.3/nope", 404, "NOT FOUND"),
        ("DELETE", "/phason/v1.0.3/devices", 405, "METHOD NOT ALLOWED"),
        ("GET", "/phason/v1.0.3/devices", 401, "UNAUTHORIZED"),
    ],
)
def test_reason_phrases_are_upper_case(
    world: World, live_server: str, method: str, path: str, status: int, phrase: str
) -> None:
    """Werkzeug-style reason phrases (Flair's real server; some clients read them)."""
    answer = httpx.request(method, live_server + path)
    assert answer.status_code == status
    assert answer.reason_phrase == phrase
