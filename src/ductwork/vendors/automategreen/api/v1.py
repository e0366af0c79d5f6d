"""Automate Green API v1: the route table under /automategreen/v1 (and `/v1` on the vendor
host and port), each entry with its OpenAPI operation.

Bodies are read as the vendor's Node server read them: JSON (an object) when the type says
JSON, a URL-encoded or multipart form with bracketed names (`user[email]`,
`command[name]`, `options[url]`, `conditions[0][type]`) nested as qs does, nothing else. The
token is read from `Authorization: Bearer T` (also `Bearer: T`) always, from `?access_token=`
on GET only, and from a URL-encoded body's `access_token` (or the older `token`) on POST and
PUT only: anywhere else it is not read, and the request gets 401 `Unauthorized`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from ductwork.core.accounts import Account
from ductwork.core.db import storable
from ductwork.http.auth import authenticated, bearer_token
from ductwork.http.dispatch import Api, BodyTooLarge, Endpoint, ErrorShape, JsonBytes, header
from ductwork.http.openapi import Operation, Param, Reply, build_document, docs_page
from ductwork.http.params import json_depth
from ductwork.vendors.automategreen import rules, wire
from ductwork.vendors.automategreen.exceptions import (
    AutomateGreenError,
    bad_request,
    unauthorized,
)
from ductwork.vendors.automategreen.forms import nest
from ductwork.vendors.automategreen.service import (
    COUNTRIES,
    SERIAL_PATTERN,
    TEXT_LIMIT,
    AutomateGreen,
)
from ductwork.vendors.automategreen.tokens import DEFAULT_EXPIRES, MAX_EXPIRES

PREFIX = "/automategreen/v1"
Handler = Callable[[Request], Awaitable[Response]]
Json = dict[str, Any]
MAX_DEPTH = 20  # nesting of a JSON body; deeper is refused (400), never a RecursionError
_WORDS = re.compile(r"[._+-]+")


def _json(body: Any, status: int = 200) -> Response:
    return JsonBytes(msgspec.json.encode(body), status)


def render(exc: Exception) -> Response | None:
    """Automate Green's errors: 401 as plain `Unauthorized`, the rest `{"message": ...}`."""
    if isinstance(exc, AutomateGreenError):
        if exc.status == 401:
            return PlainTextResponse("Unauthorized", 401)
        return _json({"message": exc.message}, exc.status)
    return None


ERRORS = ErrorShape(
    render=render,
    not_found=lambda: _json({"message": "Not Found"}, 404),
    method_not_allowed=lambda: _json({"message": "Not Found"}, 404),
    server_error=lambda: _json({"message": "Internal Server Error"}, 500),
)


class Body:
    """A request's body as the vendor reads it, and whether it was URL-encoded."""

    def __init__(self, values: Json, urlencoded: bool) -> None:
        self.values = values
        self.urlencoded = urlencoded


