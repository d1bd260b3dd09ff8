"""OpenAPI component schemas: views, create/update bodies, auth bodies, custom inputs, errors."""

from __future__ import annotations

from typing import Any

from backend_agent.blueprint import Blueprint, CustomAction, PasswordPolicy
from backend_agent.design._types import json_schema, nullable, ref
from backend_agent.design.entities import id_schema
from backend_agent.design.model import AuthDesign, EntityDesign, OperationDesign, ServiceDesign
from backend_agent.design.naming import json_key
from backend_agent.design.operations import custom_input_schema

Schema = dict[str, Any]


def _obj(props: dict[str, Schema], required: list[str], description: str = "") -> Schema:
    schema: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def _body(bp: Blueprint, ed: EntityDesign, *, create: bool, drop: set[str], only: list[str] | None = None,
          open_body: bool = False) -> Schema:
    props: dict[str, Schema] = {}
    required: list[str] = []
    auth = bp.auth
    for fd in ed.fields:
        if fd.builtin or not (fd.in_create if create else fd.in_update) or fd.name in drop:
            continue
        if only is not None and fd.name not in only:
            continue
        schema = dict(fd.json_schema)
        if fd.secret and auth and ed.name == auth.user_entity and fd.name == auth.password_field:
            schema["minLength"] = max(schema.get("minLength", 0), auth.password_policy.min_length)
            schema["maxLength"] = min(schema.get("maxLength", 10**6), auth.password_policy.max_length)
            schema["description"] = _password_rules(schema["minLength"], schema["maxLength"], auth.password_policy)
        if fd.write_only:
            schema["writeOnly"] = True
        if fd.secret:
            policy = auth.password_policy if auth and fd.name == auth.password_field else None
            schema["examples"] = [_secret_example(schema.get("minLength", 0), schema.get("maxLength", 128), policy)]
        props[fd.json_name] = schema if fd.required else nullable(schema)
        if create and fd.required and not fd.has_default:
            required.append(fd.json_name)
    for rd in ed.relations:
        if rd.request_as == "none" or not rd.request_json_name or (only is not None and rd.name not in only):
            continue
        target = bp.entities[rd.target]
        many = rd.kind in ("one_to_many", "many_to_many")
        if rd.request_as == "id":
            item = id_schema(target)
        else:
            f = target.fields.get(rd.request_field or "")
            item = json_schema(f) if f else {"type": "string"}
        props[rd.request_json_name] = {"type": "array", "items": item} if many else item
        if create and rd.required:
            required.append(rd.request_json_name)
    schema = _obj(props, required)
    if open_body:
        schema["additionalProperties"] = True
    return schema


def _secret_example(min_length: int, max_length: int, policy: PasswordPolicy | None) -> str:
    """An example secret that passes the length bounds and the password policy."""
    suffix = ("7" if policy and policy.require_digit else "") + ("!" if policy and policy.require_symbol else "")
    body = "correct-horse-battery-staple"
    while len(body) + len(suffix) < min_length:
        body += "-staple"
    keep = max(max_length - len(suffix), 1)
    return (body[:keep] + suffix)[:max_length]


def _password_rules(min_length: int, max_length: int, policy: PasswordPolicy) -> str:
    rules = [f"{min_length}-{max_length} characters"]
    rules += [f"at least one {what}" for what, wanted in (
        ("letter", policy.require_letter), ("digit", policy.require_digit), ("symbol", policy.require_symbol))
        if wanted]
    return "a password of " + ", ".join(rules)


def _login_schema(svc: ServiceDesign, auth: AuthDesign, user: EntityDesign) -> Schema:
    """Sign-in body: the password and one identity field (exactly one when there are several)."""
    fields = {fd.name: fd for fd in user.fields}
    keys = [json_key(n, svc.naming) for n in auth.identity]
    props: dict[str, Schema] = {}
    for name, key in zip(auth.identity, keys, strict=True):
        shown = fields[name].json_schema if name in fields else {"type": "string"}
        props[key] = {k: v for k, v in shown.items() if k in ("type", "format", "maxLength", "examples")}
    password = json_key(auth.password_field, svc.naming)
    props[password] = {"type": "string", "writeOnly": True, "examples": ["correct-horse-battery-staple"]}
    if len(keys) == 1:
        return _obj(props, [*keys, password])
    schema = _obj(props, [password], "sign in with exactly one of " + ", ".join(keys))
    schema["oneOf"] = [{"required": [key]} for key in keys]
    return schema


