"""SQLite access: one connection per request, the schema created at start-up."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    token TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    price REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_owner ON items (owner_id);
"""


def database_path() -> str:
    url = os.environ.get("DATABASE_URL", "sqlite:///app.db")
    return url.removeprefix("sqlite:///")


def connect() -> sqlite3.Connection:
    # One connection per request, used by one request at a time; FastAPI may run the dependency's
    # teardown (commit, close) on another worker thread than its setup, hence check_same_thread=False.
    conn = sqlite3.connect(database_path(), timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def init() -> None:
    with connect() as conn:
        conn.executescript(SCHEMA)


def session() -> Iterator[sqlite3.Connection]:
    """A FastAPI dependency: a connection committed after the request."""
    conn = connect()
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()
