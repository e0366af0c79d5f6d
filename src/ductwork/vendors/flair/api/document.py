"""The Flair API's OpenAPI document: each route's operation, from its method and path and the
resource type tables (attribute types, ranges, enums and which attributes a write may set are
the same tables the handlers check writes against)."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ductwork.http.dispatch import Endpoint
from ductwork.http.openapi import Body, Operation, Param, Reply, build_document
from ductwork.vendors.flair.models import TYPES, Rel, ResourceType
from ductwork.vendors.flair.service import MAX_PAGE, MAX_PAGE_SIZE

PREFIX = "/flair"
# Write bodies are read as JSON whatever their Content-Type says; these are the ones to send.
JSON_API = ("application/vnd.api+json", "application/json")
UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
OAUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state")


class TokenResponse(msgspec.Struct):
    """A token endpoint's success (refresh_token only where docs/flair.md says so)."""

    access_token: str
    expires_in: int
    token_type: str
    scope: str
    refresh_token: str | msgspec.UnsetType = msgspec.UNSET


class OAuthError(msgspec.Struct):
    """RFC 6749 section 5.2."""

    error: str
    error_description: str | msgspec.UnsetType = msgspec.UNSET


class ErrorObject(msgspec.Struct):
    """One JSON:API error."""

    status: str
    title: str
    detail: str


class Errors(msgspec.Struct):
    """The JSON:API error document."""

    errors: list[ErrorObject]


class Document(msgspec.Struct):
    """A JSON:API document: `meta` (self and paging links) and `data`."""

    meta: dict[str, str | None]
    data: dict[str, Any] | list[dict[str, Any]] | None
    included: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


class TypeLink(msgspec.Struct):
    """One resource type's collection."""

    self: str
    type: str


class Root(msgspec.Struct):
    """The API root: every resource type's collection link."""

    links: dict[str, TypeLink]


# ---------------------------------------------------------------- OAuth2
_AUTHORIZE_PARAMS = tuple(
    Param(name, "query", text, schema=schema)
    for name, text, schema in (
        ("response_type", "code, or token (implicit: view scopes only)",
         {"type": "string", "enum": ["code", "token"]}),
        ("client_id", "The application's client id", None),
        ("redirect_uri", "One of the application's redirect URIs, exactly (default: the first)",
         None),
        ("scope", "Scopes separated by spaces, commas or + (default: the application's)", None),
        ("state", "Returned with the redirect", None),
    )
)  # fmt: skip
_ERROR_PAGE = Reply(
    400,
    "An error page (HTML): an unknown client, a redirect URI the application did not "
    "register, an unsupported response type or a scope it may not have. Never redirects.",
)
AUTHORIZE = Operation(
    summary="The sign-in page (HTML)",
    description="The authorization endpoint: checks the request, then shows the sign-in form.",
    tag="OAuth2",
    params=_AUTHORIZE_PARAMS,
    replies=(Reply(200, "The sign-in page (HTML)."), _ERROR_PAGE),
)
_LOGIN = {
    "type": "object",
    "properties": {
        **{n: {"type": "string"} for n in OAUTH_PARAMS},
        "email": {"type": "string"},
        "password": {"type": "string"},
    },
}
SIGN_IN = Operation(
    summary="Sign in (the form of the sign-in page)",
    description="The authorization request's parameters (query or form) with the account's "
    "email and password: the consent page, or the sign-in page again (401).",
    tag="OAuth2",
    params=_AUTHORIZE_PARAMS,
    body=Body(_LOGIN, ("application/x-www-form-urlencoded",), required=False),
    replies=(
        Reply(200, "The consent page (HTML)."),
        _ERROR_PAGE,
        Reply(401, "The sign-in page again: the email or password is not correct (HTML)."),
    ),
)
CONSENT = Operation(
    summary="Allow or deny (the form of the consent page)",
    description="The authorization request's parameters with the consent page's single-use "
    "`ticket` and `decision` (allow or deny): a redirect to the client with the code or token "
    "(or error=access_denied).",
    tag="OAuth2",
    params=_AUTHORIZE_PARAMS,
    body=Body(
        {
            "type": "object",
            "properties": {
                **{n: {"type": "string"} for n in OAUTH_PARAMS},
                "ticket": {"type": "string"},
                "decision": {"type": "string", "enum": ["allow", "deny"]},
            },
        },
        ("application/x-www-form-urlencoded",),
        required=False,
    ),
    replies=(
        Reply(302, "To the redirect URI."),
        _ERROR_PAGE,
        Reply(401, "The login ticket is unknown, used or expired (HTML)."),
    ),
)
_TOKEN_PARAMS = (
    ("grant_type", "client_credentials, password, authorization_code or refresh_token "
     "(`client credentials`, the document's spelling, too)"),
    ("client_id", "The application's client id (or HTTP Basic)"),
    ("client_secret", "The application's secret (or HTTP Basic)"),
    ("scope", "Scopes separated by spaces, commas or +"),
    ("scopes", "The document's name for scope"),
    ("username", "password grant: the account's email"),
    ("password", "password grant: the account's password"),
    ("code", "authorization_code grant: the code"),
    ("redirect_uri", "authorization_code grant: the authorization request's, if it named one"),
    ("refresh_token", "refresh_token grant"),
)  # fmt: skip
TOKEN_FORM = {
    "type": "object",
    "properties": {name: {"type": "string", "description": text} for name, text in _TOKEN_PARAMS},
}