async def read_body(request: Request) -> Body:
    """JSON (an object), a URL-encoded form or a multipart form, nested; else nothing."""
    kind = (header(request, b"content-type") or "").lower()
    raw = await request.body()
    if not raw:
        return Body({}, False)
    if "json" in kind:
        try:
            decoded = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            raise bad_request("The body is not valid JSON") from None
        if not isinstance(decoded, dict):
            raise bad_request("The JSON body must be an object")
        if json_depth(decoded) > MAX_DEPTH:
            raise bad_request("The JSON body nests too deeply")
        return Body(decoded, False)
    if kind.startswith("application/x-www-form-urlencoded"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("The body is not valid UTF-8") from None
        return Body(nest(parse_qsl(text, keep_blank_values=True)), True)
    if kind.startswith("multipart/form-data"):
        try:
            form = await request.form()
        except BodyTooLarge:
            raise
        except Exception:
            raise bad_request("The multipart body cannot be read") from None
        return Body(nest((k, v) for k, v in form.multi_items() if isinstance(v, str)), False)
    return Body({}, False)


def query(request: Request) -> Json:
    """The query string, bracketed names nested (`date[start]`)."""
    return nest(request.query_params.multi_items())


def _flag(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in ("true", "1", "yes")


def display_name(email: str) -> str:
    """A user's name from the account's email: `jane.doe@example.com` → `Jane Doe`."""
    words = [w for w in _WORDS.split(email.partition("@")[0]) if w]
    return " ".join(w.capitalize() for w in words) or email


def create_api(service: AutomateGreen) -> Api:
    """The Automate Green API v1 routes under /automategreen/v1."""
    tokens = service.tokens

    async def account(request: Request, body: Body | None = None) -> Account:
        token = bearer_token(request, colon=True)
        if token is None and request.method == "GET":
            token = request.query_params.get("access_token")
        if token is None and body is not None and body.urlencoded:
            found = body.values.get("access_token", body.values.get("token"))
            token = found if isinstance(found, str) else None
        who = await authenticated(token or None, tokens.cache.get, tokens.lookup)
        if who is None:
            raise unauthorized()
        return who

    async def with_body(request: Request) -> tuple[Account, Json]:
        body = await read_body(request)
        who = await account(request, body if request.method in ("POST", "PUT") else None)
        values = {k: v for k, v in body.values.items() if k not in ("access_token", "token")}
        return who, values

    def run(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return anyio.to_thread.run_sync(fn, *args)

    def pid(request: Request, name: str) -> str:
        return str(request.path_params[name])

    # -- sign-in and tokens ----------------------------------------------------------------

    async def signin(request: Request) -> Response:
        body = (await read_body(request)).values
        user = body.get("user")
        email = user.get("email") if isinstance(user, dict) else None
        password = user.get("password") if isinstance(user, dict) else None
        if not isinstance(email, str) or not isinstance(password, str) or not email:
            raise bad_request("Missing credentials")
        expires = body.get("expires", DEFAULT_EXPIRES)
        try:
            seconds = int(str(expires).strip()) if not isinstance(expires, bool) else -1
        except ValueError:
            seconds = -1
        if not 0 < seconds <= MAX_EXPIRES:
            raise bad_request(f"expires must be a number of seconds from 1 to {MAX_EXPIRES}")
        desc = body.get("desc", "")
        if not isinstance(desc, str) or not storable(desc) or len(desc) > 500:
            raise bad_request("desc must be a string of at most 500 characters")
        checked = await run(service.accounts.check_password, email, password)
        if not isinstance(checked, Account):
            raise unauthorized()
        token = await run(tokens.issue, checked, seconds, desc)
        return _json({
            "message": "Sign in successful",
            "token": token,
            "user": {"email": checked.email, "name": display_name(checked.email)},
        })  # fmt: skip

    async def list_tokens(request: Request) -> Response:
        who = await account(request)
        listed = await run(tokens.listing, who)
        return _json({"tokens": [t.wire() for t in listed]})

    async def revoke_token(request: Request) -> Response:
        who = await account(request)
        if not await run(tokens.revoke, who, pid(request, "tokenId")):
            raise AutomateGreenError(404, "Token not found")
        return Response(status_code=204)

    # -- gateways ------------------------------------------------------------------------

    async def gateways(request: Request) -> Response:
        return _json(await run(service.gateways, await account(request)))

    async def gateway(request: Request) -> Response:
        return _json(await run(service.gateway, await account(request), pid(request, "gatewayId")))

    async def update_gateway(request: Request) -> Response:
        who, body = await with_body(request)
        return _json(await run(service.update_gateway, who, pid(request, "gatewayId"), body))

    async def delete_gateway(request: Request) -> Response:
        await run(service.delete_gateway, await account(request), pid(request, "gatewayId"))
        return Response(status_code=204)

    async def reload_gateway(request: Request) -> Response:
        who = await account(request)
        return _json(await run(service.reload_gateway, who, pid(request, "gatewayId")))

    # -- devices -------------------------------------------------------------------------

    async def devices(request: Request) -> Response:
        who = await account(request)
        gateway_id = request.query_params.get("gateway")
        if gateway_id is not None and gateway_id.upper() == "ALL":
            gateway_id = None
        return _json(await run(service.devices, who, gateway_id))

    async def add_device(request: Request) -> Response:
        who, body = await with_body(request)
        return _json(await run(service.add_device, who, body))

    async def device(request: Request) -> Response:
        return _json(await run(service.device, await account(request), pid(request, "deviceId")))

    def answer(result: Json | None) -> Response:
        return Response(status_code=202) if result is None else _json(result)

    async def update_device(request: Request) -> Response:
        who, body = await with_body(request)
        asynchronous = _flag(request.query_params.get("async"))
        return answer(await run(service.update_device, who, pid(request, "deviceId"), body,
                                asynchronous))  # fmt: skip

    async def delete_device(request: Request) -> Response:
        await run(service.delete_device, await account(request), pid(request, "deviceId"))
        return Response(status_code=204)

    async def command(request: Request) -> Response:
        who, body = await with_body(request)
        asynchronous = _flag(request.query_params.get("async"))
        return answer(await run(service.command, who, pid(request, "deviceId"), body,
                                asynchronous))  # fmt: skip

    async def refresh(request: Request) -> Response:
        who, _ = await with_body(request)
        asynchronous = _flag(request.query_params.get("async"))
        return answer(await run(service.refresh, who, pid(request, "deviceId"), asynchronous))

    # -- statuses and actions ------------------------------------------------------------

    async def statuses(request: Request) -> Response:
        return _json(await run(service.statuses, await account(request), query(request)))

    async def actions(request: Request) -> Response:
        who = await account(request)
        return _json(await run(service.actions, who, request.query_params.get("device")))

    async def create_action(request: Request) -> Response:
        who, body = await with_body(request)
        return _json(await run(service.create_action, who, body))

    async def action(request: Request) -> Response:
        return _json(await run(service.action, await account(request), pid(request, "actionId")))

    async def update_action(request: Request) -> Response:
        who, body = await with_body(request)
        return _json(await run(service.update_action, who, pid(request, "actionId"), body))

    async def delete_action(request: Request) -> Response:
        await run(service.delete_action, await account(request), pid(request, "actionId"))
        return Response(status_code=204)

    # -- documents -----------------------------------------------------------------------

    async def openapi(_request: Request) -> Response:
        return _json(document)

    async def docs(_request: Request) -> Response:
        return HTMLResponse(docs_page("Automate Green API v1", f"{PREFIX}/openapi.json"))

    routes = [
        Endpoint("POST", "/signin", signin, _op(
            "Generate Token", "Sign in with `user[email]`, `user[password]`, `expires` (seconds, "
            "default two weeks) and `desc`, as a form or as JSON `{\"user\": {...}}`. The token "
            "is an HS256 JWT holding its id, `iat` and `exp`.", "Authentication",
            Reply(200, "Signed in.", wire.SignedIn), secured=False,
            body=_SIGNIN_BODY, replies=(_BAD, Reply(401, "Wrong email or password "
            "(plain text `Unauthorized`)."))
        )),
        Endpoint("GET", "/tokens", list_tokens, _op(
            "List Tokens", "The account's tokens that are neither revoked nor expired.",
            "Authentication", Reply(200, "The tokens.", wire.TokenList))),
        Endpoint("DELETE", "/tokens/{tokenId}", revoke_token, _op(
            "Revoke Token", "Revoke a token: it then gets 401.", "Authentication",
            Reply(204, "Revoked."), _path("tokenId", "The token's id (its `id` claim)."),
            replies=(_NOT_FOUND,))),
        Endpoint("GET", "/gateways", gateways, _op(
            "List Gateways", "The account's Insteon hubs.", "Gateways",
            Reply(200, "The gateways.", wire.GatewayList))),
        Endpoint("GET", "/gateways/{gatewayId}", gateway, _op(
            "Get Gateway", "One hub.", "Gateways", Reply(200, "The gateway.", wire.GatewayAnswer),
            _GATEWAY, replies=(_NOT_FOUND,))),
        Endpoint("PUT", "/gateways/{gatewayId}", update_gateway, _op(
            "Update Gateway", "Rename a hub (`name`).", "Gateways",
            Reply(200, "The gateway.", wire.GatewayAnswer), _GATEWAY, body=_NAME_BODY,
            replies=(_BAD, _NOT_FOUND))),
        Endpoint("DELETE", "/gateways/{gatewayId}", delete_gateway, _op(
            "Delete Gateway", "Remove a hub and the devices listed through it.", "Gateways",
            Reply(204, "Deleted."), _GATEWAY, replies=(_NOT_FOUND,))),
        Endpoint("GET", "/gateways/{gatewayId}/reload", reload_gateway, _op(
            "Reload Gateway", "Read the hub's device list again: devices linked to it that "
            "the account does not list appear.", "Gateways",
            Reply(200, "The gateway and its devices.", wire.ReloadAnswer), _GATEWAY,
            replies=(_NOT_FOUND,))),
        Endpoint("GET", "/devices", devices, _op(
            "List Devices", "Every device of the account, or one hub's (`gateway`). Power "
            "Controllers are listed as `{\"device\": {...}}`, as their document shows.",
            "Devices", Reply(200, "The devices.", wire.DeviceList),
            Param("gateway", "query", "Gateway for which to get devices (default ALL)."))),
        Endpoint("POST", "/devices", add_device, _op(
            "Add Power Controller Device", "Add a Power Controller by serial number and "
            "country; it starts `Initializing` and comes online a few minutes later.",
            "Devices", Reply(200, "The new device.", wire.DeviceAnswer), body=_ADD_BODY,
            replies=(_BAD, Reply(403, "The controller belongs to another account.",
                                 wire.Message)))),
        Endpoint("GET", "/devices/{deviceId}", device, _op(
            "Get Device", "One device with its newest status.", "Devices",
            Reply(200, "The device.", wire.DeviceAnswer), _DEVICE, replies=(_NOT_FOUND,))),
        Endpoint("PUT", "/devices/{deviceId}", update_device, _op(
            "Update Device", "Rename a device (`name`) and change its settings: Insteon "
            "`info` (onLevel, rampRate, ledBrightness); Power Controller `info` (ffr, "
            "samplePeriod, flowmeter, capacity, powerLimit) and `schedule`. With "
            "`async=true` the answer is 202 with no body.", "Devices",
            Reply(200, "The device (Power Controllers: and `responseCodes`).",
                  wire.DeviceAnswer), _DEVICE, _ASYNC, body=_UPDATE_BODY,
            replies=(Reply(202, "Accepted (async)."), _BAD, _NOT_FOUND, _OFFLINE))),
        Endpoint("DELETE", "/devices/{deviceId}", delete_device, _op(
            "Delete Device", "Remove a device with its statuses and actions.", "Devices",
            Reply(204, "Deleted."), _DEVICE, replies=(_NOT_FOUND,))),
        Endpoint("POST", "/devices/{deviceId}/command", command, _op(
            "Command Device", "Send `command` (`{\"name\": \"on\", \"level\": 75}` as JSON, or "
            "`command[name]=on&command[level]=75`). With `async=true` the answer is 202 with "
            "no body and the result lands in the statuses.", "Devices",
            Reply(200, "The device after the command (Power Controllers: and "
                  "`responseCodes`).", wire.DeviceAnswer), _DEVICE, _ASYNC, body=_COMMAND_BODY,
            replies=(Reply(202, "Accepted (async)."), _BAD, _NOT_FOUND, _OFFLINE))),
        Endpoint("POST", "/devices/{deviceId}/status", refresh, _op(
            "Refresh Status", "Ask the device for its status now.", "Devices",
            Reply(200, "The device with its new status.", wire.DeviceAnswer), _DEVICE, _ASYNC,
            replies=(Reply(202, "Accepted (async)."), _NOT_FOUND, _OFFLINE))),
        Endpoint("GET", "/statuses", statuses, _op(
            "List Statuses", "Statuses of one device (or of every device) from `date[start]` "
            "(default yesterday) to `date[end]` (default now), or from `date` to now; at most "
            "10 days; ISO 8601 dates or date-times (UTC unless they carry an offset). `date` "
            "and `date[...]` do not go together; `date[end]` is not before `date[start]`; a "
            "range longer than 10 days, or an unknown `device`, is refused.", "Statuses",
            Reply(200, "The statuses, oldest first.", wire.StatusList),
            Param("device", "query", "Device for which to get statuses (default: all)."),
            Param("date", "query", "Return all statuses from this date to now.",
                  schema=_DATE),
            Param("date[start]", "query", "Return statuses starting from this date "
                  "(default yesterday).", schema=_DATE),
            Param("date[end]", "query", "Return statuses before this date (default now).",
                  schema=_DATE),
            Param("raw", "query", "`true` (any case): return the stored records; anything "
                  "else: the API's records."),
            replies=(_BAD, _NOT_FOUND))),
        Endpoint("GET", "/actions", actions, _op(
            "List Actions", "The account's actions, or one device's (`device`).", "Actions",
            Reply(200, "The actions.", wire.ActionList),
            Param("device", "query", "Device for which to get actions (default: all)."))),
        Endpoint("POST", "/actions", create_action, _op(
            "Create Action", "An action on a device's event: `request` (calls `options[url]`) "
            "or `command` (commands `deviceToControlId`), with optional `threshold`, "
            "`conditions`, `injectStatus`, `injectDeviceId`, `disabled`.", "Actions",
            Reply(200, "The action.", wire.ActionAnswer), body=_ACTION_BODY,
            replies=(_BAD,))),
        Endpoint("GET", "/actions/{actionId}", action, _op(
            "Get Action", "One action.", "Actions", Reply(200, "The action.", wire.ActionAnswer),
            _ACTION, replies=(_NOT_FOUND,))),
        Endpoint("POST", "/actions/{actionId}", update_action, _op(
            "Update Action", "Change an action (the fields sent replace the stored ones).",
            "Actions", Reply(200, "The action.", wire.ActionAnswer), _ACTION,
            body=_ACTION_CHANGE, replies=(_BAD, _NOT_FOUND))),
        Endpoint("PUT", "/actions/{actionId}", update_action, _op(
            "Update Action (PUT)", "The same as POST /actions/{actionId}, as the document's "
            "curl example sends it.", "Actions", Reply(200, "The action.", wire.ActionAnswer),
            _ACTION, body=_ACTION_CHANGE, replies=(_BAD, _NOT_FOUND))),
        Endpoint("DELETE", "/actions/{actionId}", delete_action, _op(
            "Delete Action", "Remove an action.", "Actions", Reply(204, "Deleted."), _ACTION,
            replies=(_NOT_FOUND,))),
        Endpoint("GET", "/openapi.json", openapi),
        Endpoint("GET", "/docs", docs),
    ]  # fmt: skip
    routes = [_token_places(route) for route in routes]
    document = openapi_document(routes)
    return Api(PREFIX, routes, ERRORS)


_BAD = Reply(400, "There is an error with the request.", wire.Message)
_NOT_FOUND = Reply(404, "The resource does not exist.", wire.Message)
_OFFLINE = Reply(503, "The device is not responding.", wire.Message)
_UNAUTHORIZED = Reply(401, "No valid token (plain text `Unauthorized`).")
_DEVICE = Param("deviceId", "path", "The device's id.")
_GATEWAY = Param("gatewayId", "path", "The gateway's id.")
_ACTION = Param("actionId", "path", "The action's id.")
_ASYNC = Param(
    "async",
    "query",
    "`true`, `1` or `yes` (any case): answer 202 with no body; "
    "anything else: synchronously (the default).",
)
# An ISO 8601 date or date-time as the service reads it (`2015-08-15`, `2015-08-10T09:30`,
# seconds and fractions, `Z` or an offset).
_DATE = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}"
    "(:[0-9]{2}([.][0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?$",
}


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_FORM_NOTE = (
    "JSON (an object), or a URL-encoded or multipart form whose field names are the JSON "
    "fields' paths in qs's bracket notation (`user[email]`, `command[level]`, "
    "`conditions[0][type]`); form values are strings (`true`/`false`, numbers as digits). A "
    "URL-encoded form may also carry the token as `access_token` (or `token`)."
)


def _request_body(json: dict[str, Any], form: dict[str, Any], *, required: bool = True,
                  description: str = "") -> dict[str, Any]:  # fmt: skip
    """A request body whose JSON object and forms (flat bracketed names) differ in schema,
    which `openapi.Body` cannot say: given as the operation's `requestBody` (Operation.extra)."""
    return {"requestBody": {
        "required": required,
        "description": " ".join(part for part in (description, _FORM_NOTE) if part),
        "content": {"application/json": {"schema": json},
                    **{media: {"schema": form} for media in _FORMS}},
    }}  # fmt: skip


def _object(properties: dict[str, Any], *required: str, **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), **more}


