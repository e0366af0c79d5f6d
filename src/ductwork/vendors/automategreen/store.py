"""The account's house on core.twins: loading it, stepping it minute by minute with the action
engine in the loop, and writing what happened (status records, actions fired, requests to
send through the durable outbox) in the transaction that claims the chunk.

Every report a device sends becomes a status record (when the cloud knows the device) and is
shown to the account's actions on that device, in time order. A `request` action's call goes
into the webhook outbox in the same transaction as the status that fired it (at least once,
retried, listed under /_ductwork/webhooks); a `command` action acts on the second device's
twin at once, and what that device reports is shown to the actions in turn (at most
`MAX_CASCADE` actions deep, so two actions switching each other cannot loop forever).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ductwork.core.twins import Loaded, TwinRow
from ductwork.core.webhooks import Outbox
from ductwork.vendors.automategreen import rules, schema
from ductwork.vendors.automategreen.devices import (
    CommandRejected,
    DeviceOffline,
    Json,
    Report,
)
from ductwork.vendors.automategreen.house import House
from ductwork.vendors.automategreen.ids import short_id
from ductwork.vendors.automategreen.tokens import iso

log = logging.getLogger("ductwork.automategreen")

CHUNK_MINUTES = 720
MAX_CASCADE = 8
VENDOR = "automategreen"


@dataclass
class ActionRow:
    """An action as the engine holds it during a chunk."""

    id: str
    device_id: str
    definition: Json
    armed: Json
    last: float | None
    count: int
    changed: bool = False


@dataclass
class HouseConfig:
    """What a chunk needs besides the state: the account, its seed, the devices the cloud
    knows (id -> kind) and its actions."""

    account_id: int
    seed: int
    known: dict[str, str]
    actions: list[ActionRow]
    # Each device's newest status time: a device's statuses get distinct, increasing times
    # (a millisecond apart at least, the resolution of their dates), so they keep their order.
    last_at: dict[str, float] = field(default_factory=dict)


@dataclass
class Outgoing:
    """A request action's call, for the outbox."""

    action_id: str
    event: str
    method: str
    url: str
    body: str | None


@dataclass
class Chunk:
    """What a chunk of minutes (or one API call) produced, written by `HouseKind.persist`."""

    records: list[tuple[str, Report]] = field(default_factory=list)  # (status id, report)
    requests: list[Outgoing] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    # Row changes of an API call (a device added, renamed or deleted), in the same transaction.
    writes: list[Callable[[Connection], None]] = field(default_factory=list)
    result: Any = None  # what the API call answers with


def status_record(status_id: str, report: Report) -> Json:
    """A status as `GET /statuses` shows it (the device id under `device`, as real scripts
    read it, and under `deviceId`)."""
    return {
        "id": status_id,
        "device": report.device_id,
        "deviceId": report.device_id,
        "date": iso(report.at),
        "state": report.state,
        "type": report.type,
        "reason": report.reason,
        "info": report.info,
    }


def local_time(house: House, at: float) -> dt.datetime:
    """The instant in the house's local time (its site's UTC offset)."""
    offset = dt.timedelta(hours=house.site.climate.utc_offset_hours)
    return dt.datetime.fromtimestamp(at, dt.timezone(offset))


class Engine:
    """Shows reports to the actions and carries out what fires, on one loaded house."""

    def __init__(self, house: House, config: HouseConfig, chunk: Chunk) -> None:
        self.house = house
        self.config = config
        self.chunk = chunk
        self._by_device: dict[str, list[ActionRow]] = {}
        for action in config.actions:
            self._by_device.setdefault(action.device_id, []).append(action)

    def _device_state(self, at: float) -> Callable[[str], tuple[str, Json] | None]:
        def state(device_id: str) -> tuple[str, Json] | None:
            if device_id not in self.config.known:
                return None
            try:
                return self.house.status(device_id, at)
            except KeyError:
                return None

        return state

    def handle(self, reports: list[Report]) -> None:
        """Record the reports and run the actions they fire (and what those cause)."""
        queue = deque((report, 0) for report in reports)
        while queue:
            report, depth = queue.popleft()
            if report.device_id not in self.config.known:
                continue  # a device the cloud does not list (deleted, not reloaded yet)
            last = self.config.last_at.get(report.device_id)
            if last is not None and report.at < last + 0.001:
                report = dataclasses.replace(report, at=round(last + 0.001, 3))
            self.config.last_at[report.device_id] = report.at
            status_id = short_id()
            self.chunk.records.append((status_id, report))
            actions = self._by_device.get(report.device_id)
            if not actions or not report.events:
                continue
            context = rules.Context(
                local_time(self.house, report.at), self._device_state(report.at)
            )
            for action in actions:
                fire, armed = rules.evaluate(action.definition, action.armed, report, context)
                if armed != action.armed:
                    action.armed, action.changed = armed, True
                if not fire:
                    continue
                action.last, action.count, action.changed = report.at, action.count + 1, True
                if action.definition["type"] == "request":
                    method, url, body = rules.request(
                        action.definition, report.device_id, status_record(status_id, report)
                    )
                    self.chunk.requests.append(
                        Outgoing(action.id, action.definition["event"], method, url, body)
                    )
                    continue
                target, command = rules.command(action.definition)
                if depth >= MAX_CASCADE or target not in self.config.known:
                    continue
                try:
                    outcome = self.house.call(target, "command", command, report.at, False)
                except (CommandRejected, DeviceOffline, KeyError) as failed:
                    log.info("action %s could not command %s: %r", action.id, target, failed)
                    continue
                queue.extend((caused, depth + 1) for caused in outcome.reports)
        # The actions whose memory, count or last firing changed, for `persist`.
        self.chunk.actions = [a for a in self.config.actions if a.changed]


