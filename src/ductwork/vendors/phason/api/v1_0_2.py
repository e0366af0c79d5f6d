"""Phason AutoFlex Connect API v1.0.2 (OAuth2): login and consent pages, tokens, endpoints."""

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
from ductwork.vendors.phason.settings import COMMANDS, PhasonSettings
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

    def get(path: str, call: Call) -> Endpoint:
        return Endpoint("GET", path, endpoint(call))

    def post(path: str, call: Call) -> Endpoint:
        return Endpoint("POST", path, endpoint(call))

    dev = "/devices/{deviceId}"
    routes = [
        Endpoint("GET", "/auth", authorize),
        Endpoint("POST", "/auth", authorize),
        Endpoint("POST", "/auth/consent", consent),
        Endpoint("POST", "/token", token),
        Endpoint("POST", "/refresh", refresh),
        Endpoint("GET", "/devices", endpoint(lambda a, p, d: service.devices(a))),
        get(f"{dev}/rooms", lambda a, p, d: service.rooms(a, d)),
        get(f"{dev}/equipment_groups",
            lambda a, p, d: service.group_history(a, d, p.get("start"), p.get("end"))),
        get(f"{dev}/equipment_groups/settings",
            lambda a, p, d: settings.group_settings(a, d, p.get("group_id"))),
        post(f"{dev}/equipment_groups/settings",
             lambda a, p, d: settings.set_master_setpoint(a, d, p)),
        get(f"{dev}/misting_groups", lambda a, p, d: service.misting_groups(a, d)),
        get(f"{dev}/misting_groups/settings",
            lambda a, p, d: settings.misting_settings(a, d, p.get("group_id"))),
        post(f"{dev}/misting_groups/settings", lambda a, p, d: settings.set_misting(a, d, p)),
        get(f"{dev}/time", lambda a, p, d: service.device_time(a, d)),
        get(f"{dev}/configuration", lambda a, p, d: service.configuration(a, d)),
        get(f"{dev}/outputs", lambda a, p, d: service.outputs(a, d, p.get("start"), p.get("end"))),
        get(f"{dev}/outputs/settings",
            lambda a, p, d: service.output_settings(a, d, p.get("module_num"), p.get("io_num"))),
        post(f"{dev}/outputs/settings", lambda a, p, d: settings.set_output(a, d, p)),
        post(f"{dev}/outputs/manual_override", lambda a, p, d: settings.manual_override(a, d, p)),
        get(f"{dev}/inputs", lambda a, p, d: service.inputs(a, d, p.get("start"), p.get("end"))),
        get(f"{dev}/timed_statistic", lambda a, p, d: timed.statistic(a, d)),
        get(f"{dev}/event_single", lambda a, p, d: timed.event(a, d, p)),
        Endpoint("PUT", f"{dev}/event_single",
                 endpoint(lambda a, p, d: timed.write_event(a, d, p, "update"))),
        post(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "create")),
        Endpoint("DELETE", f"{dev}/event_single",
                 endpoint(lambda a, p, d: timed.write_event(a, d, p, "delete"))),
        get(f"{dev}/events_segment",
            lambda a, p, d: timed.events_of_segment(a, d, p.get("segment_id"))),
        get(f"{dev}/events_device", lambda a, p, d: timed.events_of_device(a, d)),
        get(f"{dev}/segment_single", lambda a, p, d: timed.segment_of_schedule(a, d, p)),
        get(f"{dev}/segments_all", lambda a, p, d: timed.all_segments(a, d)),
        Endpoint("PUT", f"{dev}/segment_single",
                 endpoint(lambda a, p, d: timed.write_segment(a, d, p, "rename"))),
        post(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "create")),
        Endpoint("DELETE", f"{dev}/segment_single",
                 endpoint(lambda a, p, d: timed.write_segment(a, d, p, "delete"))),
        Endpoint("PUT", f"{dev}/tie_schedule_segment",
                 endpoint(lambda a, p, d: timed.tie(a, d, p, "move"))),
        post(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "tie")),
        Endpoint("DELETE", f"{dev}/tie_schedule_segment",
                 endpoint(lambda a, p, d: timed.tie(a, d, p, "untie"))),
        get(f"{dev}/light_all_schedules", lambda a, p, d: timed.schedules(a, d)),
        get(f"{dev}/single_schedule", lambda a, p, d: timed.schedule(a, d, p.get("schedule_id"))),
        post(f"{dev}/single_schedule", lambda a, p, d: timed.update_schedule(a, d, p)),
        Endpoint("DELETE", f"{dev}/single_schedule",
                 endpoint(lambda a, p, d: timed.delete_schedule(a, d, p.get("schedule_id")))),
        post(f"{dev}/create_schedule", lambda a, p, d: timed.create_schedule(a, d, p)),
        post(f"{dev}/single_schedule_set_module",
             lambda a, p, d: timed.set_module(a, d, p, False)),
        Endpoint("POST", f"{dev}/single_schedule_module", move_schedule),
        *[post(f"{dev}/{name}", command_call(name)) for name in COMMANDS],
    ]  # fmt: skip
    document = openapi_document()

    async def openapi(_request: Request) -> Response:
        return json_response(document)

    async def docs(_request: Request) -> Response:
        return HTMLResponse(
            docs_page("Phason AutoFlex Connect API v1.0.2", f"{PREFIX}/openapi.json")
        )

    routes += [Endpoint("GET", "/openapi.json", openapi), Endpoint("GET", "/docs", docs)]
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


def _op(method: str, path: str, summary: str, tag: str, body: Any, *params: Param,
        extra: tuple[Reply, ...] = ()) -> Operation:  # fmt: skip
    replies = (Reply(200, "successful operation", body), _AUTH, _DEVICE, *extra)
    return Operation(method, path, summary, summary, tag, replies,
                     (_ID, *params) if "{deviceId}" in path else params, ("bearer",))  # fmt: skip


def operations() -> list[Operation]:
    """Every v1.0.2 endpoint served so far."""
    dev = "/devices/{deviceId}"
    return [
        Operation("POST", "/token", "Token endpoint",
                  "OAuth2 token endpoint: grant_type=authorization_code (with PKCE when the "
                  "authorization request had a code_challenge) or refresh_token; the client "
                  "secret goes in the form body (client_secret_post).", "OAuth2",
                  (Reply(200, "Access (24 h) and refresh (7 days) tokens"),
                   Reply(400, "RFC 6749 error"), Reply(401, "invalid_client"))),
        Operation("POST", "/refresh", "Refresh expired access keys",
                  "The expired access token as Bearer; client_id, secret and refresh_token in "
                  "the form. Codes: 0 new key issued, 1 key still valid, 2 missing post data, "
                  "3 access token received instead of refresh token.", "OAuth2",
                  (Reply(200, "code 0 or 1"), Reply(400, "code 2 or 3"),
                   Reply(401, "unknown client, secret or refresh token"))),
        Operation("GET", "/devices", "Devices", "All devices of the signed-in account.", "Device",
                  (Reply(200, "successful operation", list[wire.DeviceOut]), _AUTH),
                  security=("bearer",)),
        _op("GET", f"{dev}/rooms", "Rooms", "Room", list[wire.RoomOut]),
        _op("GET", f"{dev}/equipment_groups", "Equipment groups (latest or a range)",
            "Equipment Group", list[wire.GroupReading], *_RANGE),
        _op("GET", f"{dev}/equipment_groups/settings", "Equipment group settings",
            "Equipment Group", wire.GroupSettingsV102, _GROUP),
        _op("POST", f"{dev}/equipment_groups/settings", "Set the master setpoint",
            "Equipment Group", wire.GroupSettingsV102, _GROUP,
            Param("master_setpoint", "query", "New master setpoint (°C; in WC or THI by group "
                  "type); form body accepted too.", True), extra=(_MISSING,)),
        _op("GET", f"{dev}/misting_groups", "Misting groups", "Misting Group",
            list[wire.MistingGroupOut]),
        _op("GET", f"{dev}/misting_groups/settings", "Misting group settings", "Misting Group",
            wire.MistingSettingsAnswer, _GROUP),
        _op("POST", f"{dev}/misting_groups/settings", "Set misting group settings",
            "Misting Group", wire.MistingSettingsAnswer, _GROUP, extra=(_MISSING,)),
        _op("GET", f"{dev}/time", "Device time", "Time", wire.DeviceTime),
        _op("GET", f"{dev}/configuration", "Configured inputs and outputs", "Configuration",
            list[wire.ConfigurationOut]),
        _op("GET", f"{dev}/outputs", "Outputs with history", "Output", list[wire.OutputOut],
            *_RANGE),
        _op("GET", f"{dev}/outputs/settings", "Output settings", "Output", wire.OutputSettings,
            *_POSITION),
        _op("POST", f"{dev}/outputs/settings", "Set output settings", "Output",
            wire.OutputSettings, *_POSITION, extra=(_MISSING,)),
        _op("POST", f"{dev}/outputs/manual_override", "Manual override", "Output", wire.Message,
            *_POSITION, Param("enabled", "query", "1 enables, 0 disables.", True),
            Param("value", "query", "The value while overriding."),
            Param("duration", "query", "Seconds (0: until disabled)."), extra=(_MISSING,)),
        _op("GET", f"{dev}/inputs", "Inputs with history", "Input", list[wire.InputOut], *_RANGE),
        *[_op(method, f"{dev}/{name}", summary, "Lighting Timed Events", None, extra=(_MISSING,))
          for method, name, summary in TIMED_OPERATIONS],
    ]  # fmt: skip


