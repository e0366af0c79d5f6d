"""Flair's running half: the home services, the API, the demo home and its application."""

from __future__ import annotations

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