class HouseKind:
    """The Automate Green house's part of a catch-up (core.twins.TwinKind)."""

    row = TwinRow(schema.houses, version="version")

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @property
    def chunk_minutes(self) -> int:
        """Half a day per transaction."""
        return CHUNK_MINUTES

    def load(self, connection: Connection, house_id: int) -> Loaded[HouseConfig]:
        """The house row, the devices the cloud knows and the account's actions."""
        row = connection.execute(
            sa.select(schema.houses).where(schema.houses.c.id == house_id)
        ).one()
        d, a = schema.devices.c, schema.actions.c
        known: dict[str, str] = {}
        last_at: dict[str, float] = {}
        for r in connection.execute(
            sa.select(d.id, d.kind, d.status_at).where(d.account_id == row.account_id)
        ):
            known[r.id] = r.kind
            if r.status_at is not None:
                last_at[r.id] = r.status_at
        actions = [
            ActionRow(r.id, r.device_id, dict(r.definition), dict(r.armed), r.last, r.fired)
            for r in connection.execute(
                sa.select(a.id, a.device_id, a.definition, a.armed, a.last, a.count.label("fired"))
                .where(a.account_id == row.account_id)
                .order_by(a.created_at, a.id)
            )
        ]
        config = HouseConfig(row.account_id, row.seed, known, actions, last_at)
        return Loaded(config, row.sim_minute, dict(row.state), row.version)

    def house(self, loaded: Loaded[HouseConfig]) -> House:
        """The twin over the loaded state (mutating it in place)."""
        return House(loaded.state, loaded.config.seed)

    def step(self, loaded: Loaded[HouseConfig], end: int) -> Chunk:
        """Step the house minute by minute to `end`, the actions running on every report."""
        house = self.house(loaded)
        engine = Engine(house, loaded.config, Chunk())
        for reports in house.minutes(loaded.minute, end):
            if reports:
                engine.handle(reports)
        return engine.chunk

    def persist(
        self, connection: Connection, house_id: int, chunk: Chunk, end: int, final: bool
    ) -> None:
        """Write the chunk: row changes, status records, devices' newest status, actions'
        memory and firings, and the request actions' calls into the outbox."""
        account_id = int(
            connection.execute(
                sa.select(schema.houses.c.account_id).where(schema.houses.c.id == house_id)
            ).scalar_one()
        )
        for write in chunk.writes:
            write(connection)
        if chunk.records:
            existing = set(
                connection.execute(
                    sa.select(schema.devices.c.id).where(schema.devices.c.account_id == account_id)
                ).scalars()
            )
            rows = [
                {
                    "id": status_id,
                    "account_id": account_id,
                    "device_id": r.device_id,
                    "at": r.at,
                    "type": r.type,
                    "reason": r.reason,
                    "state": r.state,
                    "info": r.info,
                }
                for status_id, r in chunk.records
                if r.device_id in existing
            ]
            if rows:
                connection.execute(sa.insert(schema.statuses), rows)
            newest: dict[str, tuple[str, float]] = {}
            for status_id, report in chunk.records:
                if report.device_id in existing:
                    newest[report.device_id] = (status_id, report.at)
            d = schema.devices.c
            for device_id, (status_id, at) in newest.items():
                connection.execute(
                    sa.update(schema.devices)
                    .where(d.id == device_id)
                    .values(status_id=status_id, status_at=at)
                )
        for action in chunk.actions:
            connection.execute(
                sa.update(schema.actions)
                .where(schema.actions.c.id == action.id)
                .values(armed=action.armed, last=action.last, count=action.count)
            )
        for call in chunk.requests:
            self._outbox.enqueue(
                connection,
                account_id=account_id,
                vendor=VENDOR,
                source=f"automategreen-action:{call.action_id}",
                event_type=call.event,
                url=call.url,
                secret="",
                payload=call.body or "",
                method=call.method,
            )
