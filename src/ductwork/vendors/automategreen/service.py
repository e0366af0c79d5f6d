"""Automate Green operations on an account's house, independent of HTTP.

Every operation takes the caller's account and answers with the vendor's JSON (plain dicts).
Rows of other accounts are answered exactly like rows that do not exist. Before a read the
house is caught up to the account's clock; a write (command, setting, new device) is applied
to the twin at the account's "now" through `TwinRunner.apply`, with the actions running on
what the devices report, and commits whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.egress import Refused
from ductwork.core.twins import Loaded, TwinRunner
from ductwork.core.webhooks import Outbox
from ductwork.vendors.automategreen import rules, schema
from ductwork.vendors.automategreen.devices import (
    CommandRejected,
    DeviceOffline,
    Json,
    Outcome,
)
from ductwork.vendors.automategreen.exceptions import (
    bad_request,
    forbidden,
    not_found,
    unavailable,
)
from ductwork.vendors.automategreen.house import DeviceSpec, House, Site, new_house
from ductwork.vendors.automategreen.ids import short_id
from ductwork.vendors.automategreen.store import (
    Chunk,
    HouseConfig,
    HouseKind,
)
from ductwork.vendors.automategreen.store import (
    Engine as ActionEngine,
)
from ductwork.vendors.automategreen.tokens import Tokens, iso

R = TypeVar("R")
POWER_CONTROLLER = "power_controller"
MAX_STATUS_DAYS = 10
GATEWAY_TYPE = {"description": "Insteon Hub (2245-222)", "name": "hub", "profile": "hub"}
GATEWAY_INFO = {"hubType": "HUB2", "binVer": "Hub2-V03-20140617", "plmVer": "9D",
                "firmwareVer": "1002", "port": "25105"}  # fmt: skip
COUNTRIES = frozenset(
    [
        "US",
        "CA",
        "MX",
        "GB",
        "IE",
        "FR",
        "DE",
        "NL",
        "BE",
        "LU",
        "CH",
        "AT",
        "IT",
        "ES",
        "PT",
        "DK",
        "SE",
        "NO",
        "FI",
        "PL",
        "CZ",
        "AU",
        "NZ",
        "JP",
    ]
)
# A Power Controller's serial number (`PC-ZXCVBNMASDF-001`), any case, stored upper case; the
# OpenAPI document publishes this very pattern, and the check uses it with the same (Python)
# semantics.
SERIAL_PATTERN = "^[Pp][Cc]-[A-Za-z0-9-]{5,61}$"
TEXT_LIMIT = 200  # characters of a name the cloud stores


@dataclass
class Snapshot:
    """The account's house and what the cloud lists of it, read at one instant."""

    at: float
    house: House | None
    devices: dict[str, Row[Any]]
    gateways: dict[str, Row[Any]]


def _text(value: Any, name: str, limit: int = TEXT_LIMIT) -> str:
    """A name as sent (at most `limit` characters, not only white space, no NUL), stripped."""
    if not isinstance(value, str) or not storable(value):
        raise bad_request(f"{name} must be a string")
    text = value.strip()
    if not text or len(value) > limit:
        raise bad_request(f"{name} must be 1 to {limit} characters")
    return text


