"""Throwaway databases for gates: a fresh PostgreSQL database on the configured server, else SQLite."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backend_agent.gates.base import note


@dataclass(frozen=True)
class ThrowawayDatabase:
    url: str  # SQLAlchemy URL the checked service should use
    dialect: str  # "postgresql" or "sqlite"
    fallback: str | None = None  # why SQLite is used although a PostgreSQL server was configured


def _postgres_admin_url(server_url: str) -> tuple[str, str]:
    """Split a server URL into (admin URL on the 'postgres' db, URL template without db)."""
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    # The admin connection is synchronous even when the service uses an async driver (asyncpg).
    admin = url.set(drivername="postgresql+psycopg", database="postgres")
    return admin.render_as_string(hide_password=False), url.render_as_string(hide_password=False)


@contextmanager
def throwaway_database(server_url: str | None, *, prefix: str = "ba_check") -> Iterator[ThrowawayDatabase]:
    """Yield a fresh empty database and drop it afterwards.

    With a PostgreSQL ``server_url`` a uniquely named database is created on that server; without
    one (or with a SQLite URL), or when that server cannot be used (unreachable, bad credentials,
    no right to create databases), a SQLite file in a temporary folder is used and ``fallback``
    says why.
    """
    if not server_url or server_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
            yield ThrowawayDatabase(url=f"sqlite:///{Path(tmp) / 'check.db'}", dialect="sqlite")
        return

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    admin_url, template = _postgres_admin_url(server_url)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        # Unreachable server, bad credentials or no CREATE DATABASE right: fall back to SQLite.
        admin.dispose()
        reason = str(exc.orig or exc).strip().splitlines()[0][:200]
        where = make_url(admin_url).render_as_string(hide_password=True)
        note(f"PostgreSQL at {where} not usable ({reason}); using SQLite instead")
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
            yield ThrowawayDatabase(
                url=f"sqlite:///{Path(tmp) / 'check.db'}", dialect="sqlite", fallback=f"{where}: {reason}"
            )
        return
    try:
        url = make_url(template).set(database=name).render_as_string(hide_password=False)
        yield ThrowawayDatabase(url=url, dialect="postgresql")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


__all__ = ["ThrowawayDatabase", "throwaway_database"]
