"""What partners register: applications (OAuth clients) and the callbacks (webhooks) they
listen with. Each one's secret is shown once, in the answer to the POST that made it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ductwork.core.egress import Refused
from ductwork.core.webhooks import new_secret
from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.exceptions import forbidden, invalid
from ductwork.vendors.flair.models.access import ALL_SCOPES
from ductwork.vendors.flair.models.fields import Attr, Rel, stamps
from ductwork.vendors.flair.models.resource import (
    Created,
    Effects,
    ResourceType,
    Write,
    first_structure,
)
from ductwork.vendors.flair.wire import Json

# An absolute http(s) URL with a host (no whitespace or NUL; an IPv6 literal is not taken).
WEBHOOK_URL = (
    r"^[hH][tT][tT][pP][sS]?://([^\s/?#@\x00]*@)?[^\s/?#@:\[\]\x00]+(:[0-9]*)?"
    r"([/?#][^\s\x00]*)?$"
)
# An absolute URI (a scheme, then a host or a path) without a fragment.
REDIRECT_URI = (
    r"^[A-Za-z][A-Za-z0-9+.-]*:"
    r"(//[^\s#?\x00][^\s#\x00]*|/([^/\s#\x00][^\s#\x00]*)?|[^/\s#?\x00][^\s#\x00]*)$"
)
# What a callback may listen to, and the resource type each event carries.
EVENT_TYPES = {"vent": "vents", "puck": "pucks", "sensor": "sensor-readings"}


def webhook_source(callback_id: int) -> str:
    """The outbox's name for a callback's messages."""
    return f"flair-callback:{callback_id}"


class Callbacks(ResourceType):
    """A callback posts its structure's events to an absolute http(s) URL, signed with a
    secret (Standard Webhooks) that its creation's answer shows once."""

    __slots__ = ()

    def changes(self, attributes: Json, *, creating: bool) -> Json:
        """A new callback needs both attributes (the URL's form is its pattern)."""
        changes = super().changes(attributes, creating=creating)
        missing = [n for n in self.required_on_write(creating=creating) if n not in changes]
        if missing:
            raise invalid(f"A new callback needs the attribute {', '.join(missing)}.")
        return changes

    def required_on_write(self, *, creating: bool) -> list[str]:
        """A new callback's URL and event type."""
        return ["webhookurl", "event_type"] if creating else []

    def _reachable(self, write: Write, changes: Json) -> None:
        """A URL at an address ductwork may not call (link-local, metadata, private) is 422
        (core/egress.py; each delivery checks again, its name resolved)."""
        url = changes.get("webhookurl")
        if isinstance(url, str):
            try:
                write.effects.outbox.egress.check(url, resolve=False)
            except Refused as refused:
                raise invalid(f"webhookurl {refused}.") from None

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """A callback of the writing application, with a new signing secret."""
        self._reachable(write, changes)
        secret = new_secret()
        new_id = self.add(
            write,
            structure_id=first_structure(write),
            attributes=changes,
            application_id=write.principal.application_id,
            secret=secret,
        )
        return Created(new_id, {"secret": secret})

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """A new URL is checked as a new callback's is."""
        self._reachable(write, changes)
        super().update(write, row, changes)

    def delete(self, write: Write, row: Row[Any]) -> None:
        """Its undelivered webhooks are cancelled with it."""
        super().delete(write, row)
        write.effects.outbox.cancel(write.connection, webhook_source(row.id))


class Applications(ResourceType):
    """An application is an OAuth client kept in plain columns; its secret is kept hashed."""

    __slots__ = ()

    def changes(self, attributes: Json, *, creating: bool) -> Json:
        """An application needs a name (redirect URIs and scopes are checked by their
        attributes: absolute URIs without a fragment, the API's scopes)."""
        changes = super().changes(attributes, creating=creating)
        if creating and "name" not in changes:
            raise invalid("A new applications needs the attribute name.")
        return changes

    def required_on_write(self, *, creating: bool) -> list[str]:
        """A new application's name."""
        return ["name"] if creating else []

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """The one insert the CLI shares: a client id and a secret, shown this once."""
        row_id, secret = write.effects.insert_application(
            write.connection,
            write.account_id,
            changes["name"],
            description=changes.get("description", ""),
            redirect_uris=changes.get("redirect_uris", []),
            scopes=changes.get("scopes", list(ALL_SCOPES)),
            created_at=write.now,
        )
        return Created(str(row_id), {"client_secret": secret})

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """Its attributes are its columns."""
        columns = {k.replace("-", "_"): v for k, v in changes.items()}
        if columns:
            write.connection.execute(
                sa.update(self.table).where(self.table.c.id == row.id).values(**columns)
            )

    def delete(self, write: Write, row: Row[Any]) -> None:
        """The webhooks its callbacks had not yet delivered are cancelled. An application does
        not delete itself with its own token (403): that token would die with it."""
        if row.id == write.principal.application_id:
            raise forbidden("An application cannot delete itself with its own token.")
        callbacks = schema.callbacks
        for callback in write.connection.execute(
            sa.select(callbacks.c.id).where(callbacks.c.application_id == row.id)
        ):
            write.effects.outbox.cancel(write.connection, webhook_source(callback.id))
        super().delete(write, row)

    def deleted(self, effects: Effects, row: Row[Any]) -> None:
        """Its tokens went with it: no cached principal may outlive them."""
        effects.oauth.forget_cached()


CALLBACKS = Callbacks(
    "callbacks",
    ("applications",),
    (
        Attr(
            "webhookurl",
            "string",
            editable=True,
            nullable=False,
            pattern=WEBHOOK_URL,
            pattern_says="an absolute http or https URL",
        ),
        Attr("event_type", "string", editable=True, choices=tuple(EVENT_TYPES), nullable=False),
        *stamps(),
    ),
    (
        Rel("structure", "structures", False, "structure_id", editable=True),
        Rel("application", "applications", False, "application_id", self_link=False),
    ),
    table=schema.callbacks,
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)


APPLICATIONS = Applications(
    "applications",
    ("applications",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("description", "string", editable=True, nullable=False),
        Attr("client_id", "string"),
        Attr("client_secret", "string"),
        Attr(
            "redirect_uris",
            "strings",
            editable=True,
            nullable=False,
            pattern=REDIRECT_URI,
            pattern_says="a list of absolute URIs without a fragment",
        ),
        Attr("scopes", "strings", editable=True, choices=ALL_SCOPES, nullable=False),
        Attr("created-at", "string"),
    ),
    (
        Rel("user", "users", False, "account_id"),
        Rel("callbacks", "callbacks", True, "application_id", linkage=False),
    ),
    table=schema.applications,
    creatable=True,
    deletable=True,
    shape=wire.application,
)
