"""Blueprint field types -> SQL types per dialect, Python types and JSON Schemas."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from backend_agent.blueprint import Field, FieldKind, FieldType

DEFAULT_STRING_LENGTH = 255
_LENGTHS = {FieldKind.EMAIL: 320, FieldKind.URL: 2048}

_PYTHON = {
    FieldKind.STRING: "str",
    FieldKind.TEXT: "str",
    FieldKind.INT: "int",
    FieldKind.BIGINT: "int",
    FieldKind.DECIMAL: "Decimal",
    FieldKind.FLOAT: "float",
    FieldKind.BOOL: "bool",
    FieldKind.DATE: "date",
    FieldKind.DATETIME: "datetime",
    FieldKind.TIME: "time",
    FieldKind.UUID: "UUID",
    FieldKind.EMAIL: "str",
    FieldKind.URL: "str",
    FieldKind.ENUM: "str",
    FieldKind.JSON: "Any",
    FieldKind.BYTES: "bytes",
    FieldKind.LIST: "Any",  # a JSON array in a JSON column
}


def string_length(field: Field) -> int | None:
    kind = field.parsed.kind
    if kind in (FieldKind.STRING, FieldKind.EMAIL, FieldKind.URL):
        return field.max_length or _LENGTHS.get(kind, DEFAULT_STRING_LENGTH)
    if kind is FieldKind.ENUM:
        return max(len(v) for v in field.values or ["x"])
    return None


def sql_types(ftype: FieldType, length: int | None) -> dict[str, str]:
    """The column type in each dialect."""
    kind = ftype.kind
    if kind in (FieldKind.STRING, FieldKind.EMAIL, FieldKind.URL, FieldKind.ENUM):
        return {"sqlite": f"VARCHAR({length})", "postgresql": f"VARCHAR({length})"}
    if kind is FieldKind.DECIMAL:
        numeric = f"NUMERIC({ftype.precision},{ftype.scale})"
        return {"sqlite": numeric, "postgresql": numeric}
    table = {
        FieldKind.TEXT: ("TEXT", "TEXT"),
        FieldKind.INT: ("INTEGER", "INTEGER"),
        FieldKind.BIGINT: ("BIGINT", "BIGINT"),
        FieldKind.FLOAT: ("REAL", "DOUBLE PRECISION"),
        FieldKind.BOOL: ("BOOLEAN", "BOOLEAN"),
        FieldKind.DATE: ("DATE", "DATE"),
        FieldKind.DATETIME: ("DATETIME", "TIMESTAMP WITH TIME ZONE"),
        FieldKind.TIME: ("TIME", "TIME"),
        FieldKind.UUID: ("CHAR(36)", "UUID"),
        FieldKind.JSON: ("JSON", "JSONB"),
        FieldKind.BYTES: ("BLOB", "BYTEA"),
        FieldKind.LIST: ("JSON", "JSONB"),
    }
    sqlite, postgresql = table[kind]
    return {"sqlite": sqlite, "postgresql": postgresql}


def python_type(kind: FieldKind) -> str:
    return _PYTHON[kind]


def _sql_literal(value: Any, kind: FieldKind, dialect: str) -> str:
    if kind is FieldKind.BOOL:
        if dialect == "sqlite":
            return "1" if value else "0"
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    if kind in (FieldKind.JSON, FieldKind.LIST):
        import json

        value = json.dumps(value)
    text = str(value).replace("'", "''")
    return f"'{text}'"


def canonical_value(field: Field, value: Any) -> Any:
    """A blueprint literal of ``field`` as JSON carries it: ISO text for dates and times, decimals as text.

    YAML reads ``2024-01-31`` as a date and lets times be written ``"08:00"``; OpenAPI, the DDL and
    design.json all want one spelling (``2024-01-31``, ``2024-01-31T00:00:00Z``, ``08:00:00``)."""
    kind = field.parsed.kind
    if value is None or isinstance(value, bool):
        return value
    if kind is FieldKind.DECIMAL:
        return str(value)
    if kind is FieldKind.DATE and isinstance(value, str | date) and not isinstance(value, datetime):
        return (date.fromisoformat(value) if isinstance(value, str) else value).isoformat()
    if kind is FieldKind.DATETIME and isinstance(value, str | datetime):
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if kind is FieldKind.TIME and isinstance(value, str):
        return time.fromisoformat(value).isoformat()
    return value


def default_sql(field: Field) -> dict[str, str]:
    if not field.has_default or field.default is None:
        return {}
    kind = field.parsed.kind
    value = canonical_value(field, field.default)
    return {dialect: _sql_literal(value, kind, dialect) for dialect in ("sqlite", "postgresql")}


def ref(name: str) -> dict[str, Any]:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts null: a ``$ref`` in ``anyOf``, a single type as a type list."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if isinstance(schema.get("type"), str):
        out = {**schema, "type": [schema["type"], "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return schema


def json_schema(field: Field) -> dict[str, Any]:
    """JSON Schema of the value as clients see it (OpenAPI 3.1 = JSON Schema 2020-12)."""
    ftype = field.parsed
    kind = ftype.kind
    schema: dict[str, Any]
    if kind in (FieldKind.STRING, FieldKind.TEXT):
        schema = {"type": "string"}
    elif kind is FieldKind.EMAIL:
        schema = {"type": "string", "format": "email"}
    elif kind is FieldKind.URL:
        schema = {"type": "string", "format": "uri"}
    elif kind is FieldKind.INT:
        schema = {"type": "integer", "format": "int32"}
    elif kind is FieldKind.BIGINT:
        schema = {"type": "integer", "format": "int64"}
    elif kind is FieldKind.DECIMAL:
        # Decimals travel as strings so no precision is lost in JSON.
        schema = {"type": "string", "format": "decimal", "pattern": decimal_pattern(field.min)}
    elif kind is FieldKind.FLOAT:
        schema = {"type": "number", "format": "double"}
    elif kind is FieldKind.BOOL:
        schema = {"type": "boolean"}
    elif kind is FieldKind.DATE:
        schema = {"type": "string", "format": "date"}
    elif kind is FieldKind.DATETIME:
        schema = {"type": "string", "format": "date-time"}
    elif kind is FieldKind.TIME:
        schema = {"type": "string", "format": "time"}
    elif kind is FieldKind.UUID:
        schema = {"type": "string", "format": "uuid"}
    elif kind is FieldKind.ENUM:
        schema = {"type": "string", "enum": list(field.values or [])}
    elif kind is FieldKind.BYTES:
        schema = {"type": "string", "contentEncoding": "base64"}
    elif kind is FieldKind.LIST:
        schema = list_schema(field)
    else:  # json: an object of free-form properties, or an array when its default or example is one (D8)
        schema = {"type": "array"} if json_is_array(field) else {"type": "object", "additionalProperties": True}
    if kind in (FieldKind.STRING, FieldKind.TEXT, FieldKind.EMAIL, FieldKind.URL):
        length = string_length(field) if kind is not FieldKind.TEXT else field.max_length
        if length is not None:
            schema["maxLength"] = length
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        if field.pattern is not None:
            schema["pattern"] = field.pattern
    if field.min is not None:
        schema["minimum"] = field.min
    if field.max is not None:
        schema["maximum"] = field.max
    if field.has_default and field.default is not None:
        schema["default"] = canonical_value(field, field.default)
    if field.description:
        schema["description"] = field.description
    example = example_value(field)
    if example is not None:
        schema["examples"] = [example]
    return schema


def decimal_pattern(minimum: Any) -> str:
    """The pattern of a decimal string, narrowed by ``minimum`` as far as a regex can say it.

    ``minimum`` means nothing to a string schema, so a fuzzer would send "-5" for a field whose
    minimum is 0 and see it rejected. Non-negative minimums drop the sign; a minimum of 1, 0.1, 0.01 ...
    also requires a non-zero digit early enough.
    """
    if minimum is None or float(minimum) < 0:
        return r"^-?\d+(\.\d+)?$"
    text = format(Decimal(str(minimum)).normalize(), "f")
    if float(minimum) > 0 and re.fullmatch(r"1|0\.0*1", text):
        places = len(text.split(".")[1]) if "." in text else 0
        fraction = rf"|0+\.\d{{0,{places - 1}}}[1-9]\d*" if places else ""
        return rf"^(\d*[1-9]\d*(\.\d+)?{fraction})$"
    return r"^\d+(\.\d+)?$"


def list_schema(field: Field) -> dict[str, Any]:
    """A `list` field: an array of its item type with the item constraints and the item counts."""
    item = {k: v for k, v in json_schema(field.item_field()).items() if k not in ("examples", "description")}
    schema: dict[str, Any] = {"type": "array", "items": item}
    if field.min_items is not None:
        schema["minItems"] = field.min_items
    if field.max_items is not None:
        schema["maxItems"] = field.max_items
    return schema


def json_is_array(field: Field) -> bool:
    shown = field.example if field.example is not None else field.default
    return isinstance(shown, list)


# Tried in order for fields with a `pattern` and no `example`.
_PATTERN_CANDIDATES = ("example", "example-1", "EXAMPLE-1", "ABC123", "12345678", "+49 30 1234567", "a1", "A1")


def _length_ok(field: Field, text: str) -> bool:
    return (field.min_length is None or len(text) >= field.min_length) and (
        field.max_length is None or len(text) <= field.max_length)


def example_value(field: Field) -> Any:
    """An example value: the blueprint's, else a plausible one for the type and constraints."""
    if field.example is not None:
        return str(field.example) if field.parsed.kind is FieldKind.DECIMAL else field.example
    kind = field.parsed.kind
    low = field.min if field.min is not None else 0
    samples: dict[FieldKind, Any] = {
        FieldKind.STRING: "example",
        FieldKind.TEXT: "Some longer text.",
        FieldKind.INT: int(low) if field.min is not None else 1,
        FieldKind.BIGINT: int(low) if field.min is not None else 1,
        FieldKind.DECIMAL: f"{max(low, 1):.{field.parsed.scale or 0}f}",
        FieldKind.FLOAT: float(max(low, 1.5)),
        FieldKind.BOOL: True,
        FieldKind.DATE: "2024-01-31",
        FieldKind.DATETIME: "2024-01-31T12:00:00Z",
        FieldKind.TIME: "12:00:00Z",
        FieldKind.UUID: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        FieldKind.EMAIL: "user@example.com",
        FieldKind.URL: "https://example.com/image.png",
        FieldKind.ENUM: (field.values or ["x"])[0],
        FieldKind.JSON: [] if json_is_array(field) else (field.default if field.has_default else {"key": "value"}),
        FieldKind.BYTES: "aGVsbG8=",
        FieldKind.LIST: None,
    }
    value = samples[kind]
    if kind is FieldKind.LIST:
        one = example_value(field.item_field())
        return [] if one is None else [one] * max(1, field.min_items or 1)
    if field.pattern is not None and kind is FieldKind.STRING:
        import re

        fits = [c for c in _PATTERN_CANDIDATES if re.search(field.pattern, c) and _length_ok(field, c)]
        return fits[0] if fits else None
    if isinstance(value, str) and kind in (FieldKind.STRING, FieldKind.TEXT):
        if field.min_length is not None and len(value) < field.min_length:
            value = value.ljust(field.min_length, "x")
        if field.max_length is not None:
            value = value[: field.max_length]
    return value


__all__ = [
    "canonical_value",
    "default_sql",
    "example_value",
    "json_schema",
    "nullable",
    "python_type",
    "ref",
    "sql_types",
    "string_length",
]