_STRING = {"type": "string"}
_NO_NUL = {"type": "string", "pattern": "^[^\\x00]*$"}
_OBJECT = {"type": "object"}
# Text the cloud stores (a name): 1 to 200 characters, not only white space, no NUL.
_TEXT = {"type": "string", "maxLength": TEXT_LIMIT, "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$"}
_FLAG = {"type": "boolean"}
_FORM_FLAG = {
    "type": "string",
    "pattern": "^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01])\\s*$",
    "description": "true or false (any case), 1 or 0.",
}
_NUMBER = {"type": "number"}
_FORM_NUMBER = {"type": "string", "description": "A number."}

_SIGNIN_EXPIRES = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_EXPIRES,
    "description": "Seconds the token is valid (default two weeks).",
}
_SIGNIN_DESC = {**_NO_NUL, "maxLength": 500}
_SIGNIN_BODY = _request_body(
    _object({"user": _object({"email": {"type": "string", "minLength": 1},
                              "password": _STRING}, "email", "password"),
             "expires": _SIGNIN_EXPIRES, "desc": _SIGNIN_DESC}, "user"),
    _object({"user[email]": {"type": "string", "minLength": 1}, "user[password]": _STRING,
             "expires": _SIGNIN_EXPIRES, "desc": _SIGNIN_DESC}, "user[email]", "user[password]"),
)  # fmt: skip
_NAME_BODY = _request_body(_object({"name": _TEXT}, "name"), _object({"name": _TEXT}, "name"))
_ADD = {"sn": {"type": "string", "pattern": SERIAL_PATTERN,
               "description": "The serial number (`PC-...`; stored upper case)."},
        "country": {"enum": sorted(COUNTRIES),
                    "description": "ISO 3166 code of a country with SIM service."}}  # fmt: skip
