"""The request body size limit a service needs: large enough for every body its contract allows.

The generated service refuses bodies over ``max_body_bytes`` with 413 before validating them. A limit
below a body the schema allows turns a valid request (a 1,000,000-character CSV field) into an
undeclared 413, so the limit grows with the largest body the schemas bound. Unbounded strings and
arrays bound nothing: no finite limit would admit all of them, so they count as small.
"""

from __future__ import annotations

from math import ceil
from typing import Any

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MIB = 1024 * 1024
# JSON text may escape any code point: a character outside the BMP as "\ud83d\ude00", 12 bytes.
_BYTES_PER_CHARACTER = 12
_SCALAR_BYTES = 40  # a number, a boolean, null, or a formatted string without maxLength (date-time, uuid)
_SEPARATOR_BYTES = 2  # ", " or ": " as Python's json.dumps writes them

Schema = dict[str, Any]


def body_limit(openapi: dict[str, Any]) -> int:
    """``max_body_bytes`` for a service serving this document: 1 MiB, or more when a body needs it."""
    largest = max((_request_body_bytes(openapi, op) for op in _operations(openapi)), default=0)
    if largest <= DEFAULT_MAX_BODY_BYTES:
        return DEFAULT_MAX_BODY_BYTES
    return ceil(largest / MIB) * MIB


def _operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [op for item in (openapi.get("paths") or {}).values() if isinstance(item, dict)
            for method, op in item.items() if method in methods and isinstance(op, dict)]


def _request_body_bytes(openapi: dict[str, Any], op: dict[str, Any]) -> int:
    body = _resolve(openapi, op.get("requestBody") or {}, set())
    contents = (body.get("content") or {}).values()
    return max((_schema_bytes(openapi, media.get("schema") or {}, frozenset()) for media in contents
                if isinstance(media, dict)), default=0)


def _resolve(openapi: dict[str, Any], node: Schema, seen: set[str]) -> Schema:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            return {}
        seen.add(ref)
        target: Any = openapi
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


def _schema_bytes(openapi: dict[str, Any], schema: Schema, refs: frozenset[str]) -> int:
    """The longest JSON text this schema bounds (a recursive schema counts its first level)."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        if ref in refs:
            return _SCALAR_BYTES
        return _schema_bytes(openapi, _resolve(openapi, schema, set()), refs | {ref})
    alternatives = [s for key in ("oneOf", "anyOf") for s in schema.get(key) or [] if isinstance(s, dict)]
    if alternatives:
        return max(_schema_bytes(openapi, s, refs) for s in alternatives)
    if schema.get("allOf"):
        return sum(_schema_bytes(openapi, s, refs) for s in schema["allOf"] if isinstance(s, dict))
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "object" in kinds or "properties" in schema:
        return 2 + sum(_string_bytes(len(name)) + _SEPARATOR_BYTES * 2 + _schema_bytes(openapi, prop, refs)
                       for name, prop in (schema.get("properties") or {}).items() if isinstance(prop, dict))
    if "array" in kinds:
        item = _schema_bytes(openapi, schema.get("items") or {}, refs) + _SEPARATOR_BYTES
        return 2 + item * int(schema.get("maxItems") or 1)
    if "string" in kinds and isinstance(schema.get("maxLength"), int):
        return _string_bytes(schema["maxLength"])
    if schema.get("enum"):
        return max(_string_bytes(len(str(value))) for value in schema["enum"])
    return _SCALAR_BYTES


def _string_bytes(characters: int) -> int:
    return 2 + _BYTES_PER_CHARACTER * characters
