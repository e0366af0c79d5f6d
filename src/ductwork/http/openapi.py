"""OpenAPI 3.1 documents built from our own route tables and msgspec wire types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec


@dataclass(frozen=True, slots=True)
class Param:
    """A path, query or header parameter."""

    name: str
    location: str
    description: str
    required: bool = False
    example: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented response: status, description, body type (None: no JSON body)."""

    status: int
    description: str
    body: Any = None
    example: Any = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One method on one path, as the vendor document describes it."""

    method: str
    path: str
    summary: str
    description: str
    tag: str
    replies: tuple[Reply, ...]
    params: tuple[Param, ...] = ()
    security: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def build_document(
    *,
    title: str,
    version: str,
    description: str,
    server_url: str,
    operations: list[Operation],
    security_schemes: dict[str, Any],
) -> dict[str, Any]:
    """An OpenAPI 3.1 document whose schemas come from the same types the handlers encode."""
    types = {r.body for op in operations for r in op.replies if r.body is not None}
    ordered = sorted(types, key=repr)
    schemas, components = msgspec.json.schema_components(
        ordered, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(ordered, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        responses: dict[str, Any] = {}
        for reply in op.replies:
            entry: dict[str, Any] = {"description": reply.description}
            if reply.body is not None:
                media: dict[str, Any] = {"schema": by_type[reply.body]}
                if reply.example is not None:
                    media["example"] = reply.example
                entry["content"] = {"application/json": media}
            responses[str(reply.status)] = entry
        operation: dict[str, Any] = {
            "summary": op.summary,
            "description": op.description,
            "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{op.path.strip('/').replace('/', '_')}".replace(
                "{", ""
            ).replace("}", ""),
            "parameters": [
                {
                    "name": p.name,
                    "in": p.location,
                    "description": p.description,
                    "required": p.required or p.location == "path",
                    "schema": {"type": "string"},
                    **({"example": p.example} if p.example is not None else {}),
                }
                for p in op.params
            ],
            "responses": responses,
            **op.extra,
        }
        operation["security"] = [{name: []} for name in op.security]
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": security_schemes},
    }


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/_ductwork/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/_ductwork/swagger-ui/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{spec_url}", dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""


def docs_page(title: str, spec_url: str) -> str:
    """An interactive docs page served from the bundled Swagger UI (no CDN)."""
    return DOCS_PAGE.format(title=title, spec_url=spec_url)
