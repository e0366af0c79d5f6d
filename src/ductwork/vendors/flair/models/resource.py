"""A resource type of the Flair API: its declarative table, and the behaviour every type shares
(its account's rows, the checks of a write, insert, update, delete and links). A type whose
real counterpart does more is a subclass beside its table that overrides these hooks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.clock import Clocks
from ductwork.core.webhooks import Outbox
from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.exceptions import bad_request, conflict, invalid, not_found
from ductwork.vendors.flair.models.access import Principal
from ductwork.vendors.flair.models.fields import Attr, Rel
from ductwork.vendors.flair.wire import Json

if TYPE_CHECKING:
    from ductwork.vendors.flair.oauth import FlairAuthorizationServer
    from ductwork.vendors.flair.store import HomeSimulator

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True, slots=True)
class Effects:
    """What writes reach beyond the rows they change: the webhook outbox, the cache of
    principals, the twins, and the insert of applications that the CLI shares (it lives with
    OAuth, which imports these models, so it is handed in rather than imported)."""

    outbox: Outbox
    oauth: FlairAuthorizationServer
    simulator: HomeSimulator
    insert_application: Callable[..., tuple[int, str]]


@dataclass(frozen=True, slots=True)
class Write:
    """One write's surroundings: its transaction, who writes, the account's now, the effects."""

    connection: Connection
    principal: Principal
    now: float
    effects: Effects

    @property
    def account_id(self) -> int:
        """The writing account."""
        return self.principal.account_id


@dataclass(frozen=True, slots=True)
class Created:
    """A new row's API id, and the attributes only its POST answer shows (a secret, once)."""

    id: str
    shown_once: Json = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class ResourceType:
    """A JSON:API resource type of the Flair API."""

    name: str
    scopes: tuple[str, ...]  # scope resources that grant access (e.g. "structures")
    attrs: tuple[Attr, ...]
    rels: tuple[Rel, ...] = ()
    _: KW_ONLY
    table: sa.Table
    creatable: bool = False
    deletable: bool = False
    uuid_ids: bool = False
    required_on_create: tuple[str, ...] = ()  # relationships a POST must name
    id_column: str = "id"  # the column the API id is (a user's is its account)
    # Readings and states belong to an account through what they were taken for: the
    # parent's table and the column naming it. They list newest first.
    parent: tuple[sa.Table, str] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)  # a new row's attributes
    shape: Callable[[Row[Any]], Json] = wire.stored  # a row's attributes on the wire
    attr_index: dict[str, Attr] = field(init=False, repr=False)
    rel_index: dict[str, Rel] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attr_index", {a.name: a for a in self.attrs})
        object.__setattr__(self, "rel_index", {r.name: r for r in self.rels})

    # ------------------------------------------------------------ the account's rows
    @property
    def id_key(self) -> sa.Column[Any]:
        """The column of the API id."""
        return self.table.c[self.id_column]

    def key(self, row: Row[Any]) -> str:
        """A row's API id."""
        return str(row._mapping[self.id_column])

    def column_key(self, key: str) -> Any:
        """An API id as its column holds it."""
        return key if self.uuid_ids else int(key)

    def select(self, account_id: int) -> sa.Select[Any]:
        """The account's rows in the API's order: readings and states newest first, the
        others by id."""
        table = self.table
        if self.parent is not None:
            parent, column = self.parent
            return (
                sa.select(table)
                .join(parent, parent.c.id == table.c[column])
                .where(parent.c.account_id == account_id)
                .order_by(table.c.at.desc(), table.c.id.desc())
            )
        return sa.select(table).where(table.c.account_id == account_id).order_by(self.id_key)

    def row(self, connection: Connection, account_id: int, resource_id: str) -> Row[Any]:
        """One of the account's rows; 404 for a malformed id and for another account's row."""
        key: Any = resource_id
        if self.uuid_ids:
            if not _UUID.fullmatch(resource_id):
                raise not_found(self.name, resource_id)
        else:
            if not (resource_id.isascii() and resource_id.isdigit()) or len(resource_id) > 9:
                raise not_found(self.name, resource_id)
            key = int(resource_id)
        row = connection.execute(self.select(account_id).where(self.id_key == key)).first()
        if row is None:
            raise not_found(self.name, resource_id)
        return row

    def prepare(self, engine: Engine, clocks: Clocks, account_id: int) -> None:
        """Before a request reaches this type (a user's row is made on first sight)."""

    # ------------------------------------------------------------ reading
    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The rows' attributes: their shape, with what the twin computes where it does."""
        return [self.shape(row) for row in rows]

    def reverse_select(self, select: sa.Select[Any]) -> sa.Select[Any]:
        """The candidates of a reverse to-one link to this type: the first in order."""
        return select.limit(1)

    def first(self, rows: list[Row[Any]]) -> list[Row[Any]]:
        """The row a reverse to-one link names among its candidates (newest first)."""
        return rows[:1]

    # ------------------------------------------------------------ checking writes
    def write_document(self, body: Any, resource_id: str | None) -> tuple[Json, Json]:
        """The attributes and relationships of a write; type and id must match the endpoint."""
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise bad_request("The body must be a JSON:API document with a data object.")
        data = body["data"]
        if "type" in data and data["type"] != self.name:
            raise conflict(f"The document's type {data['type']} does not match {self.name}.")
        if resource_id is not None and "id" in data and str(data["id"]) != resource_id:
            raise conflict(f"The document's id {data['id']} does not match {resource_id}.")
        attributes = data.get("attributes")
        relationships = data.get("relationships")
        attributes = {} if attributes is None else attributes
        relationships = {} if relationships is None else relationships
        if not isinstance(attributes, dict) or not isinstance(relationships, dict):
            raise bad_request("attributes and relationships must be objects.")
        return attributes, relationships

    def write_schema(self, *, creating: bool) -> dict[str, Any]:
        """The JSON Schema of a POST (`creating`) or PATCH body: exactly what `write_document`,
        `changes` and `links` let through, short of what only the database knows."""
        attributes = {
            a.name: a.schema() for a in self.attrs if a.editable or (creating and a.on_create)
        }
        attributes.update(self.write_aliases(creating=creating))
        required = [a.name for a in self.attrs if creating and a.on_create and not a.nullable]
        required += self.required_on_write(creating=creating)
        needed = list(self.required_on_create) if creating else []
        relationships = {
            r.name: r.schema(nullable=r.many or (r.name not in needed and self.emptiable(r)))
            for r in self.rels
            if r.editable
        }
        data: dict[str, Any] = {
            "type": "object",
            "properties": {
                "type": {"enum": [self.name]},
                # A POST ignores an id; a PATCH's must be the URL's (compared as text).
                "id": {} if creating else {"type": ["string", "integer"]},
                "attributes": {
                    "type": "object" if required else ["object", "null"],
                    "properties": attributes,
                    "additionalProperties": False,
                    **({"required": required} if required else {}),
                },
                "relationships": {
                    "type": "object" if needed else ["object", "null"],
                    "properties": relationships,
                    "additionalProperties": False,
                    **({"required": needed} if needed else {}),
                },
            },
        }
        data["required"] = [
            *(["attributes"] if required else []),
            *(["relationships"] if needed else []),
        ]
        if not data["required"]:
            del data["required"]
        return {"type": "object", "required": ["data"], "properties": {"data": data}}

    def emptiable(self, rel: Rel) -> bool:
        """Whether a to-one link may be set to null (its column may be)."""
        return rel.column is None or bool(self.table.c[rel.column].nullable)

    def write_aliases(self, *, creating: bool) -> dict[str, Any]:
        """Attributes a write also takes for the real ones (the document's forms), by name."""
        return {}

    def required_on_write(self, *, creating: bool) -> list[str]:
        """Attributes beyond the table's that a write must give."""
        return []

    def changes(self, attributes: Json, *, creating: bool) -> Json:
        """Check each written attribute against the table: 422 names the first offender."""
        changes: Json = {}
        for name, value in attributes.items():
            attr = self.attr_index.get(name)
            if attr is None:
                raise invalid(f"{name} is not an attribute of {self.name}.")
            if not attr.editable and not (creating and attr.on_create):
                raise invalid(f"{name} is not editable.")
            changes[name] = attr.check(value)
        if creating:
            missing = [
                a.name
                for a in self.attrs
                if a.on_create and not a.nullable and a.name not in changes
            ]
            if missing:
                raise invalid(f"A new {self.name} needs the attribute {', '.join(missing)}.")
        return changes

    def links(self, relationships: Json, *, creating: bool) -> dict[str, Any]:
        """The ids a write links to, by relationship; a new resource needs its required ones."""
        links: dict[str, Any] = {}
        for name, value in relationships.items():
            rel = self.rel_index.get(name)
            if rel is None:
                raise invalid(f"{name} is not a relationship of {self.name}")
            if not rel.editable:
                raise invalid(f"The relationship {name} of {self.name} is not editable.")
            data = value["data"] if isinstance(value, dict) and "data" in value else value
            links[name] = rel.identifiers(data)
        if creating:
            missing = [r for r in self.required_on_create if links.get(r) is None]
            if missing:
                raise invalid(f"A new {self.name} needs the relationship {', '.join(missing)}.")
        return links

    # ------------------------------------------------------------ writing
    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """A new row in the account's first structure (its relationships move it right after),
        its attributes the type's defaults under the written ones. An override takes the links
        the row cannot exist without out of `links` (a vent state's vent)."""
        attributes = {**self.defaults, **changes}
        return Created(self.add(write, structure_id=first_structure(write), attributes=attributes))

    def add(self, write: Write, **values: Any) -> str:
        """Insert a row of the account stamped now; returns its API id (a new UUID for the
        types a UUID names, unless `values` has it)."""
        now = write.now
        values = {"account_id": write.account_id, "created_at": now, "updated_at": now, **values}
        if not self.uuid_ids:
            insert = sa.insert(self.table).values(**values).returning(self.table.c.id)
            return str(write.connection.execute(insert).scalar_one())
        values.setdefault("id", str(uuid.uuid4()))
        write.connection.execute(sa.insert(self.table).values(**values))
        return str(values["id"])

    def created(self, write: Write, row: Row[Any]) -> None:
        """After a new row's links are set (a structure's twin takes its first state)."""

    def notified(self, write: Write, row: Row[Any]) -> tuple[ResourceType, Row[Any]]:
        """The resource whose webhook a new row sends: itself (a vent state: its vent)."""
        return self, row

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """Merge checked changes into the row's attributes."""
        write.connection.execute(
            sa.update(self.table)
            .where(self.id_key == row._mapping[self.id_column])
            .values(attributes={**row.attributes, **changes}, updated_at=write.now)
        )

    def delete(self, write: Write, row: Row[Any]) -> None:
        """Delete the row; the schema's foreign keys unlink or take along what was in it."""
        write.connection.execute(sa.delete(self.table).where(self.table.c.id == row.id))

    def deleted(self, effects: Effects, row: Row[Any]) -> None:
        """After the deletion is committed (caches and twins let go of the row)."""

    def link(self, write: Write, key: str, column: str, target: Row[Any] | None) -> None:
        """Point `column` of one row at `target` (None: unlink). What joins a room or a puck
        moves to its structure; what moves to another structure leaves its room."""
        values: Json = {column: None if target is None else target.id, "updated_at": write.now}
        if column in ("room_id", "puck_id") and target is not None:
            values["structure_id"] = target.structure_id
        if column == "structure_id" and "room_id" in self.table.c:
            values["room_id"] = None
        write.connection.execute(
            sa.update(self.table).where(self.table.c.id == self.column_key(key)).values(**values)
        )


