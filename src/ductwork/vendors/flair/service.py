"""Flair operations: the JSON:API resources of an account's homes, independent of HTTP.

Every operation takes the caller's `Principal` (account and scopes) and answers with a
JSON:API document (plain dicts, encoded by the HTTP layer). Rows outside the caller's account
are answered exactly like rows that do not exist. Before any read or write, the account's
homes are caught up to its clock, so a write lands at "now" in the twin's history.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.physics.house import AirHandler, Envelope
from ductwork.core.physics.weather import Climate
from ductwork.core.schema import accounts as accounts_table
from ductwork.core.webhooks import Outbox, new_secret
from ductwork.vendors.flair import documents, schema, validation, wire
from ductwork.vendors.flair.demo import (
    create_demo_home,
    initialise_state,
    puck_attributes,
    room_attributes,
    structure_attributes,
    user_attributes,
    vent_attributes,
)
from ductwork.vendors.flair.exceptions import (
    FlairError,
    bad_request,
    forbidden,
    invalid,
    not_found,
)
from ductwork.vendors.flair.models import (
    ALL_SCOPES,
    EVENT_TYPES,
    TYPES,
    Principal,
    Rel,
    ResourceType,
)
from ductwork.vendors.flair.oauth import (
    TOKEN_LIMIT,
    Applications,
    FlairAuthorizationServer,
    insert_application,
)
from ductwork.vendors.flair.store import HomeSimulator, site
from ductwork.vendors.flair.wire import Json, identifier

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

TABLES: dict[str, sa.Table] = {
    "users": schema.users,
    "structures": schema.structures,
    "zones": schema.zones,
    "rooms": schema.rooms,
    "vents": schema.vents,
    "pucks": schema.pucks,
    "hvac-units": schema.hvac_units,
    "bridges": schema.bridges,
    "sensor-readings": schema.puck_readings,
    "vent-sensor-readings": schema.vent_readings,
    "callbacks": schema.callbacks,
    "applications": schema.applications,
    "puck-apps": schema.puck_apps,
    "thermostats": schema.thermostats,
    "thermostat-states": schema.thermostat_states,
    "remote-sensors": schema.remote_sensors,
    "schedules": schema.schedules,
    "vent-states": schema.vent_states,
    "beacon-sightings": schema.beacon_sightings,
    "weather-readings": schema.weather_readings,
    "devices": schema.devices,
}
# Readings and states belong to an account through what they were taken for (newest first).
_READING_PARENT = {
    "sensor-readings": (schema.pucks, "puck_id"),
    "vent-sensor-readings": (schema.vents, "vent_id"),
    "thermostat-states": (schema.thermostats, "thermostat_id"),
    "vent-states": (schema.vents, "vent_id"),
    "beacon-sightings": (schema.pucks, "puck_id"),
    "weather-readings": (schema.structures, "structure_id"),
}
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
            try:
                values[name] = default if text in (None, "") else int(str(text))
            except ValueError:
                raise bad_request(f"{name} must be a positive integer") from None
            if values[name] < 1:
                raise bad_request(f"{name} must be a positive integer")
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


def _id_column(type_name: str) -> sa.Column[Any]:
    table = TABLES[type_name]
    return table.c.account_id if type_name == "users" else table.c.id


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
            self._ensure_user(connection, account.id)
            structure_id = create_demo_home(connection, account.id, account.seed, start)
        return structure_id

    def _ensure_user(self, connection: Connection, account_id: int) -> None:
        exists = connection.execute(
            sa.select(schema.users.c.account_id).where(schema.users.c.account_id == account_id)
        ).first()
        if exists is not None:
            return
        row = connection.execute(
            sa.select(accounts_table.c.email, accounts_table.c.created_at).where(
                accounts_table.c.id == account_id
            )
        ).one()
        now = self._clocks.now(account_id)
        connection.execute(
            sa.insert(schema.users).values(
                account_id=account_id,
                attributes=user_attributes(row.email.split("@")[0], row.email, row.created_at),
                created_at=row.created_at,
                updated_at=now,
            )
        )

    def _prepare(self, principal: Principal, resource_type: ResourceType, method: str) -> None:
        if not principal.may(resource_type, method):
            level = "view" if method in ("GET", "HEAD") else "edit"
            raise forbidden(
                f"The token lacks the {resource_type.scopes[0]}.{level} scope needed to "
                f"{method} {resource_type.name}."
            )
        self.catch_up_account(principal.account_id)
        if resource_type.name == "users":
            with self._engine.begin() as connection:
                self._ensure_user(connection, principal.account_id)

    # ------------------------------------------------------------ selection
    def _select(self, type_name: str, account_id: int) -> sa.Select[Any]:
        table = TABLES[type_name]
        if type_name in _READING_PARENT:
            parent, column = _READING_PARENT[type_name]
            return (
                sa.select(table)
                .join(parent, parent.c.id == table.c[column])
                .where(parent.c.account_id == account_id)
                .order_by(table.c.at.desc(), table.c.id.desc())
            )
        return (
            sa.select(table).where(table.c.account_id == account_id).order_by(_id_column(type_name))
        )

    def _row(
        self, connection: Connection, type_name: str, account_id: int, resource_id: str
    ) -> Row[Any]:
        key: Any = resource_id
        if TYPES[type_name].uuid_ids:
            if not _UUID.fullmatch(resource_id):
                raise not_found(type_name, resource_id)
        else:
            if not (resource_id.isascii() and resource_id.isdigit()) or len(resource_id) > 9:
                raise not_found(type_name, resource_id)
            key = int(resource_id)
        row = connection.execute(
            self._select(type_name, account_id).where(_id_column(type_name) == key)
        ).first()
        if row is None:
            raise not_found(type_name, resource_id)
        return row

    # ------------------------------------------------------------ serialisation
    def _states(self, connection: Connection, account_id: int) -> dict[int, dict[str, Any]]:
        rows = connection.execute(
            sa.select(schema.structures.c.id, schema.structures.c.state).where(
                schema.structures.c.account_id == account_id
            )
        )
        return {int(r.id): dict(r.state) for r in rows}

    def _serialise(
        self, connection: Connection, type_name: str, rows: list[Row[Any]], account_id: int
    ) -> list[Json]:
        resource_type = TYPES[type_name]
        states = self._states(connection, account_id) if rows else {}
        many: dict[str, dict[str, list[Json]]] = {}
        ids = [self._key(type_name, r) for r in rows]
        keys: list[Any] = ids if resource_type.uuid_ids else [int(i) for i in ids]
        for rel in resource_type.rels:
            if rel.reverse and rel.linkage and rel.column is not None:
                target = TABLES[rel.target]
                candidates: dict[str, list[Row[Any]]] = {}
                for t in connection.execute(
                    sa.select(target).where(target.c[rel.column].in_(keys)).order_by(target.c.id)
                ):
                    candidates.setdefault(str(t._mapping[rel.column]), []).append(t)
                many[rel.name] = {
                    owner: [{"type": rel.target, "id": str(r.id)}]
                    for owner, found in candidates.items()
                    for r in _first_reverse(rel.target, found)
                }
            elif rel.many and rel.linkage and rel.column is not None and not _own(type_name, rel):
                target = TABLES[rel.target]
                owner = target.c[rel.column]
                grouped: dict[str, list[Json]] = {}
                for t in connection.execute(
                    sa.select(target.c.id, owner).where(owner.in_(keys)).order_by(target.c.id)
                ):
                    grouped.setdefault(str(t[1]), []).append({"type": rel.target, "id": str(t[0])})
                many[rel.name] = grouped
        default_structure = None
        if type_name == "users":
            default_structure = connection.execute(
                sa.select(sa.func.min(schema.structures.c.id)).where(
                    schema.structures.c.account_id == account_id
                )
            ).scalar()
        context = documents.context(connection, type_name, rows)
        result = []
        for row, key in zip(rows, ids, strict=True):
            values = documents.attributes(type_name, row, states, context)
            attributes = {a.name: values.get(a.name) for a in resource_type.attrs}
            relationships: Json = {}
            for rel in resource_type.rels:
                data: Any
                if rel.linkage and rel.reverse:
                    found = many.get(rel.name, {}).get(key)
                    data = (
                        found[0]
                        if found
                        else ({"type": rel.target, "id": None} if rel.typed_null else None)
                    )
                elif rel.linkage and rel.many and rel.column is not None and _own(type_name, rel):
                    data = [i for i in [identifier(rel.target, row._mapping[rel.column])] if i]
                elif rel.linkage and rel.many:
                    data = many.get(rel.name, {}).get(key, [])
                elif rel.linkage and rel.name == "default-structure":
                    data = identifier("structures", default_structure)
                elif rel.linkage and rel.column is not None:
                    data = identifier(rel.target, row._mapping[rel.column])
                else:
                    relationships[rel.name] = wire.relationship(
                        type_name, key, rel.name, self_link=rel.self_link
                    )
                    continue
                relationships[rel.name] = wire.relationship(
                    type_name, key, rel.name, self_link=rel.self_link, data=data
                )
            result.append(wire.resource(type_name, key, attributes, relationships))
        return result

    @staticmethod
    def _key(type_name: str, row: Row[Any]) -> str:
        return str(row.account_id if type_name == "users" else row.id)

    def _included(
        self,
        connection: Connection,
        type_name: str,
        rows: list[Row[Any]],
        account_id: int,
        include: str,
    ) -> list[Json] | None:
        if not include:
            return None
        resource_type = TYPES[type_name]
        found: list[Json] = []
        seen: set[tuple[str, str]] = set()
        for name in include.split(","):
            rel = resource_type.rel_index.get(name.strip())
            if rel is None or rel.target not in TYPES:
                raise bad_request(f"{name} is not a relationship of {type_name}")
            if rel.many and rel.target in _READING_PARENT:
                raise bad_request(
                    f"{name} is a history that runs to many thousands of {rel.target}; page "
                    f"through /api/{type_name}/<id>/{name} instead of including it."
                )
            for row in rows:
                target_type, target_rows = self._related_rows(
                    connection, type_name, row, rel, account_id
                )
                fresh = [
                    r for r in target_rows if (target_type, self._key(target_type, r)) not in seen
                ]
                for r in fresh:
                    seen.add((target_type, self._key(target_type, r)))
                found.extend(self._serialise(connection, target_type, fresh, account_id))
        return found

    def _related_rows(
        self, connection: Connection, type_name: str, row: Row[Any], rel: Rel, account_id: int
    ) -> tuple[str, list[Row[Any]]]:
        """The rows a relationship of `row` names."""
        select = self._related_select(type_name, row, rel, account_id)
        rows = [] if select is None else list(connection.execute(select))
        return rel.target, _first_reverse(rel.target, rows) if rel.reverse else rows

    def _related_select(
        self, type_name: str, row: Row[Any], rel: Rel, account_id: int
    ) -> sa.Select[Any] | None:
        """The query of a relationship's rows (None: the link is empty)."""
        target = rel.target
        select = self._select(target, account_id)
        table = TABLES[target]
        key = self._key(type_name, row)
        owner_key: Any = key if TYPES[type_name].uuid_ids else int(key)
        if (type_name, rel.name) == ("rooms", "puck-apps"):
            return select.join(schema.pucks, schema.pucks.c.id == table.c.puck_id).where(
                schema.pucks.c.room_id == owner_key
            )
        if (type_name, rel.name) == ("bridges", "current-reading"):
            # A bridge relays its home's pucks: its current reading is their newest one.
            return select.where(schema.pucks.c.structure_id == row.structure_id).limit(1)
        if rel.reverse:
            assert rel.column is not None
            select = select.where(table.c[rel.column] == owner_key)
            # A thermostat's sensors are few: `_first_reverse` picks its own among them.
            return select if target == "remote-sensors" else select.limit(1)
        if rel.name == "default-structure":
            return select.limit(1)
        if not rel.many or (rel.column is not None and _own(type_name, rel)):
            value = row._mapping[rel.column] if rel.column else None
            return None if value is None else select.where(_id_column(target) == value)
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
            select = self._select(type_name, principal.account_id)
            return self._page(connection, type_name, select, principal.account_id, query)

    def _page(
        self,
        connection: Connection,
        type_name: str,
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
            self._serialise(connection, type_name, rows, account_id),
            total=total,
            size=query.size,
            page=query.page,
            include=query.include,
            included=self._included(connection, type_name, rows, account_id, query.include),
        )

    def single(self, principal: Principal, type_name: str, resource_id: str, query: Query) -> Json:
        """GET /api/<type>/<id>."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "GET")
        with self._engine.connect() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            data = self._serialise(connection, type_name, [row], principal.account_id)[0]
            included = self._included(
                connection, type_name, [row], principal.account_id, query.include
            )
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
        with self._engine.connect() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            if not rel.many:
                target, rows = self._related_rows(
                    connection, type_name, row, rel, principal.account_id
                )
                data = self._serialise(connection, target, rows, principal.account_id)
                return wire.single(query.self_link, data[0] if data else None)
            select = self._related_select(type_name, row, rel, principal.account_id)
            return self._page(connection, rel.target, select, principal.account_id, query)

    def relationship(
        self, principal: Principal, type_name: str, resource_id: str, name: str, self_link: str
    ) -> Json:
        """GET /api/<type>/<id>/relationships/<rel>: the link's resource identifiers."""
        resource_type, rel = self._relationship(type_name, name)
        self._prepare(principal, resource_type, "GET")
        with self._engine.connect() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            return wire.linkage(
                self_link, self._linkage(connection, type_name, row, rel, principal.account_id)
            )

    def _relationship(self, type_name: str, name: str) -> tuple[ResourceType, Rel]:
        resource_type = _type(type_name)
        rel = resource_type.rel_index.get(name)
        if rel is None or not rel.self_link:
            raise FlairError(404, f"{type_name} has no relationship endpoint {name}")
        return resource_type, rel

    def _linkage(
        self, connection: Connection, type_name: str, row: Row[Any], rel: Rel, account_id: int
    ) -> Any:
        target, rows = self._related_rows(connection, type_name, row, rel, account_id)
        identifiers = [{"type": target, "id": self._key(target, r)} for r in rows]
        if rel.many:
            return identifiers
        return identifiers[0] if identifiers else None

    # ------------------------------------------------------------ writes
    def create(self, principal: Principal, type_name: str, body: Any) -> Json:
        """POST /api/<type>: a new resource from the document's editable attributes."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "POST")
        if not resource_type.creatable:
            raise forbidden(f"{type_name} cannot be created through the API.")
        attributes, relationships = validation.document(body, type_name, None)
        if type_name == "hvac-units":
            attributes = validation.hvac_state_alias(attributes)
        changes = validation.validate(resource_type, attributes, creating=True)
        if type_name == "callbacks":
            validation.check_callback(changes, creating=True)
        if type_name == "applications":
            validation.check_application(changes, creating=True)
        links = self._parse_links(resource_type, relationships)
        missing = [
            r for r in resource_type.required_on_create if r not in links or links[r] is None
        ]
        if missing:
            raise invalid(f"A new {type_name} needs the relationship {', '.join(missing)}.")
        secret = ""
        now = self._clocks.now(principal.account_id)
        with self._engine.begin() as connection:
            if type_name == "applications":
                row_id, secret = insert_application(
                    connection,
                    principal.account_id,
                    changes["name"],
                    description=changes.get("description", ""),
                    redirect_uris=changes.get("redirect_uris", []),
                    scopes=changes.get("scopes", list(ALL_SCOPES)),
                    created_at=now,
                )
                new_id = str(row_id)
            else:
                new_id = self._insert(
                    connection,
                    principal.account_id,
                    type_name,
                    changes,
                    links,
                    now,
                    principal.application_id,
                )
            row = self._row(connection, type_name, principal.account_id, new_id)
            self._apply_links(connection, principal.account_id, type_name, row, links, now)
            if type_name == "structures":
                initialise_state(connection, int(new_id), int(now // 60))
            row = self._row(connection, type_name, principal.account_id, new_id)
            data = self._serialise(connection, type_name, [row], principal.account_id)[0]
            if type_name == "callbacks":
                # The signing secret is shown in this answer only (Standard Webhooks).
                data["attributes"]["secret"] = row.secret
            if type_name == "applications":
                data["attributes"]["client_secret"] = secret  # shown this once; kept hashed
            self._notify(connection, principal.account_id, type_name, [row], now)
            if type_name == "vent-states":
                vent = self._row(connection, "vents", principal.account_id, str(row.vent_id))
                self._notify(connection, principal.account_id, "vents", [vent], now)
        return wire.single(f"{wire.API}/{type_name}/{new_id}", data)

    def _insert(
        self,
        connection: Connection,
        account_id: int,
        type_name: str,
        changes: Json,
        links: dict[str, Any],
        now: float,
        application_id: int,
    ) -> str:
        """Insert a new row; links the row cannot exist without (a puck app's puck, a vent
        state's vent) are taken from `links` and removed from it."""
        table = TABLES[type_name]
        stamps = {"account_id": account_id, "created_at": now, "updated_at": now}
        if type_name == "vent-states":
            vent = self._row(connection, "vents", account_id, links.pop("vent"))
            return self._move_vent(connection, vent, changes["percent-open"], "User", now)
        if type_name == "puck-apps":
            puck = self._row(connection, "pucks", account_id, links.pop("puck"))
            new_id = str(uuid.uuid4())
            connection.execute(
                sa.insert(table).values(
                    id=new_id,
                    structure_id=puck.structure_id,
                    puck_id=puck.id,
                    attributes={"app-state": {}, **changes},
                    **stamps,
                )
            )
            return new_id
        if type_name == "structures":
            attributes = {**structure_attributes(changes.get("name", "Home")), **changes}
            seed = secrets.randbits(48)
            return _new_id(
                connection,
                table,
                attributes=attributes,
                seed=seed,
                site=site(Climate(), AirHandler()),
                sim_minute=int(now // 60),
                state={},
                **stamps,
            )
        # Every other type needs a structure; it is set from the relationships right after.
        first = connection.execute(
            sa.select(schema.structures.c.id)
            .where(schema.structures.c.account_id == account_id)
            .order_by(schema.structures.c.id)
        ).scalar()
        if first is None:
            raise invalid("Create a structure first.")
        stamps["structure_id"] = first
        if type_name == "rooms":
            defaults = room_attributes(changes.get("name", "Room"), None, 21.0, True)
            return _new_id(
                connection,
                table,
                attributes={**defaults, **changes},
                envelope=asdict(Envelope(45.0, 35.0)),
                **stamps,
            )
        if type_name == "callbacks":
            return _new_id(
                connection,
                table,
                attributes=changes,
                application_id=application_id,
                secret=new_secret(),
                **stamps,
            )
        if type_name in ("zones", "schedules"):
            return _new_id(connection, table, attributes=changes, **stamps)
        new_id = str(uuid.uuid4())
        values: Json = {"id": new_id, **stamps}
        if type_name == "vents":
            percent = changes.pop("percent-open", 100)
            values.update(
                attributes={**vent_attributes(changes.get("name", "Vent")), **changes},
                percent_open=percent,
                percent_open_reason="Manual by User",
                moved_at=now,
            )
        elif type_name == "pucks":
            defaults = puck_attributes(changes.get("name", "Puck"), new_id[:4], False)
            values["attributes"] = {**defaults, **changes}
        elif type_name == "thermostats":
            values["attributes"] = {"name": "Thermostat", "make": None, "model": None, **changes}
        else:
            values["attributes"] = {"power": "Off", **changes}
        connection.execute(sa.insert(table).values(**values))
        return new_id

    def update(self, principal: Principal, type_name: str, resource_id: str, body: Any) -> Json:
        """PATCH (or PUT) /api/<type>/<id>: change editable attributes and links; 200 with the
        whole resource."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "PATCH")
        attributes, relationships = validation.document(body, type_name, resource_id)
        if type_name == "vents":
            attributes = validation.vent_state_alias(attributes)
        if type_name == "hvac-units":
            attributes = validation.hvac_state_alias(attributes)
        changes = validation.validate(resource_type, attributes, creating=False)
        if type_name == "callbacks":
            validation.check_callback(changes, creating=False)
        if type_name == "applications":
            validation.check_application(changes, creating=False)
        links = self._parse_links(resource_type, relationships)
        now = self._clocks.now(principal.account_id)
        with self._engine.begin() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            self._apply(connection, principal, type_name, row, changes, now)
            self._apply_links(connection, principal.account_id, type_name, row, links, now)
            row = self._row(connection, type_name, principal.account_id, resource_id)
            data = self._serialise(connection, type_name, [row], principal.account_id)[0]
            self._notify(connection, principal.account_id, type_name, [row], now)
        return wire.single(f"{wire.API}/{type_name}/{resource_id}", data)

    def _apply(
        self,
        connection: Connection,
        principal: Principal,
        type_name: str,
        row: Row[Any],
        changes: Json,
        now: float,
    ) -> None:
        table = TABLES[type_name]
        if type_name == "applications":
            columns = {k.replace("-", "_"): v for k, v in changes.items()}
            if columns:
                connection.execute(sa.update(table).where(table.c.id == row.id).values(**columns))
            return
        values: Json = {"updated_at": now}
        if type_name == "vents" and "percent-open" in changes:
            self._move_vent(connection, row, changes.pop("percent-open"), "User", now)
        if type_name == "structures" and changes.get("active-schedule-id") is not None:
            schedule = str(changes["active-schedule-id"])
            owned = schedule.isdigit() and len(schedule) < 10
            if owned:
                owned = (
                    connection.execute(
                        sa.select(schema.schedules.c.id).where(
                            schema.schedules.c.id == int(schedule),
                            schema.schedules.c.structure_id == row.id,
                        )
                    ).first()
                    is not None
                )
            if not owned:
                raise invalid(f"active-schedule-id {schedule} is not a schedule of this structure.")
        if type_name == "rooms" and "set-point-c" in changes:
            user = connection.execute(
                sa.select(schema.users.c.attributes).where(
                    schema.users.c.account_id == principal.account_id
                )
            ).scalar()
            name = (user or {}).get("name") or "user"
            changes = {**changes, "set-point-manual": True, "hold-reason": f"Set by {name}"}
        values["attributes"] = {**row.attributes, **changes}
        connection.execute(
            sa.update(table)
            .where(_id_column(type_name) == row._mapping[_id_column(type_name).name])
            .values(**values)
        )

    def _move_vent(
        self, connection: Connection, vent: Row[Any], percent: int, set_by: str, now: float
    ) -> str:
        """Move a vent at a user's request and record the new vent state; returns its id."""
        reason = "Manual by User"
        connection.execute(
            sa.update(schema.vents)
            .where(schema.vents.c.id == vent.id)
            .values(percent_open=percent, percent_open_reason=reason, moved_at=now, updated_at=now)
        )
        state_id = _time_ordered_uuid()
        connection.execute(
            sa.insert(schema.vent_states).values(
                id=state_id,
                vent_id=vent.id,
                at=now,
                percent_open=percent,
                percent_open_reason=reason,
                set_by=set_by,
                changeset=["percent_open", "percent_open_reason"],
            )
        )
        return state_id

    def delete(self, principal: Principal, type_name: str, resource_id: str) -> None:
        """DELETE /api/<type>/<id>: 204; what was in it loses its link (or goes with it)."""
        resource_type = _type(type_name)
        self._prepare(principal, resource_type, "DELETE")
        if not resource_type.deletable:
            raise forbidden(f"{type_name} cannot be deleted through the API.")
        with self._engine.begin() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            if type_name == "applications":
                for callback in connection.execute(
                    sa.select(schema.callbacks.c.id).where(
                        schema.callbacks.c.application_id == row.id
                    )
                ):
                    self.outbox.cancel(connection, _source(callback.id))
            if type_name == "schedules":
                structure = self._row(
                    connection, "structures", principal.account_id, str(row.structure_id)
                )
                if str(structure.attributes.get("active-schedule-id")) == str(row.id):
                    connection.execute(
                        sa.update(schema.structures)
                        .where(schema.structures.c.id == structure.id)
                        .values(
                            attributes={**structure.attributes, "active-schedule-id": None},
                            updated_at=self._clocks.now(principal.account_id),
                        )
                    )
            connection.execute(sa.delete(TABLES[type_name]).where(TABLES[type_name].c.id == row.id))
            if type_name == "callbacks":
                self.outbox.cancel(connection, _source(row.id))
        if type_name == "applications":
            self.oauth.forget_cached()  # its tokens went with it
        if type_name == "structures":
            self.simulator.forget(int(row.id))

    # ------------------------------------------------------------ links
    def _parse_links(self, resource_type: ResourceType, relationships: Json) -> dict[str, Any]:
        links: dict[str, Any] = {}
        for name, value in relationships.items():
            rel = resource_type.rel_index.get(name)
            if rel is None:
                raise invalid(f"{name} is not a relationship of {resource_type.name}")
            if not rel.editable:
                raise invalid(f"The relationship {name} of {resource_type.name} is not editable.")
            data = value["data"] if isinstance(value, dict) and "data" in value else value
            links[name] = validation.identifiers(rel, data)
        return links

    def _apply_links(
        self,
        connection: Connection,
        account_id: int,
        type_name: str,
        row: Row[Any],
        links: dict[str, Any],
        now: float,
    ) -> None:
        resource_type = TYPES[type_name]
        for name, ids in links.items():
            rel = resource_type.rel_index[name]
            self._set_link(connection, account_id, type_name, row, rel, ids, "PATCH", now)

    def _set_link(
        self,
        connection: Connection,
        account_id: int,
        type_name: str,
        row: Row[Any],
        rel: Rel,
        ids: Any,
        method: str,
        now: float,
    ) -> None:
        key = self._key(type_name, row)
        if not rel.many:
            assert rel.column is not None
            target_row = None
            if ids is not None:
                target_row = self._row(connection, rel.target, account_id, ids)
            elif not TABLES[type_name].c[rel.column].nullable:
                raise invalid(f"{rel.name} of {type_name} cannot be empty.")
            self._link(connection, type_name, key, rel.column, target_row, now)
            return
        assert rel.column is not None
        table = TABLES[rel.target]
        owner: Any = key if TYPES[type_name].uuid_ids else int(key)
        wanted = [self._row(connection, rel.target, account_id, i) for i in ids]
        current = [
            str(r.id)
            for r in connection.execute(sa.select(table.c.id).where(table.c[rel.column] == owner))
        ]
        if method in ("PATCH", "DELETE"):
            dropping = (
                [i for i in current if i not in {str(w.id) for w in wanted}]
                if method == "PATCH"
                else [str(w.id) for w in wanted if str(w.id) in current]
            )
            if dropping and not table.c[rel.column].nullable:
                raise invalid(f"{rel.target} must keep their {_singular(rel.column)}.")
            for dropped in dropping:
                self._link(connection, rel.target, dropped, rel.column, None, now)
        if method in ("PATCH", "POST"):
            for target_row in wanted:
                self._link(connection, rel.target, str(target_row.id), rel.column, row, now)

    def _link(
        self,
        connection: Connection,
        type_name: str,
        key: str,
        column: str,
        target: Row[Any] | None,
        now: float,
    ) -> None:
        """Point `column` of one row at `target`; devices keep their room and structure
        consistent (a room's devices follow it into another structure)."""
        table = TABLES[type_name]
        row_key: Any = key if TYPES[type_name].uuid_ids else int(key)
        values: Json = {column: None if target is None else target.id, "updated_at": now}
        if column in ("room_id", "puck_id") and target is not None:
            values["structure_id"] = target.structure_id  # a puck app follows its puck
        if column == "structure_id" and "room_id" in table.c:
            values["room_id"] = None
        connection.execute(sa.update(table).where(table.c.id == row_key).values(**values))
        if type_name == "rooms" and column == "structure_id" and target is not None:
            for device in (
                schema.vents,
                schema.pucks,
                schema.hvac_units,
                schema.bridges,
                schema.thermostats,
                schema.remote_sensors,
            ):
                connection.execute(
                    sa.update(device)
                    .where(device.c.room_id == row_key)
                    .values(structure_id=target.id)
                )
        if type_name in ("rooms", "pucks") and column in ("room_id", "structure_id"):
            # Puck apps live where their puck does (a structure's deletion takes them along).
            apps, pucks = schema.puck_apps, schema.pucks
            moved = (
                sa.select(pucks.c.id).where(pucks.c.room_id == row_key)
                if type_name == "rooms"
                else sa.select(pucks.c.id).where(pucks.c.id == row_key)
            )
            connection.execute(
                sa.update(apps)
                .where(apps.c.puck_id.in_(moved))
                .values(
                    structure_id=sa.select(pucks.c.structure_id)
                    .where(pucks.c.id == apps.c.puck_id)
                    .scalar_subquery()
                )
            )

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
        ids = validation.identifiers(rel, body["data"])
        now = self._clocks.now(principal.account_id)
        with self._engine.begin() as connection:
            row = self._row(connection, type_name, principal.account_id, resource_id)
            self._set_link(connection, principal.account_id, type_name, row, rel, ids, method, now)
            row = self._row(connection, type_name, principal.account_id, resource_id)
            data = self._linkage(connection, type_name, row, rel, principal.account_id)
            self._notify(connection, principal.account_id, type_name, [row], now)
        return wire.linkage(self_link, data)

    # ------------------------------------------------------------ callbacks
    def _notify(
        self,
        connection: Connection,
        account_id: int,
        type_name: str,
        rows: list[Row[Any]],
        at: float,
        structure_id: int | None = None,
    ) -> None:
        """Queue the webhooks of the callbacks that listen to these resources' structure, in
        the transaction that changed them."""
        event_type = _EVENT_OF.get(type_name)
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
        resources = self._serialise(connection, type_name, rows, account_id)
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
                    source=_source(callback.id),
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
            rows = list(
                connection.execute(
                    self._select("vents", account_id).where(schema.vents.c.id.in_(moved_vents))
                )
            )
            self._notify(connection, account_id, "vents", rows, at)
        if latest_readings:
            rows = list(
                connection.execute(
                    self._select("sensor-readings", account_id).where(
                        schema.puck_readings.c.id.in_(latest_readings)
                    )
                )
            )
            self._notify(connection, account_id, "sensor-readings", rows, at, structure_id)


def _new_id(connection: Connection, table: sa.Table, **values: Any) -> str:
    """Insert one row and return its new integer id as the API writes ids."""
    return str(
        connection.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()
    )


def _source(callback_id: int) -> str:
    """The outbox's name for a callback's messages."""
    return f"flair-callback:{callback_id}"


def _time_ordered_uuid() -> str:
    """A version-7 UUID (RFC 9562): it sorts by creation, so states written at the same
    virtual second (a frozen clock) still come newest first."""
    ns = time.time_ns()
    value = (ns // 1_000_000) << 80 | 0x7 << 76 | (ns % 1_000_000 * 4096 // 1_000_000) << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _own(type_name: str, rel: Rel) -> bool:
    """A to-many link kept in this type's own column (a room's zone) rather than the target's."""
    return (
        rel.column is not None
        and rel.column not in TABLES[rel.target].c
        and rel.column in TABLES[type_name].c
    )


def _first_reverse(target: str, rows: list[Row[Any]]) -> list[Row[Any]]:
    """The row a reverse to-one link names: the newest state or reading (rows come newest
    first), a thermostat's own sensor before the others."""
    if target == "remote-sensors":
        rows = sorted(rows, key=lambda r: not r.attributes.get("is-tstat"))
    return rows[:1]


def _singular(column: str) -> str:
    return column.removesuffix("_id")
