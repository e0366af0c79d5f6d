"""Vents and their states: a vent's position lives in its own columns, and a move a user
asks for (a PATCH of the vent or a POST of a vent state) is recorded as a vent state."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.demo import vent_attributes
from ductwork.vendors.flair.exceptions import invalid
from ductwork.vendors.flair.models.fields import ROOM, STRUCTURE, Attr, Rel, related_only, stamps
from ductwork.vendors.flair.models.resource import (
    Created,
    ResourceType,
    Simulated,
    Write,
    first_structure,
)
from ductwork.vendors.flair.twin import MANUAL
from ductwork.vendors.flair.wire import Json


class Vents(Simulated):
    """A vent's position is its own columns; a user's move is recorded as a vent state."""

    __slots__ = ()

    def simulated(self, row: Row[Any], state: dict[str, Any]) -> Json:
        """Its position, and its latest reading from the twin."""
        latest = state.get("vent_readings", {}).get(row.id, {})
        return {
            "percent-open": row.percent_open,
            "percent-open-reason": row.percent_open_reason,
            "voltage": latest.get("v"),
            "current-rssi": latest.get("rssi"),
        }

    def changes(self, attributes: Json, *, creating: bool) -> Json:
        """A change also takes the document's `current-vent-state.precent-open`."""
        if not creating:
            attributes = _vent_state_alias(attributes)
        return super().changes(attributes, creating=creating)

    def write_aliases(self, *, creating: bool) -> dict[str, Any]:
        """A change's `current-vent-state` object (the document's form of percent-open)."""
        if creating:
            return {}
        percent = {"type": "integer", "minimum": 0, "maximum": 100}
        return {
            "current-vent-state": {
                "type": "object",
                "properties": {"precent-open": percent, "percent-open": percent},
                "additionalProperties": False,
            }
        }

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """A new vent, fully open unless the write says otherwise."""
        percent = changes.pop("percent-open", 100)
        return Created(
            self.add(
                write,
                structure_id=first_structure(write),
                attributes={**vent_attributes(changes.get("name", "Vent")), **changes},
                percent_open=percent,
                percent_open_reason=MANUAL,
                moved_at=write.now,
            )
        )

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """A written percent-open moves the vent."""
        if "percent-open" in changes:
            changes = dict(changes)
            move_vent(write, row, changes.pop("percent-open"))
        super().update(write, row, changes)


def move_vent(write: Write, vent: Row[Any], percent: int) -> str:
    """Move a vent at a user's request and record the new vent state; returns its id."""
    now = write.now
    write.connection.execute(
        sa.update(schema.vents)
        .where(schema.vents.c.id == vent.id)
        .values(percent_open=percent, percent_open_reason=MANUAL, moved_at=now, updated_at=now)
    )
    state_id = _time_ordered_uuid()
    write.connection.execute(
        sa.insert(schema.vent_states).values(
            id=state_id,
            vent_id=vent.id,
            at=now,
            percent_open=percent,
            percent_open_reason=MANUAL,
            set_by="User",
            changeset=["percent_open", "percent_open_reason"],
        )
    )
    return state_id


def _time_ordered_uuid() -> str:
    """A version-7 UUID (RFC 9562): it sorts by creation, so states written at the same
    virtual second (a frozen clock) still come newest first."""
    ns = time.time_ns()
    value = (ns // 1_000_000) << 80 | 0x7 << 76 | (ns % 1_000_000 * 4096 // 1_000_000) << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _vent_state_alias(attributes: Json) -> Json:
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


class VentStates(ResourceType):
    """A vent state written by a client moves its vent; the vent's webhook tells of it."""

    __slots__ = ()

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """Move the named vent; the new state is the row."""
        vent = VENTS.row(write.connection, write.account_id, links.pop("vent"))
        return Created(move_vent(write, vent, changes["percent-open"]))

    def notified(self, write: Write, row: Row[Any]) -> tuple[ResourceType, Row[Any]]:
        """The vent it moved."""
        return VENTS, VENTS.row(write.connection, write.account_id, str(row.vent_id))


VENTS = Vents(
    "vents",
    ("vents", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("percent-open", "integer", True, (), 0, 100, False),
        Attr("percent-open-reason", "string"),
        Attr("inactive", "boolean"),
        Attr("voltage", "number"),
        Attr("current-rssi", "integer"),
        Attr("has-buzzed", "boolean"),
        Attr("setup-lightstrip", "integer"),
        *stamps(),
    ),
    (
        ROOM,
        STRUCTURE,
        related_only(
            "current-reading", "vent-sensor-readings", "vent_id", many=False, reverse=True
        ),
        related_only("sensor-readings", "vent-sensor-readings", "vent_id"),
        related_only("current-state", "vent-states", "vent_id", many=False, reverse=True),
        related_only("vent-states", "vent-states", "vent_id"),
    ),
    table=schema.vents,
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)


VENT_STATES = VentStates(
    "vent-states",
    ("vents", "structures"),
    (
        Attr("percent-open", "integer", low=0, high=100, nullable=False, on_create=True),
        Attr("percent-open-reason", "string"),
        Attr("set-by", "string"),
        Attr("changeset", "any"),
        Attr("created-at", "string"),
    ),
    (Rel("vent", "vents", False, "vent_id", self_link=False, editable=True),),
    table=schema.vent_states,
    creatable=True,
    uuid_ids=True,
    required_on_create=("vent",),
    parent=(schema.vents, "vent_id"),
    shape=wire.vent_state,
)
