"""The OpenAPI 3.1 document of a design."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backend_agent.design.model import (
    IDEMPOTENCY_KEY_SCHEMA,
    AuthDesign,
    EntityDesign,
    OperationDesign,
    ServiceDesign,
)
from backend_agent.design.schemas import ref

Schema = dict[str, Any]

_ERRORS = {
    400: ("BadRequest", "The request is malformed"),
    401: ("Unauthorized", "Missing or invalid token"),
    403: ("Forbidden", "Not allowed (role or ownership)"),
    404: ("NotFound", "No such resource"),
    409: ("Conflict", "Conflicts with the current state (duplicate value, wrong state)"),
    412: ("PreconditionFailed", "The If-Match ETag names an older version; read the resource again and retry"),
    422: ("ValidationError", "The input failed validation"),
    429: ("TooManyRequests", "Rate limit exceeded; retry after the Retry-After seconds"),
}


_FORMAT_EXAMPLES = {
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "date": "2024-01-31",
    "date-time": "2024-01-31T12:00:00Z",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
}


def _example(schema: Schema, schemas: dict[str, Schema], depth: int = 0) -> Any:
    if depth > 6:
        return None
    if "$ref" in schema:
        return _example(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas, depth + 1)
    if "examples" in schema:
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(part, schemas, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    if "anyOf" in schema:
        return _example(schema["anyOf"][0], schemas, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind and "pattern" in schema:
        return None  # no example was found that matches the pattern; null is valid
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        # oneOf alternatives that require different keys (sign in with email or username): show the first.
        others = {key for alt in schema.get("oneOf", [])[1:] for key in alt.get("required", [])}
        return {key: _example(sub, schemas, depth + 1) for key, sub in props.items() if key not in others}
    if kind == "array":
        return [_example(schema.get("items", {}), schemas, depth + 1)]
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string" and schema.get("format") in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[schema["format"]]
    return {"string": "string", "integer": 0, "number": 0.0, "boolean": False}.get(str(kind))


def _wrap(inner: Schema, key: str | None) -> Schema:
    if not key:
        return inner
    return {"type": "object", "properties": {key: inner}, "required": [key]}


def _list_schema(op: OperationDesign, ed: EntityDesign, svc: ServiceDesign) -> Schema:
    if op.values_of:
        item = {k: v for k, v in ed.field(op.values_of).json_schema.items() if k != "default"}
    else:
        item = ref(op.response_schema or ed.name)
    if op.bare:
        return {"type": "array", "items": item}
    key = op.list_key or "items"
    props: dict[str, Schema] = {key: {"type": "array", "items": item}}
    if op.paginated and op.count_key:
        props[op.count_key] = {"type": "integer", "minimum": 0, "description": "total rows matching the query"}
    if op.paginated and svc.pagination == "cursor":
        props[svc.next_cursor_key] = {"type": ["string", "null"], "description": "cursor of the next page"}
    return {"type": "object", "properties": props, "required": list(props)}


def _operation(op: OperationDesign, ed: EntityDesign, svc: ServiceDesign, auth: AuthDesign | None,
               schemas: dict[str, Schema]) -> Schema:
    out: Schema = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params = [{
        "name": p.name, "in": p.location, "required": p.required, "description": p.description,
        "schema": p.json_schema,
    } for p in op.parameters]
    if op.idempotent:
        params.append({"name": svc.idempotency_header, "in": "header", "required": False,
                       "description": f"replays the first response for {svc.idempotency_ttl_hours} h",
                       "schema": dict(IDEMPOTENCY_KEY_SCHEMA)})
    if params:
        out["parameters"] = params
    if auth is not None:
        if op.auth.public and op.tag == "auth":
            out["security"] = []
        elif op.auth.public:  # the token is optional; it fills per-viewer fields such as flags
            out["security"] = [{}, {auth.security_scheme: []}]
        else:
            out["security"] = [{auth.security_scheme: []}]
    if op.request_schema:
        body = _wrap(ref(op.request_schema), op.request_envelope)
        # A body whose keys are all optional may be left out entirely.
        inner = schemas.get(op.request_schema, {})
        needed = bool(op.request_envelope or inner.get("required") or "oneOf" in inner)
        out["requestBody"] = {"required": needed, "content": {"application/json": {
            "schema": body, "example": _example(body, schemas)}}}
    responses: Schema = {}
    if op.status_code == 204 or (op.tag == "auth" and not op.response_schema):
        responses[str(op.status_code)] = {"description": "Done; no content"}
    elif op.template:  # a page rendered from a template (autoescaped HTML, or plain text)
        kind = "text/html" if ".html" in op.template else "text/plain"
        responses[str(op.status_code)] = {"description": op.summary, "content": {kind: {"schema": {"type": "string"}}}}
    else:
        if op.response_list:
            body = _list_schema(op, ed, svc)
        elif op.tag == "auth":  # a refresh's token pair may be enveloped; the others' envelopes are in their schema
            body = _wrap(ref(op.response_schema or ""), op.response_envelope if op.kind == "refresh" else None)
        else:
            body = _wrap(ref(op.response_schema or ed.name), op.response_envelope)
        responses[str(op.status_code)] = {"description": op.summary, "content": {"application/json": {
            "schema": body, "example": _example(body, schemas)}}}
        if op.existing is not None and op.existing.status != op.status_code:
            what = "returned as it is" if op.existing.then == "return" else "updated"
            responses[str(op.existing.status)] = {
                "description": f"A row with the same {', '.join(op.existing.match)} existed; {what}",
                "content": {"application/json": {"schema": body, "example": _example(body, schemas)}}}
    for status in op.error_statuses:
        responses[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    out["responses"] = responses
    if op.rate_limit:
        out["x-rate-limit"] = op.rate_limit
    if op.cache_ttl:
        out["x-cache-ttl"] = op.cache_ttl
    if op.handler:
        out["x-handler"] = op.handler
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def prune_components(doc: Schema) -> None:
    """Drop component schemas and responses that no path reaches (e.g. TokenPair without refresh)."""
    components = doc.get("components", {})
    reached: set[str] = set()
    todo = list(_refs(doc.get("paths", {})))
    while todo:
        target = todo.pop()
        if target in reached or not target.startswith("#/components/"):
            continue
        reached.add(target)
        _, _, kind, name = target.split("/", 3)
        todo.extend(_refs(components.get(kind, {}).get(name, {})))
    for kind in ("schemas", "responses"):
        if kind in components:
            components[kind] = {name: value for name, value in components[kind].items()
                                if f"#/components/{kind}/{name}" in reached}


def build_openapi(*, svc: ServiceDesign, auth: AuthDesign | None, entities: dict[str, EntityDesign],
                  operations: list[OperationDesign], schemas: dict[str, Schema]) -> Schema:
    paths: dict[str, Schema] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, entities[op.entity], svc, auth, schemas)
    tags = sorted({op.tag for op in operations})
    responses = {
        name: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
        for name, text in _ERRORS.values()
    }
    responses[_ERRORS[429][0]]["headers"] = {"Retry-After": {
        "description": "seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}}
    components: Schema = {"schemas": schemas, "responses": responses}
    if auth is not None:
        if auth.scheme.lower() == "bearer":
            scheme: Schema = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        else:
            scheme = {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": f"'Authorization: {auth.scheme} <jwt>'"}
        components["securitySchemes"] = {auth.security_scheme: scheme}
    info: Schema = {"title": svc.title, "version": svc.version}
    if svc.description:
        info["description"] = svc.description
    doc: Schema = {
        "openapi": "3.1.0",
        "info": info,
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {**components, "schemas": dict(schemas)},
    }
    prune_components(doc)
    return doc


__all__ = ["build_openapi", "prune_components"]