class Simulated(ResourceType):
    """A type whose attributes include what its structure's twin computes."""

    __slots__ = ()

    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The stored attributes under what the twin's state says."""
        states = twin_states(connection, rows)
        return [
            {**self.shape(row), **self.simulated(row, states.get(int(row.structure_id), {}))}
            for row in rows
        ]

    def simulated(self, row: Row[Any], state: dict[str, Any]) -> Json:
        """What the twin's state of the row's structure makes of its attributes."""
        return {}


def first_structure(write: Write) -> int:
    """The account's first structure, where a new device starts; 422 when it has none."""
    structures = schema.structures
    first = write.connection.execute(
        sa.select(structures.c.id)
        .where(structures.c.account_id == write.account_id)
        .order_by(structures.c.id)
    ).scalar()
    if first is None:
        raise invalid("Create a structure first.")
    return int(first)


def twin_states(connection: Connection, rows: list[Row[Any]]) -> dict[int, dict[str, Any]]:
    """The twin state of the structures the rows are in, by structure id."""
    ids = {int(r.structure_id) for r in rows}
    if not ids:
        return {}
    structures = schema.structures
    found = connection.execute(
        sa.select(structures.c.id, structures.c.state).where(structures.c.id.in_(ids))
    )
    return {int(r.id): dict(r.state) for r in found}