_SHAPE_VALUES: dict[str, Schema] = {
    "$message": {"type": "string", "examples": ["title: field required"], "x-source": "error.message"},
    "$messages": {"type": "array", "items": {"type": "string"}, "examples": [["can't be empty"]],
                  "x-source": "error.messages"},
    "$code": {"type": "string", "examples": ["validation_error"], "x-source": "error.code"},
    "$status": {"type": "integer", "examples": [422], "x-source": "error.status"},
    "$details": {"type": ["array", "object", "null"], "x-source": "error.details"},
    "$fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "x-source": "error.fields"},
}
SHAPE_VALUES = tuple(_SHAPE_VALUES)


def shape_schema(shape: Any) -> Schema:
    """The schema of an error body template such as ``{errors: {body: $messages}}`` (every key required)."""
    if isinstance(shape, dict):
        props = {str(k): shape_schema(v) for k, v in shape.items()}
        return {"type": "object", "properties": props, "required": list(props)}
    if isinstance(shape, str) and shape in _SHAPE_VALUES:
        return dict(_SHAPE_VALUES[shape])
    return {"const": shape}


def error_schema(svc: ServiceDesign) -> Schema:
    if svc.error_shape is not None:
        return shape_schema(svc.error_shape)
    if svc.error_style == "field_list":
        inner: Schema = {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": 'messages per field; general problems under "body"',
            "examples": [{"body": ["can't be empty"]}],
        }
    else:
        inner = {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": sorted(set(svc.error_codes.values())),
                         "examples": ["validation_error"]},
                "message": {"type": "string", "examples": ["title: field required"]},
                "details": {"type": ["array", "object", "null"]},
            },
            "required": ["code", "message"],
        }
    return {"type": "object", "properties": {svc.error_key: inner}, "required": [svc.error_key]}


def _auth_response(op: OperationDesign, ed: EntityDesign, auth: AuthDesign) -> Schema:
    view = ed.views[op.view or ed.default_view]
    has_token = any(f.source == "token" for f in view.fields)
    inner: Schema = ref(view.schema_name)
    if op.token == "in_object" and not has_token:
        inner = {"allOf": [ref(view.schema_name), _obj({"token": {"type": "string"}}, ["token"])]}
    if op.reply is not None:
        return _reply_schema(op.reply, inner, auth)
    key = op.response_envelope
    props: dict[str, Schema] = {}
    if key:
        props[key] = inner
    if op.token == "beside":
        props["token"] = {"type": "string", "description": f"JWT; send as 'Authorization: {auth.scheme} <token>'"}
        if auth.refresh:
            props["refresh_token"] = {"type": "string"}
        if not key:
            props["user"] = inner
    if op.message:
        if not props:  # the message needs an object to sit in: the view goes beside it under `user`
            props["user"] = inner
        props["message"] = {"type": "string", "examples": [op.message]}
    if not props:
        return inner
    return {"type": "object", "properties": props, "required": list(props)}


