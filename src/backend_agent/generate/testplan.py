"""What the generated test suite checks, per operation and per entity, as plain data."""

from __future__ import annotations

from typing import Any

from backend_agent.generate.context import AUTH_KINDS, identifier, snake
from backend_agent.generate.samples import dummy_path_value, json_sample, row_sample

Json = dict[str, Any]


def factory_plans(design: Json) -> list[Json]:
    plans = []
    for entity in design["entities"].values():
        columns = [(f["column"], row_sample(f)) for f in entity["fields"]
                   if not f["builtin"] and not f["nullable"] and not f["has_default"]]
        fks = []
        for rel in entity["relations"]:
            if rel["fk_column"] and rel["required"]:
                role = "owner" if entity.get("owner") == rel["name"] else "make"
                fks.append({"column": rel["fk_column"], "target": snake(rel["target"]), "role": role})
        plans.append({"name": entity["name"], "func": f"make_{snake(entity['name'])}",
                      "table": identifier(entity["table"]), "columns": columns, "fks": fks,
                      "uuid": entity["id_type"] == "uuid",
                      "uses_n": any("{n}" in expr or expr == "n" for _, expr in columns)})
    return plans


def _role_for(op: Json, auth: Json | None) -> str | None:
    if not auth:
        return None
    roles = op["auth"]["roles"]
    return roles[0] if roles else auth["default_role"]


def _other_role(op: Json, auth: Json | None) -> str | None:
    if not auth or not op["auth"]["roles"]:
        return None
    return next((r for r in auth["roles"] if r not in op["auth"]["roles"] and r != auth["admin_role"]), None)


def _body(openapi: Json, op: Json, design: Json) -> tuple[str | None, list[Json]]:
    operation = openapi["paths"].get(op["path"], {}).get(op["method"].lower(), {})
    body = operation.get("requestBody")
    if not body:
        return None, []
    schema = body["content"].get("application/json", {}).get("schema", {})
    components = openapi["components"]["schemas"]
    sample = json_sample(schema, components, unique=True)
    refs: list[Json] = []
    entity = design["entities"][op["entity"]]
    if op["kind"] == "create":
        for rel in entity["relations"]:
            if rel["request_as"] == "none" or not rel["request_json_name"] or not rel["fk_column"]:
                continue
            target = design["entities"][rel["target"]]
            column = None
            if rel["request_as"] == "values":
                column = next(f["column"] for f in target["fields"] if f["name"] == rel["request_field"])
            refs.append({"key": rel["request_json_name"], "factory": f"make_{snake(rel['target'])}",
                         "column": column, "table": identifier(target["table"]), "required": rel["required"]})
    return sample, refs


def operation_plans(design: Json, openapi: Json) -> list[Json]:
    auth = design.get("auth")
    plans = []
    for op in design["operations"]:
        if op["kind"] in AUTH_KINDS:
            continue
        entity = design["entities"][op["entity"]]
        params = []
        for p in op["parameters"]:
            if p["location"] != "path":
                continue
            owner, field = (p.get("maps_to") or f"{op['entity']}.id").split(".", 1)
            target = design["entities"][owner]
            column = next((f["column"] for f in target["fields"] if f["name"] == field), field)
            example = next((f["example"] for f in target["fields"] if f["name"] == field), None)
            schema = {**p["json_schema"], "examples": [example]} if isinstance(example, str) else p["json_schema"]
            params.append({"name": p["name"], "dummy": dummy_path_value(schema),
                           "entity": owner, "own": owner == op["entity"],
                           "factory": f"make_{snake(owner)}", "table": identifier(target["table"]),
                           "column": column})
        body, refs = _body(openapi, op, design)
        for param in params:
            if param["own"]:
                parent_entities = {p["entity"] for p in params if not p["own"]}
                param["parent_fks"] = {
                    p["name"]: rel["fk_column"] for p in params if not p["own"]
                    for rel in entity["relations"] if rel["target"] == p["entity"] and rel["fk_column"]
                    and p["entity"] in parent_entities
                }
        query = [_query_case(p) for p in op["parameters"] if p["location"] == "query"]
        validation = 400 if 400 in op["error_statuses"] and 422 not in op["error_statuses"] else 422
        plans.append({
            "id": op["operation_id"], "method": op["method"], "path": op["path"], "kind": op["kind"],
            "entity": op["entity"], "public": op["auth"]["public"], "roles": op["auth"]["roles"],
            "owner_only": op["auth"]["owner_only"], "role": _role_for(op, auth),
            "other_role": _other_role(op, auth), "params": params, "body": body, "refs": refs,
            "status": op["status_code"], "validation_status": validation, "paginated": op["paginated"],
            "has_required_body": bool(body and body != "{}"),
            "owner": entity.get("owner") is not None, "visibility": entity["visibility"],
            "custom": op["kind"] == "custom" or bool(op.get("handler")),
            "create_envelope": op.get("request_envelope"),
            "query_cases": [q for q in query if q],
            "cursor": op["paginated"] and design["service"]["pagination"] == "cursor",
            "expected": _expected(op),
        })
    return plans


def _query_case(param: Json) -> Json | None:
    """Values of a query parameter that a list must accept."""
    name = param["name"]
    if name in ("limit", "offset", "cursor"):
        return None
    schema = param["json_schema"]
    if "enum" in schema:
        return {"name": name, "values": list(schema["enum"])}
    kind = schema.get("type")
    value: Any = {"boolean": False, "integer": 1, "number": 1.0}.get(kind if isinstance(kind, str) else "", "x")
    return {"name": name, "values": [value]}


def _expected(op: Json) -> list[int]:
    if op["kind"] == "custom" or op.get("handler"):
        return [501]  # the generated stub answers 501 until its handler is written
    if op["kind"] == "transition":
        return [op["status_code"], 409]  # moved, or refused by its state or a guard
    return [op["status_code"]]


def lifecycle_plans(design: Json, ops: list[Json]) -> list[Json]:
    """Entities that can be created over the API, with the operations that then read or change a row."""
    plans = []
    for entity in design["entities"].values():
        create = next((o for o in ops if o["entity"] == entity["name"] and o["kind"] == "create"
                       and not o["custom"]), None)
        if create is None:
            continue
        item_ops = {o["kind"]: o for o in ops if o["entity"] == entity["name"]
                    and o["kind"] in ("get", "update", "delete") and any(p["own"] for p in o["params"])}
        lookup_field = entity["lookup"]
        lookup = next(f for f in entity["fields"] if f["name"] == lookup_field)
        plans.append({"entity": entity["name"], "create": create, "get_op": item_ops.get("get"),
                      "update_op": item_ops.get("update"), "delete_op": item_ops.get("delete"),
                      "lookup_json": lookup["json_name"], "envelope": entity.get("envelope_item"),
                      "owner": entity.get("owner") is not None, "visibility": entity["visibility"]})
    return plans


__all__ = ["factory_plans", "lifecycle_plans", "operation_plans"]
