"""Blueprint mode: the wire shapes of the design's own OpenAPI document, annotated like a contract's.

So a generator has one way to serve every operation (``OperationDesign.wire``), whichever mode made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from backend_agent.design.model import Design, OperationDesign, WireBody, WireDesign
from backend_agent.design.wire import Annotator, Member, WireProblem, deref

_OUTCOMES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
             412: "precondition_failed", 422: "invalid", 429: "rate_limited"}
_WRITES = {"create": True, "register": True, "update": False, "update_me": False}


def _media(node: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    content = node.get("content") or {}
    if not content:
        return None, None
    kind = "application/json" if "application/json" in content else next(iter(content))
    return kind, (content[kind] or {}).get("schema")


@dataclass
class _Caches:
    refs: dict[str, Any] = field(default_factory=dict)  # resolved components
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    errors: dict[str, WireBody] = field(default_factory=dict)  # annotated error responses by $ref


def operation_wire(op: OperationDesign, design: Design, caches: _Caches | None = None,
                   ) -> tuple[WireDesign, list[WireProblem]]:
    """The request and responses of ``op`` as its OpenAPI document states them, with sources and targets."""
    caches = caches or _Caches()
    components = design.openapi.get("components", {})
    doc = design.openapi["paths"][op.path][op.method.lower()]
    extras: dict[str, Any] = {}
    if op.tag == "auth":
        extras.update(token=True, refresh_token=True, access_token=True, token_type=True)
    if op.message:
        extras["message"] = op.message
    ann = Annotator(design.entities, origin=op.operation_id, what=op.operation_id, list_op=op.response_list,
                    values_of=op.values_of, extras=extras, copy_input=False,  # deref makes fresh copies
                    _members=caches.members)
    request = None
    if "requestBody" in doc:
        body = deref(doc["requestBody"], components, cache=caches.refs)
        kind, schema = _media(body)
        login = None
        if op.kind == "login" and design.auth is not None:
            login = (list(design.auth.identity), design.auth.password_field)
        target = op.entity if op.kind in (*_WRITES, "login") else None
        request = WireBody(kind, ann.request(deref(schema, components), target, create=_WRITES.get(op.kind, False),
                                             login=login), bool(body.get("required", False)))
    responses: list[WireBody] = []
    for text, raw in doc.get("responses", {}).items():
        status = int(text)
        shared = raw.get("$ref") if status >= 400 else None  # error responses are shared components
        if shared is not None:
            outcomes = [name for name, chosen in op.outcomes.items() if chosen == status] or [
                _OUTCOMES.get(status, "other")]
            if shared not in caches.errors:
                body = deref(raw, components, cache=caches.refs)
                kind, schema = _media(body)
                caches.errors[shared] = WireBody(kind, ann.error(schema) if kind else None, status=status,
                                                 description=str(body.get("description", "")))
            cached = caches.errors[shared]
            responses.extend(replace(cached, outcome=outcome) for outcome in outcomes)
            continue
        body = deref(raw, components, cache=caches.refs)
        kind, schema = _media(body)
        if status < 300:
            entity = None if op.kind == "custom" else op.entity
            found = op.existing is not None and status == op.existing.status != op.status_code
            if op.template and kind in ("text/html", "text/plain"):  # the row rendered by its template
                responses.append(WireBody(kind, {"type": "string", "x-source": f"template:{op.template}"},
                                          status=status, outcome="success", description=str(body.get("description", ""))))
                continue
            responses.append(WireBody(kind, ann.response(schema, entity) if kind else None, status=status,
                                      outcome="existing" if found else "success",
                                      description=str(body.get("description", ""))))
            continue
        outcomes = [name for name, chosen in op.outcomes.items() if chosen == status] or [
            _OUTCOMES.get(status, "other")]
        for outcome in outcomes:
            responses.append(WireBody(kind, ann.error(schema) if kind else None, status=status, outcome=outcome,
                                      description=str(body.get("description", ""))))
    return WireDesign(request=request, responses=responses), ann.problems


def add_wire(design: Design) -> None:
    """Fill ``wire`` of every operation of a blueprint-mode design."""
    caches = _Caches()
    for op in design.operations:
        op.wire, _ = operation_wire(op, design, caches)


__all__ = ["add_wire", "operation_wire"]
