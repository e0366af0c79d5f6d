"""Flair on the wire: JSON:API documents exactly as the real service shapes them.

A resource object has exactly `type`, `id`, `attributes` and `relationships`; links are
relative paths; collections page through `meta` (no top-level `links`); errors are an array.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import msgspec

API = "/api"
_encoder = msgspec.json.Encoder()

Json = dict[str, Any]


def encode(document: Any) -> bytes:
    """Serialise a document (dicts and lists of JSON values)."""
    return _encoder.encode(document)


def timestamp(t: float) -> str:
    """Epoch seconds as the real service writes them: ISO 8601, microseconds, +00:00."""
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="microseconds")


def identifier(type_name: str, resource_id: str | int | None) -> Json | None:
    """A resource identifier object, or None for an empty to-one link."""
    return None if resource_id is None else {"type": type_name, "id": str(resource_id)}


def relationship(
    type_name: str, resource_id: str, name: str, *, self_link: bool, data: Any = msgspec.UNSET
) -> Json:
    """One relationship: links (self only where the link has an endpoint) and maybe data."""
    base = f"{API}/{type_name}/{resource_id}"
    links = {"related": f"{base}/{name}"}
    if self_link:
        links = {"self": f"{base}/relationships/{name}", **links}
    entry: Json = {"links": links}
    if data is not msgspec.UNSET:
        entry["data"] = data
    return entry


def resource(type_name: str, resource_id: str, attributes: Json, relationships: Json) -> Json:
    """A resource object with exactly the four keys strict clients accept."""
    return {
        "type": type_name,
        "id": resource_id,
        "attributes": attributes,
        "relationships": relationships,
    }


def page_link(path: str, include: str, size: int, page: int) -> str:
    """A paging link as the real service writes it (brackets percent-encoded)."""
    return f"{path}?include={quote(include, safe=',')}&page%5Bsize%5D={size}&page%5Bpage%5D={page}"


def collection(
    self_link: str,
    path: str,
    data: list[Json],
    *,
    total: int,
    size: int,
    page: int,
    include: str,
    included: list[Json] | None,
) -> Json:
    """A collection document: paging in `meta`, `included` only when include= asked for it."""
    last = max(1, -(-total // size))
    document: Json = {
        "meta": {
            "self": self_link,
            "first": page_link(path, include, size, 1),
            "last": page_link(path, include, size, last),
            "next": page_link(path, include, size, page + 1) if page < last else None,
            "prev": page_link(path, include, size, page - 1) if page > 1 else None,
        },
        "data": data,
    }
    if included is not None:
        document["included"] = included
    return document


def single(self_link: str, data: Json | None, included: list[Json] | None = None) -> Json:
    """A single-resource document (data may be null for an empty to-one link)."""
    document: Json = {"meta": {"self": self_link}, "data": data}
    if included is not None:
        document["included"] = included
    return document


def linkage(self_link: str, data: Any) -> Json:
    """A relationship document: the identifiers of a link."""
    return {"meta": {"self": self_link}, "data": data}


def errors(status: int, title: str, detail: str) -> Json:
    """The error document: an array of error objects (statuses are strings, as in JSON:API)."""
    return {"errors": [{"status": str(status), "title": title, "detail": detail}]}
