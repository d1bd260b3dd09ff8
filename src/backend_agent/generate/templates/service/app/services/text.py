"""Derived values: slugs and other transforms of a field, unique when the design says so."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import Column, Connection, select


def slugify(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")
    return slug or "item"


TRANSFORMS = {
    "slug": slugify,
    "lower": str.lower,
    "upper": str.upper,
    "strip": str.strip,
}


def derive(conn: Connection, column: Column[Any], transform: str | None, source: Any, *, unique: bool,
           exclude_id: Any = None) -> Any:
    """``transform(source)``; with ``unique``, a ``-2``, ``-3``... suffix when the value is taken."""
    if source is None:
        return None
    value = TRANSFORMS.get(transform or "", lambda x: x)(str(source))
    limit: int | None = getattr(column.type, "length", None)  # the suffix must fit the column too
    if limit:
        value = value[:limit]
    if not unique:
        return value
    table = column.table
    query = select(column).where((column == value) | column.like(value.replace("%", r"\%").replace("_", r"\_") + "-%",
                                                                  escape="\\"))
    if exclude_id is not None:
        query = query.where(table.c.id != exclude_id)
    taken = set(conn.execute(query).scalars())
    if value not in taken:
        return value
    suffix = 2
    while True:
        tail = f"-{suffix}"
        base = value[: limit - len(tail)] if limit else value
        candidate = base + tail
        # A shortened base's candidates are not among ``taken`` (that query matched the whole value).
        if candidate not in taken and (base == value or not _taken(conn, column, candidate, exclude_id)):
            return candidate
        suffix += 1


def _taken(conn: Connection, column: Column[Any], value: str, exclude_id: Any) -> bool:
    query = select(column).where(column == value)
    if exclude_id is not None:
        query = query.where(column.table.c.id != exclude_id)
    return conn.execute(query.limit(1)).first() is not None
