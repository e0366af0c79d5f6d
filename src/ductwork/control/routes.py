"""Control-plane endpoints: readiness, the account clocks, resets and webhook deliveries (JSON)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ductwork import __version__
from ductwork.core.accounts import Account
from ductwork.http.dispatch import Api, Endpoint, ErrorShape
from ductwork.runtime import Runtime


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


CONTROL_ERRORS = ErrorShape(
    render=lambda _exc: None,
    not_found=lambda: _error(404, "not found"),
    method_not_allowed=lambda: _error(405, "method not allowed"),
    server_error=lambda: _error(500, "internal server error"),
)


def create_api(runtime: Runtime) -> Api:
    """The control plane under /_ductwork."""

    async def health(_request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "database": runtime.engine.dialect.name,
                "pid": os.getpid(),  # which worker answered (`serve --workers N`)
            }
        )

    async def named_account(request: Request) -> Account | Response:
        """The account of the `account` query parameter, or the error to answer (422, 404)."""
        email = request.query_params.get("account")
        if not email:
            return _error(422, "the account query parameter (an email) is required")
        account = await anyio.to_thread.run_sync(runtime.accounts.by_email, email)
        return _error(404, f"no account {email}") if account is None else account

    async def get_clock(request: Request) -> Response:
        account = await named_account(request)
        if isinstance(account, Response):
            return account
        state = runtime.clocks.state(account.id)
        return JSONResponse(state.document(runtime.clocks.real()))

    async def post_clock(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body must be a JSON object")
        if not isinstance(body, dict) or not isinstance(body.get("account"), str):
            return _error(422, "the body must be a JSON object with an account (email)")
        changes: dict[str, Any] = {}
        advance = body.get("advance_seconds", 0)
        if isinstance(advance, bool) or not isinstance(advance, int | float):
            return _error(422, "advance_seconds must be a number")
        if advance < 0 or not math.isfinite(advance) or advance > 10 * 365 * 86_400:
            return _error(422, "advance_seconds must be between 0 and ten years")
        changes["advance_seconds"] = float(advance)
        if "speed" in body:
            speed = body["speed"]
            if (
                isinstance(speed, bool)
                or not isinstance(speed, int | float)
                or not (0 < speed <= 100_000)
            ):
                return _error(422, "speed must be a number above 0 and at most 100000")
            changes["speed"] = float(speed)
        if "freeze" in body:
            if not isinstance(body["freeze"], bool):
                return _error(422, "freeze must be true or false")
            changes["freeze"] = body["freeze"]
        account = await anyio.to_thread.run_sync(runtime.accounts.by_email, body["account"])
        if account is None:
            return _error(404, f"no account {body['account']}")
        state = await anyio.to_thread.run_sync(lambda: runtime.clocks.change(account.id, **changes))
        return JSONResponse(state.document(runtime.clocks.real()))

    async def reset(request: Request) -> Response:
        account = await named_account(request)
        if isinstance(account, Response):
            return account
        worlds = await anyio.to_thread.run_sync(runtime.reset, account)
        return JSONResponse({"account": account.email, **worlds})

    async def webhooks(request: Request) -> Response:
        email = request.query_params.get("account") or None
        listing = await anyio.to_thread.run_sync(lambda: runtime.outbox.listing(email))
        return JSONResponse(listing)

    return Api(
        "/_ductwork",
        [
            Endpoint("GET", "/health", health),
            Endpoint("GET", "/clock", get_clock),
            Endpoint("POST", "/clock", post_clock),
            Endpoint("POST", "/reset", reset),
            Endpoint("GET", "/webhooks", webhooks),
        ],
        CONTROL_ERRORS,
    )
