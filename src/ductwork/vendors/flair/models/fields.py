"""The parts of a resource type's table: attributes and relationships, and the checks of a
write that names them (422 naming the first offender, 409 for a mismatched type)."""

from __future__ import annotations

import math
import re
from dataclasses import KW_ONLY, dataclass
from typing import Any

from ductwork.core.db import storable
from ductwork.vendors.flair import wire
from ductwork.vendors.flair.exceptions import bad_request, conflict, invalid

# What a written text may hold: no NUL (PostgreSQL text cannot), as the document's pattern says.
NO_NUL = "^[^\\x00]*$"
_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "strings": (list,),
}


def _shown(value: Any) -> str:
    """A refused value as the 422 names it: JSON, at most 100 characters."""
    text = wire.encode(value).decode()
    return text if len(text) <= 100 else text[:97] + "..."


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute: its JSON kind, whether clients may write it, and its allowed values."""

    name: str
    kind: str  # "string", "integer", "number", "boolean", "strings", "object", "any"
    editable: bool = False
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    nullable: bool = True
    on_create: bool = False  # writable when the resource is created, read-only after
    # A text's (or each listed text's) regular expression, searched as JSON Schema does.
    pattern: str | None = None
    pattern_says: str = ""  # what the pattern means, for the 422

    def check(self, value: Any) -> Any:
        """The written value if the table allows it; 422 saying why not otherwise."""
        if value is None:
            if not self.nullable:
                raise invalid(f"{self.name} may not be null.")
            return None
        if self.kind == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON Schema's integer: 68.0 is 68
        allowed = _KINDS.get(self.kind)
        if allowed is not None and (
            not isinstance(value, allowed) or (self.kind != "boolean" and isinstance(value, bool))
        ):
            raise invalid(f"{self.name} must be a {self.kind}.")
        if self.kind == "number" and not math.isfinite(value):
            raise invalid(f"{self.name} must be a finite number.")
        if self.kind == "strings" and (
            len(value) > 50 or not all(isinstance(v, str) and 0 < len(v) <= 2000 for v in value)
        ):
            raise invalid(f"{self.name} must be a list of at most 50 non-empty strings.")
        chosen = value if self.kind == "strings" else [value]
        wrong = [v for v in chosen if v not in self.choices] if self.choices else []
        if wrong:
            raise invalid(f"{self.name} may not hold {_shown(wrong[0])}: it must be one of "
                          f"{', '.join(map(str, self.choices))}.")  # fmt: skip
        if self.low is not None and value < self.low:
            raise invalid(f"{self.name} must be at least {self.low:g}.")
        if self.high is not None and value > self.high:
            raise invalid(f"{self.name} must be at most {self.high:g}.")
        if self.kind == "string" and len(value) > 200:
            raise invalid(f"{self.name} may have at most 200 characters.")
        if (self.kind == "string" and not storable(value)) or (
            self.kind == "strings" and not all(storable(v) for v in value)
        ):
            raise invalid(f"{self.name} may not contain NUL characters.")
        unmatched = [v for v in chosen if not re.search(self.pattern, v)] if self.pattern else []
        if unmatched:
            raise invalid(f"{self.name} must be {self.pattern_says} ({_shown(unmatched[0])} is "
                          "not).")  # fmt: skip
        if self.kind == "object" and len(wire.encode(value)) > 10_000:
            raise invalid(f"{self.name} may have at most 10,000 bytes of JSON.")
        return value

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of a written value: exactly what `check` lets through (an object's
        10,000 bytes of JSON excepted, which JSON Schema cannot say)."""
        found: dict[str, Any]
        if self.choices and self.kind != "strings":
            found = {"enum": [*self.choices, *([None] if self.nullable else [])]}
        else:
            found = _KIND_SCHEMAS[self.kind]()
            if self.low is not None:
                found["minimum"] = self.low
            if self.high is not None:
                found["maximum"] = self.high
            if self.nullable and "type" in found:
                found["type"] = [found["type"], "null"]
        if self.choices and self.kind == "strings":
            found["items"] = {"enum": list(self.choices)}
        if self.pattern is not None:
            (found["items"] if self.kind == "strings" else found)["pattern"] = self.pattern
        if self.kind == "object":
            found["description"] = "At most 10,000 bytes of JSON."
        return found


