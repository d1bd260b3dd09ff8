"""Reading a live service's OpenAPI document: operations, security, and valid sample bodies.

Pure functions over the fetched document; the live gates (contract, probes, load) use them to find
the operations to call and to build requests a well-behaved service accepts.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Operation:
    """One documented operation, with its parameters and JSON body schema resolved."""

    method: str  # upper case
    path: str
    operation_id: str | None
    secured: bool
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body_schema: dict[str, Any] | None = None
    body_media: str | None = None
    body_required: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}/]+)}", self.path)

    def query_params(self, *, required_only: bool = False) -> list[dict[str, Any]]:
        return [
            p for p in self.parameters if p.get("in") == "query" and (p.get("required") or not required_only)
        ]


def resolve(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (cycles cut at a fixed depth)."""
    if depth > _MAX_DEPTH:
        return {}
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = doc
            for part in node["$ref"][2:].split("/"):
                target = (
                    target.get(part.replace("~1", "/").replace("~0", "~"), {})
                    if isinstance(target, dict)
                    else {}
                )
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return resolve(doc, merged, depth + 1)
        return {key: resolve(doc, value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(doc, item, depth + 1) for item in node]
    return node


def _is_secured(doc: dict[str, Any], op: dict[str, Any]) -> bool:
    requirements = op.get("security", doc.get("security"))
    if not requirements:
        return False
    # An empty requirement object ({}) means "anonymous is also fine".
    return all(bool(requirement) for requirement in requirements)


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Every operation in ``doc`` in document order."""
    found: list[Operation] = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = resolve(doc, [*shared, *op.get("parameters", [])])
            body = resolve(doc, op.get("requestBody") or {})
            content = body.get("content") or {}
            media = next((m for m in content if "json" in m), None) or next(iter(content), None)
            schema = (content.get(media) or {}).get("schema") if media else None
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op.get("operationId"),
                    secured=_is_secured(doc, op),
                    parameters=[p for p in params if isinstance(p, dict)],
                    body_schema=schema if isinstance(schema, dict) else None,
                    body_media=media,
                    body_required=bool(body.get("required")),
                )
            )
    return found


def has_auth(doc: dict[str, Any]) -> bool:
    return any(op.secured for op in operations(doc))


def auth_header(doc: dict[str, Any], token: str) -> dict[str, str]:
    """The header that carries ``token`` according to the document's security schemes."""
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    for scheme in schemes.values():
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            return {str(scheme.get("name", "Authorization")): token}
    return {"Authorization": f"Bearer {token}"}


def marker() -> str:
    """A unique, harmless string to recognise the rows one run created."""
    return f"ba{secrets.token_hex(5)}"


def _string_sample(schema: dict[str, Any], tag: str) -> str:
    fmt = schema.get("format")
    by_format = {
        "email": f"{tag}@example.com",
        "date": "2024-01-02",
        "date-time": "2024-01-02T03:04:05Z",
        "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "uri": "https://example.com/x",
        "password": f"Pw-{tag}-9x!",
    }
    value = by_format.get(str(fmt), tag)
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, value):
        value = next((c for c in (tag.lower(), "abc", "sample", "a1", "x") if re.search(pattern, c)), value)
    if len(value) < low:
        value = (value * (low // max(len(value), 1) + 1))[:low]
    if high is not None and len(value) > int(high):
        value = value[-int(high) :] if int(high) >= 1 else ""
    return value


def _number_sample(schema: dict[str, Any]) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1
    if isinstance(low, int | float):
        value = max(value, low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0))
    if isinstance(high, int | float):
        value = min(value, high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0))
    return int(value) if schema.get("type") == "integer" else float(value)


def sample(doc: dict[str, Any], schema: Any, *, tag: str, overrides: dict[str, Any] | None = None) -> Any:
    """A value valid against ``schema``: required properties only, strings carrying ``tag``.

    ``overrides`` maps property names (at any depth) to fixed values.
    """
    schema = resolve(doc, schema)
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "example" in schema and not overrides:
        return schema["example"]
    for key in ("anyOf", "oneOf"):
        options = [s for s in schema.get(key, []) if isinstance(s, dict) and s.get("type") != "null"]
        if options:
            return sample(doc, options[0], tag=tag, overrides=overrides)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = resolve(doc, part)
            merged.setdefault("properties", {}).update(part.get("properties", {}))
            merged.setdefault("required", []).extend(part.get("required", []))
            merged["type"] = part.get("type", merged.get("type"))
        return sample(doc, merged, tag=tag, overrides=overrides)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        result: dict[str, Any] = {}
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if overrides and name in overrides:
                result[name] = overrides[name]
            else:
                result[name] = sample(doc, properties.get(name, {}), tag=tag, overrides=overrides)
        for name in properties:
            if overrides and name in overrides and name not in result:
                result[name] = overrides[name]
        return result
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [sample(doc, schema.get("items", {}), tag=tag, overrides=overrides) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number_sample(schema)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_sample(schema, tag)
    return tag


def param_sample(doc: dict[str, Any], parameter: dict[str, Any], *, tag: str) -> str:
    """A string value for a path or query parameter: its default when it has one."""
    schema = resolve(doc, parameter.get("schema", {}))
    value = schema.get("default") if isinstance(schema, dict) and schema.get("default") is not None else None
    if value is None:
        value = sample(doc, schema, tag=tag)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


def fill_path(path: str, created: dict[str, Any]) -> str | None:
    """``path`` with each ``{param}`` replaced by the id of a row created through POST.

    ``created`` maps a collection path template (``/api/projects``) to the id created there. A
    parameter takes the id of the collection just before it; failing that, of a collection named
    after the parameter (``task_id`` -> ``.../tasks``). Returns None when a parameter is unknown.
    """
    parts = path.split("/")
    filled = list(parts)
    for index, part in enumerate(parts):
        match = re.fullmatch(r"{([^}]+)}", part)
        if not match:
            continue
        prefix = "/".join(parts[:index])
        if prefix in created:
            filled[index] = str(created[prefix])
            continue
        name = re.sub(r"(_id|Id|_pk|ID)$", "", match.group(1)).lower()
        candidates = [
            collection for collection in created if _singular(collection.rsplit("/", 1)[-1].lower()) == name
        ]
        if not candidates:
            return None
        filled[index] = str(created[sorted(candidates, key=len)[0]])
    return "/".join(filled)


__all__ = [
    "HTTP_METHODS",
    "Operation",
    "auth_header",
    "fill_path",
    "has_auth",
    "marker",
    "operations",
    "param_sample",
    "resolve",
    "sample",
]
