"""Phason AutoFlex Connect API v1.0.2 (OAuth2): the route table (sign-in and consent pages,
tokens, device calls), each entry with its OpenAPI operation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ductwork.core.accounts import Account, Accounts
from ductwork.http.auth import authenticated, bearer_token
from ductwork.http.authorize import Authorization, Brand, endpoints
from ductwork.http.dispatch import Api, Endpoint
from ductwork.http.openapi import Operation, Param, Reply, build_document, docs_page
from ductwork.http.params import BadBody, BodyRules, declared_type, merge_params, with_nul
from ductwork.vendors.phason import wire
from ductwork.vendors.phason.api.common import PHASON_ERRORS, json_response
from ductwork.vendors.phason.exceptions import PhasonError
from ductwork.vendors.phason.oauth import PhasonAuthorizationServer, PhasonRequest
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.settings import PhasonSettings
from ductwork.vendors.phason.timed import TimedEvents

PREFIX = "/phason"
UNAUTHORIZED = "Access token is missing, invalid or expired."
OAUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method")  # fmt: skip
Handler = Callable[[Request], Awaitable[Response]]
Call = Callable[[Account, dict[str, str], str], Any]
# Form and JSON bodies of writes, by their declared type; `a[b]` and nested objects give `a_b`.
BODY = BodyRules(declared_type, frozenset({"POST", "PUT", "DELETE"}), flatten=True, json_nulls=True)

BRAND = Brand(
    name="Phason Webservices",
    colour="#00543c",
    login_action=f"{PREFIX}/auth",
    consent_action=f"{PREFIX}/auth/consent",
    sign_in_title="Phason sign in",
    consent_title="Phason consent",
    invitation=lambda client: (
        f"Sign in to connect <strong>{client}</strong> to your AutoFlex devices."
    ),
    request=lambda client, email, _grant: (
        f"<strong>{client}</strong> asks to read the AutoFlex devices of {email}: rooms, "
        "equipment groups, settings and history."
    ),
)


async def _params(request: Request) -> dict[str, str]:
    """Query parameters merged with a form or JSON body; a body that is not JSON is a 422."""
    try:
        return await merge_params(request, BODY)
    except BadBody:
        raise PhasonError(422, "Missing post data") from None


def _storable(params: dict[str, str]) -> dict[str, str]:
    """An API call's parameters, refused (422) if one holds a NUL character: nothing stores
    one (PostgreSQL text cannot). The OAuth endpoints drop such parameters instead."""
    name = with_nul(params)
    if name is not None:
        raise PhasonError(422, f"{name} may not contain NUL characters.")
    return params


def create_api(
    service: PhasonService,
    settings: PhasonSettings,
    timed: TimedEvents,
    server: PhasonAuthorizationServer,
    accounts: Accounts,
) -> Api:
    """The v1.0.2 API under /phason, with Phason's error shape."""

    async def authenticate(request: Request) -> Account:
        account = await authenticated(
            bearer_token(request, colon=True), server.cached_bearer, server.authenticate_bearer
        )
        if account is None:
            raise PhasonError(401, UNAUTHORIZED)
        return account

    def endpoint(call: Call) -> Handler:
        async def handle(request: Request) -> Response:
            account = await authenticate(request)
            params = _storable(await _params(request))
            device = str(request.path_params.get("deviceId", ""))
            result = await anyio.to_thread.run_sync(call, account, params, device)
            return json_response(result)

        return handle

    # ------------------------------------------------------------ OAuth2
    def oauth_request(request: Request, params: dict[str, str]) -> PhasonRequest:
        return PhasonRequest(request.method, str(request.url), params, dict(request.headers))

    authorize, consent = endpoints(
        Authorization(server, BRAND, OAUTH_PARAMS, _params, oauth_request)
    )

    async def token(request: Request) -> Response:
        params = await _params(request)
        status, body, headers = await anyio.to_thread.run_sync(
            server.answer_token_request, oauth_request(request, params)
        )
        response = json_response(json.dumps(body).encode(), status)
        for name, value in headers:
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    async def refresh(request: Request) -> Response:
        params = await _params(request)
        given = bearer_token(request, colon=True)
        status, body = await anyio.to_thread.run_sync(server.phason_refresh, given, params)
        return json_response(json.dumps(body).encode(), status)

    async def move_schedule(request: Request) -> Response:
        # The old module and port travel in the query, the new ones in the form, same names.
        account = await authenticate(request)
        params = _storable(await _params(request))
        params["old_output_module"] = request.query_params.get("output_module", "")
        params["old_output_port"] = request.query_params.get("output_port", "")
        device = str(request.path_params["deviceId"])
        result = await anyio.to_thread.run_sync(timed.set_module, account, device, params, True)
        return json_response(result)

    def command_call(name: str) -> Call:
        def call(account: Account, params: dict[str, str], device: str) -> Any:
            return settings.command(account, device, params, name)

        return call

    def get(path: str, call: Call, operation: Operation) -> Endpoint:
        return Endpoint("GET", path, endpoint(call), operation)

    def post(path: str, call: Call, operation: Operation) -> Endpoint:
        return Endpoint("POST", path, endpoint(call), operation)

    def put(path: str, call: Call, operation: Operation) -> Endpoint:
        return Endpoint("PUT", path, endpoint(call), operation)

    def delete(path: str, call: Call, operation: Operation) -> Endpoint:
        return Endpoint("DELETE", path, endpoint(call), operation)

    async def openapi(_request: Request) -> Response:
        return json_response(document)

    async def docs(_request: Request) -> Response:
        return HTMLResponse(
            docs_page("Phason AutoFlex Connect API v1.0.2", f"{PREFIX}/openapi.json")
        )

    dev = "/devices/{deviceId}"
    routes = [
        # The sign-in and consent pages are not in the document.
        Endpoint("GET", "/auth", authorize),
        Endpoint("POST", "/auth", authorize),
        Endpoint("POST", "/auth/consent", consent),
        Endpoint("POST", "/token", token, Operation(
            "Token endpoint",
            "OAuth2 token endpoint: grant_type=authorization_code (with PKCE when the "
            "authorization request had a code_challenge) or refresh_token; the client "
            "secret goes in the form body (client_secret_post).", "OAuth2",
            (Reply(200, "Access (24 h) and refresh (7 days) tokens"),
             Reply(400, "RFC 6749 error"), Reply(401, "invalid_client")))),
        Endpoint("POST", "/refresh", refresh, Operation(
            "Refresh expired access keys",
            "The expired access token as Bearer; client_id, secret and refresh_token in "
            "the form. Codes: 0 new key issued, 1 key still valid, 2 missing post data, "
            "3 access token received instead of refresh token.", "OAuth2",
            (Reply(200, "code 0 or 1"), Reply(400, "code 2 or 3"),
             Reply(401, "unknown client, secret or refresh token")))),
        get("/devices", lambda a, p, d: service.devices(a), Operation(
            "Devices", "All devices of the signed-in account.", "Device",
            (Reply(200, "successful operation", list[wire.DeviceOut]), _AUTH),
            security=("bearer",))),
        get(f"{dev}/rooms", lambda a, p, d: service.rooms(a, d),
            _op("Rooms", "Room", list[wire.RoomOut])),
        get(f"{dev}/equipment_groups",
            lambda a, p, d: service.group_history(a, d, p.get("start"), p.get("end")),
            _op("Equipment groups (latest or a range)", "Equipment Group",
                list[wire.GroupReading], *_RANGE)),
        get(f"{dev}/equipment_groups/settings",
            lambda a, p, d: settings.group_settings(a, d, p.get("group_id")),
            _op("Equipment group settings", "Equipment Group", wire.GroupSettingsV102, _GROUP)),
        post(f"{dev}/equipment_groups/settings",
             lambda a, p, d: settings.set_master_setpoint(a, d, p),
             _op("Set the master setpoint", "Equipment Group", wire.GroupSettingsV102, _GROUP,
                 Param("master_setpoint", "query", "New master setpoint (°C; in WC or THI by "
                       "group type); form body accepted too.", True), extra=(_MISSING,))),
        get(f"{dev}/misting_groups", lambda a, p, d: service.misting_groups(a, d),
            _op("Misting groups", "Misting Group", list[wire.MistingGroupOut])),
        get(f"{dev}/misting_groups/settings",
            lambda a, p, d: settings.misting_settings(a, d, p.get("group_id")),
            _op("Misting group settings", "Misting Group", wire.MistingSettingsAnswer, _GROUP)),
        post(f"{dev}/misting_groups/settings", lambda a, p, d: settings.set_misting(a, d, p),
             _op("Set misting group settings", "Misting Group", wire.MistingSettingsAnswer,
                 _GROUP, extra=(_MISSING,))),
        get(f"{dev}/time", lambda a, p, d: service.device_time(a, d),
            _op("Device time", "Time", wire.DeviceTime)),
        get(f"{dev}/configuration", lambda a, p, d: service.configuration(a, d),
            _op("Configured inputs and outputs", "Configuration",
                list[wire.ConfigurationOut])),
        get(f"{dev}/outputs", lambda a, p, d: service.outputs(a, d, p.get("start"), p.get("end")),
            _op("Outputs with history", "Output", list[wire.OutputOut], *_RANGE)),
        get(f"{dev}/outputs/settings",
            lambda a, p, d: service.output_settings(a, d, p.get("module_num"), p.get("io_num")),
            _op("Output settings", "Output", wire.OutputSettings, *_POSITION)),
        post(f"{dev}/outputs/settings", lambda a, p, d: settings.set_output(a, d, p),
             _op("Set output settings", "Output", wire.OutputSettings, *_POSITION,
                 extra=(_MISSING,))),
        post(f"{dev}/outputs/manual_override", lambda a, p, d: settings.manual_override(a, d, p),
             _op("Manual override", "Output", wire.Message, *_POSITION,
                 Param("enabled", "query", "1 enables, 0 disables.", True),
                 Param("value", "query", "The value while overriding."),
                 Param("duration", "query", "Seconds (0: until disabled)."),
                 extra=(_MISSING,))),
        get(f"{dev}/inputs", lambda a, p, d: service.inputs(a, d, p.get("start"), p.get("end")),
            _op("Inputs with history", "Input", list[wire.InputOut], *_RANGE)),
        # Lighting timed events: each documented by its summary (parameters named in it).
        get(f"{dev}/timed_statistic", lambda a, p, d: timed.statistic(a, d),
            _timed("Ids of schedules, segments and events")),
        get(f"{dev}/event_single", lambda a, p, d: timed.event(a, d, p),
            _timed("One event (segment_id, event_id)")),
        put(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "update"),
            _timed("Update an event (segment_id, event_id, event_value, event_time)")),
        post(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "create"),
             _timed("Create an event (segment_id, event_value, event_time hh:mm:ss)")),
        delete(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "delete"),
               _timed("Delete an event (segment_id, event_id)")),
        get(f"{dev}/events_segment",
            lambda a, p, d: timed.events_of_segment(a, d, p.get("segment_id")),
            _timed("Events of a segment (segment_id)")),
        get(f"{dev}/events_device", lambda a, p, d: timed.events_of_device(a, d),
            _timed("Schedules, segments and events of the device")),
        get(f"{dev}/segment_single", lambda a, p, d: timed.segment_of_schedule(a, d, p),
            _timed("A segment tied into a schedule (schedule_id, segment_id)")),
        get(f"{dev}/segments_all", lambda a, p, d: timed.all_segments(a, d),
            _timed("Every segment")),
        put(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "rename"),
            _timed("Rename a segment (segment_id, segment_name)")),
        post(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "create"),
             _timed("Create a segment (segment_name, segment_module_type 2/3/13)")),
        delete(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "delete"),
               _timed("Delete an untied segment (segment_id)")),
        put(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "move"),
            _timed("Move a tied segment's start day (schedule_id, segment_id, "
                   "segment_start_old/_new)")),
        post(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "tie"),
             _timed("Tie a segment in (schedule_id, segment_id, segment_start)")),
        delete(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "untie"),
               _timed("Untie a segment's start day (schedule_id, segment_id, segment_start)")),
        get(f"{dev}/light_all_schedules", lambda a, p, d: timed.schedules(a, d),
            _timed("Every schedule with output, input, day and segments")),
        get(f"{dev}/single_schedule", lambda a, p, d: timed.schedule(a, d, p.get("schedule_id")),
            _timed("One schedule (schedule_id)")),
        post(f"{dev}/single_schedule", lambda a, p, d: timed.update_schedule(a, d, p),
             _timed("Rename or change the repeat day (schedule_id)")),
        delete(f"{dev}/single_schedule",
               lambda a, p, d: timed.delete_schedule(a, d, p.get("schedule_id")),
               _timed("Delete a schedule (schedule_id)")),
        post(f"{dev}/create_schedule", lambda a, p, d: timed.create_schedule(a, d, p),
             _timed("Create a schedule (schedule_name, sched_repeat_day, type)")),
        post(f"{dev}/single_schedule_set_module",
             lambda a, p, d: timed.set_module(a, d, p, False),
             _timed("Tie a schedule to an output and set its current day")),
        Endpoint("POST", f"{dev}/single_schedule_module", move_schedule,
                 _timed("Move a schedule to another output (old module/port in the query, new "
                        "in the form)")),
        post(f"{dev}/ramp_test", command_call("ramp_test"),
             _timed("Ramp a follow-lux output down (mode 1) or up (mode 2)")),
        post(f"{dev}/auto_cali", command_call("auto_cali"),
             _timed("Automatic calibration of a follow-lux output (module, port)")),
        post(f"{dev}/man_cali", command_call("man_cali"),
             _timed("Manual calibration of a follow-lux or timed VAC output")),
        # The document and its docs page are not in the document.
        Endpoint("GET", "/openapi.json", openapi),
        Endpoint("GET", "/docs", docs),
    ]  # fmt: skip
    document = openapi_document(routes)
    return Api(PREFIX, routes, PHASON_ERRORS)


