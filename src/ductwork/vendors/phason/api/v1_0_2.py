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
from ductwork.http.openapi import Body, Operation, Param, Reply, build_document, docs_page
from ductwork.http.params import BadBody, BodyRules, declared_type, merge_params, with_nul
from ductwork.vendors.phason import wire
from ductwork.vendors.phason.api.common import (
    DATE_BOUND,
    NAME,
    PHASON_ERRORS,
    POSITION,
    RANGE_RULES,
    id_schema,
    int_schema,
    json_response,
    number_schema,
)
from ductwork.vendors.phason.exceptions import PhasonError
from ductwork.vendors.phason.oauth import PhasonAuthorizationServer, PhasonRequest
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.settings import MAX_OVERRIDE, MISTING_FIELDS, PhasonSettings
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
            (Reply(200, "Access (24 h) and refresh (7 days) tokens", _TOKEN),
             Reply(400, "RFC 6749 error", _OAUTH_ERROR),
             Reply(401, "invalid_client", _OAUTH_ERROR)),
            body=_form(("grant_type", "client_id", "client_secret"),
                       "The token request (RFC 6749 §4.1.3, §6), form-encoded.",
                       grant_type={"type": "string",
                                   "enum": ["authorization_code", "refresh_token"]},
                       client_id=_TEXT, client_secret=_TEXT,
                       code=_TEXT | {"description": "authorization_code: the code."},
                       redirect_uri=_TEXT | {"description": "authorization_code: the "
                                             "redirect URI of the authorization request."},
                       code_verifier=_TEXT | {"description": "authorization_code: the PKCE "
                                              "verifier, when a code_challenge was sent."},
                       refresh_token=_TEXT | {"description": "refresh_token: the refresh "
                                              "token."}))),
        Endpoint("POST", "/refresh", refresh, Operation(
            "Refresh expired access keys",
            "The expired access token as Bearer; client_id, secret and refresh_token in "
            "the form. Codes: 0 new key issued, 1 key still valid, 2 missing post data "
            "(a field or the Bearer token missing), 3 access token received instead of "
            "refresh token.", "OAuth2",
            (Reply(200, "code 0 or 1", _REFRESHED), Reply(400, "code 3", _CODED),
             Reply(401, "unknown client, secret or refresh token", wire.Message),
             Reply(422, "code 2: missing post data", _CODED)),
            body=_form(("client_id", "secret", "refresh_token"),
                       "The client and the current refresh token, form-encoded.",
                       client_id=_FILLED, secret=_FILLED, refresh_token=_FILLED))),
        get("/devices", lambda a, p, d: service.devices(a), Operation(
            "Devices", "All devices of the signed-in account.", "Device",
            (Reply(200, "successful operation", list[wire.DeviceOut]), _AUTH, _MISSING),
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
                 Param("master_setpoint", "query", "New master setpoint: °C (-10 to 51.7), in "
                       "WC (0 to 0.5) or THI (30 to 110) by the group's type; 422 outside the "
                       "group's range or while a growth curve drives the group.", True,
                       schema=number_schema(-10.0, 110.0)))),
        get(f"{dev}/misting_groups", lambda a, p, d: service.misting_groups(a, d),
            _op("Misting groups", "Misting Group", list[wire.MistingGroupOut])),
        get(f"{dev}/misting_groups/settings",
            lambda a, p, d: settings.misting_settings(a, d, p.get("group_id")),
            _op("Misting group settings", "Misting Group", wire.MistingSettingsAnswer, _GROUP)),
        post(f"{dev}/misting_groups/settings", lambda a, p, d: settings.set_misting(a, d, p),
             _op("Set misting group settings", "Misting Group", wire.MistingSettingsAnswer,
                 _GROUP, request=_MISTING_BODY)),
        get(f"{dev}/time", lambda a, p, d: service.device_time(a, d),
            _op("Device time", "Time", wire.DeviceTime)),
        get(f"{dev}/configuration", lambda a, p, d: service.configuration(a, d),
            _op("Configured inputs and outputs", "Configuration",
                list[wire.ConfigurationOut])),
        get(f"{dev}/outputs", lambda a, p, d: service.outputs(a, d, p.get("start"), p.get("end")),
            _op("Outputs with history", "Output", list[wire.OutputOut], *_RANGE)),
        get(f"{dev}/outputs/settings",
            lambda a, p, d: service.output_settings(a, d, p.get("module_num"), p.get("io_num")),
            _op("Output settings", "Output", wire.OutputSettings, *_POSITION,
                extra=(_UNSUPPORTED,))),
        post(f"{dev}/outputs/settings", lambda a, p, d: settings.set_output(a, d, p),
             _op("Set output settings", "Output", wire.OutputSettings, request=_OUTPUT_BODY,
                 extra=(_UNSUPPORTED,))),
        post(f"{dev}/outputs/manual_override", lambda a, p, d: settings.manual_override(a, d, p),
             _op("Manual override", "Output", wire.Message, request=_OVERRIDE_BODY,
                 extra=(_UNSUPPORTED,))),
        get(f"{dev}/inputs", lambda a, p, d: service.inputs(a, d, p.get("start"), p.get("end")),
            _op("Inputs with history", "Input", list[wire.InputOut], *_RANGE)),
        # Lighting timed events.
        get(f"{dev}/timed_statistic", lambda a, p, d: timed.statistic(a, d),
            _timed("Ids of schedules, segments and events")),
        get(f"{dev}/event_single", lambda a, p, d: timed.event(a, d, p),
            _timed("One event", _q("segment_id"), _q("event_id"))),
        put(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "update"),
            _timed("Update an event", body=_form(
                ("segment_id", "event_id", "event_value", "event_time"),
                segment_id=_ID_FIELD, event_id=_ID_FIELD, event_value=_EVENT_VALUE,
                event_time=_EVENT_TIME))),
        post(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "create"),
             _timed("Create an event", body=_form(
                 ("segment_id", "event_value", "event_time"), segment_id=_ID_FIELD,
                 event_value=_EVENT_VALUE, event_time=_EVENT_TIME))),
        delete(f"{dev}/event_single", lambda a, p, d: timed.write_event(a, d, p, "delete"),
               _timed("Delete an event", _q("segment_id"), _q("event_id"))),
        get(f"{dev}/events_segment",
            lambda a, p, d: timed.events_of_segment(a, d, p.get("segment_id")),
            _timed("Events of a segment", _q("segment_id"))),
        get(f"{dev}/events_device", lambda a, p, d: timed.events_of_device(a, d),
            _timed("Schedules, segments and events of the device")),
        get(f"{dev}/segment_single", lambda a, p, d: timed.segment_of_schedule(a, d, p),
            _timed("A segment tied into a schedule", _q("schedule_id"), _q("segment_id"))),
        get(f"{dev}/segments_all", lambda a, p, d: timed.all_segments(a, d),
            _timed("Every segment")),
        put(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "rename"),
            _timed("Rename a segment", body=_form(
                ("segment_id", "segment_name"), segment_id=_ID_FIELD, segment_name=_NAME_FIELD))),
        post(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "create"),
             _timed("Create a segment (module type 2 relay, 3 variable, 13 follow lux)",
                    body=_form(("segment_name", "segment_module_type"),
                               segment_name=_NAME_FIELD,
                               segment_module_type={"type": "integer", "enum": [2, 3, 13]}))),
        delete(f"{dev}/segment_single", lambda a, p, d: timed.write_segment(a, d, p, "delete"),
               _timed("Delete a segment tied to no schedule (422 while tied)",
                      _q("segment_id"))),
        put(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "move"),
            _timed("Move a tied segment's start day (the new day at most the schedule's repeat "
                   "day)", body=_form(
                ("schedule_id", "segment_id", "segment_start_old", "segment_start_new"),
                schedule_id=_ID_FIELD, segment_id=_ID_FIELD,
                segment_start_old=int_schema(1, 10_000), segment_start_new=_DAY))),
        post(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "tie"),
             _timed("Tie a segment in on a start day (at most the schedule's repeat day; the "
                    "segment's module type must be the schedule's)", body=_form(
                 ("schedule_id", "segment_id", "segment_start"), schedule_id=_ID_FIELD,
                 segment_id=_ID_FIELD, segment_start=_DAY))),
        delete(f"{dev}/tie_schedule_segment", lambda a, p, d: timed.tie(a, d, p, "untie"),
               _timed("Untie a segment's start day", _q("schedule_id"), _q("segment_id"),
                      Param("segment_start", "query", "The start day to untie.", True,
                            schema=int_schema(1, 10_000)))),
        get(f"{dev}/light_all_schedules", lambda a, p, d: timed.schedules(a, d),
            _timed("Every schedule with output, input, day and segments")),
        get(f"{dev}/single_schedule", lambda a, p, d: timed.schedule(a, d, p.get("schedule_id")),
            _timed("One schedule", _q("schedule_id"))),
        post(f"{dev}/single_schedule", lambda a, p, d: timed.update_schedule(a, d, p),
             _timed("Rename a schedule or change its repeat day", _q("schedule_id"),
                    body=_form((), any_of=("schedule_name", "sched_repeat_day"),
                               schedule_name=_NAME_FIELD, sched_repeat_day=_DAY))),
        delete(f"{dev}/single_schedule",
               lambda a, p, d: timed.delete_schedule(a, d, p.get("schedule_id")),
               _timed("Delete a schedule", _q("schedule_id"))),
        post(f"{dev}/create_schedule", lambda a, p, d: timed.create_schedule(a, d, p),
             _timed("Create a schedule (type 1 relay, 100 variable, 1000 0-1000 lux)",
                    body=_form(("schedule_name", "sched_repeat_day", "schedule_type"),
                               schedule_name=_NAME_FIELD, sched_repeat_day=_DAY,
                               schedule_type={"type": "integer", "enum": [1, 100, 1000]}))),
        post(f"{dev}/single_schedule_set_module",
             lambda a, p, d: timed.set_module(a, d, p, False),
             _timed("Tie a schedule to an output and set its current day", _q("schedule_id"),
                    body=_MODULE_BODY)),
        Endpoint("POST", f"{dev}/single_schedule_module", move_schedule,
                 _timed("Move a schedule to another output (the old module and port in the "
                        "query, the new ones in the form, under the same names)",
                        _q("schedule_id"),
                        Param("output_module", "query", "The module the schedule is tied to "
                              "now.", True, schema=int_schema(1, 255)),
                        Param("output_port", "query", "The port the schedule is tied to now.",
                              True, schema=int_schema(1, 255)),
                        body=_MODULE_BODY)),
        post(f"{dev}/ramp_test", command_call("ramp_test"),
             _timed("Ramp a follow-lux output down (mode 1) or up (mode 2)", body=_form(
                 ("mode", "module", "port"), mode={"type": "integer", "enum": [1, 2]},
                 module=int_schema(1, 255), port=int_schema(1, 255)),
                 extra=(_UNSUPPORTED,))),
        post(f"{dev}/auto_cali", command_call("auto_cali"),
             _timed("Automatic calibration of a follow-lux output", body=_COMMAND_BODY,
                    extra=(_UNSUPPORTED,))),
        post(f"{dev}/man_cali", command_call("man_cali"),
             _timed("Manual calibration of a follow-lux or timed VAC output",
                    body=_COMMAND_BODY, extra=(_UNSUPPORTED,))),
        # The document and its docs page are not in the document.
        Endpoint("GET", "/openapi.json", openapi),
        Endpoint("GET", "/docs", docs),
    ]  # fmt: skip
    document = openapi_document(routes)
    return Api(PREFIX, routes, PHASON_ERRORS)


