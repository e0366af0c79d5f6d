"""Flair's running half: the home services, the API, the demo home and its application."""

from __future__ import annotations

import html

import sqlalchemy as sa

from ductwork.core.accounts import Account
from ductwork.http.dispatch import Api
from ductwork.vendors.contract import Backend, Core, Json, Progress
from ductwork.vendors.flair import TOKEN_LIMIT, VENDOR, schema
from ductwork.vendors.flair.api import v1
from ductwork.vendors.flair.demo import initialise_state
from ductwork.vendors.flair.service import FlairService
from ductwork.vendors.flair.store import HomeSimulator

DEMO_APP = "ductwork demo"
# Every history table of a home and the column that ties its rows to the home's devices.
_HISTORY = (
    (schema.puck_readings, "puck_id", schema.pucks),
    (schema.beacon_sightings, "puck_id", schema.pucks),
    (schema.vent_readings, "vent_id", schema.vents),
    (schema.vent_states, "vent_id", schema.vents),
    (schema.thermostat_states, "thermostat_id", schema.thermostats),
)


class FlairBackend(Backend):
    """The homes of every account behind the Flair API."""

    vendor = VENDOR

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        limit = int(core.options.get("flair_token_limit", TOKEN_LIMIT))
        self.simulator = HomeSimulator(core.engine)
        self.service = FlairService(core.engine, core.clocks, core.accounts, self.simulator,
                                    core.outbox, token_limit=limit)  # fmt: skip

    def apis(self) -> list[Api]:
        """The Flair API (OAuth2 and JSON:API) under /flair."""
        return [v1.create_api(self.service)]

    def catch_up(self, account: Account) -> None:
        """Every home of the account up to its clock."""
        self.service.catch_up_account(account.id)

    def add_demo(self, account: Account, start: float, progress: Progress | None = None) -> Json:
        """The demo home, simulated from `start` to the account's now."""
        structure_id = self.service.add_demo_home(account, start)
        self.simulator.catch_up(structure_id, int(self.core.clocks.now(account.id) // 60))
        return {"structure_ids": [str(structure_id)]}

    def create_credentials(self, account: Account) -> Json:
        """A confidential application with every scope."""
        application, secret = self.service.applications.create(
            account, DEMO_APP, description="The demo world's confidential application."
        )
        return {"client_id": application.client_id, "client_secret": secret}

    def _structures(self, account: Account) -> list[int]:
        with self.core.engine.connect() as connection:
            return [
                int(i)
                for i in connection.execute(
                    sa.select(schema.structures.c.id)
                    .where(schema.structures.c.account_id == account.id)
                    .order_by(schema.structures.c.id)
                ).scalars()
            ]

    def backfill_minutes(self, account: Account, days: float) -> int:
        """Minutes of every home of the account over `days` days."""
        return int(days * 1440) * len(self._structures(account))

    def backfill(self, account: Account, days: float, progress: Progress | None = None) -> Json:
        """Every home afresh from rooms at their starting temperature `days` days ago; its
        readings, vent states, thermostat states, weather and sightings are replaced."""
        until = int(self.core.clocks.now(account.id) // 60)
        start = until - int(days * 1440)
        ids = self._structures(account)
        for structure_id in ids:
            with self.core.engine.begin() as connection:
                for table, column, owners in _HISTORY:
                    devices = sa.select(owners.c.id).where(owners.c.structure_id == structure_id)
                    connection.execute(sa.delete(table).where(table.c[column].in_(devices)))
                connection.execute(
                    sa.delete(schema.weather_readings).where(
                        schema.weather_readings.c.structure_id == structure_id
                    )
                )
                connection.execute(
                    sa.update(schema.structures)
                    .where(schema.structures.c.id == structure_id)
                    .values(sim_minute=start)
                )
                initialise_state(connection, structure_id, start)
            self.simulator.forget(structure_id)
            self.simulator.catch_up(structure_id, until, progress)
        return {"structure_ids": [str(i) for i in ids]}

    def panel(self, account: Account, stored: Json, base_url: str) -> str:
        """Each home's rooms: set point, the newest puck temperature, how open the vents are."""
        e = html.escape
        parts: list[str] = []
        with self.core.engine.connect() as connection:
            homes = connection.execute(
                sa.select(schema.structures.c.id, schema.structures.c.attributes)
                .where(schema.structures.c.account_id == account.id)
                .order_by(schema.structures.c.id)
            ).all()
            for home in homes:
                rows = []
                for room in connection.execute(
                    sa.select(schema.rooms.c.id, schema.rooms.c.attributes)
                    .where(schema.rooms.c.structure_id == home.id)
                    .order_by(schema.rooms.c.id)
                ):
                    reading = connection.execute(
                        sa.select(schema.puck_readings.c.room_temperature_c)
                        .join(schema.pucks, schema.pucks.c.id == schema.puck_readings.c.puck_id)
                        .where(schema.pucks.c.room_id == room.id)
                        .order_by(schema.puck_readings.c.at.desc())
                        .limit(1)
                    ).scalar()
                    vents = (
                        connection.execute(
                            sa.select(schema.vents.c.percent_open).where(
                                schema.vents.c.room_id == room.id
                            )
                        )
                        .scalars()
                        .all()
                    )
                    set_point = room.attributes.get("set-point-c")
                    rows.append(
                        "<tr>"
                        + "".join(f"<td>{cell}</td>" for cell in (
                            e(str(room.attributes.get("name", ""))),
                            "–" if set_point is None else f"{float(set_point):.1f} °C",
                            "–" if reading is None else f"{float(reading):.1f} °C",
                            " · ".join(f"{v} %" for v in vents) or "–",
                        ))
                        + "</tr>"
                    )  # fmt: skip
                name = e(str(home.attributes.get("name", f"Home {home.id}")))
                parts.append(
                    f"<h2>Flair home {name}: rooms</h2><table><tr><th>Room</th><th>Set point</th>"
                    f"<th>Temperature</th><th>Vents open</th></tr>{''.join(rows)}</table>"
                )
        return "".join(parts)

    def clear(self, account: Account) -> None:
        """Delete the account's homes (their rooms, devices and history go with them) and the
        phones seen at its sign-ins."""
        ids = self._structures(account)
        with self.core.engine.begin() as connection:
            connection.execute(
                sa.delete(schema.structures).where(schema.structures.c.account_id == account.id)
            )
            connection.execute(
                sa.delete(schema.devices).where(schema.devices.c.account_id == account.id)
            )
        for structure_id in ids:
            self.simulator.forget(structure_id)
