"""Query helpers every repository shares: read statements built once, row lookups, writes."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    FromClause,
    Select,
    Table,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from app.core.database import Prepared, engine
from app.repositories.sqljson import json_text
from app.services.access import Principal, is_admin

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


class ReadStatement:
    """A read statement built once and run many times with bound values (``bindparam`` names).

    Building a JSON-document statement costs milliseconds; running one compiled once per dialect
    costs microseconds. Statements whose values all go to the driver as they are run on the cursor
    (``Prepared``); the others (expanding ``IN`` lists, values the dialect must convert such as
    booleans or UUIDs) run through ``conn.execute``, which still skips rebuilding the statement.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._prepared = Prepared(statement)
        self._direct: dict[str, bool] = {}

    def _runs_direct(self, dialect: Dialect) -> bool:
        direct = self._direct.get(dialect.name)
        if direct is None:
            binds = self.statement.compile(dialect=dialect).binds.values()
            direct = self._direct[dialect.name] = all(
                not bind.expanding and bind.type.dialect_impl(dialect).bind_processor(dialect) is None
                for bind in binds
            )
        return direct

    def scalar(self, conn: Connection, /, **params: Any) -> Any:
        if self._runs_direct(conn.dialect):
            return self._prepared.scalar(conn, **params)
        return conn.execute(self.statement, params).scalar()

    def scalars(self, conn: Connection, /, **params: Any) -> list[Any]:
        if self._runs_direct(conn.dialect):
            return self._prepared.scalars(conn, **params)
        return list(conn.execute(self.statement, params).scalars())

    def rows(self, conn: Connection, /, **params: Any) -> list[tuple[Any, ...]]:
        if self._runs_direct(conn.dialect):
            return self._prepared.rows(conn, **params)
        return [tuple(row) for row in conn.execute(self.statement, params)]


Built = TypeVar("Built")


class Reads:
    """The statements of one read operation, built on first use for each shape and then reused.

    The shape is what changes the SQL itself (the kind of caller, the optional filters present,
    the sort); everything else (keys, the viewer's id, filter values, limit/offset) is bound.
    """

    def __init__(self, most: int = 64) -> None:
        self._built: dict[Hashable, Any] = {}
        self._most = most

    def get(self, shape: Hashable, build: Callable[[], Built]) -> Built:
        found = self._built.get(shape)
        if found is None:
            if len(self._built) >= self._most:  # unexpected variety of shapes: stay bounded
                self._built.clear()
            found = self._built[shape] = build()
        return found  # type: ignore[no-any-return]


def viewer_shape(viewer: Principal | None) -> tuple[bool, bool]:
    """What about the caller changes the SQL of visibility rules: signed in, and an admin."""
    return viewer is not None, is_admin(viewer)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
}


def compare(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    """``column <op> value`` with the operator a request chose (a declared enum of eq, ne, lt, lte, gt, gte)."""
    clause: ColumnElement[bool] = _COMPARE[op](column, value)
    return clause


def like_pattern(text: str) -> str:
    """A case-insensitive "contains" pattern for ``ilike(..., escape="/")``, wildcards escaped."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def document_query(table: Table, document: Document, viewer: ColumnElement[Any], where: Where) -> ReadStatement:
    """The document of the first row matching ``where``."""
    return ReadStatement(select(json_text(document(table, viewer))).where(*where).limit(1))


def documents_query(table: Table, document: Document, viewer: ColumnElement[Any], where: Where,
                    order_by: Sequence[ColumnElement[Any]], paged: bool, counted: bool = False) -> ReadStatement:
    """The documents of the rows matching ``where``, in order; a page when ``paged`` (limit/offset bound).

    ``counted``: each row also carries the number of all matching rows (an uncorrelated subquery the
    database runs once), so a page and its total come in one statement and one round trip."""
    columns: list[ColumnElement[Any]] = [json_text(document(table, viewer))]
    if counted:
        columns.append(select(func.count()).select_from(table).where(*where).correlate(None).scalar_subquery())
    stmt = select(*columns).where(*where).order_by(*order_by)
    if paged:
        stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
    return ReadStatement(stmt)


def count_query(table: Table, where: Where) -> ReadStatement:
    return ReadStatement(select(func.count()).select_from(table).where(*where))


def fetch_row(conn: Connection, table: Table, where: Where, *columns: ColumnElement[Any],
              viewer_id: Any = None) -> Row[Any] | None:
    """The first row matching ``where`` (rules that name the caller read the bound ``viewer_id``)."""
    stmt = select(*(columns or (table.c.id,))).where(*where).limit(1)
    return conn.execute(stmt, {"viewer_id": viewer_id}).first()


def insert_row(conn: Connection, table: Table, values: dict[str, Any]) -> Any:
    return conn.execute(insert(table).values(values).returning(table.c.id)).scalar_one()


def insert_new(conn: Connection, table: Table, values: dict[str, Any], key: Sequence[str], *,
               live: bool = False) -> Any:
    """INSERT ... ON CONFLICT (natural key) DO NOTHING: the new row's id, or None when the key is taken.

    Race-safe find-or-create and upsert on SQLite and PostgreSQL: of concurrent requests with one key,
    exactly one inserts. ``live``: the key is unique among live rows only (soft delete: a partial index)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    where = table.c.deleted_at.is_(None) if live else None
    stmt = dialect.insert(table).values(values).on_conflict_do_nothing(
        index_elements=[table.c[name] for name in key], index_where=where).returning(table.c.id)
    return conn.execute(stmt).scalar()


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
