"""What the generated test suite checks, per operation and per entity, as plain data.

Statuses, bodies and error shapes come from each operation's ``wire`` (filled in both design
modes), so one plan serves blueprint-first and contract-first services: a contract that answers
a taken e-mail with 422, declares no body for 401 or pages by cursor is tested as it is written.
"""

from __future__ import annotations

import re
from typing import Any

from backend_agent.generate.at_rest import where_of
from backend_agent.generate.context import AUTH_KINDS, identifier, snake
from backend_agent.generate.contract_context import wire_errors
from backend_agent.generate.etag_plan import declares_412
from backend_agent.generate.samples import PASSWORD, dummy_path_value, json_sample, row_sample

Json = dict[str, Any]

# The status an outcome has when an operation's wire does not list it (the service's conventions).
DEFAULT_STATUS = {"invalid": 422, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
                  "rate_limited": 429, "precondition_failed": 412}


# A sample expression that reads the factory's counter: f"s{n}", f"{n:08d}", str(n), n.
_USES_N = re.compile(r"\bn\b")


def factory_plans(design: Json) -> list[Json]:
    plans = []
    for entity in design["entities"].values():
        columns = [(f["column"], row_sample(f) if not f.get("encrypted")
                    else f"encrypt({row_sample(f)}, {where_of(entity, f)!r})")  # stored as the service stores it
                   for f in entity["fields"] if not f["builtin"] and not f["nullable"] and not f["has_default"]]
        fks = []
        for rel in entity["relations"]:
            if rel["fk_column"] and rel["required"]:
                role = "owner" if entity.get("owner") == rel["name"] else "make"
                fks.append({"column": rel["fk_column"], "target": snake(rel["target"]), "role": role})
        plans.append({"name": entity["name"], "func": f"make_{snake(entity['name'])}",
                      "table": identifier(entity["table"]), "columns": columns, "fks": fks,
                      "uuid": entity["id_type"] == "uuid",
                      "uses_n": any(_USES_N.search(expr) for _, expr in columns)})
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


def _success(op: Json) -> Json:
    return next((r for r in (op.get("wire") or {}).get("responses", []) if r.get("outcome") == "success"),
                {"status": op["status_code"], "schema": None, "content_type": "application/json"})


def _secret_targets(design: Json, entity_name: str) -> dict[str, str]:
    """Request nodes whose value must be a password the policy accepts."""
    targets = {"password": repr(PASSWORD)}
    entity = design["entities"].get(entity_name) or {}
    for field in entity.get("fields", []):
        if field["secret"]:
            targets[f"field:{field['name']}"] = repr(PASSWORD)
    return targets


def request_schema(op: Json, openapi: Json) -> Json | None:
    """The JSON Schema of the operation's request body (``wire`` first, the OpenAPI document otherwise)."""
    request = (op.get("wire") or {}).get("request")
    if request and isinstance(request.get("schema"), dict):
        return dict(request["schema"])
    operation = openapi["paths"].get(op["path"], {}).get(op["method"].lower(), {})
    body = operation.get("requestBody")
    if not body:
        return None
    schema = body["content"].get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _body(openapi: Json, op: Json, design: Json) -> tuple[str | None, list[Json]]:
    schema = request_schema(op, openapi)
    if schema is None:
        return None, []
    components = openapi.get("components", {}).get("schemas", {})
    sample = json_sample(schema, components, unique=True, targets=_secret_targets(design, op["entity"]))
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


def error_table(design: Json) -> tuple[list[Json], dict[str, dict[str, list[Any]]]]:
    """The error answers of every operation: schemas once, and per operation outcome -> answer.

    An answer is ``[status, index of its body schema or None for no body, declared, content type]``;
    an outcome the contract does not list (``declared`` false) is answered with the service's own body.
    """
    schemas: list[Json] = []
    table: dict[str, dict[str, list[Any]]] = {}
    for op in design["operations"]:
        answers: dict[str, list[Any]] = {}
        for outcome, (status, schema, declared, content) in wire_errors(op).items():
            index = None
            if schema is not None and declared:
                if schema not in schemas:
                    schemas.append(schema)
                index = schemas.index(schema)
            answers[outcome] = [status, index, declared, content]
        table[op["operation_id"]] = answers
    return schemas, table


def success_statuses(design: Json) -> dict[str, int]:
    """operation id -> the status of its success answer."""
    return {op["operation_id"]: int(_success(op)["status"]) for op in design["operations"]}


