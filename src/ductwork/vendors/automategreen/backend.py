"""Automate Green's running half: the service, the API and its control routes, the demo
house (an Insteon hub with a device of every kind, a Sensor Hub's sensors and a Power
Controller) and its sign-in token."""

from __future__ import annotations

import html
import json
import secrets

import sqlalchemy as sa

from ductwork.core.accounts import Account
from ductwork.http.dispatch import Api
from ductwork.vendors.automategreen import VENDOR, rules, schema
from ductwork.vendors.automategreen.api import control, v1
from ductwork.vendors.automategreen.house import DeviceSpec, demo_devices, demo_sensor_hub
from ductwork.vendors.automategreen.ids import short_id
from ductwork.vendors.automategreen.service import POWER_CONTROLLER, AutomateGreen
from ductwork.vendors.contract import Backend, Core, Json, Progress

DEMO_TOKEN_SECONDS = 365 * 86_400
DEMO_TOKEN_DESC = "ductwork demo"  # noqa: S105 (a description, not a secret)


class AutomateGreenBackend(Backend):
    """The Automate Green cloud of every account."""

    vendor = VENDOR

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.service = AutomateGreen(core.engine, core.clocks, core.accounts, core.outbox)

    def apis(self) -> list[Api]:
        """The API under /automategreen/v1 and its control routes."""
        return [v1.create_api(self.service), control.create_api(self.service)]

    def catch_up(self, account: Account) -> None:
        """The account's house up to its clock."""
        self.service.catch_up(account.id)

    def demo_minutes(self, account: Account, start: float) -> int:
        """Minutes of history the demo house is simulated over."""
        return max(0, int(self.core.clocks.now(account.id) // 60) - int(start // 60))

    def add_demo(self, account: Account, start: float, progress: Progress | None = None) -> Json:
        """The demo house from `start` to the account's now: a hub with a device of every
        Insteon kind, a Sensor Hub's sensors, a Power Controller driving a water heater, and
        one action (motion in the hall turns the hall light on)."""
        gateway_id = short_id()
        specs = [
            *demo_devices(gateway_id),
            *demo_sensor_hub(secrets.token_hex(12)),
            DeviceSpec(short_id(11), POWER_CONTROLLER, _address(), "Water Heater", None,
                       {"sn": "PC-" + secrets.token_hex(5).upper() + "-001", "country": "US"}),
        ]  # fmt: skip
        with self.core.engine.begin() as connection:
            house_id = self.service.create_house(connection, account, specs, start)
            connection.execute(sa.insert(schema.gateways).values(
                id=gateway_id, account_id=account.id, address=secrets.token_hex(3).upper(),
                name="Home Hub", created_at=start, updated_at=start))  # fmt: skip
            for spec in specs:
                connection.execute(sa.insert(schema.devices).values(
                    id=spec.id, account_id=account.id, gateway_id=spec.gateway, kind=spec.kind,
                    address=spec.address, name=spec.name, sn=spec.options.get("sn"),
                    country=spec.options.get("country"), created_at=start,
                    last_update=start))  # fmt: skip
            self.service.first_statuses(connection, account, house_id, start)
            self._demo_action(connection, account, specs, start)
        self.service.forget(account.id)
        self.service.runner.catch_up(
            house_id, int(self.core.clocks.now(account.id) // 60), progress
        )
        return {"gateway": gateway_id, "devices": _by_kind(specs)}

    @staticmethod
    def _demo_action(
        connection: sa.Connection, account: Account, specs: list[DeviceSpec], at: float
    ) -> None:
        motion = next((s for s in specs if s.kind == "motion"), None)
        light = next((s for s in specs if s.kind == "dimmer"), None)
        if motion is None or light is None:
            return
        kinds = {s.id: s.kind for s in specs}
        body = {
            "device": motion.id,
            "type": "command",
            "event": "motion",
            "deviceToControlId": light.id,
            "options": {"command": {"name": "on"}},
        }
        definition = rules.definition(body, "motion", kinds)
        connection.execute(sa.insert(schema.actions).values(
            id=short_id(), account_id=account.id, device_id=motion.id, definition=definition,
            armed={}, last=None, count=0, created_at=at))  # fmt: skip

    def create_credentials(self, account: Account) -> Json:
        """A sign-in token good for a year of the account's clock."""
        token = self.service.tokens.issue(account, DEMO_TOKEN_SECONDS, DEMO_TOKEN_DESC)
        return {"email": account.email, "token": token}

    def backfill_minutes(self, account: Account, days: float) -> int:
        """Minutes of the house over `days` days."""
        return int(days * 1440)

    def backfill(self, account: Account, days: float, progress: Progress | None = None) -> Json:
        """The demo house afresh over the last `days` days (new ids; the token stays)."""
        self.clear(account)
        return self.add_demo(account, self.core.clocks.now(account.id) - days * 86_400, progress)

    def clear(self, account: Account) -> None:
        """Delete the account's house, hubs, devices, statuses and actions (tokens stay)."""
        with self.core.engine.begin() as connection:
            for table in (schema.actions, schema.statuses, schema.devices, schema.gateways,
                          schema.houses):  # fmt: skip
                connection.execute(sa.delete(table).where(table.c.account_id == account.id))
        self.service.forget(account.id)

    def panel(self, account: Account, stored: Json, base_url: str) -> str:
        """The account's devices: name, kind, state and newest status."""
        e = html.escape
        try:
            listed = self.service.devices(account)["devices"]
        except Exception:
            return ""
        rows = []
        for entry in listed:
            device = entry.get("device", entry) if "address" not in entry else entry
            status = device.get("status", {})
            info = json.dumps(status.get("info", {}), separators=(", ", ": "))
            rows.append(
                "<tr>" + "".join(f"<td>{e(str(cell))}</td>" for cell in (
                    device.get("name", device.get("sn", "")), device["type"].get("profile", ""),
                    status.get("state", ""), info[:120],
                )) + "</tr>"
            )  # fmt: skip
        if not rows:
            return ""
        return (
            "<h2>Automate Green devices</h2><table><tr><th>Device</th><th>Profile</th>"
            f"<th>State</th><th>Status</th></tr>{''.join(rows)}</table>"
        )


def _address() -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(24))


def _by_kind(specs: list[DeviceSpec]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for spec in specs:
        kinds.setdefault(spec.kind, []).append(spec.id)
    return kinds
