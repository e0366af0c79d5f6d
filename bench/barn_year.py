"""How fast the barn twin simulates, with its one-minute history written to the database.

Creates a demo barn in a fresh data directory (SQLite by default, or --database-url), warms
the compiled controller loop up, then simulates one barn-year (525,600 minutes, every group,
output and input, history written in hour chunks) and prints the time against the 5 s target.
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from ductwork.runtime import Runtime
from ductwork.vendors.phason import schema
from ductwork.vendors.phason.backend import PhasonBackend
from scratch import add_postgres_option, scratch

TARGET_SECONDS = 5.0
YEAR_MINUTES = 525_600


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=365.0, help="Simulated days (default 365).")
    add_postgres_option(parser)
    args = parser.parse_args()
    with scratch(args.postgres) as (directory, database_url):
        runtime = Runtime.open(directory, database_url)
        account = runtime.accounts.create("bench@example.com", "bench-password", seed=2024)
        now = runtime.clocks.now(account.id)
        minutes = int(args.days * 1440)
        runtime.clocks.change(account.id, set_to=now - minutes * 60.0, freeze=True)
        started = time.perf_counter()
        (device,) = runtime.add_demo_world(account, history_days=1.0)["phason"][
            "device_ids"
        ]  # compiles the loop
        warm_up = time.perf_counter() - started
        runtime.clocks.change(account.id, advance_seconds=minutes * 60.0 - 86_400.0)
        until = int(runtime.clocks.now(account.id) // 60)
        started = time.perf_counter()
        runtime.backend(PhasonBackend).simulator.catch_up(int(device), until)
        elapsed = time.perf_counter() - started
        simulated = minutes - 1440
        with runtime.engine.connect() as connection:
            chunks = sum(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in (schema.group_hours, schema.io_hours)
            )
        runtime.close()
        per_year = elapsed * YEAR_MINUTES / simulated
        print(f"database            {runtime.engine.dialect.name}")
        print(f"warm-up (compile + first day)  {warm_up:.2f} s")
        print(f"simulated           {simulated:,} barn-minutes in {elapsed:.2f} s "
              f"({simulated / elapsed:,.0f} barn-minutes/s)")  # fmt: skip
        print(f"history chunks      {chunks:,} rows (one per series and hour)")
        print(f"one barn-year       {per_year:.2f} s   target {TARGET_SECONDS:.1f} s   "
              f"ratio target/actual {TARGET_SECONDS / per_year:.2f}   "
              f"{'OK' if per_year <= TARGET_SECONDS else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