def _reply_schema(reply: dict[str, Any], inner: Schema, auth: AuthDesign) -> Schema:
    """An auth reply template as a schema; ``x-source`` tells the generator what fills each key."""
    props: dict[str, Schema] = {}
    for key, value in reply.items():
        if value == "$user":
            props[key] = {**inner, "x-source": "document"} if "$ref" not in inner else {
                "allOf": [inner], "x-source": "document"}
        elif value in ("$token", "$refresh_token"):
            props[key] = {"type": "string", "x-source": value[1:]}
        elif value == "$expires_in":
            props[key] = {"type": "integer", "minimum": 1, "examples": [auth.access_ttl_minutes * 60],
                          "description": "seconds until the access token expires", "x-source": "expires_in"}
        elif value == "$token_type":
            props[key] = {"type": "string", "const": auth.scheme, "x-source": "token_type"}
        else:
            kind = {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
            props[key] = {"type": kind, "const": value, "x-source": "const", "x-value": value}
    return {"type": "object", "properties": props, "required": list(props)}


def build_schemas(bp: Blueprint, svc: ServiceDesign, auth: AuthDesign | None, entities: dict[str, EntityDesign],
                  operations: list[OperationDesign]) -> dict[str, Schema]:
    schemas: dict[str, Schema] = {"Error": error_schema(svc)}
    for ed in entities.values():
        for view in ed.views.values():
            props = {vf.json_name: vf.json_schema for vf in view.fields}
            schemas[view.schema_name] = {"type": "object", "properties": props, "required": list(props),
                                         "description": f"{ed.name} ({view.name} view)"}
        ops = {op.kind for op in operations if op.entity == ed.name}
        if "create" in ops:
            schemas[ed.create_schema] = _body(bp, ed, create=True, drop=set())
        if "update" in ops:
            schemas[ed.update_schema] = _body(bp, ed, create=False, drop=set())
        for op in operations:
            if op.entity == ed.name and (op.writable is not None or op.open_body) and op.request_schema:
                create = op.kind in ("create", "register")
                drop = {auth.role_field} if auth and auth.role_field and op.tag == "auth" else set()
                schemas[op.request_schema] = _body(bp, ed, create=create, drop=drop, only=op.writable,
                                                   open_body=op.open_body)
        for aname, action in bp.entities[ed.name].actions.items():
            if isinstance(action, CustomAction) and action.input:
                props = {json_key(n, svc.naming): json_schema(f) for n, f in action.input.items()}
                required = [json_key(n, svc.naming) for n, f in action.input.items() if f.required]
                schemas[custom_input_schema(ed.name, aname)] = _obj(props, required, f"input of {aname}")
    if auth is not None:
        user = entities[auth.user_entity]
        drop = {auth.role_field} if auth.role_field else set()
        schemas[f"{user.name}Register"] = _body(bp, user, create=True, drop=drop)
        schemas[f"{user.name}UpdateMe"] = _body(bp, user, create=False, drop=drop)
        schemas["LoginRequest"] = _login_schema(svc, auth, user)
        pair: dict[str, Schema] = {"access_token": {"type": "string"},
                                   "token_type": {"type": "string", "const": auth.scheme}}
        if auth.refresh:
            pair["refresh_token"] = {"type": "string"}
            schemas["RefreshRequest"] = _obj({"refresh_token": {"type": "string"}}, ["refresh_token"])
        schemas["TokenPair"] = _obj(pair, list(pair))
        token = {"type": "string", "minLength": 16, "description": "the token from the mail",
                 "examples": ["q8Vd1nR2bXo4KcT7wYz0aLm5.3fGhJk9LpQr2StUv6WxYz1Ab"]}
        schemas["VerifyEmailRequest"] = _obj({"token": token}, ["token"])
        mail = json_key(auth.email_field or auth.identity[0], svc.naming)
        schemas["PasswordResetRequest"] = _obj({mail: {"type": "string", "format": "email"}}, [mail])
        password = dict(_body(bp, user, create=True, drop=set())["properties"].get(
            json_key(auth.password_field, svc.naming), {"type": "string"}))
        schemas["PasswordResetConfirm"] = _obj({"token": token, json_key(auth.password_field, svc.naming): password},
                                               ["token", json_key(auth.password_field, svc.naming)])
        for op in operations:
            if op.tag == "auth" and op.response_schema and op.kind != "refresh":
                schemas[op.response_schema] = _auth_response(op, user, auth)
    return schemas


__all__ = ["SHAPE_VALUES", "build_schemas", "error_schema", "ref", "shape_schema"]