# ---------------------------------------------------------------- OpenAPI
# The document lists the form encodings its writes take; a JSON body is read as well.
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_NO_NUL = {"pattern": "^[^\\u0000]*$"}  # nothing stores a NUL character: 422
_TEXT = {"type": "string", **_NO_NUL}
_FILLED = {**_TEXT, "minLength": 1}  # an empty field is a missing one
_AUTH = Reply(401, UNAUTHORIZED, wire.Message)
_DEVICE = Reply(
    404,
    "Phason User Account does not exists on this device (or no such group, "
    "output, segment, event or schedule on it).",
    wire.Message,
)
_MISSING = Reply(422, "Missing post data (or a value out of its range, named).", wire.Message)
_UNSUPPORTED = Reply(400, "This module type is not supported.", wire.Message)
_CODED = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
    "required": ["message", "code"],
}
_REFRESHED = {
    "type": "object",
    "required": ["message", "code", "expiry", "access_key", "refresh_token"],
    "properties": {
        name: {"type": "string"}
        for name in ("message", "code", "expiry", "access_key", "refresh_token")
    },
}
_TOKEN = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string"},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
    },
}
_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_ID = Param("deviceId", "path", "The id of the device.", True, schema=id_schema(8446))
_RANGE = (
    Param(
        "start", "query", f"Start date or date-time (device time). {RANGE_RULES}", schema=DATE_BOUND
    ),
    Param("end", "query", f"End date or date-time (device time). {RANGE_RULES}", schema=DATE_BOUND),
)
_GROUP = Param("group_id", "query", "The id of the group.", True, schema=id_schema(12402))
_POSITION = (
    Param("module_num", "query", "Module position.", True, schema=POSITION),
    Param("io_num", "query", "I/O position on the module.", True, schema=POSITION),
)
_ID_FIELD = id_schema(1)
_NAME_FIELD = NAME | {"description": "Stored trimmed, at most 100 characters."}
_DAY = int_schema(1, 365)
_EVENT_VALUE = int_schema(0, 1000) | {
    "description": "0/1 on a relay segment, 0-100 on a variable one, 0-1000 lux on a follow-lux "
    "one (422 outside the segment's range)."
}
_EVENT_TIME = {
    "type": "string",
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    "description": "hh:mm:ss (or hh:mm).",
}