def _query_role(op: Json, role: str) -> Json | None:
    """The query parameter that plays a paging role (``limit``, ``offset``, ``cursor``)."""
    return next((p for p in op["parameters"] if p["location"] == "query"
                 and (p.get("maps_to") == role or (p.get("maps_to") is None and p["name"] == role))), None)


def _cursor_key(op: Json, service: Json) -> str | None:
    schema = _success(op).get("schema") or {}
    for key, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("x-source") == "next_cursor":
            return str(key)
    return service.get("next_cursor_key")


def operation_plans(design: Json, openapi: Json) -> list[Json]:
    auth = design.get("auth")
    plans = []
    for op in design["operations"]:
        if op["kind"] in AUTH_KINDS or op["kind"] not in _TESTED_KINDS or not op.get("entity"):
            continue
        entity = design["entities"][op["entity"]]
        params = []
        for p in op["parameters"]:
            if p["location"] != "path":
                continue
            owner, field = (p.get("maps_to") or f"{op['entity']}.id").split(".", 1)
            if owner not in design["entities"]:
                owner, field = op["entity"], "id"
            target = design["entities"][owner]
            column = next((f["column"] for f in target["fields"] if f["name"] == field), field)
            example = next((f["example"] for f in target["fields"] if f["name"] == field), None)
            schema = {**p["json_schema"], "examples": [example]} if isinstance(example, str) else p["json_schema"]
            params.append({"name": p["name"], "dummy": dummy_path_value(schema),
                           "entity": owner, "own": owner == op["entity"],
                           "factory": f"make_{snake(owner)}", "table": identifier(target["table"]),
                           "column": column})
        body, refs = _body(openapi, op, design)
        form = ((op.get("wire") or {}).get("request") or {}).get("content_type") == "application/x-www-form-urlencoded"
        null_cases = _null_cases(op, openapi) if body and not form else []  # a form has no null to send
        for param in params:
            if param["own"]:
                parent_entities = {p["entity"] for p in params if not p["own"]}
                param["parent_fks"] = {
                    p["name"]: rel["fk_column"] for p in params if not p["own"]
                    for rel in entity["relations"] if rel["target"] == p["entity"] and rel["fk_column"]
                    and p["entity"] in parent_entities
                }
        query = [_query_case(p) for p in op["parameters"] if p["location"] == "query"
                 and not (p["name"] == (op.get("caller") or {}).get("name") and op["caller"]["location"] == "query")]
        outcomes = {o: s for o, (s, *_rest) in wire_errors(op).items()}
        limit = _query_role(op, "limit") if op["paginated"] else None
        cursor = _query_role(op, "cursor") if op["paginated"] else None
        success = _success(op)
        plans.append({
            "id": op["operation_id"], "method": op["method"], "path": op["path"], "kind": op["kind"],
            "entity": op["entity"], "public": op["auth"]["public"], "roles": op["auth"]["roles"],
            "owner_only": op["auth"]["owner_only"], "role": _role_for(op, auth),
            "other_role": _other_role(op, auth), "params": params, "body": body, "refs": refs,
            "status": int(success["status"]), "validation_status": outcomes.get("invalid", 422),
            "paginated": op["paginated"],
            "has_required_body": bool(body and body != "{}"),
            "owner": entity.get("owner") is not None, "visibility": entity["visibility"],
            "custom": op["kind"] == "custom" or bool(op.get("handler")),
            "create_envelope": op.get("request_envelope"),
            "query_cases": [q for q in query if q],
            "limit_param": limit["name"] if limit else None,
            "limit_max": (limit or {}).get("json_schema", {}).get("maximum"),
            "cursor_param": cursor["name"] if cursor else None,
            "cursor_key": _cursor_key(op, design["service"]) if cursor else None,
            "expected": _expected(op, int(success["status"]), outcomes),
            "if_match": op["kind"] == "update" and declares_412(op) and not op.get("idempotent")
            and not op.get("handler") and not op.get("existing"),
            "null_cases": null_cases,
            "from_values": _from_values(entity, op) if op["kind"] == "transition" else {},
            "one_way": op["kind"] == "transition" and op.get("transition_to") not in (op.get("transition_from") or [])
            and not op.get("handler"),
            **_semantics(op),
        })
    return plans


def _null_cases(op: Json, openapi: Json) -> list[list[Any]]:
    """``[envelope key or None, property]`` of optional request properties whose schema does not allow null."""
    schema = request_schema(op, openapi) or {}
    envelope, row = None, schema
    if schema.get("x-target") != "row":
        for key, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("x-target") == "row":
                envelope, row = key, prop
    if envelope is None and op.get("request_envelope") and schema.get("x-target") != "row":
        envelope = op["request_envelope"]
        row = (schema.get("properties") or {}).get(envelope) or {}
    if row.get("type") != "object" and "properties" not in row:
        return []
    required = set(row.get("required") or [])
    cases = []
    for key, prop in (row.get("properties") or {}).items():
        declared = prop.get("type") if isinstance(prop, dict) else None
        types = declared if isinstance(declared, list) else [declared]
        if key in required or not declared or "null" in types or prop.get("nullable") or prop.get("readOnly"):
            continue
        cases.append([envelope, key])
    return cases[:4]


def _from_values(entity: Json, op: Json) -> Json:
    """Column values of a row a transition may move: its first source state, its guards satisfied."""
    columns = {f["name"]: f for f in entity["fields"]}
    values: Json = {}
    field = columns.get(op.get("transition_field") or "")
    if field is not None and op.get("transition_from"):
        values[field["column"]] = op["transition_from"][0]
    for cond in op.get("conditions") or []:
        target = columns.get(cond.get("field") or "")
        value = cond.get("value")
        if target is None or value is None or cond.get("other_column") or target["column"] in values:
            continue
        if cond["op"] == "eq":
            values[target["column"]] = value
        elif cond["op"] in ("gt", "gte") and target["python_type"] in ("int", "float", "Decimal"):
            values[target["column"]] = int(float(value)) + 1
    return values


def _semantics(op: Json) -> Json:
    """Declarative semantics the suite checks: a caller rule, required query values, find-or-create."""
    rule = op.get("caller") or {}
    existing = op.get("existing")
    required = {}
    for param in op["parameters"]:
        if param["name"] == rule.get("name") and rule.get("location") == "query":
            continue  # the caller's id, known at run time
        case = _query_case(param) if param["location"] == "query" and param["required"] else None
        if case and case["values"]:
            required[param["name"]] = case["values"][0]
    return {
        "caller_param": rule.get("name") if rule.get("location") == "path" else None,
        "caller_status": rule.get("status"),
        # query / body values that must be the caller: checked by their own tests (the value is known at run time)
        "caller_query": rule.get("name") if rule.get("location") == "query" and rule.get("user_field") == "id" else None,
        "caller_body": rule.get("name") if rule.get("location") == "body" and rule.get("user_field") == "id" else None,
        "caller_elsewhere": rule.get("location") in ("query", "body"),
        "required_query": required,
        "existing": {"status": existing["status"], "then": existing["then"]} if existing else None,
    }


# Operation kinds the generated suite drives through their standard behaviour.
_TESTED_KINDS = frozenset({"list", "get", "create", "update", "delete", "view", "toggle_add", "toggle_remove",
                           "feed", "query", "transition", "custom"})


def _query_case(param: Json) -> Json | None:
    """Values of a query parameter that a list must accept."""
    name = param["name"]
    if param.get("maps_to") in ("limit", "offset", "cursor") or name in ("limit", "offset", "cursor"):
        return None
    schema = param["json_schema"]
    if "enum" in schema:
        return {"name": name, "values": [v for v in schema["enum"] if v is not None]}
    if param.get("values"):  # a case-insensitive enum (a pattern in the schema)
        return {"name": name, "values": [*param["values"], param["values"][0].upper()]}
    if schema.get("type") == "array":  # a repeated filter (match: any / all): one value is a list of one
        item = _query_case({"name": name, "json_schema": schema.get("items") or {}})
        return {"name": name, "values": [[v] for v in (item or {"values": ["x"]})["values"]]}
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    fmt = schema.get("format")
    value: Any = {"boolean": False, "integer": 1, "number": 1.0}.get(kind if isinstance(kind, str) else "", "x")
    if fmt == "date-time":
        value = "2026-01-31T12:00:00.000Z"
    elif fmt == "date":
        value = "2026-01-31"
    elif fmt == "uuid":
        value = "00000000-0000-4000-8000-000000000000"
    return {"name": name, "values": [value]}


def _expected(op: Json, status: int, outcomes: dict[str, int]) -> list[int]:
    if op["kind"] == "custom" or op.get("handler"):
        return [501, status]  # the generated stub answers 501 until its handler is written
    if op["kind"] == "transition":
        return [status, outcomes.get("conflict", 409)]  # moved, or refused by its state or a guard
    return [status]


