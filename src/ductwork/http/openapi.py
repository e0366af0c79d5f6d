"""OpenAPI 3.1 documents built from our own route tables and msgspec wire types."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from ductwork.http.dispatch import Endpoint

log = logging.getLogger("ductwork")


@dataclass(frozen=True, slots=True)
class Param:
    """A path, query or header parameter."""

    name: str
    location: str
    description: str
    required: bool = False
    example: str | None = None
    # The value's JSON Schema (type, format, range, enum); a plain string when not given.
    schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: its schema (a msgspec type, or a JSON Schema as a dict) under each media
    type it is accepted in."""

    schema: Any
    media_types: tuple[str, ...] = ("application/json",)
    required: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented response: status, description, body type (None: no JSON body)."""

    status: int
    description: str
    body: Any = None
    example: Any = None


@dataclass(frozen=True, slots=True)
class Operation:
    """How the document describes one route (its method and path are the route's)."""

    summary: str
    description: str
    tag: str
    replies: tuple[Reply, ...]
    params: tuple[Param, ...] = ()
    security: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    body: Body | None = None


def build_document(
    *,
    title: str,
    version: str,
    description: str,
    server_url: str,
    routes: Iterable[Endpoint],
    security_schemes: dict[str, Any],
) -> dict[str, Any]:
    """An OpenAPI 3.1 document of a route table's documented entries (in table order), whose
    schemas come from the same types the handlers encode. Entries without an operation are
    left out."""
    documented = [(r.method, r.path, r.operation) for r in routes if r.operation is not None]
    types = {r.body for _, _, op in documented for r in op.replies if _typed(r.body)}
    types |= {op.body.schema for _, _, op in documented if op.body and _typed(op.body.schema)}
    ordered = sorted(types, key=repr)
    schemas, components = msgspec.json.schema_components(
        ordered, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(ordered, schemas, strict=True))

    def schema_of(body: Any) -> Any:
        return by_type[body] if _typed(body) else body

    paths: dict[str, dict[str, Any]] = {}
    for method, path, op in documented:
        responses: dict[str, Any] = {}
        for reply in op.replies:
            entry: dict[str, Any] = {"description": reply.description}
            if reply.body is not None:
                media: dict[str, Any] = {"schema": schema_of(reply.body)}
                if reply.example is not None:
                    media["example"] = reply.example
                entry["content"] = {"application/json": media}
            responses[str(reply.status)] = entry
        operation: dict[str, Any] = {
            "summary": op.summary,
            "description": op.description,
            "tags": [op.tag],
            "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_')}".replace(
                "{", ""
            ).replace("}", ""),
            "parameters": [
                {
                    "name": p.name,
                    "in": p.location,
                    "description": p.description,
                    "required": p.required or p.location == "path",
                    "schema": p.schema if p.schema is not None else {"type": "string"},
                    **({"example": p.example} if p.example is not None else {}),
                }
                for p in op.params
            ],
            "responses": responses,
            **op.extra,
        }
        if op.body is not None:
            operation["requestBody"] = {
                "required": op.body.required,
                **({"description": op.body.description} if op.body.description else {}),
                "content": {
                    media: {"schema": schema_of(op.body.schema)} for media in op.body.media_types
                },
            }
        operation["security"] = [{name: []} for name in op.security]
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": security_schemes},
    }


def _typed(body: Any) -> bool:
    """Whether a body is a type for msgspec to describe (else it is a JSON Schema already)."""
    return body is not None and not isinstance(body, dict)


# Swagger UI 5 (it renders OpenAPI 3.1) from npm's swagger-ui-dist, installed by `make` from
# src/ductwork/web/assets/package-lock.json (docs/web-assets.md); never from a CDN.
SWAGGER_UI_URL = "/_ductwork/swagger-ui"
SWAGGER_UI_DIR = (
    Path(__file__).resolve().parent.parent / "web" / "assets" / "node_modules" / "swagger-ui-dist"
)
MISSING_ASSETS = "Swagger UI is not installed: run `make web` in ductwork's checkout."
NOT_LOADED = f"Swagger UI did not load from {SWAGGER_UI_URL}/. {MISSING_ASSETS}"

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
if (window.SwaggerUIBundle) {{
  window.ui = SwaggerUIBundle({{
    url: {spec_url}, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
    docExpansion: {expansion}
  }});
}} else {{
  document.getElementById("swagger-ui").textContent = {missing};
}}
</script>
</body>
</html>
"""


def docs_page(title: str, spec_url: str, collapsed: bool = False) -> str:
    """An interactive docs page on the Swagger UI this server serves itself. The spec URL is
    used as given: a relative one resolves against the page, so it also works on a vendor host
    that serves the vendor's paths at its root. `collapsed` lists the tags only, each opened
    by a click: Swagger UI stops rendering a page that opens more than about 120 operations
    at once (Chromium 156, Swagger UI 5), so a large document needs it."""
    return DOCS_PAGE.format(
        title=html.escape(title),
        assets=SWAGGER_UI_URL,
        spec_url=json.dumps(spec_url),
        missing=json.dumps(NOT_LOADED),
        expansion=json.dumps("none" if collapsed else "list"),
    )


def swagger_ui_assets() -> ASGIApp:
    """The ASGI app serving Swagger UI's files (mount it at SWAGGER_UI_URL). Without them
    (npm never ran) it answers 404 with what to run, and docs pages say the same."""
    if SWAGGER_UI_DIR.is_dir():
        return StaticFiles(directory=SWAGGER_UI_DIR)
    log.warning("%s (no %s)", MISSING_ASSETS, SWAGGER_UI_DIR)

    async def missing(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(MISSING_ASSETS, status_code=404)(scope, receive, send)

    return missing