def _q(name: str) -> Param:
    """A required id in the query."""
    return Param(name, "query", f"The {name.replace('_', ' ')}.", True, schema=id_schema(1))


def _form(
    required: tuple[str, ...],
    description: str = "",
    any_of: tuple[str, ...] = (),
    alternatives: tuple[dict[str, Any], ...] = (),
    more: dict[str, Any] | None = None,
    **fields: dict[str, Any],
) -> Body:
    """A form body of these fields and `more` (`any_of`: at least one of these; `alternatives`:
    schemas one of which it must match). Other fields are ignored (none may hold a NUL)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {**fields, **(more or {})},
        "propertyNames": _NO_NUL,
        "additionalProperties": _TEXT,
    }
    if required:
        schema["required"] = list(required)
    if any_of or alternatives:
        schema["anyOf"] = [{"required": [name]} for name in any_of] + list(alternatives)
    text = description or ("Form fields (the query may carry them too; the form wins).")
    return Body(schema, FORMS, True, text)


_COMMAND_BODY = _form(("module", "port"), module=int_schema(1, 255), port=int_schema(1, 255))
_MODULE_BODY = _form(
    ("output_module", "output_port", "schedule_current_day"),
    output_module=int_schema(1, 255),
    output_port=int_schema(1, 255)
    | {
        "description": "The port's module type and function must suit the schedule's type "
        "(422 otherwise)."
    },
    schedule_current_day=_DAY | {"description": "At most the schedule's repeat day."},
)
_MISTING_BODY = _form(
    (),
    "Any of the fields, each within its range; the names GET answers with "
    "(cycle_duration, min_misting_duration, ...) are accepted too. Minimums may not exceed "
    "maximums (low_temp <= high_temp <= max_temp, and so on): 422.",
    any_of=tuple(MISTING_FIELDS),
    more={
        name: (int_schema(int(low), int(high)) if integer else number_schema(low, high))
        for name, (_, low, high, integer) in MISTING_FIELDS.items()
    },
)
_SETPOINT = number_schema(-10.0, 51.7)
_OUTPUT_BODY = _form(
    ("module_num", "io_num"),
    "The output's position and the settings of its own section (the others must be valid "
    "and are ignored): "
    "setpoint for a relay stage; idle_setpoint <= setpoint < differential_setpoint and "
    "idle_speed for a variable cooling stage; setpoint > differential_setpoint for a "
    "variable heating stage; setpoint, idle_band and the run and idle times for an inlet "
    "without feedback; minimum_* and stage1..5_* for an inlet with feedback; "
    "misting_function and misting_order (0: 0; 1: 2-15; 2 and 3: 16) for a misting output. "
    "A missing or mismatched field is a 422.",
    module_num=POSITION,
    io_num=POSITION,
    setpoint=_SETPOINT,
    idle_setpoint=_SETPOINT,
    differential_setpoint=_SETPOINT,
    idle_speed=int_schema(0, 100),
    idle_band=number_schema(0.1, 10.0),
    open_runtime=int_schema(1, 3600),
    open_idle_time=int_schema(0, 3600),
    close_runtime=int_schema(1, 3600),
    close_idle_time=int_schema(0, 3600),
    minimum_setpoint=_SETPOINT,
    minimum_position=int_schema(0, 100),
    more={
        f"stage{n}_{field}": schema
        for n in range(1, 6)
        for field, schema in (
            ("setpoint", _SETPOINT),
            ("position", int_schema(0, 100)),
            ("differential_setpoint", _SETPOINT),
        )
    },
    misting_function=int_schema(0, 3),
    misting_order=int_schema(0, 16),
)
_OVERRIDE_BODY = _form(
    ("module_num", "io_num", "enabled"),
    "enabled 1 holds the output at value (0/1 on a relay, 0-100 otherwise; required then) "
    "for duration seconds (0 or absent: until disabled); enabled 0 releases it (a value or "
    "duration given must still be valid).",
    module_num=POSITION,
    io_num=POSITION,
    enabled={"type": "integer", "enum": [0, 1]},
    value=number_schema(0.0, 100.0),
    duration=int_schema(0, MAX_OVERRIDE),
    alternatives=(
        {"properties": {"enabled": {"const": 0}}},
        {"properties": {"enabled": {"const": 1}}, "required": ["value"]},
    ),
)


def _op(summary: str, tag: str, body: Any, *params: Param, extra: tuple[Reply, ...] = (),
        request: Body | None = None) -> Operation:  # fmt: skip
    """A call on one device (its id in the path), with the replies every such call has."""
    replies = (Reply(200, "successful operation", body), _AUTH, _DEVICE, _MISSING, *extra)
    return Operation(summary, summary, tag, replies, (_ID, *params), ("bearer",), body=request)


def _timed(summary: str, *params: Param, body: Body | None = None,
           extra: tuple[Reply, ...] = ()) -> Operation:  # fmt: skip
    """A lighting timed-events call (its answer's shape is in the vendor document)."""
    return _op(summary, "Lighting Timed Events", None, *params, extra=extra, request=body)


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