_ADD_BODY = _request_body(_object(_ADD, "sn", "country"), _object(_ADD, "sn", "country"))
_UPDATE_BODY = _request_body(
    _object({"name": _TEXT, "info": _OBJECT,
             "schedule": {"type": "array", "items": _OBJECT, "maxItems": 39}},
            minProperties=1),
    _object({"name": _TEXT, **{f"info[{key}]": _FORM_NUMBER for key in (
        "onLevel", "rampRate", "ledBrightness", "samplePeriod")},
        "info[ffr][enable]": _FORM_FLAG, **{f"info[ffr][{key}]": _FORM_NUMBER for key in (
            "tripThreshold", "returnThreshold", "periods", "delay")}}, minProperties=1),
    description="Something to change: `name`, `info` (the device's settings) or `schedule` "
    "(Power Controllers); what a device takes is its kind's (the description).",
)  # fmt: skip
_COMMAND = {
    "name": _STRING,
    "level": _NUMBER,
    "temp": _NUMBER,
    "delay": _NUMBER,
    "time": _NUMBER,
    "power": _NUMBER,
    "persist": _FLAG,
}
_COMMAND_BODY = _request_body(
    _object({"command": _object(_COMMAND, "name", additionalProperties=True)}, "command"),
    _object({f"command[{key}]": (_FORM_FLAG if value is _FLAG else _STRING)
             for key, value in _COMMAND.items()}, "command[name]"),
    description="`command`: the command's `name` and its arguments; which names a device "
    "takes depends on its kind.",
)  # fmt: skip
_EVENTS = sorted({event for events in rules.EVENTS.values() for event in events})
_ACTION_FIELDS = {"device": _STRING, "type": {"enum": list(rules.TYPES)},
                  "event": {"enum": _EVENTS}}  # fmt: skip
