"""Credentials from requests: bearer tokens, API keys and HTTP Basic, and the cached-first
authentication every API runs on them. Which credential means what is the vendor's business;
this module only reads headers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.requests import Request

from ductwork.http.dispatch import header

P = TypeVar("P")


def bearer_token(request: Request, *, colon: bool = False) -> str | None:
    """The token of `Authorization: Bearer <token>` (the scheme in any case), or None; with
    `colon`, `Bearer: <token>` too, as scripts in the wild send it."""
    scheme, _, token = (header(request, b"authorization") or "").partition(" ")
    if colon:
        scheme = scheme.rstrip(":")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def api_key(request: Request, name: bytes) -> str | None:
    """The key in the header of that (lower-case) name, blanks stripped, or None."""
    return (header(request, name) or "").strip() or None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (user, password) of `Authorization: Basic <base64 of user:password>`, or None."""
    scheme, _, encoded = (header(request, b"authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


async def authenticated(
    credential: str | None,
    cached: Callable[[str], P | None],
    lookup: Callable[[str], P | None],
) -> P | None:
    """What a credential stands for: from the cache if it was checked a moment ago (no I/O),
    else looked up in a worker thread; None without a credential or for an unknown one."""
    if credential is None:
        return None
    found = cached(credential)
    if found is None:
        found = await anyio.to_thread.run_sync(lookup, credential)
    return found
