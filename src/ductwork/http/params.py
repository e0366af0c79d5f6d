"""One parameter merger: query parameters, then a form or JSON body over them.

APIs differ in which bodies they read and how, and each keeps its habits as `BodyRules`: one
reads the bodies of writes by their declared type and flattens bracketed names (`command[name]`
is `command_name`); another reads any body, as JSON when its type says so and as a url-encoded
query string otherwise. The merging is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request

from ductwork.core.db import storable
from ductwork.http.dispatch import BodyTooLarge, header

BodyKind = Literal["json", "form", "urlencoded"]


class BadBody(Exception):
    """A body that claims to be JSON and is not valid JSON (or, where objects are required,
    not a JSON object)."""


def declared_type(content_type: str) -> BodyKind | None:
    """Bodies by their declared media type: JSON, or a url-encoded or multipart form (read by
    Starlette's form parser); any other body is not read."""
    if content_type.startswith("application/json"):
        return "json"
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return "form"
    return None


def json_or_urlencoded(content_type: str) -> BodyKind:
    """Any media type that mentions JSON (in any case) is JSON; every other body is read as a
    url-encoded query string, whatever its type says."""
    return "json" if "json" in content_type.lower() else "urlencoded"


@dataclass(frozen=True, slots=True)
class BodyRules:
    """How an API reads request bodies into its parameters."""

    kind: Callable[[str], BodyKind | None]  # the Content-Type -> how the body reads (None: not)
    methods: frozenset[str] | None = None  # the methods whose body is read (None: every one)
    objects_only: bool = False  # JSON other than an object is a BadBody (else it is ignored)
    flatten: bool = False  # `a[b]` names and nested JSON objects give `a_b` (else str(value))
    json_nulls: bool = False  # a JSON null reads as "None" (else the parameter is left out)


MAX_JSON_DEPTH = 32  # no vendor body nests deeper; deeper ones are refused, not recursed into


def json_depth(value: Any) -> int:
    """How deep a decoded JSON value nests, found without recursion (a hostile body nested
    thousands deep must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


async def merge_params(request: Request, rules: BodyRules) -> dict[str, str]:
    """The query parameters with the body's over them (the last of repeated names wins);
    raises BadBody."""
    params = dict(request.query_params)
    if rules.methods is None or request.method in rules.methods:
        params.update(await _body(request, rules))
    if rules.flatten:
        return {_flat(name): value for name, value in params.items()}
    return params


def with_nul(params: Mapping[str, str]) -> str | None:
    """The first parameter whose name or value holds a NUL character, named without its NULs
    (None: there is none). Nothing can store a NUL (PostgreSQL text cannot), so each API says
    what such a parameter gets: a 422, or being dropped (see `core.oauth.server.ParamsRequest`)."""
    for name, value in params.items():
        if not (storable(name) and storable(value)):
            return name.replace("\x00", "")
    return None


async def _body(request: Request, rules: BodyRules) -> dict[str, str]:
    kind = rules.kind(header(request, b"content-type") or "")
    if kind is None:
        return {}
    body = await request.body()
    if not body:
        return {}
    if kind == "form":
        try:
            form = await request.form()
        except BodyTooLarge:
            raise
        except Exception:
            raise BadBody("The form body cannot be read.") from None
        return {name: str(value) for name, value in form.items()}
    if kind == "urlencoded":
        return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    try:
        decoded = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        raise BadBody("The body is not valid JSON.") from None
    if json_depth(decoded) > MAX_JSON_DEPTH:
        raise BadBody("The JSON body nests too deeply.")
    if isinstance(decoded, dict):
        return _from_json(decoded, rules)
    if rules.objects_only:
        raise BadBody("The JSON body must be an object.")
    return {}


def _from_json(values: dict[str, Any], rules: BodyRules, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None and not rules.json_nulls:
            continue
        if rules.flatten and isinstance(value, dict):
            out.update(_from_json(value, rules, f"{prefix}{name}_"))
        else:
            out[f"{prefix}{name}"] = str(value)
    return out


def _flat(name: str) -> str:
    return name.replace("[", "_").replace("]", "")
