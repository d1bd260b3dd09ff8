"""JSON built inside SQL, spelled once for SQLite and once for PostgreSQL.

Each response document is one SQL expression, so a row with its embedded relations, counts and
per-user flags comes back from the database in one round trip, already serialised. These
constructs render the dialect's own JSON functions; the repositories compose them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.core.http import json_timestamp

__all__ = [
    "json_array_agg",
    "json_base64",
    "json_bool",
    "json_const",
    "json_decimal",
    "json_nested",
    "json_object",
    "json_text",
    "json_time",
    "json_timestamp",
    "json_value",
]


class _JsonFunction(FunctionElement[Any]):
    inherit_cache = True
    type = String()

    def args(self, compiler: SQLCompiler, **kw: Any) -> list[str]:
        return [compiler.process(clause, **kw) for clause in self.clauses]


class json_object(_JsonFunction):  # noqa: N801 - named like the SQL function
    """``json_object('key', value, ...)``: keys and values alternate."""

    name = "json_object"
    inherit_cache = True

    def __init__(self, *pairs: Any) -> None:
        # keys are SQL string literals, not bind parameters: PostgreSQL cannot type a parameter here
        keys_as_sql = [
            literal_column("'" + item.replace("'", "''") + "'") if index % 2 == 0 else item
            for index, item in enumerate(pairs)
        ]
        super().__init__(*keys_as_sql)


@compiles(json_object, "sqlite")
def _object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({', '.join(element.args(compiler, **kw))})"


@compiles(json_object, "postgresql")
def _object_postgresql(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    args = element.args(compiler, **kw)
    # json_build_object takes at most 100 arguments: merge chunks of 50 pairs
    chunks = [args[i : i + 100] for i in range(0, len(args), 100)] or [[]]
    parts = [f"jsonb_build_object({', '.join(chunk)})" for chunk in chunks]
    return "(" + " || ".join(parts) + ")::json" if len(parts) > 1 else f"json_build_object({', '.join(args)})"


class json_array_agg(_JsonFunction):  # noqa: N801
    """The values of a group as a JSON array; ``[]`` for no rows."""

    name = "json_array_agg"
    inherit_cache = True


@compiles(json_array_agg, "sqlite")
def _agg_sqlite(element: json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({element.args(compiler, **kw)[0]})"


@compiles(json_array_agg, "postgresql")
def _agg_postgresql(element: json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"coalesce(json_agg({element.args(compiler, **kw)[0]}), '[]'::json)"


class json_nested(_JsonFunction):  # noqa: N801
    """A JSON value coming from a subquery, embedded as JSON (not as a string)."""

    name = "json_nested"
    inherit_cache = True


@compiles(json_nested, "sqlite")
def _nested_sqlite(element: json_nested, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({element.args(compiler, **kw)[0]})"


@compiles(json_nested, "postgresql")
def _nested_postgresql(element: json_nested, compiler: SQLCompiler, **kw: Any) -> str:
    return element.args(compiler, **kw)[0]


class json_value(json_nested):  # noqa: N801
    """A stored JSON column (TEXT on SQLite, JSONB on PostgreSQL)."""

    name = "json_value"
    inherit_cache = True


@compiles(json_value, "sqlite")
def _value_sqlite(element: json_value, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({element.args(compiler, **kw)[0]})"


@compiles(json_value, "postgresql")
def _value_postgresql(element: json_value, compiler: SQLCompiler, **kw: Any) -> str:
    return element.args(compiler, **kw)[0]


class json_bool(_JsonFunction):  # noqa: N801
    """A boolean as JSON ``true``/``false`` (SQLite stores 0/1)."""

    name = "json_bool"
    inherit_cache = True


@compiles(json_bool, "sqlite")
def _bool_sqlite(element: json_bool, compiler: SQLCompiler, **kw: Any) -> str:
    value = element.args(compiler, **kw)[0]
    return f"json(CASE WHEN ({value}) IS NULL THEN NULL WHEN ({value}) THEN 'true' ELSE 'false' END)"


@compiles(json_bool, "postgresql")
def _bool_postgresql(element: json_bool, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({element.args(compiler, **kw)[0]})"


class json_decimal(_JsonFunction):  # noqa: N801
    """A decimal as a JSON string with its scale (``"19.90"``): money stays exact."""

    name = "json_decimal"
    inherit_cache = True

    def __init__(self, value: Any, scale: int) -> None:
        # the scale travels as a SQL literal argument, so it is part of the statement cache key
        super().__init__(value, literal_column(str(int(scale))))


@compiles(json_decimal, "sqlite")
def _decimal_sqlite(element: json_decimal, compiler: SQLCompiler, **kw: Any) -> str:
    value, scale = element.args(compiler, **kw)
    return f"CASE WHEN ({value}) IS NULL THEN NULL ELSE printf('%.{scale}f', {value}) END"


@compiles(json_decimal, "postgresql")
def _decimal_postgresql(element: json_decimal, compiler: SQLCompiler, **kw: Any) -> str:
    value, scale = element.args(compiler, **kw)
    return f"CAST(round({value}, {scale}) AS TEXT)"


class json_time(_JsonFunction):  # noqa: N801
    """A time of day as ``HH:MM:SS``."""

    name = "json_time"
    inherit_cache = True


@compiles(json_time, "sqlite")
def _time_sqlite(element: json_time, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%H:%M:%S', {element.args(compiler, **kw)[0]})"


@compiles(json_time, "postgresql")
def _time_postgresql(element: json_time, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({element.args(compiler, **kw)[0]}, 'HH24:MI:SS')"


class json_base64(_JsonFunction):  # noqa: N801
    """Bytes as a base64 JSON string."""

    name = "json_base64"
    inherit_cache = True


@compiles(json_base64, "sqlite")
def _base64_sqlite(element: json_base64, compiler: SQLCompiler, **kw: Any) -> str:
    # base64 is a function the engine registers on every SQLite connection (app/repositories/base.py)
    return f"base64({element.args(compiler, **kw)[0]})"


@compiles(json_base64, "postgresql")
def _base64_postgresql(element: json_base64, compiler: SQLCompiler, **kw: Any) -> str:
    return f"translate(encode({element.args(compiler, **kw)[0]}, 'base64'), E'\\n', '')"


class json_const(_JsonFunction):  # noqa: N801
    """A constant the contract fixes (``"ok": true``), given as JSON text and written as a SQL literal."""

    name = "json_const"
    inherit_cache = True

    def __init__(self, json_text: str) -> None:
        super().__init__(literal_column("'" + json_text.replace("'", "''") + "'"))


@compiles(json_const, "sqlite")
def _const_sqlite(element: json_const, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({element.args(compiler, **kw)[0]})"


@compiles(json_const, "postgresql")
def _const_postgresql(element: json_const, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({element.args(compiler, **kw)[0]} AS JSON)"


class json_text(_JsonFunction):  # noqa: N801
    """The finished document as text, so the driver hands it over without parsing it."""

    name = "json_text"
    inherit_cache = True


@compiles(json_text, "sqlite")
def _text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return element.args(compiler, **kw)[0]


@compiles(json_text, "postgresql")
def _text_postgresql(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({element.args(compiler, **kw)[0]} AS TEXT)"
