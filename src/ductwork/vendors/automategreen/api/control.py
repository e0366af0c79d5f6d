"""Automate Green's part of the control plane, under /_ductwork/automategreen: faults and
changes of the simulated house that no vendor API call makes (ids are global, so no account
is named). Errors are the control plane's `{"error": ...}`."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ductwork.http.dispatch import Api, Endpoint, ErrorShape
from ductwork.vendors.automategreen.exceptions import AutomateGreenError
from ductwork.vendors.automategreen.service import AutomateGreen

PREFIX = "/_ductwork/automategreen"


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _render(exc: Exception) -> Response | None:
    if isinstance(exc, AutomateGreenError):
        return _error(exc.status, exc.message)
    return None


ERRORS = ErrorShape(
    render=_render,
    not_found=lambda: _error(404, "not found"),
    method_not_allowed=lambda: _error(405, "method not allowed"),
    server_error=lambda: _error(500, "internal server error"),
)


async def _object(request: Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.body() or b"{}")
    except msgspec.DecodeError:
        body = None
    if not isinstance(body, dict):
        raise AutomateGreenError(422, "the body must be a JSON object")
    return body


def create_api(service: AutomateGreen) -> Api:
    """`PUT /devices/{id}/online` {"online": false|true} takes a device off line or back;
    `POST /gateways/{id}/link` {"kind", "name"} links a new device to a hub on the twin side
    (the cloud lists it after `GET /v1/gateways/{id}/reload`)."""

    async def online(request: Request) -> Response:
        body = await _object(request)
        if not isinstance(body.get("online"), bool):
            return _error(422, "online must be true or false")
        device_id = str(request.path_params["deviceId"])
        return JSONResponse(
            await anyio.to_thread.run_sync(service.set_online, device_id, body["online"])
        )

    async def link(request: Request) -> Response:
        body = await _object(request)
        kind, name = body.get("kind"), body.get("name")
        if not isinstance(kind, str) or not isinstance(name, str) or not name.strip():
            return _error(422, "kind and name are required strings")
        gateway_id = str(request.path_params["gatewayId"])
        linked = await anyio.to_thread.run_sync(service.link, gateway_id, kind, name.strip())
        return JSONResponse(linked, status_code=201)

    return Api(
        PREFIX,
        [
            Endpoint("PUT", "/devices/{deviceId}/online", online),
            Endpoint("POST", "/gateways/{gatewayId}/link", link),
        ],
        ERRORS,
    )
