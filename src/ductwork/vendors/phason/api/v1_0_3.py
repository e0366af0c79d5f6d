"""Phason API v1.0.3 (API keys): the route table, each entry with its OpenAPI operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ductwork.core.accounts import Account, Accounts
from ductwork.http.auth import api_key, authenticated, basic_credentials
from ductwork.http.dispatch import Api, Endpoint
from ductwork.http.openapi import Operation, Param, Reply, build_document, docs_page
from ductwork.vendors.phason import wire
from ductwork.vendors.phason.api.common import (
    DATE_BOUND,
    PHASON_ERRORS,
    POSITION,
    RANGE_RULES,
    id_schema,
    json_response,
)
from ductwork.vendors.phason.exceptions import (
    AUTH_FAILED,
    END_BEFORE_START,
    INVALID_PASSWORD,
    INVALID_USER,
    MODULE_NOT_SUPPORTED,
    NOT_ON_DEVICE,
    unauthorized,
)
from ductwork.vendors.phason.service import PhasonService

PREFIX = "/phason/v1.0.3"
KEY_VENDOR = "phason"
KEY_MESSAGE = "This key is only visible to you. Make sure to store it securely."
Handler = Callable[[Request], Awaitable[Response]]
Call = Callable[[PhasonService, Account, Request], Any]


def create_api(service: PhasonService, accounts: Accounts) -> Api:
    """The v1.0.3 API: its endpoints under /phason/v1.0.3 and Phason's error shape."""

    def cached(key: str) -> Account | None:
        return accounts.cached_key(key, KEY_VENDOR)

    def lookup(key: str) -> Account | None:
        return accounts.authenticate_key(key, KEY_VENDOR)

    async def authenticate(request: Request) -> Account:
        account = await authenticated(api_key(request, b"phasonkey"), cached, lookup)
        if account is None:
            raise unauthorized()
        return account

    def endpoint(call: Call) -> Handler:
        async def handle(request: Request) -> Response:
            account = await authenticate(request)
            result = await anyio.to_thread.run_sync(call, service, account, request)
            return json_response(result)

        return handle

    async def generate_key(request: Request) -> Response:
        credentials = basic_credentials(request)
        if credentials is None:
            raise unauthorized(INVALID_USER)
        checked = await anyio.to_thread.run_sync(accounts.check_password, *credentials)
        if checked is None:
            raise unauthorized(INVALID_USER)
        if checked is False or not isinstance(checked, Account):
            raise unauthorized(INVALID_PASSWORD)
        key = await anyio.to_thread.run_sync(accounts.issue_key, checked, KEY_VENDOR)
        return json_response(wire.ApiKey(api_key=key, message=KEY_MESSAGE))

    async def devices(request: Request) -> Response:
        account = await authenticate(request)
        body = service.devices_body(account)
        if body is None:
            body = await anyio.to_thread.run_sync(service.devices, account)
        return json_response(body)

    def q(request: Request, name: str) -> str | None:
        return request.query_params.get(name)

    def did(request: Request) -> str:
        return str(request.path_params["deviceId"])

    async def openapi(_request: Request) -> Response:
        return json_response(document)

    async def docs(_request: Request) -> Response:
        return HTMLResponse(docs_page("Phason API v1.0.3", f"{PREFIX}/openapi.json"))

    dev = "/devices/{deviceId}"
    bad = (_BAD,)
    routes = [
        Endpoint("POST", "/generate_key", generate_key, Operation(
            summary="Generate API Key",
            description="Generate an API key with Basic authentication (account email and "
            "password). The key is shown once; ductwork stores only its hash.",
            tag="Authentication",
            replies=(
                Reply(200, "Successful operation.", wire.ApiKey),
                Reply(401, f"{INVALID_USER} / {INVALID_PASSWORD}", wire.Message),
            ),
            security=("basicAuth",),
        )),
        Endpoint("GET", "/devices", devices, Operation(
            summary="List devices",
            description="All AutoFlex Connect devices of the key's account.",
            tag="Device",
            replies=(Reply(200, "Successful operation.", list[wire.DeviceOut]), _AUTH),
            security=("Phasonkey",),
        )),
        Endpoint("GET", f"{dev}/time", endpoint(lambda s, a, r: s.device_time(a, did(r))),
                 _on_device("Device time", "Current date, time and time zone of the device.",
                            "Device", wire.DeviceTime)),
        Endpoint("GET", f"{dev}/equipment_groups/history",
                 endpoint(lambda s, a, r: s.group_history(a, did(r), q(r, "start"), q(r, "end"))),
                 _on_device("Equipment group history",
                            "Latest record of every equipment group; with start and end, every "
                            "one-minute record in that range (at most 7 days).",
                            "Equipment Group", list[wire.GroupReading], *_RANGE, extra=bad)),
        Endpoint("GET", f"{dev}/equipment_groups/settings",
                 endpoint(lambda s, a, r: s.group_settings(a, did(r), q(r, "group_id"))),
                 _on_device("Equipment group settings",
                            "Master setpoint, room settings mode and growth curve of one group.",
                            "Equipment Group", wire.GroupSettings,
                            Param("group_id", "query", "The ID of the group.", True,
                                  schema=id_schema(17347)),
                            extra=(*bad, Reply(404, "Equipment group not found on this device.",
                                               wire.Message)))),
        Endpoint("GET", f"{dev}/outputs/history",
                 endpoint(lambda s, a, r: s.outputs(a, did(r), q(r, "start"), q(r, "end"))),
                 _on_device("Output history",
                            "Every output with its readings between start and end (latest only "
                            "without a range).", "Output", list[wire.OutputOut], *_RANGE,
                            extra=(Reply(422, END_BEFORE_START, wire.Message),))),
        Endpoint("GET", f"{dev}/outputs/settings",
                 endpoint(lambda s, a, r: s.output_settings(a, did(r), q(r, "module_num"),
                                                            q(r, "io_num"))),
                 _on_device("Output settings",
                            "Settings of the output at a module position and I/O position; only "
                            "the sections that apply to the output's function are present.",
                            "Output", wire.OutputSettings,
                            Param("module_num", "query", "Module position number.", True,
                                  schema=POSITION),
                            Param("io_num", "query", "Output position on the module.", True,
                                  schema=POSITION),
                            extra=(Reply(400, MODULE_NOT_SUPPORTED, wire.Message), *bad))),
        Endpoint("GET", f"{dev}/inputs",
                 endpoint(lambda s, a, r: s.inputs(a, did(r), q(r, "start"), q(r, "end"))),
                 _on_device("Inputs", "Every input sensor with its readings between start and "
                            "end (latest only without a range).", "Input", list[wire.InputOut],
                            *_RANGE, extra=bad)),
        Endpoint("GET", f"{dev}/growth_curves", endpoint(lambda s, a, r: s.curves(a, did(r))),
                 _on_device("Growth curves", "All growth curves on the device.",
                            "Growth Curves", wire.Curves)),
        Endpoint("GET", f"{dev}/growth_curves/settings",
                 endpoint(lambda s, a, r: s.curve_settings(a, did(r), q(r, "growth_curve_id"))),
                 _on_device("Growth curve settings", "The seven steps of one growth curve.",
                            "Growth Curves", wire.CurveSettings,
                            Param("growth_curve_id", "query", "Growth curve ID.", True,
                                  schema=id_schema(1)),
                            extra=(*bad, Reply(404, "Growth curve not found on this device.",
                                               wire.Message)))),
        # The document and its docs page are not in the document.
        Endpoint("GET", "/openapi.json", openapi),
        Endpoint("GET", "/docs", docs),
    ]  # fmt: skip
    document = openapi_document(routes)
    return Api(PREFIX, routes, PHASON_ERRORS)


