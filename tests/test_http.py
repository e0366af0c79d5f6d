"""The HTTP server itself: status lines as the real vendors' servers write them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anyio
import httpx
import pytest
from starlette.requests import Request
from starlette.types import Message, Scope

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


def test_a_client_gone_mid_body_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """A client that disconnects while its body streams in (wrk at the end of a run, a
    browser tab closed) gets no answer and leaves no error in the log."""
    from starlette.responses import Response as StarletteResponse

    from ductwork.http.dispatch import Api, App, Endpoint, ErrorShape

    async def echo(request: Request) -> StarletteResponse:
        return StarletteResponse(await request.body())

    def fail() -> StarletteResponse:
        raise AssertionError("no answer expected")

    shape = ErrorShape(lambda _e: None, fail, fail, fail)
    app = App([Api("/x", [Endpoint("POST", "/echo", echo)], shape)], [], shape, {})
    messages: Iterator[Message] = iter([
        {"type": "http.request", "body": b"part", "more_body": True},
        {"type": "http.disconnect"},
    ])  # fmt: skip
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/x/echo", "headers": [],
             "query_string": b"", "server": ("127.0.0.1", 8000)}  # fmt: skip
    with caplog.at_level(logging.ERROR):
        anyio.run(app, scope, receive, send)
    assert sent == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