_ACTION_JSON = {
    **_ACTION_FIELDS,
    "options": _object({"url": _STRING, "method": _STRING, "command": _OBJECT}),
    "conditions": {"type": "array", "items": _object({"type": {
        "enum": ["timeOfDay", "dayOfWeek", "deviceStatus"]}}, "type")},
    "threshold": _object({key: _NUMBER for key in rules.THRESHOLDS}),
    "injectStatus": _FLAG, "injectDeviceId": _FLAG, "deviceToControlId": _STRING,
    "disabled": _FLAG,
}  # fmt: skip
_ACTION_FORM = {
    **_ACTION_FIELDS,
    "options[url]": _STRING, "options[method]": _STRING, "options[command][name]": _STRING,
    **{f"threshold[{key}]": _FORM_NUMBER for key in rules.THRESHOLDS},
    "conditions[0][type]": {"enum": ["timeOfDay", "dayOfWeek", "deviceStatus"]},
    "conditions[0][start]": _STRING, "conditions[0][end]": _STRING,
    "injectStatus": _FORM_FLAG, "injectDeviceId": _FORM_FLAG, "deviceToControlId": _STRING,
    "disabled": _FORM_FLAG,
}  # fmt: skip
_ACTION_NOTE = (
    "`device` is one of the account's devices and `event` one its kind raises; `request` "
    "actions need `options.url` (http or https), `command` actions `deviceToControlId` (a "
    "device of the account) and `options.command`; a threshold (exactly one key) only on "
    "`temp`, `flow`, `current` and `resistance`; otherwise 400."
)
_ACTION_BODY = _request_body(
    _object(_ACTION_JSON, "device", "type", "event"),
    _object(_ACTION_FORM, "device", "type", "event"), description=_ACTION_NOTE,
)  # fmt: skip
_ACTION_CHANGE = _request_body(
    _object(_ACTION_JSON), _object(_ACTION_FORM), required=False,
    description="The fields sent replace the stored ones; the result must be a valid action. "
    + _ACTION_NOTE,
)  # fmt: skip