def token(refresh: bool) -> Operation:
    """A token endpoint (/oauth2/token issues refresh tokens, /oauth/token does not)."""
    return Operation(
        summary="Request a token" + (" (with a refresh token)" if refresh else " (legacy)"),
        description="Parameters in a form body, the query string (with an empty body) or a "
        "JSON object; the body's win.",
        tag="OAuth2",
        params=tuple(Param(n, "query", d) for n, d in _TOKEN_PARAMS),
        body=Body(
            TOKEN_FORM, ("application/x-www-form-urlencoded", "application/json"), required=False
        ),
        replies=(
            Reply(200, "The token.", TokenResponse),
            Reply(400, "RFC 6749 error (or a JSON body that is not an object).", OAuthError),
            Reply(401, "Client authentication failed.", OAuthError),
        ),
    )


# ---------------------------------------------------------------- JSON:API
_VERBS = {
    ("GET", 1): "List the account's {t}",
    ("POST", 1): "Create one of the {t}",
    ("GET", 2): "One of the {t}",
    ("PATCH", 2): "Change one of the {t}",
    ("PUT", 2): "Change one of the {t}",
    ("DELETE", 2): "Delete one of the {t}",
    ("GET", 3): "What a resource's {r} relationship names",
    ("GET", 4): "A relationship's linkage (type and id of what it names)",
    ("POST", 4): "Add to the {t}' {r}",
    ("PATCH", 4): "Replace the {t}' {r}",
    ("DELETE", 4): "Remove from the {t}' {r}",
}


def _summary(method: str, path: str) -> str:
    """What a reader of the docs page sees for a JSON:API route."""
    parts = path.strip("/").split("/")[1:]  # after "api"
    if not parts:
        return "The API root: a link to every resource type (no token needed)"
    text = _VERBS.get((method, len(parts)), f"{method} {path}")
    return text.format(t=parts[0].replace("{type}", "resources"), r=parts[-1])


def _id(resource_type: ResourceType | None) -> Param:
    if resource_type is None:
        return Param("id", "path", "The resource's id (a UUID or digits, as its type has)")
    if resource_type.uuid_ids:
        return Param("id", "path", "A UUID", schema={"type": "string", "pattern": UUID})
    return Param("id", "path", "Digits", schema={"type": "string", "pattern": "^[0-9]+$"})


