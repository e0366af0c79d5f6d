"""Database engine creation and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ductwork.core.datadir import normalise_url


def storable(text: str) -> bool:
    """Whether text can be stored or looked up on every database: PostgreSQL text holds no NUL
    character, so a value with one matches nothing and must not reach the driver."""
    return "\x00" not in text


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL mode, a busy timeout and enforced foreign keys."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent, safe on every start)."""
    from alembic import command  # (imported here: Alembic is heavy and only needed here)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Serialise concurrent starts of several workers against one database.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(727274)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def bulk_insert(connection: Connection, table: sa.Table, rows: Sequence[Any]) -> None:
    """Append dataclass rows whose fields are columns of `table` (plain values, no JSON),
    with the driver itself: COPY on PostgreSQL, executemany on SQLite. A twin writes every
    device's reading every minute; SQLAlchemy's per-row parameter handling would cost more
    than simulating them."""
    if not rows:
        return
    names = [f.name for f in dataclasses.fields(rows[0])]
    values = list(map(operator.attrgetter(*names), rows))  # tuples: every table has columns
    quote = connection.dialect.identifier_preparer
    target = quote.format_table(table)
    columns = ", ".join(quote.quote(n) for n in names)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f"INSERT INTO {target} ({columns}) VALUES ({marks})", values)
