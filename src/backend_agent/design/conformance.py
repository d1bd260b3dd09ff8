"""Structural comparison of OpenAPI documents, and the document a design's wire shapes describe.

``openapi_diff`` compares what clients depend on: paths (under the first server URL's path),
methods, parameters, request and response schemas (required and nullable properties included),
status codes, content types and security. Descriptions, examples and ``x-`` keys are ignored.
``wire_openapi`` rebuilds a document from nothing but the design's operations (what design.json
holds), so diffing it against a contract shows whether the generator is told the whole contract.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from backend_agent.design.model import IDEMPOTENCY_KEY_SCHEMA, Design
from backend_agent.design.wire import deref

Schema = dict[str, Any]
_IGNORED = {"description", "summary", "example", "examples", "title", "externalDocs", "deprecated"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _prefix(doc: Schema) -> str:
    servers = doc.get("servers") or []
    if servers and isinstance(servers[0], dict):
        path = urlparse(str(servers[0].get("url", ""))).path.rstrip("/")
        return path if path.startswith("/") else ""
    return ""


def _clean(node: Any) -> Any:
    """A schema as clients see it: no docs, no x- keys; 3.0 `nullable` spelled as a 3.1 type list."""
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _clean(v) for k, v in node.items() if k not in _IGNORED and not str(k).startswith("x-")}
    if out.get("additionalProperties") is True:  # JSON Schema's default: an open object either way
        del out["additionalProperties"]
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if isinstance(out.get("required"), list) and not isinstance(out.get("properties"), type(None)):
        out["required"] = sorted(out["required"])
    if isinstance(out.get("type"), list):
        out["type"] = sorted(out["type"])
    return out


def _operations(doc: Schema) -> dict[str, Schema]:
    components = doc.get("components") or {}
    prefix = _prefix(doc)
    global_security = doc.get("security") or []
    out: dict[str, Schema] = {}
    for path, item in (doc.get("paths") or {}).items():
        item = deref(item, components)
        shared = item.get("parameters") or []
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            params = {(p.get("name"), p.get("in")): p for p in [*shared, *(op.get("parameters") or [])]}
            out[f"{method.upper()} {prefix}{path}"] = {
                "parameters": {f"{name} in {where}": _clean({"required": bool(p.get("required", where == "path")),
                                                             "schema": p.get("schema") or {},
                                                             "style": p.get("style"), "explode": p.get("explode")})
                               for (name, where), p in params.items()},
                "request": _body(op.get("requestBody")),
                "responses": {str(status): _body(resp) for status, resp in (op.get("responses") or {}).items()},
                "security": sorted(sorted(req) for req in (op.get("security", global_security) or [])),
            }
    return out


def _body(node: Schema | None) -> Schema | None:
    if node is None:
        return None
    content = node.get("content") or {}
    return {"required": bool(node.get("required", False)) if "required" in node else None,
            "content": {kind: _clean((media or {}).get("schema")) for kind, media in content.items()}}


def _compare(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(f"{where}.{key}: only in the contract")
            elif key not in a:
                out.append(f"{where}.{key}: only in the design")
            else:
                _compare(a[key], b[key], f"{where}.{key}", out)
    elif a != b:
        out.append(f"{where}: contract {a!r} != design {b!r}")


def openapi_diff(contract: Schema, other: Schema) -> list[str]:
    """Every structural difference between two OpenAPI documents (empty: they serve the same API)."""
    out: list[str] = []
    _compare(_operations(contract), _operations(other), "", out)
    return [line.lstrip(".") for line in out]


def wire_openapi(design: Design) -> Schema:
    """The OpenAPI document the design's operations describe on their own (declared statuses only)."""
    paths: Schema = {}
    for op in design.operations:
        if op.wire is None:
            continue
        doc: Schema = {}
        params = []
        for p in op.parameters:
            param: Schema = {"name": p.name, "in": p.location, "required": p.required, "schema": p.json_schema}
            if p.style is not None:
                param["style"] = p.style
            if p.explode is not None:
                param["explode"] = p.explode
            params.append(param)
        if op.idempotent and design.mode == "blueprint":
            params.append({"name": design.service.idempotency_header, "in": "header", "required": False,
                           "schema": dict(IDEMPOTENCY_KEY_SCHEMA)})
        if params:
            doc["parameters"] = params
        if op.wire.request is not None:
            request = op.wire.request
            doc["requestBody"] = {"required": request.required, "content": {
                request.content_type: {"schema": request.schema}} if request.content_type else {}}
        responses: Schema = {}
        for resp in op.wire.responses:
            if not resp.declared or resp.status is None:
                continue
            responses[str(resp.status)] = {"content": {resp.content_type: {"schema": resp.schema}}
                                           if resp.content_type else {}}
        doc["responses"] = responses
        scheme = design.auth.security_scheme if design.auth else None
        if op.auth.public or scheme is None:
            doc["security"] = [{}, {scheme: []}] if op.auth.optional and scheme and _declares_optional(
                design, op.operation_id) else []
        else:
            doc["security"] = [{scheme: []}]
        paths.setdefault(op.path, {})[op.method.lower()] = doc
    return {"openapi": "3.1.0", "paths": paths}


def _declares_optional(design: Design, operation_id: str) -> bool:
    """Whether the design's own document lists the token as optional (``[{}, {scheme: []}]``)."""
    for item in design.openapi.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return {} in (op.get("security") or [])
    return False


__all__ = ["openapi_diff", "wire_openapi"]
