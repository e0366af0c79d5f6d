"""Alembic migrations of the ductwork schema."""
