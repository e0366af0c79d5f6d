"""Phason's running half: the barn services, both APIs, the demo barn and its credentials."""

from __future__ import annotations

import html

import sqlalchemy as sa

from ductwork.core.accounts import Account
from ductwork.http.dispatch import Api
from ductwork.vendors.contract import Backend, Core, Json, Progress
from ductwork.vendors.phason import KEY_VENDOR, VENDOR, schema
from ductwork.vendors.phason.api import v1_0_2, v1_0_3
from ductwork.vendors.phason.demo import create_demo_barn
from ductwork.vendors.phason.oauth import PhasonAuthorizationServer
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.settings import PhasonSettings
from ductwork.vendors.phason.store import Simulator
from ductwork.vendors.phason.timed import TimedEvents

DEMO_CLIENT = "ductwork demo integration"
DEMO_REDIRECT = "http://localhost:8080/callback"


class PhasonBackend(Backend):
    """The barns of every account behind Phason's two APIs."""

    vendor = VENDOR

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.simulator = Simulator(core.engine)
        self.service = PhasonService(core.engine, core.clocks, self.simulator)
        self.settings = PhasonSettings(core.engine, self.service)
        self.timed = TimedEvents(core.engine, self.service)
        self.oauth = PhasonAuthorizationServer(core.engine, core.clocks, core.accounts)

    def apis(self) -> list[Api]:
        """v1.0.3 (API keys) and v1.0.2 (OAuth2)."""
        accounts = self.core.accounts
        return [
            v1_0_3.create_api(self.service, accounts),
            v1_0_2.create_api(self.service, self.settings, self.timed, self.oauth, accounts),
        ]

    def catch_up(self, account: Account) -> None:
        """Every barn of the account up to its clock."""
        self.service.catch_up_account(account)

    def demo_minutes(self, account: Account, start: float) -> int:
        """The minutes the demo barn simulates (its progress)."""
        return max(0, int(self.core.clocks.now(account.id) // 60) - int(start // 60))

    def add_demo(self, account: Account, start: float, progress: Progress | None = None) -> Json:
        """The demo barn, simulated from `start` to the account's now."""
        now = self.core.clocks.now(account.id)
        with self.core.engine.begin() as connection:
            device_id = create_demo_barn(connection, account.id, account.seed, start)
        self.simulator.catch_up(device_id, int(now // 60), progress=progress)
        return {"device_ids": [str(device_id)]}

    def create_credentials(self, account: Account) -> Json:
        """A v1.0.3 API key and a v1.0.2 OAuth client."""
        api_key = self.core.accounts.issue_key(account, KEY_VENDOR)
        client, secret = self.oauth.create_client(account, DEMO_CLIENT, (DEMO_REDIRECT,))
        return {
            "api_key": api_key,
            "client_id": client.client_id,
            "client_secret": secret,
            "redirect_uri": DEMO_REDIRECT,
        }

    def backfill_minutes(self, account: Account, days: float) -> int:
        """Minutes of every barn of the account over `days` days."""
        with self.core.engine.connect() as connection:
            count = len(self.service.device_ids(connection, account.id))
        return int(days * 1440) * count

    def backfill(self, account: Account, days: float, progress: Progress | None = None) -> Json:
        """Every barn afresh from a settled state `days` days ago."""
        ids = self.service.backfill(account, days, progress=progress)
        return {"device_ids": [str(i) for i in ids]}

    def clear(self, account: Account) -> None:
        """Delete the account's barns with their settings, schedules and history."""
        with self.core.engine.begin() as connection:
            ids = self.service.device_ids(connection, account.id)
            if not ids:
                return
            groups = sa.select(schema.groups.c.id).where(schema.groups.c.device_id.in_(ids))
            ios = sa.select(schema.ios.c.id).where(schema.ios.c.device_id.in_(ids))
            connection.execute(
                sa.delete(schema.group_hours).where(schema.group_hours.c.group_id.in_(groups))
            )
            connection.execute(sa.delete(schema.io_hours).where(schema.io_hours.c.io_id.in_(ios)))
            # Children first: rooms, groups and I/O refer to each other without cascades.
            for table in (schema.schedules, schema.segments, schema.misting_groups,
                          schema.curves, schema.ios, schema.groups, schema.rooms):  # fmt: skip
                connection.execute(sa.delete(table).where(table.c.device_id.in_(ids)))
            connection.execute(sa.delete(schema.devices).where(schema.devices.c.id.in_(ids)))
        for device_id in ids:
            self.simulator.forget(device_id)
        self.service.forget(account)

    def panel(self, account: Account, stored: Json, base_url: str) -> str:
        """Each barn's equipment groups: reading, target, limits, alarm."""
        e = html.escape
        parts: list[str] = []
        for device_id in stored.get("device_ids", ()):
            readings = self.service.group_records(account, device_id, None, None)
            rows = "".join(
                "<tr>"
                + "".join(
                    f"<td>{cell}</td>"
                    for cell in (
                        e(r.group_name),
                        e(r.group_type_description),
                        e(r.current_reading),
                        e(r.target_value),
                        f"{e(r.target_lower_limit)} – {e(r.target_upper_limit)}",
                        "<span class='alarm'>ALARM</span>" if r.alarm_code != "0" else "ok",
                        e(r.reading_time),
                    )
                )
                + "</tr>"
                for r in readings
            )
            parts.append(
                f"<h2>Barn {e(device_id)}: equipment groups</h2><table><tr><th>Group</th>"
                "<th>Type</th><th>Reading</th><th>Target</th><th>Limits</th><th>Alarm</th>"
                f"<th>Time</th></tr>{rows}</table>"
            )
        return "".join(parts)
