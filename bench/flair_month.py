"""How fast the Flair home twin catches up, with every reading written to the database.

Creates the demo home (5 rooms, 8 vents, 5 pucks, a thermostat, an occupant) in a fresh data
directory (SQLite by default, or --postgres), then moves the account's clock a month forward
and catches the home up: one reading a minute per puck and vent, weather and thermostat
states every 15 minutes, sightings every 5, Flair balancing every 5. Prints the time against
the target and the rows written.
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from ductwork.runtime import Runtime
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.backend import FlairBackend
from scratch import add_postgres_option, scratch

TARGET_SECONDS = 20.0  # a month of the demo home, readings written (was 46 s before run())
MONTH_DAYS = 30.0
TABLES = (
    schema.puck_readings,
    schema.vent_readings,
    schema.weather_readings,
    schema.thermostat_states,
    schema.vent_states,
    schema.beacon_sightings,
)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=MONTH_DAYS, help="Simulated days (30).")
    add_postgres_option(parser)
    args = parser.parse_args()
    with scratch(args.postgres) as (directory, database_url):
        runtime = Runtime.open(directory, database_url)
        account = runtime.accounts.create("bench@example.com", "bench-password", seed=2024)
        start = runtime.clocks.now(account.id) - args.days * 86_400.0
        runtime.clocks.change(account.id, set_to=start, freeze=True)
        structure = runtime.backend(FlairBackend).service.add_demo_home(account, start)
        runtime.clocks.change(account.id, advance_seconds=args.days * 86_400.0)
        until = int(runtime.clocks.now(account.id) // 60)
        started = time.perf_counter()
        runtime.backend(FlairBackend).service.simulator.catch_up(structure, until)
        elapsed = time.perf_counter() - started
        with runtime.engine.connect() as connection:
            rows = {
                table.name: connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar_one()
                for table in TABLES
            }
        runtime.close()
        minutes = args.days * 1440
        per_month = elapsed * MONTH_DAYS / args.days
        print(f"database            {runtime.engine.dialect.name}")
        print(f"simulated           {minutes:,.0f} home-minutes in {elapsed:.2f} s "
              f"({minutes / elapsed:,.0f} home-minutes/s, "
              f"{minutes * 60 / elapsed:,.0f} x real time)")  # fmt: skip
        for name, count in rows.items():
            print(f"  {name:<28}{count:>10,} rows")
        print(f"one home-month      {per_month:.2f} s   target {TARGET_SECONDS:.1f} s   "
              f"ratio target/actual {TARGET_SECONDS / per_month:.2f}   "
              f"{'OK' if per_month <= TARGET_SECONDS else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
