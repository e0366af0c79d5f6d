"""The Flair API (media type version 1): the route table (OAuth2 endpoints and the JSON:API
resources, generated per resource type), each entry with its OpenAPI operation."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import Response

from ductwork.http.auth import authenticated, bearer_token
from ductwork.http.authorize import Authorization, Brand, endpoints
from ductwork.http.dispatch import Api, Endpoint, ErrorShape
from ductwork.http.openapi import docs_page
from ductwork.http.params import (
    MAX_JSON_DEPTH,
    BadBody,
    BodyRules,
    json_depth,
    json_or_urlencoded,
    merge_params,
)
from ductwork.vendors.flair import wire
from ductwork.vendors.flair.api.document import (
    AUTHORIZE,
    CONSENT,
    OAUTH_PARAMS,
    SIGN_IN,
    openapi_document,
    relationship_operations,
    resource_operation,
    token,
)
from ductwork.vendors.flair.exceptions import FlairError, bad_request, unauthorized
from ductwork.vendors.flair.models import TYPES, Principal, ResourceType
from ductwork.vendors.flair.oauth import FlairRequest, normalise_parameters
from ductwork.vendors.flair.service import FlairService, Query

PREFIX = "/flair"
JSON_UTF8 = b"application/json; charset=utf-8"
Handler = Callable[[Request], Awaitable[Response]]
NOT_AN_OBJECT = {
    "error": "invalid_request",
    "error_description": "The JSON body must be an object.",
}
# Token parameters: any body, JSON (an object) when its type says so, url-encoded otherwise.
BODY = BodyRules(json_or_urlencoded, objects_only=True)


def _consent_text(client: str, email: str, grant: Any) -> str:
    scopes = getattr(grant.request, "scope", "") or "every scope the application registered"
    return (
        f"<strong>{client}</strong> asks for access to the Flair homes of {email}: "
        f"{html.escape(scopes)}."
    )


# Relative form actions: the pages work under /flair and on the vendor host alike.
BRAND = Brand(
    name="Flair",
    colour="#1d6fa5",
    login_action="authorize",
    consent_action="authorize/consent",
    sign_in_title="Flair sign in",
    consent_title="Flair authorization",
    invitation=lambda client: f"Sign in to connect <strong>{client}</strong> to your Flair home.",
    request=_consent_text,
)


class ApiResponse(Response):
    """A JSON:API answer: the real service's `application/json; charset=utf-8`."""

    def __init__(self, content: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        self.raw_headers = [(b"content-length", str(len(content)).encode())]
        if content:
            self.raw_headers.append((b"content-type", JSON_UTF8))


def document(body: Any, status: int = 200) -> Response:
    """Encode a JSON:API document."""
    return ApiResponse(wire.encode(body), status)


def error_response(error: FlairError) -> Response:
    """The errors array; 401s also carry a Bearer challenge."""
    response = document(wire.errors(error.status, error.title, error.detail), error.status)
    if error.status == 401:
        response.raw_headers.append((b"www-authenticate", b'Bearer realm="flair"'))
    return response


def _render(exc: Exception) -> Response | None:
    return error_response(exc) if isinstance(exc, FlairError) else None


FLAIR_ERRORS = ErrorShape(
    render=_render,
    not_found=lambda: error_response(FlairError(404, "The requested URL was not found.")),
    method_not_allowed=lambda: error_response(
        FlairError(405, "The method is not allowed for the requested URL.")
    ),
    server_error=lambda: error_response(FlairError(500, "The server encountered an error.")),
)


async def _json_body(request: Request) -> Any:
    body = await request.body()
    try:
        decoded = msgspec.json.decode(body) if body else None
    except (msgspec.DecodeError, RecursionError):
        raise bad_request("The body is not valid JSON.") from None
    if json_depth(decoded) > MAX_JSON_DEPTH:
        raise bad_request("The JSON body nests too deeply.")
    return decoded


def _api_path(request: Request) -> str:
    """The request's path on the real service (/api/...), whatever prefix or host it came by."""
    path: str = request.scope["path"]
    return path.removeprefix(PREFIX) if path.startswith(PREFIX + "/") else path


def _query(request: Request) -> Query:
    path = _api_path(request)
    query_string = request.scope.get("query_string", b"").decode("latin-1")
    return Query.parse(path, query_string, request.query_params)


def create_api(service: FlairService) -> Api:
    """The Flair API under /flair, with Flair's JSON:API error shape."""

    oauth = service.oauth

    async def authenticate(request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise unauthorized()
        principal = await authenticated(token, oauth.cached_principal, oauth.authenticate)
        if principal is None:
            raise unauthorized("The access token is unknown, revoked or expired.")
        return principal

    def token_endpoint(refresh: bool) -> Handler:
        async def handle(request: Request) -> Response:
            uri = f"https://{request.url.netloc}{request.url.path}"
            headers: list[tuple[str, str]]
            try:
                params = await merge_params(request, BODY)
            except BadBody:
                status, body, headers = 400, NOT_AN_OBJECT, []
            else:
                status, body, headers = await anyio.to_thread.run_sync(
                    oauth.token_response, uri, params, request.headers, refresh
                )
            response = Response(wire.encode(body), status, media_type="application/json")
            for name, value in headers:
                if name.lower() != "content-type":
                    response.headers[name] = value
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
            return response

        return handle

    async def authorization_params(request: Request) -> dict[str, str]:
        try:
            params = await merge_params(request, BODY)
        except BadBody:
            params = dict(request.query_params)
        return normalise_parameters(params)

    def authorization_request(request: Request, params: dict[str, str]) -> FlairRequest:
        uri = f"https://{request.url.netloc}{request.url.path}"
        return FlairRequest(uri, params, request.headers, refresh=True, method=request.method)

    authorize, consent = endpoints(
        Authorization(oauth, BRAND, OAUTH_PARAMS, authorization_params, authorization_request)
    )

    async def root(_request: Request) -> Response:
        return document(service.root())

    def read(call: Callable[[Principal, Request], Any]) -> Handler:
        async def handle(request: Request) -> Response:
            principal = await authenticate(request)
            return document(await anyio.to_thread.run_sync(call, principal, request))

        return handle

    def write(call: Callable[[Principal, Request, Any], Any], status: int = 200) -> Handler:
        async def handle(request: Request) -> Response:
            principal = await authenticate(request)
            body = await _json_body(request)
            result = await anyio.to_thread.run_sync(call, principal, request, body)
            return ApiResponse(b"", 204) if result is None else document(result, status)

        return handle

    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    def resource(method: str, path: str, handler: Handler) -> Endpoint:
        """A JSON:API route, documented from its method and path."""
        return Endpoint(method, path, handler, resource_operation(method, path))

    async def openapi(_request: Request) -> Response:
        return document(spec)

    async def docs(_request: Request) -> Response:
        # A relative spec URL: the page works under /flair and on the vendor host alike.
        # Nearly 300 operations (every relationship endpoint): tags open one at a time.
        page = docs_page("Flair API", "openapi.json", collapsed=True).encode()
        return Response(page, media_type="text/html; charset=utf-8")

    # The route table: fixed entries, then each resource type's, then the generic ones.
    routes: list[Endpoint] = [
        Endpoint("POST", "/oauth/token", token_endpoint(refresh=False), token(refresh=False)),
        Endpoint("POST", "/oauth2/token", token_endpoint(refresh=True), token(refresh=True)),
        Endpoint("GET", "/oauth/authorize", authorize, AUTHORIZE),
        Endpoint("POST", "/oauth/authorize", authorize, SIGN_IN),
        Endpoint("POST", "/oauth/authorize/consent", consent, CONSENT),
        resource("GET", "/api", root),
        resource("GET", "/api/", root),
        resource("GET", "/api/me", read(lambda pr, r: service.me(pr, _query(r)))),
    ]

    def writes(type_name: str, resource_type: ResourceType) -> list[Endpoint]:
        collection, single = f"/api/{type_name}", f"/api/{type_name}/{{id}}"
        found = []
        if resource_type.creatable or type_name == "users":
            # Users are accounts: `ductwork users create` makes them, and the API answers a
            # POST or DELETE of one with 403 as it does for any type clients may not create.
            create = write(lambda pr, r, b: service.create(pr, type_name, b), 201)
            found.append(resource("POST", collection, create))
        if any(a.editable for a in resource_type.attrs):
            update = write(lambda pr, r, b: service.update(pr, type_name, p(r, "id"), b))
            found += [resource("PATCH", single, update), resource("PUT", single, update)]
        if resource_type.deletable or type_name == "users":
            delete = write(lambda pr, r, b: service.delete(pr, type_name, p(r, "id")))
            found.append(resource("DELETE", single, delete))
        return found

    for name, resource_type in TYPES.items():
        collection = f"/api/{name}"
        single = f"{collection}/{{id}}"

        def reads(type_name: str) -> tuple[Handler, Handler]:
            return (
                read(lambda pr, r: service.collection(pr, type_name, _query(r))),
                read(lambda pr, r: service.single(pr, type_name, p(r, "id"), _query(r))),
            )

        list_handler, single_handler = reads(name)
        routes += [
            resource("GET", collection, list_handler),
            resource("GET", single, single_handler),
        ]
        routes += writes(name, resource_type)

    def related(type_name: str | None) -> Handler:
        return read(
            lambda pr, r: service.related(
                pr,
                type_name or p(r, "type"),
                p(r, "id"),
                "current-reading" if type_name else p(r, "rel"),
                _query(r),
            )
        )

    def relationship(method: str, type_name: str, name: str) -> Handler:
        if method == "GET":
            return read(
                lambda pr, r: service.relationship(pr, type_name, p(r, "id"), name, _api_path(r))
            )
        return write(
            lambda pr, r, b: service.change_relationship(
                pr, method, type_name, p(r, "id"), name, b, _api_path(r)
            )
        )

    routes += [
        resource("GET", "/api/vents/{id}/current-reading", related("vents")),
        resource("GET", "/api/pucks/{id}/current-reading", related("pucks")),
        resource("GET", "/api/{type}/{id}/{rel}", related(None)),
    ]
    # Each relationship endpoint, with the four methods (the writes a link does not take
    # answer 403).
    routes += [
        Endpoint(method, path, relationship(method, resource_type.name, rel.name), operation)
        for resource_type in TYPES.values()
        for rel in resource_type.rels
        if rel.self_link
        for method, path, operation in relationship_operations(resource_type, rel)
    ]
    # The document and its docs page are not in the document.
    routes += [Endpoint("GET", "/openapi.json", openapi), Endpoint("GET", "/docs", docs)]
    spec = openapi_document(routes)
    return Api(PREFIX, routes, FLAIR_ERRORS)