def parse_date(text: str, name: str) -> float:
    """An ISO 8601 date (`2015-08-15`) or date-time (`2015-08-10T09:30`, with seconds,
    fractions, `Z` or an offset; without one it is UTC) as epoch seconds; 400 otherwise."""
    if not storable(text) or len(text) > 40:
        raise bad_request(f"{name} is not a valid ISO 8601 date")
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise bad_request(f"{name} is not a valid ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


class AutomateGreen:
    """The Automate Green cloud of every account."""

    def __init__(self, engine: Engine, clocks: Clocks, accounts: Accounts, outbox: Outbox) -> None:
        self._engine = engine
        self._clocks = clocks
        self.accounts = accounts
        self.kind = HouseKind(outbox)
        self._egress = outbox.egress
        self.runner: TwinRunner[HouseConfig, Chunk] = TwinRunner(engine, self.kind)
        self.tokens = Tokens(engine, clocks, accounts)
        self._houses: dict[int, int] = {}
        self._guard = threading.Lock()

    # -- the house -----------------------------------------------------------------------

    def house_id(self, account_id: int, connection: Connection | None = None) -> int | None:
        """The account's house (None: it has none yet)."""
        known = self._houses.get(account_id)
        if known is not None:
            return known
        query = sa.select(schema.houses.c.id).where(schema.houses.c.account_id == account_id)
        if connection is None:
            with self._engine.connect() as own:
                found = own.execute(query).scalar()
        else:
            found = connection.execute(query).scalar()
        if found is not None:
            self._houses[account_id] = int(found)
        return None if found is None else int(found)

    def forget(self, account_id: int) -> None:
        """Drop what this process knows of the account's house (it was deleted)."""
        house = self._houses.pop(account_id, None)
        if house is not None:
            self.runner.forget(house)

    def create_house(
        self, connection: Connection, account: Account, devices: list[DeviceSpec], start: float
    ) -> int:
        """The account's house with these devices, simulated from `start` on."""
        state = new_house(account.seed, Site(), devices, start)
        return int(
            connection.execute(
                sa.insert(schema.houses)
                .values(
                    account_id=account.id,
                    seed=account.seed,
                    sim_minute=int(start // 60),
                    state=state,
                    version=0,
                    created_at=start,
                )
                .returning(schema.houses.c.id)
            ).scalar_one()
        )

    def first_statuses(
        self, connection: Connection, account: Account, house_id: int, at: float
    ) -> None:
        """Each device's status at `at` as its first status record (a new house's devices
        have reported once when the cloud first lists them)."""
        row = connection.execute(
            sa.select(schema.houses.c.state, schema.houses.c.seed).where(
                schema.houses.c.id == house_id
            )
        ).one()
        house = House(dict(row.state), row.seed)
        d = schema.devices.c
        for device_id in connection.execute(
            sa.select(d.id).where(d.account_id == account.id).order_by(d.id)
        ).scalars():
            if device_id not in house.state["devices"]:
                continue
            state, info = house.status(device_id, at)
            status_id = short_id()
            connection.execute(sa.insert(schema.statuses).values(
                id=status_id, account_id=account.id, device_id=device_id, at=at,
                type="update", reason="status", state=state, info=info))  # fmt: skip
            connection.execute(
                sa.update(schema.devices)
                .where(d.id == device_id)
                .values(status_id=status_id, status_at=at)
            )

    def _ensure_house(self, account: Account) -> int:
        found = self.house_id(account.id)
        if found is not None:
            return found
        with self._guard:
            try:
                with self._engine.begin() as connection:
                    self.create_house(connection, account, [], self._clocks.now(account.id))
            except sa.exc.IntegrityError:
                pass  # another process made it first
        made = self.house_id(account.id)
        assert made is not None
        return made

    def catch_up(self, account_id: int) -> None:
        """Simulate the account's house up to its clock."""
        house = self.house_id(account_id)
        if house is not None:
            self.runner.catch_up(house, int(self._clocks.now(account_id) // 60))

    def _apply(
        self, account: Account, change: Callable[[House, HouseConfig, Chunk, float], R]
    ) -> R:
        """Change the account's twin at its now; `change` fills the chunk (reports go through
        the action engine) and returns the answer; all of it commits together."""
        house_id = self._ensure_house(account)
        minute = int(self._clocks.now(account.id) // 60)

        def run(loaded: Loaded[HouseConfig]) -> Chunk:
            at = max(self._clocks.now(account.id), loaded.minute * 60.0)
            chunk = Chunk()
            house = self.kind.house(loaded)
            chunk.result = change(house, loaded.config, chunk, at)
            return chunk

        try:
            return self.runner.apply(house_id, minute, run).result  # type: ignore[no-any-return]
        except sa.exc.NoResultFound:  # the house was deleted meanwhile (a reset)
            self.forget(account.id)
            raise not_found("Device") from None

    def _snapshot(self, account: Account) -> Snapshot:
        self.catch_up(account.id)
        at = self._clocks.now(account.id)
        d, g = schema.devices.c, schema.gateways.c
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.houses.c.state, schema.houses.c.seed).where(
                    schema.houses.c.account_id == account.id
                )
            ).first()
            devices = {
                r.id: r
                for r in connection.execute(
                    sa.select(schema.devices).where(d.account_id == account.id)
                    .order_by(d.created_at, d.id)
                )
            }  # fmt: skip
            gateways = {
                r.id: r
                for r in connection.execute(
                    sa.select(schema.gateways).where(g.account_id == account.id)
                    .order_by(g.created_at, g.id)
                )
            }  # fmt: skip
        house = None if row is None else House(dict(row.state), row.seed)
        return Snapshot(at, house, devices, gateways)

    # -- wire shapes ---------------------------------------------------------------------

    def _device_json(self, snapshot: Snapshot, row: Row[Any]) -> Json:
        house, at = snapshot.house, snapshot.at
        assert house is not None
        state, info = house.status(row.id, at)
        if row.kind == POWER_CONTROLLER:
            status: Json = {"state": state}
            if row.status_at is not None:
                status.update(info=info, date=iso(row.status_at))
            out: Json = {"id": row.id, "address": row.address}
            if row.name:
                out["name"] = row.name
            out.update(sn=row.sn, country=row.country, type=house.type_object(row.id),
                       status=status, info=house.info(row.id, at))  # fmt: skip
            return out
        out = {"address": row.address}
        if row.gateway_id is not None:
            out["gateway"] = row.gateway_id
        out.update(
            id=row.id,
            info=house.info(row.id, at),
            lastUpdate=iso(row.last_update),
            name=row.name,
            status={
                "date": round(
                    (row.status_at if row.status_at is not None else row.created_at) * 1000
                ),
                "deviceId": row.id,
                "id": row.status_id,
                "info": info,
                "state": state,
            },
            type=house.type_object(row.id),
        )
        return out

    @staticmethod
    def _gateway_json(row: Row[Any]) -> Json:
        return {
            "address": row.address,
            "id": row.id,
            "info": dict(GATEWAY_INFO),
            "lastUpdate": iso(row.updated_at),
            "name": row.name,
            "type": dict(GATEWAY_TYPE),
        }

    # -- gateways ------------------------------------------------------------------------

    def gateways(self, account: Account) -> Json:
        """`GET /gateways`."""
        snapshot = self._snapshot(account)
        return {"gateways": [self._gateway_json(r) for r in snapshot.gateways.values()]}

    def _gateway_row(self, account: Account, gateway_id: str) -> Row[Any]:
        g = schema.gateways.c
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.gateways).where(g.id == gateway_id, g.account_id == account.id)
            ).first() if storable(gateway_id) else None  # fmt: skip
        if row is None:
            raise not_found("Gateway")
        return row

    def gateway(self, account: Account, gateway_id: str) -> Json:
        """`GET /gateways/{id}`."""
        return {"gateway": self._gateway_json(self._gateway_row(account, gateway_id))}

    def update_gateway(self, account: Account, gateway_id: str, body: Json) -> Json:
        """`PUT /gateways/{id}`: its name."""
        self._gateway_row(account, gateway_id)
        name = body.get("name")
        if name is None:
            raise bad_request("name is required")
        name = _text(name, "name")
        now = self._clocks.now(account.id)
        g = schema.gateways.c
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(schema.gateways)
                .where(g.id == gateway_id, g.account_id == account.id)
                .values(name=name, updated_at=now)
            )
        return self.gateway(account, gateway_id)

    def delete_gateway(self, account: Account, gateway_id: str) -> None:
        """`DELETE /gateways/{id}`: the hub and the devices the cloud lists through it (the
        hub itself, and what is linked to it, stay in the house)."""
        self._gateway_row(account, gateway_id)
        g = schema.gateways.c
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(schema.gateways).where(g.id == gateway_id, g.account_id == account.id)
            )

    def reload_gateway(self, account: Account, gateway_id: str) -> Json:
        """`GET /gateways/{id}/reload`: read the hub's device list again; devices linked to it
        that the cloud does not list (new on the twin side, or deleted here) appear."""
        self._gateway_row(account, gateway_id)

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> None:
            missing = [s for s in house.linked(gateway_id) if s.id not in config.known]
            reports = []
            for spec in missing:
                config.known[spec.id] = spec.kind
                if spec.id not in house.state["devices"]:  # linked since: it joins now
                    reports += house.add(spec, at)

            def write(connection: Connection) -> None:
                for spec in missing:
                    connection.execute(sa.insert(schema.devices).values(
                        id=spec.id, account_id=account.id, gateway_id=gateway_id,
                        kind=spec.kind, address=spec.address, name=spec.name,
                        created_at=at, last_update=at))  # fmt: skip
                connection.execute(
                    sa.update(schema.gateways)
                    .where(schema.gateways.c.id == gateway_id)
                    .values(updated_at=at)
                )

            chunk.writes.append(write)
            ActionEngine(house, config, chunk).handle(reports)

        self._apply(account, change)
        snapshot = self._snapshot(account)
        devices = [
            self._device_json(snapshot, r)
            for r in snapshot.devices.values()
            if r.gateway_id == gateway_id
        ]
        return {"gateway": self._gateway_json(snapshot.gateways[gateway_id]), "devices": devices}

    # -- devices -------------------------------------------------------------------------

    def devices(self, account: Account, gateway: str | None = None) -> Json:
        """`GET /devices` (`?gateway=` for one hub's). Power Controllers are listed as the
        Power Controller document shows them: each inside a `{"device": ...}`."""
        snapshot = self._snapshot(account)
        if snapshot.house is None:
            return {"devices": []}
        listed: list[Json] = []
        for row in snapshot.devices.values():
            if gateway is not None and row.gateway_id != gateway:
                continue
            shown = self._device_json(snapshot, row)
            listed.append({"device": shown} if row.kind == POWER_CONTROLLER else shown)
        return {"devices": listed}

    def _device_row(self, snapshot: Snapshot, device_id: str) -> Row[Any]:
        row = snapshot.devices.get(device_id)
        if row is None:
            raise not_found("Device")
        return row

    def device(self, account: Account, device_id: str) -> Json:
        """`GET /devices/{id}`."""
        snapshot = self._snapshot(account)
        return {"device": self._device_json(snapshot, self._device_row(snapshot, device_id))}

    def _known(self, account: Account, device_id: str) -> Row[Any]:
        d = schema.devices.c
        row = None
        if storable(device_id):
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(schema.devices).where(d.id == device_id, d.account_id == account.id)
                ).first()
        if row is None:
            raise not_found("Device")
        return row

    def _call(
        self, account: Account, device_id: str, op: str, body: Json, asynchronous: bool,
        extra: Callable[[Connection, float], None] | None = None,
    ) -> Outcome:  # fmt: skip
        row = self._known(account, device_id)

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> Outcome:
            try:
                outcome = house.call(device_id, op, body, at, asynchronous)
            except CommandRejected as refused:
                raise bad_request(refused.message) from None
            except DeviceOffline:
                raise unavailable() from None
            except KeyError:
                raise not_found("Device") from None
            ActionEngine(house, config, chunk).handle(list(outcome.reports))
            if extra is not None:
                chunk.writes.append(lambda connection: extra(connection, at))
            return outcome

        del row
        return self._apply(account, change)

    def command(
        self, account: Account, device_id: str, body: Json, asynchronous: bool
    ) -> Json | None:
        """`POST /devices/{id}/command`: the body's `command` object to the device."""
        command = body.get("command")
        if not isinstance(command, dict) or not command:
            raise bad_request("command is required")
        if not isinstance(command.get("name"), str):
            raise bad_request("command[name] is required")
        outcome = self._call(account, device_id, "command", command, asynchronous)
        return None if asynchronous else self._answer(account, device_id, outcome)

    def refresh(self, account: Account, device_id: str, asynchronous: bool) -> Json | None:
        """`POST /devices/{id}/status`: the device sends its status now."""
        outcome = self._call(account, device_id, "refresh", {}, asynchronous)
        return None if asynchronous else self._answer(account, device_id, outcome)

    def _answer(self, account: Account, device_id: str, outcome: Outcome) -> Json:
        answer = self.device(account, device_id)
        if self._known(account, device_id).kind == POWER_CONTROLLER:
            answer["responseCodes"] = list(outcome.codes)
        return answer

    def update_device(
        self, account: Account, device_id: str, body: Json, asynchronous: bool
    ) -> Json | None:
        """`PUT /devices/{id}`: its `name` (the cloud's), and its settings (`info`,
        `schedule`: the device's), applied together or not at all."""
        row = self._known(account, device_id)
        name = None if body.get("name") is None else _text(body["name"], "name")
        settings = {k: v for k, v in body.items() if k not in ("name", "access_token", "token")}

        def rename(connection: Connection, at: float) -> None:
            if name is not None:
                connection.execute(
                    sa.update(schema.devices)
                    .where(schema.devices.c.id == device_id)
                    .values(name=name, last_update=at)
                )

        if settings:
            outcome = self._call(account, device_id, "configure", settings, asynchronous, rename)
        else:
            if name is None:
                raise bad_request("Nothing to update")
            with self._engine.begin() as connection:
                rename(connection, self._clocks.now(account.id))
            outcome = Outcome()
        del row
        return None if asynchronous else self._answer(account, device_id, outcome)

    def delete_device(self, account: Account, device_id: str) -> None:
        """`DELETE /devices/{id}`: the cloud forgets it (with its statuses and actions). An
        Insteon device stays linked to its hub (a reload lists it again); a Power Controller
        or Sensor Hub sensor leaves the house."""
        row = self._known(account, device_id)

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> None:
            if row.gateway_id is None:
                house.remove(device_id)
            config.known.pop(device_id, None)

            def write(connection: Connection) -> None:
                connection.execute(
                    sa.delete(schema.devices).where(schema.devices.c.id == device_id)
                )

            chunk.writes.append(write)

        self._apply(account, change)

    def add_device(self, account: Account, body: Json) -> Json:
        """`POST /devices` with `sn` and `country`: a Power Controller joins, `Initializing`
        until it comes online a few simulated minutes later."""
        sn = body.get("sn")
        if sn is None:
            raise bad_request("sn is required")
        if not isinstance(sn, str) or not re.search(SERIAL_PATTERN, sn):
            raise bad_request("sn is not a valid Power Controller serial number")
        sn = sn.strip().upper()
        country = body.get("country")
        if country is None:
            raise bad_request("country is required")
        if not isinstance(country, str) or country not in COUNTRIES:
            raise bad_request(f"country {country} is not supported")
        d = schema.devices.c
        with self._engine.connect() as connection:
            owner = connection.execute(sa.select(d.account_id).where(d.sn == sn)).scalar()
        if owner is not None:
            if owner == account.id:
                raise bad_request("This Power Controller has already been added")
            raise forbidden("This Power Controller belongs to another account")
        device_id = short_id(11)
        address = "".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(24))
        spec = DeviceSpec(device_id, POWER_CONTROLLER, address, "", None,
                          {"sn": sn, "country": country, "new": True})  # fmt: skip

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> None:
            reports = house.add(spec, at)
            config.known[device_id] = POWER_CONTROLLER

            def write(connection: Connection) -> None:
                connection.execute(sa.insert(schema.devices).values(
                    id=device_id, account_id=account.id, gateway_id=None, kind=POWER_CONTROLLER,
                    address=address, name="", sn=sn, country=country, created_at=at,
                    last_update=at))  # fmt: skip

            chunk.writes.append(write)
            ActionEngine(house, config, chunk).handle(reports)

        self._apply(account, change)
        return self.device(account, device_id)

    # -- statuses ------------------------------------------------------------------------

    def statuses(self, account: Account, params: Mapping[str, Any]) -> Json:
        """`GET /statuses`: one device's (or, without `device`, every device's) statuses from
        `date[start]` (default yesterday) to `date[end]` (default now), or from `date` to now;
        at most 10 days; `raw=true` gives the stored records."""
        self.catch_up(account.id)
        now = self._clocks.now(account.id)
        device = params.get("device")
        if device is not None:
            if not isinstance(device, str):
                raise bad_request("device must be a device id")
            self._known(account, device)
        date = params.get("date")
        start: float
        end = now
        explicit_end = isinstance(date, dict) and date.get("end") is not None
        if isinstance(date, dict):
            start = (
                parse_date(_str(date.get("start")), "date[start]")
                if date.get("start") is not None
                else now - 86_400
            )
            if date.get("end") is not None:
                end = parse_date(_str(date.get("end")), "date[end]")
        elif date is not None:
            start = parse_date(_str(date), "date")
        else:
            start = now - 86_400
        if end < start:
            raise bad_request("date[end] is before date[start]")
        if end - start > MAX_STATUS_DAYS * 86_400:
            raise bad_request("The date range for a single request is limited to 10 days")
        s = schema.statuses.c
        query = (
            sa.select(schema.statuses)
            .where(s.account_id == account.id, s.at >= start)
            .order_by(s.at, s.id)
        )
        if device is not None:
            query = query.where(s.device_id == device)
        if explicit_end:  # before date[end]; without one, everything up to now (statuses
            query = query.where(s.at < end)  # sent this instant on a frozen clock included)
        raw = str(params.get("raw", "false")).lower() == "true"
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        if raw:
            return {"statuses": [_raw(r) for r in rows]}
        return {"statuses": [_record(r) for r in rows]}

    # -- actions -------------------------------------------------------------------------

    def _kinds(self, account: Account) -> dict[str, str]:
        d = schema.devices.c
        with self._engine.connect() as connection:
            return {r.id: r.kind for r in connection.execute(
                sa.select(d.id, d.kind).where(d.account_id == account.id))}  # fmt: skip

    def _action_row(self, account: Account, action_id: str) -> Row[Any]:
        a = schema.actions.c
        row = None
        if storable(action_id):
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(schema.actions).where(a.id == action_id, a.account_id == account.id)
                ).first()
        if row is None:
            raise not_found("Action")
        return row

    @staticmethod
    def _action_json(row: Row[Any]) -> Json:
        return rules.wire(
            row.id, row.device_id, dict(row.definition), row.last, row._mapping["count"]
        )

    def actions(self, account: Account, device: str | None = None) -> Json:
        """`GET /actions` (`?device=` for one device's)."""
        self.catch_up(account.id)
        a = schema.actions.c
        query = sa.select(schema.actions).where(a.account_id == account.id)
        if device is not None:
            query = query.where(a.device_id == device)
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(a.created_at, a.id)).all()
        return {"actions": [self._action_json(r) for r in rows]}

    def action(self, account: Account, action_id: str) -> Json:
        """`GET /actions/{id}`."""
        self.catch_up(account.id)
        return {"action": self._action_json(self._action_row(account, action_id))}

    def _definition(self, account: Account, body: Json, old: Row[Any] | None) -> tuple[str, Json]:
        kinds = self._kinds(account)
        device = body.get("device", None if old is None else old.device_id)
        if device is None:
            raise bad_request("device is required")
        if not isinstance(device, str) or device not in kinds:
            raise bad_request("device is not a device of this account")
        try:
            if old is None:
                definition = rules.definition(body, kinds[device], kinds)
            else:
                definition = rules.updated(dict(old.definition), body, kinds[device], kinds)
        except rules.RuleError as refused:
            raise bad_request(refused.message) from None
        if definition.get("type") == "request":
            # A literal address ductwork may not call is refused here; every URL is checked
            # again (its name resolved) when the action fires (core/egress.py).
            try:
                self._egress.check(definition["options"]["url"], resolve=False)
            except Refused as refused:
                raise bad_request(f"Invalid options.url: {refused}") from None
        return device, definition

    def create_action(self, account: Account, body: Json) -> Json:
        """`POST /actions`."""
        self.catch_up(account.id)
        device, definition = self._definition(account, body, None)
        action_id = short_id()
        now = self._clocks.now(account.id)
        with self._engine.begin() as connection:
            connection.execute(sa.insert(schema.actions).values(
                id=action_id, account_id=account.id, device_id=device, definition=definition,
                armed={}, last=None, count=0, created_at=now))  # fmt: skip
        return self.action(account, action_id)

    def update_action(self, account: Account, action_id: str, body: Json) -> Json:
        """`POST` or `PUT /actions/{id}`."""
        self.catch_up(account.id)
        old = self._action_row(account, action_id)
        device, definition = self._definition(account, body, old)
        a = schema.actions.c
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(schema.actions)
                .where(a.id == action_id, a.account_id == account.id)
                .values(
                    device_id=device,
                    definition=definition,
                    armed={} if device != old.device_id else old.armed,
                )
            )
        return self.action(account, action_id)

    def delete_action(self, account: Account, action_id: str) -> None:
        """`DELETE /actions/{id}`."""
        self._action_row(account, action_id)
        a = schema.actions.c
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(schema.actions).where(a.id == action_id, a.account_id == account.id)
            )

    # -- the control plane ---------------------------------------------------------------

    def owner(self, table: sa.Table, object_id: str) -> Account:
        """The account a device or gateway belongs to (control plane: ids are global)."""
        account_id = None
        if storable(object_id):
            with self._engine.connect() as connection:
                account_id = connection.execute(
                    sa.select(table.c.account_id).where(table.c.id == object_id)
                ).scalar()
        account = None if account_id is None else self.accounts.by_id(int(account_id))
        if account is None:
            raise not_found("Device" if table is schema.devices else "Gateway")
        return account

    def set_online(self, device_id: str, online: bool) -> Json:
        """Take a device off line or back (a fault of the twin, not an API call)."""
        account = self.owner(schema.devices, device_id)

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> None:
            ActionEngine(house, config, chunk).handle(house.set_online(device_id, online, at))

        self._apply(account, change)
        return self.device(account, device_id)

    def link(self, gateway_id: str, kind: str, name: str) -> Json:
        """A device linked to the hub on the twin side (it appears at the next reload)."""
        account = self.owner(schema.gateways, gateway_id)
        self._gateway_row(account, gateway_id)
        spec = DeviceSpec(short_id(), kind, secrets.token_hex(3).upper(), name, gateway_id, {})

        def change(house: House, config: HouseConfig, chunk: Chunk, at: float) -> None:
            try:
                house.link(gateway_id, spec)
            except (KeyError, ValueError) as refused:
                raise bad_request(f"cannot link a {kind}: {refused}") from None

        self._apply(account, change)
        return {"id": spec.id, "kind": kind, "address": spec.address, "name": name}


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request("dates must be ISO 8601 strings")
    return value


def _record(row: Row[Any]) -> Json:
    return {
        "id": row.id,
        "device": row.device_id,
        "deviceId": row.device_id,
        "date": iso(row.at),
        "state": row.state,
        "type": row.type,
        "reason": row.reason,
        "info": row.info,
    }


def _raw(row: Row[Any]) -> Json:
    """The stored record as the vendor's database held it (Mongo-style `_id`, `__v`)."""
    return {
        "_id": row.id,
        "device": row.device_id,
        "date": iso(row.at),
        "state": row.state,
        "type": row.type,
        "reason": row.reason,
        "info": row.info,
        "__v": 0,
    }