# ---------------------------------------------------------------- OpenAPI
_AUTH = Reply(401, UNAUTHORIZED, wire.Message)
_DEVICE = Reply(404, "Phason User Account does not exists on this device.", wire.Message)
_MISSING = Reply(422, "Missing post data (or a value out of its range, named).", wire.Message)
_ID = Param("deviceId", "path", "The id of the device.", True, "8446")
_RANGE = (Param("start", "query", "Start date or date-time (device time)."),
          Param("end", "query", "End date or date-time (device time)."))  # fmt: skip
_GROUP = Param("group_id", "query", "The id of the group.", True)
_POSITION = (Param("module_num", "query", "Module position.", True),
             Param("io_num", "query", "I/O position on the module.", True))  # fmt: skip


def _op(summary: str, tag: str, body: Any, *params: Param,
        extra: tuple[Reply, ...] = ()) -> Operation:  # fmt: skip
    """A call on one device (its id in the path), with the replies every such call has."""
    replies = (Reply(200, "successful operation", body), _AUTH, _DEVICE, *extra)
    return Operation(summary, summary, tag, replies, (_ID, *params), ("bearer",))


def _timed(summary: str) -> Operation:
    """A lighting timed-events call: no documented body; its parameters in the summary."""
    return _op(summary, "Lighting Timed Events", None, extra=(_MISSING,))


def openapi_document(routes: list[Endpoint]) -> dict[str, Any]:
    """The v1.0.2 OpenAPI document, from the route table's operations."""
    return build_document(
        title="Phason AutoFlex Connect API (ductwork)",
        version="1.0.2",
        description="Phason API v1.0.2 over simulated AutoFlex Connect barns. Sign in through "
        f"the OAuth2 authorization-code flow ({PREFIX}/auth, {PREFIX}/token) and send the "
        "access token as `Authorization: Bearer`.",
        server_url=PREFIX,
        routes=routes,
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
    )


__all__ = ["create_api"]