def _path(name: str, description: str) -> Param:
    return Param(name, "path", description)


def _op(summary: str, description: str, tag: str, ok: Reply, *params: Param,
        secured: bool = True, body: dict[str, Any] | None = None,
        replies: tuple[Reply, ...] = ()) -> Operation:  # fmt: skip
    return Operation(
        summary=summary,
        description=description,
        tag=tag,
        replies=(ok, *replies, *((_UNAUTHORIZED,) if secured else ())),
        params=params,
        security=("bearer", "access_token") if secured else (),
        extra=body or {},
    )


def _token_places(route: Endpoint) -> Endpoint:
    """`?access_token=` is read on GET only: other methods' operations declare the header."""
    op = route.operation
    if op is None or route.method == "GET" or "access_token" not in op.security:
        return route
    security = tuple(name for name in op.security if name != "access_token")
    return dataclasses.replace(route, operation=dataclasses.replace(op, security=security))


def openapi_document(routes: list[Endpoint]) -> dict[str, Any]:
    """The OpenAPI document of the route table."""
    return build_document(
        title="Automate Green API v1 (ductwork)",
        version="1",
        description="Automate Green API v1 served by ductwork over a simulated Insteon house "
        "and Power Controllers. Get a token from POST /signin; send it as `Authorization: "
        "Bearer <token>`, as `?access_token=` on GET, or as `access_token=` in a URL-encoded "
        "POST or PUT body.",
        server_url=PREFIX,
        routes=routes,
        security_schemes={
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "access_token": {"type": "apiKey", "in": "query", "name": "access_token"},
        },
    )