TIMED_OPERATIONS = (
    ("GET", "timed_statistic", "Ids of schedules, segments and events"),
    ("GET", "event_single", "One event (segment_id, event_id)"),
    ("PUT", "event_single", "Update an event (segment_id, event_id, event_value, event_time)"),
    ("POST", "event_single", "Create an event (segment_id, event_value, event_time hh:mm:ss)"),
    ("DELETE", "event_single", "Delete an event (segment_id, event_id)"),
    ("GET", "events_segment", "Events of a segment (segment_id)"),
    ("GET", "events_device", "Schedules, segments and events of the device"),
    ("GET", "segment_single", "A segment tied into a schedule (schedule_id, segment_id)"),
    ("GET", "segments_all", "Every segment"),
    ("PUT", "segment_single", "Rename a segment (segment_id, segment_name)"),
    ("POST", "segment_single", "Create a segment (segment_name, segment_module_type 2/3/13)"),
    ("DELETE", "segment_single", "Delete an untied segment (segment_id)"),
    (
        "PUT",
        "tie_schedule_segment",
        "Move a tied segment's start day (schedule_id, segment_id, segment_start_old/_new)",
    ),
    ("POST", "tie_schedule_segment", "Tie a segment in (schedule_id, segment_id, segment_start)"),
    (
        "DELETE",
        "tie_schedule_segment",
        "Untie a segment's start day (schedule_id, segment_id, segment_start)",
    ),
    ("GET", "light_all_schedules", "Every schedule with output, input, day and segments"),
    ("GET", "single_schedule", "One schedule (schedule_id)"),
    ("POST", "single_schedule", "Rename or change the repeat day (schedule_id)"),
    ("DELETE", "single_schedule", "Delete a schedule (schedule_id)"),
    ("POST", "create_schedule", "Create a schedule (schedule_name, sched_repeat_day, type)"),
    ("POST", "single_schedule_set_module", "Tie a schedule to an output and set its current day"),
    (
        "POST",
        "single_schedule_module",
        "Move a schedule to another output (old module/port in the query, new in the form)",
    ),
    ("POST", "ramp_test", "Ramp a follow-lux output down (mode 1) or up (mode 2)"),
    ("POST", "auto_cali", "Automatic calibration of a follow-lux output (module, port)"),
    ("POST", "man_cali", "Manual calibration of a follow-lux or timed VAC output"),
)


def openapi_document() -> dict[str, Any]:
    """The v1.0.2 OpenAPI document."""
    return build_document(
        title="Phason AutoFlex Connect API (ductwork)",
        version="1.0.2",
        description="Phason API v1.0.2 over simulated AutoFlex Connect barns. Sign in through "
        f"the OAuth2 authorization-code flow ({PREFIX}/auth, {PREFIX}/token) and send the "
        "access token as `Authorization: Bearer`.",
        server_url=PREFIX,
        operations=operations(),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
    )


__all__ = ["create_api"]