_KIND_SCHEMAS: dict[str, Any] = {
    "string": lambda: {"type": "string", "maxLength": 200, "pattern": NO_NUL},
    "integer": lambda: {"type": "integer"},
    "number": lambda: {"type": "number"},
    "boolean": lambda: {"type": "boolean"},
    "object": lambda: {"type": "object"},
    "strings": lambda: {
        "type": "array",
        "maxItems": 50,
        "items": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": NO_NUL},
    },
    "any": dict,
}


@dataclass(frozen=True, slots=True)
class Rel:
    """One relationship.

    A to-one link is the column `column` of this type's table; a to-many link is the column
    `column` of the target's table pointing back here. `linkage` says whether resource objects
    carry `data` for it (the real service omits it for large or computed links), `self_link`
    whether it has a relationship endpoint (links.self), `editable` whether clients may change it.
    A `reverse` to-one link is the first target row whose `column` points back here (in the
    target's order: the newest reading or state, a room's thermostat).
    """

    name: str
    target: str
    many: bool
    column: str | None
    _: KW_ONLY
    linkage: bool = True
    self_link: bool = True
    editable: bool = False
    reverse: bool = False
    typed_null: bool = False  # an empty to-one link is {"type": ..., "id": null}, not null
    first_of_account: bool = False  # the account's oldest target (a user's default structure)
    # A to-many link through a third type: the targets whose `via[1]` names a `via[0]` row
    # whose `column` points here (a room's puck apps are the apps of the room's pucks).
    via: tuple[str, str] | None = None
    # The column of this row the link matches (default: its own key), e.g. a bridge's
    # structure_id for the newest reading of any puck in its home.
    key_column: str | None = None

    def identifiers(self, data: Any) -> Any:
        """Resource ids from linkage data; types must match the relationship's target."""

        def one(item: Any) -> str:
            if not isinstance(item, dict) or "id" not in item:
                raise bad_request(f"{self.name}: each resource identifier needs a type and an id.")
            if item.get("type", self.target) != self.target:
                raise conflict(f"{self.name} links to {self.target}, not {item.get('type')}.")
            return str(item["id"])

        if self.many:
            if not isinstance(data, list):
                raise bad_request(f"{self.name} is a to-many relationship: data must be a list.")
            return [one(i) for i in data]
        if data is None:
            return None
        return one(data)

    def schema(self, *, nullable: bool = True) -> dict[str, Any]:
        """The JSON Schema of what a write may give this link: its linkage (a list of resource
        identifiers, or one, or null where a to-one link may be emptied), bare or as a
        document's `data`."""
        identifier = {
            "type": "object",
            "required": ["id"],
            "properties": {
                "type": {"enum": [self.target]},
                "id": {"type": ["string", "integer"]},
            },
        }
        linkage: dict[str, Any] = (
            {"type": "array", "items": identifier}
            if self.many
            else {"anyOf": [identifier, {"type": "null"}]}
            if nullable
            else identifier
        )
        document = {"type": "object", "required": ["data"], "properties": {"data": linkage}}
        if self.many:
            return {"anyOf": [document, linkage]}
        # A bare identifier with a `data` member would read as a document.
        bare = {**identifier, "not": {"required": ["data"]}}
        return {"anyOf": [document, bare, *([{"type": "null"}] if nullable else [])]}


def related_only(
    name: str,
    target: str,
    column: str,
    *,
    many: bool = True,
    reverse: bool = False,
    via: tuple[str, str] | None = None,
    key_column: str | None = None,
) -> Rel:
    """A link with only `links.related`: readings, states and sightings (large, or computed
    like the newest one)."""
    return Rel(name, target, many, column, linkage=False, self_link=False, reverse=reverse,
               via=via, key_column=key_column)  # fmt: skip


def stamps() -> tuple[Attr, Attr]:
    """The created-at and updated-at attributes of the types clients edit."""
    return Attr("created-at", "string"), Attr("updated-at", "string")


STRUCTURE = Rel("structure", "structures", False, "structure_id", editable=True)
ROOM = Rel("room", "rooms", False, "room_id", editable=True)
