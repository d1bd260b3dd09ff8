"""Alembic environment: the database comes from the service settings (DATABASE_URL)."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, create_engine, pool
from sqlalchemy.types import TypeEngine

from app.core.settings import get_settings
from app.core.tables import platform_metadata
from app.models.tables import metadata

target_metadata = [metadata, platform_metadata]


def compare_type(
    migration: MigrationContext, inspected: Column[Any], column: Column[Any], _inspected_type: TypeEngine[Any],
    declared: TypeEngine[Any],
) -> bool | None:
    """Compare with the type this dialect stores: a ``with_variant`` type (UUIDs as text on SQLite) is no drift.

    On SQLite, numbers compare by storage class: ``REAL`` read back for a ``Double`` column, or ``BIGINT``
    for a ``BigInteger``, is the same column, which Alembic alone reports as a change.
    """
    stored = declared._variant_mapping.get(migration.dialect.name, declared)  # Alembic compares the base type only
    if migration.dialect.name == "sqlite":
        was, wanted = _affinity(str(inspected.type)), _affinity(stored.compile(dialect=migration.dialect))
        if was != wanted:
            return True
        if was in ("INTEGER", "REAL"):
            return False
    if stored is declared:
        return None  # Alembic's own comparison
    return bool(migration.impl.compare_type(inspected, Column(column.name, stored)))


def _affinity(declared_type: str) -> str:
    """SQLite's type affinity of a declared column type (https://sqlite.org/datatype3.html, 3.1)."""
    name = declared_type.upper()
    if "INT" in name:
        return "INTEGER"
    if any(text in name for text in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in name or not name:
        return "BLOB"
    if any(real in name for real in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def run_migrations_offline() -> None:
    context.configure(url=get_settings().database_url, target_metadata=target_metadata, literal_binds=True,
                      compare_type=compare_type)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(get_settings().database_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()  # end the implicit transaction so Alembic's own one commits
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=compare_type,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
