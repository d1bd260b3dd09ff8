"""Query helpers every repository shares: documents by condition, pages, counts, writes."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Table, bindparam, delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from app.core.database import engine
from app.repositories.sqljson import json_text

Document = Callable[[FromClause, ColumnElement[Any]], ColumnElement[Any]]
Where = Sequence[ColumnElement[bool]]


def _base64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _register_functions(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.create_function("base64", 1, _base64, deterministic=True)


def viewer_param(table: Table) -> ColumnElement[Any]:
    """The signed-in user's id inside document queries (typed like the users' key)."""
    return bindparam("viewer_id", type_=table.c.id.type)


def fetch_document(conn: Connection, table: Table, document: Document, viewer: ColumnElement[Any],
                   where: Where, viewer_id: Any) -> str | None:
    stmt = select(json_text(document(table, viewer))).where(*where).limit(1)
    return conn.execute(stmt, {"viewer_id": viewer_id}).scalar_one_or_none()


def fetch_documents(conn: Connection, table: Table, document: Document, viewer: ColumnElement[Any],
                    where: Where, order_by: Sequence[ColumnElement[Any]], limit: int | None, offset: int,
                    viewer_id: Any) -> list[str]:
    stmt = select(json_text(document(table, viewer))).where(*where).order_by(*order_by).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt, {"viewer_id": viewer_id}).scalars())


def count_rows(conn: Connection, table: Table, where: Where) -> int:
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def fetch_row(conn: Connection, table: Table, where: Where, *columns: ColumnElement[Any]) -> Row[Any] | None:
    return conn.execute(select(*(columns or (table.c.id,))).where(*where).limit(1)).first()


def insert_row(conn: Connection, table: Table, values: dict[str, Any]) -> Any:
    return conn.execute(insert(table).values(values).returning(table.c.id)).scalar_one()


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping the ones that would break a unique constraint (links, tags)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(rows).on_conflict_do_nothing())


def replace_links(conn: Connection, join: Table, self_column: str, target_column: str, owner_id: Any,
                  target_ids: Iterable[Any]) -> None:
    """Make the links of ``owner_id`` exactly ``target_ids``."""
    conn.execute(delete(join).where(join.c[self_column] == owner_id))
    insert_ignore(conn, join, [{self_column: owner_id, target_column: tid} for tid in dict.fromkeys(target_ids)])


def ids_by(conn: Connection, table: Table, column: str, values: Sequence[Any]) -> dict[Any, Any]:
    """``{value: id}`` of the rows whose ``column`` is one of ``values``: one query."""
    if not values:
        return {}
    rows = conn.execute(select(table.c[column], table.c.id).where(table.c[column].in_(list(values))))
    return {value: row_id for value, row_id in rows}


def join_documents(documents: list[str]) -> str:
    return "[" + ",".join(documents) + "]"


def wrap(key: str | None, document: str) -> str:
    """``{"key": document}`` (or the document itself without an envelope)."""
    return document if key is None else '{"' + key + '":' + document + "}"


def with_keys(document: str, extra: str) -> str:
    """Add already-encoded ``"key":value`` pairs to a JSON object document."""
    return document[:-1] + ("," if document != "{}" else "") + extra + "}"
