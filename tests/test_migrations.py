"""The migrations build exactly the schema the code declares, and can be undone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

import ductwork.runtime  # noqa: F401  (imports every vendor, so every table is declared)
from ductwork.core.db import create_engine, migrate
from ductwork.core.schema import metadata
from tests.conftest import World

MIGRATIONS = Path(__file__).parent.parent / "src" / "ductwork" / "migrations"


def test_migrated_database_matches_the_declared_schema(world: World) -> None:
    """No difference between the tables the migrations made and the tables the code uses."""
    with world.runtime.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    """Every migration has a working downgrade."""
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