# ---------------------------------------------------------------- OpenAPI
_AUTH = Reply(401, AUTH_FAILED, wire.Message)
_DEVICE = Reply(404, NOT_ON_DEVICE, wire.Message)
_BAD = Reply(422, "A parameter is missing or malformed.", wire.Message)
_DEVICE_ID = Param("deviceId", "path", "The ID of the device.", True, schema=id_schema(9596))
_RANGE = (
    Param("start", "query", "Start date (yyyy-mm-dd) or date-time (yyyy-mm-dd hh:mm:ss), "
          f"in the device's time zone. {RANGE_RULES}", example="2024-07-20", schema=DATE_BOUND),
    Param("end", "query", f"End date (the whole day is included) or date-time. {RANGE_RULES}",
          example="2024-07-21", schema=DATE_BOUND),
)  # fmt: skip


def _on_device(summary: str, description: str, tag: str, body: Any, *params: Param,
               extra: tuple[Reply, ...] = ()) -> Operation:  # fmt: skip
    """A read of one device (its id in the path), with the replies every such read has."""
    return Operation(
        summary=summary,
        description=description,
        tag=tag,
        params=(_DEVICE_ID, *params),
        replies=(Reply(200, "Successful operation.", body), _AUTH, _DEVICE, *extra),
        security=("Phasonkey",),
    )


def openapi_document(routes: list[Endpoint]) -> dict[str, Any]:
    """The v1.0.3 OpenAPI document, from the route table's operations."""
    return build_document(
        title="Phason API (ductwork)",
        version="1.0.3",
        description="Phason API v1.0.3 served by ductwork over simulated AutoFlex Connect "
        "barns. Authenticate with the `Phasonkey` header; get a key from POST /generate_key.",
        server_url=PREFIX,
        routes=routes,
        security_schemes={
            "Phasonkey": {"type": "apiKey", "in": "header", "name": "Phasonkey"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        },
    )
