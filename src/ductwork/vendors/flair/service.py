"""Flair operations: the JSON:API resources of an account's homes, independent of HTTP.

Every operation takes the caller's `Principal` (account and scopes) and answers with a
JSON:API document (plain dicts, encoded by the HTTP layer). Rows outside the caller's account
are answered exactly like rows that do not exist. Before any read or write, the account's
homes are caught up to its clock, so a write lands at "now" in the twin's history.

The operations are the same for every resource type: what a type does beyond storing what it
is given (checks, defaults, side effects, attributes the twin computes) is its class's hooks
in `models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.webhooks import Outbox
from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.demo import create_demo_home
from ductwork.vendors.flair.exceptions import FlairError, bad_request, forbidden, invalid
from ductwork.vendors.flair.models import (
    EVENT_TYPES,
    TYPES,
    USERS,
    Effects,
    Principal,
    Rel,
    ResourceType,
    Write,
    webhook_source,
)
from ductwork.vendors.flair.oauth import (
    TOKEN_LIMIT,
    Applications,
    FlairAuthorizationServer,
    insert_application,
)
from ductwork.vendors.flair.store import HomeSimulator
from ductwork.vendors.flair.wire import Json, identifier

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_PAGE = 2**31 - 1  # times MAX_PAGE_SIZE, still within a 64-bit offset
# The callback event a write of each type sends (sensor events come from the twin).
_EVENT_OF = {t: e for e, t in EVENT_TYPES.items()}


@dataclass(frozen=True, slots=True)
class Query:
    """What a request asks of a read: paging, include=, and the link of the request itself."""

    path: str  # the request's path on the real service, e.g. /api/vents
    self_link: str  # path plus query string as received
    size: int = DEFAULT_PAGE_SIZE
    page: int = 1
    include: str = ""

    @classmethod
    def parse(cls, path: str, query_string: str, params: Mapping[str, str]) -> Query:
        """Read page[size], page[page] and include= (400 for malformed values)."""
        values = {}
        for name, default in (("page[size]", DEFAULT_PAGE_SIZE), ("page[page]", 1)):
            text = params.get(name)
            if text not in (None, "") and not (text.isascii() and text.isdigit()):
                raise bad_request(f"{name} must be a positive integer")
            values[name] = default if text in (None, "") else int(text)
            if values[name] < 1:
                raise bad_request(f"{name} must be a positive integer")
            if values[name] > MAX_PAGE:  # past what an offset can hold in the database
                raise bad_request(f"{name} may be at most {MAX_PAGE}")
        if values["page[size]"] > MAX_PAGE_SIZE:
            raise bad_request(f"page[size] may be at most {MAX_PAGE_SIZE}")
        return cls(
            path=path,
            self_link=f"{path}?{query_string}" if query_string else path,
            size=values["page[size]"],
            page=values["page[page]"],
            include=params.get("include", "") or "",
        )


def _type(name: str) -> ResourceType:
    found = TYPES.get(name)
    if found is None:
        raise FlairError(404, f"There is no resource type {name}.")
    return found


class FlairService:
    """The Flair API's operations over an account's homes."""

    def __init__(
        self,
        engine: Engine,
        clocks: Clocks,
        accounts: Accounts,
        simulator: HomeSimulator,
        outbox: Outbox,
        *,
        token_limit: int = TOKEN_LIMIT,
    ) -> None:
        self._engine = engine
        self._clocks = clocks
        self._accounts = accounts
        self.simulator = simulator
        self.outbox = outbox
        simulator.on_chunk = self._twin_events
        self.oauth = FlairAuthorizationServer(engine, clocks, accounts, token_limit)
        self.applications = Applications(engine, clocks)
        self._effects = Effects(outbox, self.oauth, simulator, insert_application)

    # ------------------------------------------------------------ plumbing
    def catch_up_account(self, account_id: int) -> None:
        """Simulate every home of the account up to its clock."""
        minute = int(self._clocks.now(account_id) // 60)
        with self._engine.connect() as connection:
            ids = connection.execute(
                sa.select(schema.structures.c.id)
                .where(schema.structures.c.account_id == account_id)
                .order_by(schema.structures.c.id)
            ).scalars()
            structure_ids = [int(i) for i in ids]
        for structure_id in structure_ids:
            self.simulator.catch_up(structure_id, minute)

    def add_demo_home(self, account: Account, start: float) -> int:
        """Give an account the demo home, its twin starting at `start`; returns the structure."""
        with self._engine.begin() as connection:
            USERS.ensure(connection, self._clocks, account.id)
            structure_id = create_demo_home(connection, account.id, account.seed, start)
        return structure_id

    def _prepare(self, principal: Principal, resource_type: ResourceType, method: str) -> None:
        if not principal.may(resource_type, method):
            level = "view" if method in ("GET", "HEAD") else "edit"
            raise forbidden(
                f"The token lacks the {resource_type.scopes[0]}.{level} scope needed to "
                f"{method} {resource_type.name}."
            )
        self.catch_up_account(principal.account_id)
        resource_type.prepare(self._engine, self._clocks, principal.account_id)

    def _write(self, connection: Connection, principal: Principal) -> Write:
        return Write(connection, principal, self._clocks.now(principal.account_id), self._effects)

    # ------------------------------------------------------------ serialisation
    def _serialise(
        self,
        connection: Connection,
        resource_type: ResourceType,
        rows: list[Row[Any]],
        account_id: int,
    ) -> list[Json]:
        ids = [resource_type.key(r) for r in rows]
        keys = [resource_type.column_key(i) for i in ids]
        many: dict[str, dict[str, list[Json]]] = {}
        firsts: dict[str, Json | None] = {}
        for rel in resource_type.rels:
            target = TYPES[rel.target]
            if rel.reverse and rel.linkage and rel.column is not None:
                candidates: dict[str, list[Row[Any]]] = {}
                for t in connection.execute(
                    sa.select(target.table)
                    .where(target.table.c[rel.column].in_(keys))
                    .order_by(target.table.c.id)
                ):
                    candidates.setdefault(str(t._mapping[rel.column]), []).append(t)
                many[rel.name] = {
                    owner: [{"type": rel.target, "id": str(r.id)}]
                    for owner, found in candidates.items()
                    for r in target.first(found)
                }
            elif (
                rel.many and rel.linkage and rel.column is not None and not _own(resource_type, rel)
            ):
                owner = target.table.c[rel.column]
                grouped: dict[str, list[Json]] = {}
                for t in connection.execute(
                    sa.select(target.table.c.id, owner)
                    .where(owner.in_(keys))
                    .order_by(target.table.c.id)
                ):
                    grouped.setdefault(str(t[1]), []).append({"type": rel.target, "id": str(t[0])})
                many[rel.name] = grouped
            elif rel.linkage and rel.first_of_account:
                first = connection.execute(target.select(account_id).limit(1)).first()
                firsts[rel.name] = identifier(
                    rel.target, None if first is None else target.key(first)
                )
        result = []
        values = resource_type.attributes(connection, rows)
        for row, key, found in zip(rows, ids, values, strict=True):
            attributes = {a.name: found.get(a.name) for a in resource_type.attrs}
            relationships: Json = {}
            for rel in resource_type.rels:
                data: Any
                if rel.linkage and rel.reverse:
                    linked = many.get(rel.name, {}).get(key)
                    data = (
                        linked[0]
                        if linked
                        else ({"type": rel.target, "id": None} if rel.typed_null else None)
                    )
                elif (
                    rel.linkage and rel.many and rel.column is not None and _own(resource_type, rel)
                ):
                    data = [i for i in [identifier(rel.target, row._mapping[rel.column])] if i]
                elif rel.linkage and rel.many:
                    data = many.get(rel.name, {}).get(key, [])
                elif rel.linkage and rel.first_of_account:
                    data = firsts[rel.name]
                elif rel.linkage and rel.column is not None:
                    data = identifier(rel.target, row._mapping[rel.column])
                else:
                    relationships[rel.name] = wire.relationship(
                        resource_type.name, key, rel.name, self_link=rel.self_link
                    )
                    continue
                relationships[rel.name] = wire.relationship(
                    resource_type.name, key, rel.name, self_link=rel.self_link, data=data
                )
            result.append(wire.resource(resource_type.name, key, attributes, relationships))
        return result

    def _included(
        self,
        connection: Connection,
        resource_type: ResourceType,
        rows: list[Row[Any]],
        account_id: int,
        include: str,
    ) -> list[Json] | None:
        if not include:
            return None
        found: list[Json] = []
        seen: set[tuple[str, str]] = set()
        for name in include.split(","):
            rel = resource_type.rel_index.get(name.strip())
            if rel is None or rel.target not in TYPES:
                raise bad_request(f"{name} is not a relationship of {resource_type.name}")
            if rel.many and TYPES[rel.target].parent is not None:
                raise bad_request(
                    f"{name} is a history that runs to many thousands of {rel.target}; page "
                    f"through /api/{resource_type.name}/<id>/{name} instead of including it."
                )
            for row in rows:
                target, target_rows = self._related_rows(
                    connection, resource_type, row, rel, account_id
                )
                fresh = [r for r in target_rows if (target.name, target.key(r)) not in seen]
                for r in fresh:
                    seen.add((target.name, target.key(r)))
                found.extend(self._serialise(connection, target, fresh, account_id))
        return found

    def _related_rows(
        self,
        connection: Connection,
        resource_type: ResourceType,
        row: Row[Any],
        rel: Rel,
        account_id: int,
    ) -> tuple[ResourceType, list[Row[Any]]]:
        """The rows a relationship of `row` names."""
        target = TYPES[rel.target]
        select = self._related_select(resource_type, row, rel, account_id)
        rows = [] if select is None else list(connection.execute(select))
        return target, target.first(rows) if rel.reverse else rows

    def _related_select(
        self, resource_type: ResourceType, row: Row[Any], rel: Rel, account_id: int
    ) -> sa.Select[Any] | None:
        """The query of a relationship's rows (None: the link is empty)."""
        target = TYPES[rel.target]
        select = target.select(account_id)
        table = target.table
        owner_key = resource_type.column_key(resource_type.key(row))
        if rel.key_column is not None:
            owner_key = row._mapping[rel.key_column]
        if rel.via is not None:
            assert rel.column is not None
            via = TYPES[rel.via[0]].table
            if target.parent != (via, rel.via[1]):  # (a reading's select joins its puck already)
                select = select.join(via, via.c.id == table.c[rel.via[1]])
            select = select.where(via.c[rel.column] == owner_key)
            return target.reverse_select(select) if rel.reverse else select
        if rel.reverse:
            assert rel.column is not None
            return target.reverse_select(select.where(table.c[rel.column] == owner_key))
        if rel.first_of_account:
            return select.limit(1)
        if not rel.many or (rel.column is not None and _own(resource_type, rel)):
            value = row._mapping[rel.column] if rel.column else None
            return None if value is None else select.where(target.id_key == value)
        if rel.column is None:
            return None
        return select.where(table.c[rel.column] == owner_key)

    # ------------------------------------------------------------ reads
    def root(self) -> Json:
        """GET /api/: every resource type with its collection link (no token needed)."""
        return {"links": {n: {"self": f"{wire.API}/{n}", "type": n} for n in TYPES}}

    def collection(self, principal: Principal, type_name: str, query: Query) -> Json:
        """GET /api/<type>: a page of the account's resources."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "GET")
        with self._engine.connect() as connection:
            select = resource_type.select(principal.account_id)
            return self._page(connection, resource_type, select, principal.account_id, query)

    def _page(
        self,
        connection: Connection,
        resource_type: ResourceType,
        select: sa.Select[Any] | None,
        account_id: int,
        query: Query,
    ) -> Json:
        """One page of a collection (None: an empty one), counted and sliced in the database:
        readings and states run to many thousands."""
        total, rows = 0, []
        if select is not None:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(select.order_by(None).subquery())
            ).scalar_one()
            page = select.limit(query.size).offset((query.page - 1) * query.size)
            rows = list(connection.execute(page))
        return wire.collection(
            query.self_link,
            query.path,
            self._serialise(connection, resource_type, rows, account_id),
            total=total,
            size=query.size,
            page=query.page,
            include=query.include,
            included=self._included(connection, resource_type, rows, account_id, query.include),
        )

    def single(self, principal: Principal, type_name: str, resource_id: str, query: Query) -> Json:
        """GET /api/<type>/<id>."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "GET")
        account_id = principal.account_id
        with self._engine.connect() as connection:
            row = resource_type.row(connection, account_id, resource_id)
            data = self._serialise(connection, resource_type, [row], account_id)[0]
            included = self._included(connection, resource_type, [row], account_id, query.include)
        return wire.single(query.self_link, data, included)

    def me(self, principal: Principal, query: Query) -> Json:
        """GET /api/me: the token's user."""
        return self.single(principal, "users", str(principal.account_id), query)

    def related(
        self, principal: Principal, type_name: str, resource_id: str, name: str, query: Query
    ) -> Json:
        """GET /api/<type>/<id>/<rel>: the related resource(s)."""
        resource_type = _type(type_name)
        rel = resource_type.rel_index.get(name)
        if rel is None or rel.target not in TYPES:
            raise FlairError(404, f"{type_name} has no relationship {name}")
        self._prepare(principal, resource_type, "GET")
        self._prepare(principal, TYPES[rel.target], "GET")
        account_id = principal.account_id
        with self._engine.connect() as connection:
            row = resource_type.row(connection, account_id, resource_id)
            if not rel.many:
                target, rows = self._related_rows(connection, resource_type, row, rel, account_id)
                data = self._serialise(connection, target, rows, account_id)
                return wire.single(query.self_link, data[0] if data else None)
            select = self._related_select(resource_type, row, rel, account_id)
            return self._page(connection, TYPES[rel.target], select, account_id, query)

    def relationship(
        self, principal: Principal, type_name: str, resource_id: str, name: str, self_link: str
    ) -> Json:
        """GET /api/<type>/<id>/relationships/<rel>: the link's resource identifiers."""
        resource_type, rel = self._relationship(type_name, name)
        self._prepare(principal, resource_type, "GET")
        with self._engine.connect() as connection:
            row = resource_type.row(connection, principal.account_id, resource_id)
            target, rows = self._related_rows(
                connection, resource_type, row, rel, principal.account_id
            )
        return wire.linkage(self_link, _linkage(rel, target, rows))

    def _relationship(self, type_name: str, name: str) -> tuple[ResourceType, Rel]:
        resource_type = _type(type_name)
        rel = resource_type.rel_index.get(name)
        if rel is None or not rel.self_link:
            raise FlairError(404, f"{type_name} has no relationship endpoint {name}")
        return resource_type, rel

    # ------------------------------------------------------------ writes
    def create(self, principal: Principal, type_name: str, body: Any) -> Json:
        """POST /api/<type>: a new resource from the document's editable attributes."""
        resource_type, changes, links = self._checked(principal, type_name, None, body)
        account_id = principal.account_id
        with self._engine.begin() as connection:
            write = self._write(connection, principal)
            for name in resource_type.required_on_create:  # 404 before anything is made
                TYPES[resource_type.rel_index[name].target].row(connection, account_id, links[name])
            created = resource_type.insert(write, changes, links)
            row = resource_type.row(connection, account_id, created.id)
            self._apply_links(write, resource_type, row, links)
            resource_type.created(write, row)
            row = resource_type.row(connection, account_id, created.id)
            data = self._serialise(connection, resource_type, [row], account_id)[0]
            data["attributes"].update(created.shown_once)
            subject_type, subject = resource_type.notified(write, row)
            self._notify(connection, account_id, subject_type, [subject], write.now)
        return wire.single(f"{wire.API}/{type_name}/{created.id}", data)

    def update(self, principal: Principal, type_name: str, resource_id: str, body: Any) -> Json:
        """PATCH (or PUT) /api/<type>/<id>: change editable attributes and links; 200 with the
        whole resource."""
        resource_type, changes, links = self._checked(principal, type_name, resource_id, body)
        account_id = principal.account_id
        with self._engine.begin() as connection:
            write = self._write(connection, principal)
            row = resource_type.row(connection, account_id, resource_id)
            resource_type.update(write, row, changes)
            self._apply_links(write, resource_type, row, links)
            row = resource_type.row(connection, account_id, resource_id)
            data = self._serialise(connection, resource_type, [row], account_id)[0]
            self._notify(connection, account_id, resource_type, [row], write.now)
        return wire.single(f"{wire.API}/{type_name}/{resource_id}", data)

    def _checked(
        self, principal: Principal, type_name: str, resource_id: str | None, body: Any
    ) -> tuple[ResourceType, Json, dict[str, Any]]:
        """The type, checked attributes and links of a POST (no id) or a PATCH."""
        resource_type = _type(type_name)
        creating = resource_id is None
        self._prepare(principal, resource_type, "POST" if creating else "PATCH")
        if creating and not resource_type.creatable:
            raise forbidden(f"{type_name} cannot be created through the API.")
        attributes, relationships = resource_type.write_document(body, resource_id)
        changes = resource_type.changes(attributes, creating=creating)
        return resource_type, changes, resource_type.links(relationships, creating=creating)

    def delete(self, principal: Principal, type_name: str, resource_id: str) -> None:
        """DELETE /api/<type>/<id>: 204; what was in it loses its link (or goes with it)."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "DELETE")
        if not resource_type.deletable:
            raise forbidden(f"{type_name} cannot be deleted through the API.")
        with self._engine.begin() as connection:
            row = resource_type.row(connection, principal.account_id, resource_id)
            resource_type.delete(self._write(connection, principal), row)
        resource_type.deleted(self._effects, row)

    # ------------------------------------------------------------ links
    def _apply_links(
        self, write: Write, resource_type: ResourceType, row: Row[Any], links: dict[str, Any]
    ) -> None:
        for name, ids in links.items():
            self._set_link(write, resource_type, row, resource_type.rel_index[name], ids, "PATCH")

    def _set_link(
        self,
        write: Write,
        resource_type: ResourceType,
        row: Row[Any],
        rel: Rel,
        ids: Any,
        method: str,
    ) -> None:
        """Add (POST), replace (PATCH) or remove (DELETE) what a relationship of `row` names."""
        assert rel.column is not None
        key = resource_type.key(row)
        target = TYPES[rel.target]
        if not rel.many:
            target_row = None
            if ids is not None:
                target_row = target.row(write.connection, write.account_id, ids)
            elif not resource_type.table.c[rel.column].nullable:
                raise invalid(f"{rel.name} of {resource_type.name} cannot be empty.")
            resource_type.link(write, key, rel.column, target_row)
            return
        column = target.table.c[rel.column]
        owner = resource_type.column_key(key)
        wanted = [target.row(write.connection, write.account_id, i) for i in ids]
        current = [
            str(r.id)
            for r in write.connection.execute(sa.select(target.table.c.id).where(column == owner))
        ]
        if method in ("PATCH", "DELETE"):
            dropping = (
                [i for i in current if i not in {str(w.id) for w in wanted}]
                if method == "PATCH"
                else [str(w.id) for w in wanted if str(w.id) in current]
            )
            if dropping and not column.nullable:
                raise invalid(f"{rel.target} must keep their {rel.column.removesuffix('_id')}.")
            for dropped in dropping:
                target.link(write, dropped, rel.column, None)
        if method in ("PATCH", "POST"):
            for target_row in wanted:
                target.link(write, str(target_row.id), rel.column, row)

    def change_relationship(
        self,
        principal: Principal,
        method: str,
        type_name: str,
        resource_id: str,
        name: str,
        body: Any,
        self_link: str,
    ) -> Json:
        """POST, PATCH or DELETE /api/<type>/<id>/relationships/<rel>: add, replace or remove
        linked resources; answers with the link's identifiers after the change."""
        resource_type, rel = self._relationship(type_name, name)
        self._prepare(principal, resource_type, method)
        if not rel.editable:
            raise forbidden(f"The relationship {name} of {type_name} is not editable.")
        if not rel.many and method != "PATCH":
            raise forbidden(f"{name} is a to-one relationship: replace it with PATCH.")
        if not isinstance(body, dict) or "data" not in body:
            raise bad_request("The body must be a JSON:API document with data.")
        ids = rel.identifiers(body["data"])
        account_id = principal.account_id
        with self._engine.begin() as connection:
            write = self._write(connection, principal)
            row = resource_type.row(connection, account_id, resource_id)
            self._set_link(write, resource_type, row, rel, ids, method)
            row = resource_type.row(connection, account_id, resource_id)
            target, rows = self._related_rows(connection, resource_type, row, rel, account_id)
            self._notify(connection, account_id, resource_type, [row], write.now)
        return wire.linkage(self_link, _linkage(rel, target, rows))

    # ------------------------------------------------------------ callbacks
    def _notify(
        self,
        connection: Connection,
        account_id: int,
        resource_type: ResourceType,
        rows: list[Row[Any]],
        at: float,
        structure_id: int | None = None,
    ) -> None:
        """Queue the webhooks of the callbacks that listen to these resources' structure, in
        the transaction that changed them."""
        event_type = _EVENT_OF.get(resource_type.name)
        if event_type is None or not rows:
            return
        structure_ids = (
            {structure_id} if structure_id is not None else {r.structure_id for r in rows}
        )
        subscribers = [
            c
            for c in connection.execute(
                sa.select(schema.callbacks)
                .where(schema.callbacks.c.structure_id.in_(structure_ids))
                .order_by(schema.callbacks.c.id)
            )
            if c.attributes.get("event_type") == event_type
        ]
        if not subscribers:
            return
        resources = self._serialise(connection, resource_type, rows, account_id)
        for callback in subscribers:
            for row, resource in zip(rows, resources, strict=True):
                if structure_id is None and row.structure_id != callback.structure_id:
                    continue
                payload = {
                    "type": event_type,
                    "timestamp": wire.timestamp(at),
                    "callback": str(callback.id),
                    "structure": str(callback.structure_id),
                    "data": resource,
                }
                self.outbox.enqueue(
                    connection,
                    account_id=account_id,
                    vendor="flair",
                    source=webhook_source(callback.id),
                    event_type=event_type,
                    url=callback.attributes["webhookurl"],
                    secret=callback.secret,
                    payload=wire.encode(payload).decode(),
                )

    def _twin_events(
        self,
        connection: Connection,
        structure_id: int,
        moved_vents: list[str],
        latest_readings: list[str],
        at: float,
    ) -> None:
        """The twin's chunk hook: vents it moved, and each puck's newest reading."""
        listening = connection.execute(
            sa.select(schema.callbacks.c.account_id).where(
                schema.callbacks.c.structure_id == structure_id
            )
        ).first()
        if listening is None:
            return
        account_id = int(listening.account_id)
        if moved_vents:
            vents = TYPES["vents"]
            select = vents.select(account_id).where(vents.table.c.id.in_(moved_vents))
            self._notify(connection, account_id, vents, list(connection.execute(select)), at)
        if latest_readings:
            readings = TYPES["sensor-readings"]
            select = readings.select(account_id).where(readings.table.c.id.in_(latest_readings))
            rows = list(connection.execute(select))
            self._notify(connection, account_id, readings, rows, at, structure_id)


def _own(resource_type: ResourceType, rel: Rel) -> bool:
    """A to-many link kept in this type's own column (a room's zone) rather than the target's."""
    return (
        rel.column is not None
        and rel.column not in TYPES[rel.target].table.c
        and rel.column in resource_type.table.c
    )


def _linkage(rel: Rel, target: ResourceType, rows: list[Row[Any]]) -> Any:
    """A relationship's resource identifiers: a list, or one (or None) for a to-one link."""
    identifiers = [{"type": target.name, "id": target.key(r)} for r in rows]
    if rel.many:
        return identifiers
    return identifiers[0] if identifiers else None
