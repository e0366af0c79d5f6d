"""Status lines as the real vendor servers send them.

Flair runs Flask/Werkzeug behind gunicorn, whose status lines carry upper-case reason phrases
(`201 CREATED`, `422 UNPROCESSABLE ENTITY`), and at least one widely used client reads the
phrase. ASGI has no per-response reason phrase, so ductwork's server writes Werkzeug-style
phrases for every response (for `200 OK` nothing changes). uvicorn keeps its status lines in
module tables; this replaces their contents, and a test on a live server guards it.
"""

from __future__ import annotations

import http

from uvicorn.protocols.http import h11_impl, httptools_impl


def phrase(status: int) -> bytes:
    """The upper-case reason phrase of a status code (empty for unknown codes)."""
    try:
        return http.HTTPStatus(status).phrase.upper().encode()
    except ValueError:
        return b""


def use_upper_case_reason_phrases() -> None:
    """Make uvicorn (httptools and h11 protocols) write `HTTP/1.1 201 CREATED`."""
    for status in range(100, 600):
        text = phrase(status)
        httptools_impl.STATUS_LINE[status] = b"HTTP/1.1 %d %s\r\n" % (status, text)
        h11_impl.STATUS_PHRASES[status] = text