_PAGING = (
    Param("page[size]", "query", "Page size (default 50; empty: the default)",
          schema={"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                            {"type": "string", "enum": [""]}]}),
    Param("page[page]", "query", "Page number (from 1; empty: the first)",
          schema={"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                            {"type": "string", "enum": [""]}]}),
)  # fmt: skip


def includable(resource_type: ResourceType) -> list[str]:
    """The relationships `include=` takes: all but histories (which run to thousands)."""
    return [
        r.name
        for r in resource_type.rels
        if r.target in TYPES and not (r.many and TYPES[r.target].parent is not None)
    ]


def _include(resource_type: ResourceType | None) -> Param:
    text = "Comma-separated relationships to include (one level"
    if resource_type is None:
        return Param("include", "query", text + "; the related type's: 400 otherwise)")
    names = "|".join(re.escape(n) for n in includable(resource_type))
    one = rf"\s*({names})\s*"
    return Param(
        "include",
        "query",
        f"{text}): {', '.join(includable(resource_type))}",
        schema={"type": "string", "pattern": f"^({one}(,{one})*)?$"},
    )


def _problems(*statuses: int) -> tuple[Reply, ...]:
    texts = {
        400: "Malformed: paging, include=, or a body that is not a JSON:API document.",
        401: "No valid token.",
        403: "Missing scope, or not allowed on this type or relationship.",
        404: "Not found (or another account's), or a linked resource that is.",
        409: "The document's type or id does not match the URL.",
        413: "The body is larger than a mebibyte.",
        422: "Invalid write: the detail names the attribute or relationship.",
    }
    replies = [Reply(s, texts[s], Errors) for s in statuses if s != 413]
    if 413 in statuses:
        replies.append(Reply(413, texts[413], {"type": "object"}))
    return tuple(sorted(replies, key=lambda r: r.status))


_READS = (400, 401, 403, 404)
_WRITES = (400, 401, 403, 404, 409, 413, 422)


def resource_operation(method: str, path: str) -> Operation:
    """A JSON:API route's operation, from its method and path: the status of success, the
    path and query parameters, the write body of its type; the root needs no token."""
    if path in ("/api", "/api/"):
        return Operation(
            summary=_summary(method, path),
            description="Every resource type and its collection.",
            tag="api",
            replies=(Reply(200, "The resource types.", Root),),
        )
    parts = path.strip("/").split("/")[1:]
    resource_type = TYPES.get(parts[0])
    if parts[0] == "me":
        resource_type = TYPES["users"]
    single = len(parts) >= 2
    params: tuple[Param, ...] = ()
    if parts[0] == "{type}":
        params += (Param("type", "path", "A resource type", schema={"enum": list(TYPES)}),)
    if single:
        params += (_id(resource_type),)
    if len(parts) == 3 and parts[2] == "{rel}":
        names = sorted({r.name for t in TYPES.values() for r in t.rels})
        params += (Param("rel", "path", "A relationship of the type", schema={"enum": names}),)
    status = {"POST": 201, "DELETE": 204}.get(method, 200)
    body = None
    problems: tuple[int, ...] = _READS
    description = "JSON:API resource endpoint (see docs/flair.md)."
    if method == "GET":
        if len(parts) != 2 and parts[0] != "me" and not path.endswith("current-reading"):
            params += _PAGING
        if not path.endswith("current-reading"):
            params += (_include(None if len(parts) == 3 else resource_type),)
        if len(parts) == 3:
            description += " 404 when the type has no such relationship."
    elif method == "DELETE":
        problems = (400, 401, 403, 404, 413)
    elif resource_type is not None and (method != "POST" or resource_type.creatable):
        body = Body(resource_type.write_schema(creating=method == "POST"), JSON_API)
        problems = _WRITES
        if method == "POST":
            description += " Linked resources must be the account's (404 otherwise)."
    else:  # users: accounts are made with `ductwork users create`
        problems = (400, 401, 403)
        description += " Users cannot be created through the API (403)."
    return Operation(
        summary=_summary(method, path),
        description=description,
        tag="api" if "{type}" in path else parts[0],
        params=params,
        body=body,
        replies=(
            Reply(status, "Success.", None if status == 204 else Document),
            *_problems(*problems),
        ),
        security=("oauth2",),
    )


def relationship_operations(
    resource_type: ResourceType, rel: Rel
) -> list[tuple[str, str, Operation]]:
    """The routes of one relationship endpoint: GET, and the writes: POST, PATCH and DELETE of
    a to-many link, PATCH of a to-one link; the writes it does not take always answer 403."""
    path = f"/api/{resource_type.name}/{{id}}/relationships/{rel.name}"
    found = [
        (
            "GET",
            path,
            Operation(
                summary=_summary("GET", path),
                description="The link's resource identifiers.",
                tag=resource_type.name,
                params=(_id(resource_type),),
                replies=(Reply(200, "Success.", Document), *_problems(401, 403, 404)),
                security=("oauth2",),
            ),
        )
    ]
    target = TYPES[rel.target]
    for method in ("POST", "PATCH", "DELETE"):
        if not rel.editable or not (rel.many or method == "PATCH"):
            why = "is not editable" if not rel.editable else "is a to-one link: PATCH replaces it"
            operation = Operation(
                summary=_summary(method, path),
                description=f"Always 403: {rel.name} of {resource_type.name} {why}.",
                tag=resource_type.name,
                params=(_id(resource_type),),
                replies=_problems(400, 401, 403, 413),
                security=("oauth2",),
            )
            found.append((method, path, operation))
            continue
        description = "The link's resource identifiers after the change."
        if rel.many and rel.column is not None and not target.table.c[rel.column].nullable:
            description += (
                f" {rel.target} always belong to one of the {resource_type.name}: moving them "
                "here takes them from the other; a PATCH that leaves out one of those linked now, "
                "or a DELETE of one, is 422."
            )
        linkage = rel.schema(nullable=rel.many or resource_type.emptiable(rel))["anyOf"][0]
        operation = Operation(
            summary=_summary(method, path),
            description=description,
            tag=resource_type.name,
            params=(_id(resource_type),),
            body=Body(linkage, JSON_API),
            replies=(Reply(200, "Success.", Document), *_problems(*_WRITES)),
            security=("oauth2",),
        )
        found.append((method, path, operation))
    return found


def openapi_document(routes: list[Endpoint]) -> dict[str, Any]:
    """The OpenAPI document, from the route table's operations."""
    return build_document(
        title="Flair API (ductwork)",
        version="1",
        description="The Flair API served by ductwork over simulated homes. Get a token at "
        "/oauth2/token, then send `Authorization: Bearer <token>`.",
        server_url=PREFIX,
        routes=routes,
        security_schemes={
            "oauth2": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": f"{PREFIX}/oauth2/token", "scopes": {}},
                    "password": {"tokenUrl": f"{PREFIX}/oauth2/token", "scopes": {}},
                    "authorizationCode": {
                        "authorizationUrl": f"{PREFIX}/oauth/authorize",
                        "tokenUrl": f"{PREFIX}/oauth2/token",
                        "scopes": {},
                    },
                    "implicit": {"authorizationUrl": f"{PREFIX}/oauth/authorize", "scopes": {}},
                },
            },
            # Older ("legacy") credentials get their tokens here, without a refresh token.
            "oauth2Legacy": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": f"{PREFIX}/oauth/token", "scopes": {}},
                    "password": {"tokenUrl": f"{PREFIX}/oauth/token", "scopes": {}},
                },
            },
        },
    )
