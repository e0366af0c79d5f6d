"""Checks of Flair write documents: the JSON:API envelope, attributes against the resource
tables (422 naming the offender), resource identifiers, callbacks and applications."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ductwork.core.db import storable
from ductwork.vendors.flair import wire
from ductwork.vendors.flair.exceptions import bad_request, conflict, invalid
from ductwork.vendors.flair.models import ALL_SCOPES, Attr, Rel, ResourceType
from ductwork.vendors.flair.wire import Json


def check_callback(changes: Json, *, creating: bool) -> None:
    """A callback needs both attributes on creation, and an absolute http(s) URL."""
    missing = [n for n in ("webhookurl", "event_type") if creating and n not in changes]
    if missing:
        raise invalid(f"A new callback needs the attribute {', '.join(missing)}.")
    if "webhookurl" in changes:
        url = urlsplit(changes["webhookurl"])
        if url.scheme not in ("http", "https") or not url.hostname:
            raise invalid("webhookurl must be an absolute http or https URL.")


def check_application(changes: Json, *, creating: bool) -> None:
    """An application needs a name; redirect URIs are absolute without a fragment; scopes are
    the API's."""
    if creating and "name" not in changes:
        raise invalid("A new applications needs the attribute name.")
    for uri in changes.get("redirect_uris") or ():
        parts = urlsplit(uri)
        if not parts.scheme or parts.fragment or not (parts.netloc or parts.path):
            raise invalid(f"redirect_uris: {uri} is not an absolute URI without a fragment.")
    unknown = [s for s in changes.get("scopes") or () if s not in ALL_SCOPES]
    if unknown:
        raise invalid(f"scopes: unknown scope {unknown[0]}.")


def identifiers(rel: Rel, data: Any) -> Any:
    """Resource ids from linkage data; types must match the relationship's target."""

    def one(item: Any) -> str:
        if not isinstance(item, dict) or "id" not in item:
            raise bad_request(f"{rel.name}: each resource identifier needs a type and an id.")
        if item.get("type", rel.target) != rel.target:
            raise conflict(f"{rel.name} links to {rel.target}, not {item.get('type')}.")
        return str(item["id"])

    if rel.many:
        if not isinstance(data, list):
            raise bad_request(f"{rel.name} is a to-many relationship: data must be a list.")
        return [one(i) for i in data]
    if data is None:
        return None
    return one(data)


def document(body: Any, type_name: str, resource_id: str | None) -> tuple[Json, Json]:
    """The attributes and relationships of a write; type and id must match the endpoint."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise bad_request("The body must be a JSON:API document with a data object.")
    data = body["data"]
    if "type" in data and data["type"] != type_name:
        raise conflict(f"The document's type {data['type']} does not match {type_name}.")
    if resource_id is not None and "id" in data and str(data["id"]) != resource_id:
        raise conflict(f"The document's id {data['id']} does not match {resource_id}.")
    attributes = data.get("attributes") or {}
    relationships = data.get("relationships") or {}
    if not isinstance(attributes, dict) or not isinstance(relationships, dict):
        raise bad_request("attributes and relationships must be objects.")
    return attributes, relationships


def vent_state_alias(attributes: Json) -> Json:
    """The document's `current-vent-state.precent-open` is accepted as `percent-open`."""
    state = attributes.get("current-vent-state")
    if state is None:
        return attributes
    if not isinstance(state, dict):
        raise invalid("current-vent-state must be an object.")
    result = {k: v for k, v in attributes.items() if k != "current-vent-state"}
    for key, value in state.items():
        if key in ("precent-open", "percent-open"):
            result["percent-open"] = value
        else:
            raise invalid(f"current-vent-state.{key} is not editable.")
    return result


HVAC_MODES = {0: "Cool", 1: "Heat"}  # the document's current-state.mode


def hvac_state_alias(attributes: Json) -> Json:
    """The document's `current-state` object of an HVAC unit (`temperature`, `power` as a
    boolean, `mode` 0 cooling / 1 heating, `make`/`model` beside it) is accepted as the real
    flat attributes (`temperature`, `power` "On"/"Off", `mode` "Cool"/"Heat")."""
    result = dict(attributes)
    for document_name, real_name in (("make", "make-name"), ("model", "model-id")):
        if document_name in result:
            result[real_name] = result.pop(document_name)
    state = result.pop("current-state", None)
    if state is None:
        return result
    if not isinstance(state, dict):
        raise invalid("current-state must be an object.")
    for key, value in state.items():
        if key == "temperature":
            result["temperature"] = value
        elif key == "power":
            if not isinstance(value, bool):
                raise invalid("current-state.power must be a boolean.")
            result["power"] = "On" if value else "Off"
        elif key == "mode":
            if isinstance(value, bool) or value not in HVAC_MODES:
                raise invalid("current-state.mode must be 0 (cooling) or 1 (heating).")
            result["mode"] = HVAC_MODES[value]
        else:
            raise invalid(f"current-state.{key} is not editable here; use the flat attributes.")
    return result


def validate(resource_type: ResourceType, attributes: Json, *, creating: bool) -> Json:
    """Check each written attribute against the type's table: 422 names the first offender."""
    changes: Json = {}
    for name, value in attributes.items():
        attr = resource_type.attr_index.get(name)
        if attr is None:
            raise invalid(f"{name} is not an attribute of {resource_type.name}.")
        if not attr.editable and not (creating and attr.on_create):
            raise invalid(f"{name} is not editable.")
        changes[name] = checked(attr, value)
    if creating:
        missing = [
            a.name
            for a in resource_type.attrs
            if a.on_create and not a.nullable and a.name not in changes
        ]
        if missing:
            raise invalid(f"A new {resource_type.name} needs the attribute {', '.join(missing)}.")
    return changes


def checked(attr: Attr, value: Any) -> Any:
    if value is None:
        if not attr.nullable:
            raise invalid(f"{attr.name} may not be null.")
        return None
    kinds: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "object": (dict,),
        "strings": (list,),
    }
    allowed = kinds.get(attr.kind)
    if allowed is not None and (
        not isinstance(value, allowed) or (attr.kind != "boolean" and isinstance(value, bool))
    ):
        raise invalid(f"{attr.name} must be a {attr.kind}.")
    if attr.choices and value not in attr.choices:
        raise invalid(f"{attr.name} must be one of {', '.join(map(str, attr.choices))}.")
    if attr.low is not None and value < attr.low:
        raise invalid(f"{attr.name} must be at least {attr.low:g}.")
    if attr.high is not None and value > attr.high:
        raise invalid(f"{attr.name} must be at most {attr.high:g}.")
    if attr.kind == "string" and len(value) > 200:
        raise invalid(f"{attr.name} may have at most 200 characters.")
    if (attr.kind == "string" and not storable(value)) or (
        attr.kind == "strings" and not all(storable(v) for v in value)
    ):
        raise invalid(f"{attr.name} may not contain NUL characters.")
    if attr.kind == "strings" and (
        len(value) > 50 or not all(isinstance(v, str) and 0 < len(v) <= 2000 for v in value)
    ):
        raise invalid(f"{attr.name} must be a list of at most 50 non-empty strings.")
    if attr.kind == "object" and len(wire.encode(value)) > 10_000:
        raise invalid(f"{attr.name} may have at most 10,000 bytes of JSON.")
    return value
