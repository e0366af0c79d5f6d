"""A lean ASGI dispatcher: vendor APIs by path prefix, each with its own route table and errors.

Every vendor API is a table of endpoints under a prefix, plus the shape its vendor gives to
errors. One dictionary lookup finds a static route; parameterised routes are tried by
segment count. Handlers get a Starlette `Request` and return a Starlette `Response`. Each
entry also carries its OpenAPI operation (None: not in the document), so the same table
feeds the OpenAPI document (`http.openapi.build_document`) and the coverage ledger test.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from ductwork.http.openapi import Operation

log = logging.getLogger("ductwork.http")

Handler = Callable[[Request], Awaitable[Response]]
Lifespan = Callable[[], contextlib.AbstractAsyncContextManager[None]]
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def _compile(template: str) -> re.Pattern[str]:
    """`/devices/{deviceId}/time` → a regex with one named group per parameter."""
    regex, position = "", 0
    for found in _PARAM.finditer(template):
        regex += re.escape(template[position : found.start()]) + f"(?P<{found.group(1)}>[^/]+)"
        position = found.end()
    return re.compile("^" + regex + re.escape(template[position:]) + "$")


class JsonBytes(Response):
    """An application/json response from bytes already encoded (no re-encoding, fixed headers)."""

    media_type = "application/json"

    def __init__(self, content: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(content)).encode()),
            (b"content-type", b"application/json"),
        ]


def header(request: Request, name: bytes) -> str | None:
    """One request header by its lower-case name, read straight from the ASGI scope (fast)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method on one path template (relative to its API's prefix), its handler and its
    OpenAPI operation (None for what the document leaves out, such as the document itself)."""

    method: str
    path: str
    handler: Handler
    operation: Operation | None = None


MAX_BODY_BYTES = 1 << 20  # no vendor request needs more than a mebibyte


class BodyTooLarge(Exception):
    """A request body past MAX_BODY_BYTES (found while it streams in)."""


def _too_large() -> Response:
    body = b'{"message":"Request Entity Too Large"}'
    return JsonBytes(body, 413)


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length header, or None (absent or not a number)."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _limited(receive: Receive) -> Receive:
    """`receive` that raises BodyTooLarge as soon as the body streamed in passes the limit."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    return limited


@dataclass(frozen=True, slots=True)
class ErrorShape:
    """How a vendor answers what no handler answered."""

    render: Callable[[Exception], Response | None]  # the vendor's own errors, else None
    not_found: Callable[[], Response]
    method_not_allowed: Callable[[], Response]
    server_error: Callable[[], Response]


@dataclass
class Api:
    """A vendor API (or ductwork's own pages) mounted at a path prefix."""

    prefix: str
    endpoints: list[Endpoint]
    errors: ErrorShape
    _static: dict[str, dict[str, Handler]] = field(default_factory=dict, init=False)
    _dynamic: dict[int, list[tuple[re.Pattern[str], dict[str, Handler]]]] = field(
        default_factory=dict, init=False
    )

    def __post_init__(self) -> None:
        patterns: dict[str, dict[str, Handler]] = {}
        for endpoint in self.endpoints:
            if _PARAM.search(endpoint.path):
                patterns.setdefault(endpoint.path, {})[endpoint.method] = endpoint.handler
            else:
                self._static.setdefault(endpoint.path, {})[endpoint.method] = endpoint.handler
        for template, methods in patterns.items():
            segments = template.count("/")
            self._dynamic.setdefault(segments, []).append((_compile(template), methods))

    def match(self, path: str) -> tuple[Mapping[str, Handler], dict[str, str]] | None:
        """The handlers by method for a path (relative to the prefix) and its parameters."""
        methods = self._static.get(path)
        if methods is not None:
            return methods, {}
        for pattern, handlers in self._dynamic.get(path.count("/"), ()):
            found = pattern.match(path)
            if found is not None:
                return handlers, found.groupdict()
        return None

    def routes(self) -> list[tuple[str, str]]:
        """(method, full path template) of every endpoint."""
        return [(e.method, self.prefix + e.path) for e in self.endpoints]


@dataclass(frozen=True, slots=True)
class AsgiMount:
    """A plain ASGI app (static files) under a prefix, served at that path on every host."""

    prefix: str
    app: ASGIApp


class App:
    """The ASGI application: vendor ports and hosts served at the vendor's real root paths,
    prefix dispatch, vendor errors, lifespan."""

    def __init__(
        self,
        apis: list[Api],
        mounts: list[AsgiMount],
        fallback: ErrorShape,
        hosts: Mapping[str, str],
        lifespan: Lifespan | None = None,
        ports: Mapping[int, str] | None = None,
    ) -> None:
        self.apis = sorted(apis, key=lambda a: len(a.prefix), reverse=True)
        self.mounts = mounts
        self.fallback = fallback
        self.hosts = dict(hosts)
        self.ports = dict(ports or {})  # a vendor's own port -> the prefix of its real root
        self.lifespan = lifespan

    def routes(self) -> list[tuple[str, str]]:
        """(method, full path template) of every endpoint of every API."""
        return [route for api in self.apis for route in api.routes()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    def _path(self, scope: Scope) -> str:
        path: str = scope["path"]
        if self.ports:
            server = scope.get("server")
            prefix = self.ports.get(server[1]) if server else None
            if prefix is not None:  # (a prefixed path, e.g. from a docs page, is kept)
                return path if path.startswith(prefix + "/") else prefix + path
        if not self.hosts:
            return path
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1").lower()
                if not host.endswith("]"):
                    host = host.rsplit(":", 1)[0]
                prefix = self.hosts.get(host.removesuffix(".localhost"))
                if prefix is not None and not path.startswith(prefix + "/"):
                    return prefix + path
                break
        return path

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mounts are ductwork's own files (Swagger UI): the same path on every host, so a docs
        # page on a vendor host finds them too (no vendor rewrite to /flair/_ductwork/...).
        for mount in self.mounts:
            if scope["path"].startswith(mount.prefix + "/"):
                child = dict(scope, root_path=scope.get("root_path", "") + mount.prefix)
                await mount.app(child, receive, send)
                return
        if scope["method"] not in ("GET", "HEAD"):
            length = _declared_length(scope)
            if length is not None and length > MAX_BODY_BYTES:
                # Refused unread: the connection closes rather than drain a huge body.
                await _too_large()(scope, receive, send)
                return
            receive = _limited(receive)  # a chunked (or lying) body is counted as it arrives
        path = self._path(scope)
        api = next(
            (a for a in self.apis if path == a.prefix or path.startswith(a.prefix + "/")), None
        )
        errors = api.errors if api is not None else self.fallback
        response: Response
        try:
            found = api.match(path[len(api.prefix) :]) if api is not None else None
            if found is None:
                response = errors.not_found()
            else:
                methods, params = found
                method = scope["method"]
                handler = methods.get("GET" if method == "HEAD" else method)
                if handler is None:
                    response = errors.method_not_allowed()
                    response.headers["Allow"] = ", ".join(sorted(methods))
                else:
                    scope["path_params"] = params
                    response = await handler(Request(scope, receive))
        except BodyTooLarge:
            response = _too_large()
        except ClientDisconnect:
            return  # the client went away mid-body: no one to answer, nothing went wrong here
        except Exception as exc:
            rendered = errors.render(exc)
            if rendered is None:
                log.error("unhandled error on %s %s\n%s", scope["method"], path,
                          "".join(traceback.format_exception(exc)))  # fmt: skip
                rendered = errors.server_error()
            response = rendered
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        context = self.lifespan() if self.lifespan is not None else _nothing()
        started = False
        try:
            async with context:
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})


@contextlib.asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield
