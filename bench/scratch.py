"""A scratch place for one benchmark run: a temporary data directory and, when a PostgreSQL
server URL is given, a database created for the run and dropped after it."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """The --postgres URL option every database benchmark takes."""
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="URL",
        help="run on PostgreSQL: a server URL where a scratch database may be created "
        "(e.g. postgresql://postgres@127.0.0.1:5432/postgres); default: SQLite",
    )


@contextlib.contextmanager
def scratch(postgres: str | None) -> Iterator[tuple[Path, str | None]]:
    """Yield (data directory, database URL or None for SQLite); both are gone afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="ductwork-bench-"))
    name = f"ductwork_bench_{secrets.token_hex(4)}"
    url = None
    try:
        if postgres:
            with psycopg.connect(postgres, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = postgres.rsplit("/", 1)[0] + "/" + name
        yield directory, url
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if postgres and url:
            with psycopg.connect(postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
