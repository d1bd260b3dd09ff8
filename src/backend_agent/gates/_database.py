"""Throwaway databases for gates: a database check creates (and drops) itself, never anyone else's.

Three kinds, in order of preference:

* ``--database-url`` / ``database_url`` names a PostgreSQL *server*: check creates a uniquely
  named database on it and drops it afterwards; it never runs anything against an existing one.
* The project needs PostgreSQL: a database in check's own server (``_pgserver``).
* Otherwise a SQLite file in a temporary folder.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backend_agent.errors import GateError
from backend_agent.gates.base import note


class DatabaseUnavailable(GateError):
    """Check could not create its throwaway database (the gate could not run)."""


@dataclass(frozen=True)
class ThrowawayDatabase:
    url: str  # SQLAlchemy URL check itself uses (psycopg or SQLite), reachable from the host
    dialect: str  # "postgresql" or "sqlite"
    fallback: str | None = None  # why SQLite is used although a PostgreSQL server was configured
    where: str = ""  # for people: which server/file, e.g. "database ba_check_1a2b on check's own PostgreSQL ..."
    name: str | None = None  # PostgreSQL database name
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    sqlite_path: Path | None = None
    socket_path: Path | None = None  # the server's Unix socket, when check started the server itself


def _postgres_admin_url(server_url: str) -> tuple[str, str]:
    """Split a server URL into (admin URL on the 'postgres' db, URL template without db)."""
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    # Check's own connections are synchronous psycopg even when the service uses asyncpg.
    url = url.set(drivername="postgresql+psycopg")
    admin = url.set(database="postgres")
    return admin.render_as_string(hide_password=False), url.render_as_string(hide_password=False)


@contextmanager
def _sqlite(prefix: str, fallback: str | None = None) -> Iterator[ThrowawayDatabase]:
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
        path = Path(tmp) / "check.db"
        yield ThrowawayDatabase(
            url=f"sqlite:///{path}", dialect="sqlite", fallback=fallback, where=f"SQLite file {path}", sqlite_path=path
        )


def _create(admin_url: str, prefix: str) -> str:
    """Create a uniquely named database through ``admin_url``; DBAPIError when the server refuses."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return name


def _drop(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def _created(
    admin_url: str, template: str, name: str, where_server: str, socket_path: Path | None = None
) -> Iterator[ThrowawayDatabase]:
    """Yield the database ``name`` (already created) and drop it afterwards, even on Ctrl-C."""
    from sqlalchemy.engine import make_url

    url = make_url(template).set(database=name)
    try:
        yield ThrowawayDatabase(
            url=url.render_as_string(hide_password=False),
            dialect="postgresql",
            where=f"database {name} on {where_server}",
            name=name,
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username,
            password=url.password if isinstance(url.password, str) else None,
            socket_path=socket_path,
        )
    finally:
        _drop(admin_url, name)


@contextmanager
def throwaway_database(
    server_url: str | None, *, prefix: str = "ba_check", postgres: bool = False
) -> Iterator[ThrowawayDatabase]:
    """Yield a fresh empty database and drop it afterwards.

    With a PostgreSQL ``server_url`` a uniquely named database is created on that server; when that
    server cannot be used (unreachable, bad credentials, no right to create databases) a SQLite
    file is used and ``fallback`` says why. Without one, ``postgres=True`` creates the database in
    check's own PostgreSQL (DatabaseUnavailable when it cannot start) and ``postgres=False`` uses
    a SQLite file.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    if server_url and not server_url.startswith("sqlite"):
        admin_url, template = _postgres_admin_url(server_url)
        where = make_url(admin_url).set(database=None).render_as_string(hide_password=True)
        try:
            name = _create(admin_url, prefix)
        except DBAPIError as exc:
            # Unreachable server, bad credentials or no CREATE DATABASE right: fall back to SQLite.
            reason = str(exc.orig or exc).strip().splitlines()[0][:200]
            note(f"PostgreSQL at {where} not usable ({reason}); using SQLite instead")
            with _sqlite(prefix, fallback=f"{where}: {reason}") as db:
                yield db
            return
        with _created(admin_url, template, name, f"the server you named ({where})") as db:
            yield db
        return
    if postgres:
        from backend_agent.gates._pgserver import PostgresUnavailable, own_postgres

        try:
            server = own_postgres()
        except PostgresUnavailable as exc:
            raise DatabaseUnavailable(f"check could not start its own PostgreSQL: {exc}", hint=exc.hint) from exc
        admin = server.admin_url()
        socket_path = server.folder / f".s.PGSQL.{server.port}"
        with _created(admin, admin, _create(admin, prefix), server.describe(), socket_path) as db:
            yield db
        return
    with _sqlite(prefix) as db:
        yield db


__all__ = ["DatabaseUnavailable", "ThrowawayDatabase", "throwaway_database"]