def lifecycle_plans(design: Json, ops: list[Json]) -> list[Json]:
    """Entities that can be created over the API, with the operations that then read or change a row."""
    plans = []
    for entity in design["entities"].values():
        create = next((o for o in ops if o["entity"] == entity["name"] and o["kind"] == "create"
                       and not o["custom"] and not o["caller_elsewhere"]), None)
        if create is None:
            continue
        item_ops = {o["kind"]: o for o in ops if o["entity"] == entity["name"]
                    and o["kind"] in ("get", "update", "delete") and any(p["own"] for p in o["params"])
                    and not o["custom"]}
        lookup_field = entity["lookup"]
        lookup = next(f for f in entity["fields"] if f["name"] == lookup_field)
        op_by_id = {o["operation_id"]: o for o in design["operations"]}
        envelope = _row_key(op_by_id[create["id"]])
        # the key of the created row that addresses it: the wire name of the field the item path selects
        key_json = lookup["json_name"]
        item = item_ops.get("get") or item_ops.get("update") or item_ops.get("delete")
        if item is not None:
            own = next(p for p in op_by_id[item["id"]]["parameters"] if p["location"] == "path"
                       and p["name"] == next(x["name"] for x in item["params"] if x["own"]))
            field_name = (own.get("maps_to") or "").split(".", 1)[-1] or lookup_field
            key_json = _wire_name_of(op_by_id[create["id"]], field_name) or key_json
        plans.append({"entity": entity["name"], "create": create, "get_op": item_ops.get("get"),
                      "update_op": item_ops.get("update"), "delete_op": item_ops.get("delete"),
                      "lookup_json": key_json, "envelope": envelope,
                      "owner": entity.get("owner") is not None, "visibility": entity["visibility"]})
    return plans


def _row_key(op: Json) -> str | None:
    """The envelope key the success response puts the row under (None: the row is the body)."""
    schema = _success(op).get("schema") or {}
    if schema.get("x-source") == "row":
        return None
    for key, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("x-source") == "row":
            return str(key)
    return op.get("response_envelope")


def _wire_name_of(op: Json, field_name: str) -> str | None:
    """The key the operation's response row shows ``field_name`` under, if it shows it."""
    schema = _success(op).get("schema") or {}
    row_key = _row_key(op)
    row = (schema.get("properties") or {}).get(row_key, {}) if row_key else schema
    for key, prop in (row.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("x-source") == f"field:{field_name}":
            return str(key)
    return None


def auth_test_plan(design: Json, openapi: Json) -> Json | None:
    """Bodies, paths and statuses the generated auth tests use."""
    auth = design.get("auth")
    if not auth:
        return None
    user = design["entities"][auth["user_entity"]]
    identity = next(f for f in user["fields"] if f["name"] == auth["identity"][0])
    password = next(f for f in user["fields"] if f["name"] == auth["password_field"])
    components = openapi.get("components", {}).get("schemas", {})
    out: Json = {"identity_json": identity["json_name"], "identity_column": identity["column"],
                 "password_json": password["json_name"], "password": PASSWORD}
    mail = next((f for f in user["fields"] if f["name"] == auth.get("email_field")), None)
    out.update(mail_json=mail["json_name"] if mail else None, mail_column=mail["column"] if mail else None,
               require_verified=bool(auth.get("require_verified_email")))
    out.update({kind: None for kind in AUTH_KINDS})
    for op in design["operations"]:
        if op["kind"] not in AUTH_KINDS or out.get(op["kind"]):
            continue
        schema = request_schema(op, openapi)
        success = _success(op)
        targets = _secret_targets(design, auth["user_entity"])
        login_targets = {**targets, "password": "password", f"identity:{identity['name']}": "identity"}
        refresh_key = token_key = None
        reply = success.get("schema") or {}
        if "$ref" in reply:
            reply = components.get(str(reply["$ref"]).rsplit("/", 1)[-1], {})
        for key, prop in (reply.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("x-source") == "refresh_token":
                refresh_key = key
            if isinstance(prop, dict) and prop.get("x-source") == "token":
                token_key = key
        out[op["kind"]] = {
            "op": op["operation_id"], "method": op["method"], "path": op["path"], "status": int(success["status"]),
            "errors": {o: s for o, (s, *_rest) in wire_errors(op).items()},
            "body": json_sample(schema, components, unique=True, targets=targets) if schema else None,
            "login_body": json_sample(schema, components, targets=login_targets) if schema else None,
            "refresh_key": refresh_key or next((k["key"] for k in op.get("response_keys", [])
                                                if k.get("source") == "refresh_token"), None),
            "request_key": next(iter((schema or {}).get("properties") or {}), None),
            "token_key": token_key, "envelope": op.get("request_envelope"),
        }
    return out


__all__ = [
    "auth_test_plan",
    "error_table",
    "factory_plans",
    "lifecycle_plans",
    "operation_plans",
    "request_schema",
    "success_statuses",
]
