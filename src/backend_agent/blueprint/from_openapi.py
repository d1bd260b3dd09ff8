"""Draft a contract-first blueprint from an OpenAPI contract.

Entities are inferred from the resources of the paths and the objects their responses return;
operations that look like CRUD are bound to standard operations, the rest to custom handlers
named after them. Every guess is marked with a ``# guess:`` comment. The draft is designed once
more before it is returned: a standard binding the design rejects falls back to a custom handler,
so the draft always validates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend_agent.blueprint.contract import Contract, ContractOperation, load_contract

Schema = dict[str, Any]
_BUILTIN = {"id": "id", "created_at": "created_at", "updated_at": "updated_at", "createdAt": "created_at",
            "updatedAt": "updated_at"}
_RESERVED = {"copy", "dict", "json", "schema", "validate", "metadata", "registry", "register", "construct",
             "model_config", "deleted_at", "class", "def", "from", "import", "global", "return", "type"}


@dataclass
class DraftReport:
    """What the draft bound without help."""

    operations: int
    bound: int  # bound to a standard operation (not custom)
    custom: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)  # starter templates written to templates/ beside the draft

    @property
    def share(self) -> float:
        return self.bound / self.operations if self.operations else 1.0


@dataclass
class _Entity:
    name: str
    fields: dict[str, Schema] = field(default_factory=dict)  # snake name -> field spec
    wire: dict[str, str] = field(default_factory=dict)  # snake name -> wire name
    lookup: str | None = None
    parent: tuple[str, str] | None = None  # (relation name, target entity) when nested under an item path
    filters: dict[str, str] = field(default_factory=dict)  # query parameter -> field
    ops: dict[str, bool] = field(default_factory=dict)  # standard operation -> public
    id_type: str = "int"
    timestamps: bool = False


def _snake(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]+", "_", name)
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text).lower().strip("_")
    text = re.sub(r"_+", "_", text) or "value"
    if text[0].isdigit():
        text = "f_" + text
    return text + "_value" if text in _RESERVED or text.startswith("model_") else text


def _pascal(word: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", word) if part) or "Thing"


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")


def _resource(path: str) -> tuple[str | None, bool, str | None]:
    """(resource segment, addresses one item, trailing action segment) of a path.

    A static segment after an item (``/articles/{slug}/comments``) starts a nested resource when it
    reads as a plural, else it is an action (``/articles/{slug}/favorite``); one after a collection
    (``/articles/feed``, ``/users/login``) is an action on it."""
    segments = [s for s in path.strip("/").split("/") if s]
    while len(segments) > 1 and re.fullmatch(r"api|rest|rpc|v\d+", segments[0]):  # /api/v1/things
        segments = segments[1:]
    resource: str | None = None
    item = False
    action: str | None = None
    for seg in segments:
        if seg.startswith("{"):
            if action is not None:
                return resource, item, action
            item = resource is not None
        elif resource is None or (item and _plural(seg) and action is None):
            resource, item, action = seg, False, None
        else:
            action = seg
    return resource, item, action


def _types(schema: Schema) -> set[str]:
    kind = schema.get("type")
    types = set(kind) if isinstance(kind, list) else ({kind} if isinstance(kind, str) else set())
    if schema.get("nullable"):
        types.add("null")
    return types


# values auth issues beside a user (refreshToken in a camelCase contract): never stored fields
_ISSUED = ("token", "access_token", "refresh_token", "token_type", "expires_in")


def _row(schema: Schema | None, depth: int = 0) -> Schema | None:
    """The object a body is about: unwrap single-key envelopes and arrays."""
    if not isinstance(schema, dict) or depth > 4:
        return None
    props = schema.get("properties") or {}
    if "array" in _types(schema) and isinstance(schema.get("items"), dict):
        return _row(schema["items"], depth + 1)
    for sub in props.values():  # {items: [...], total: n}: the rows are in the array
        if isinstance(sub, dict) and "array" in _types(sub) and (sub.get("items") or {}).get("properties"):
            return _row(sub["items"], depth + 1)
    if len(props) == 1:
        only = next(iter(props.values()))
        if isinstance(only, dict) and only.get("properties"):
            return _row(only, depth + 1)
    scalars = [k for k, v in props.items() if isinstance(v, dict) and not (_types(v) & {"object", "array"})
               and _snake(k) not in (*_ISSUED, "ok", "message")]
    if len(scalars) >= 1 and len(scalars) >= len(props) / 3:
        return schema
    nested = [v for v in props.values() if isinstance(v, dict) and (_types(v) & {"object", "array"}
                                                                     or "properties" in v)]
    for sub in nested:
        found = _row(sub, depth + 1)
        if found is not None:
            return found
    return None


def _field(schema: Schema) -> Schema:
    types = _types(schema) - {"null"}
    fmt = schema.get("format")
    spec: Schema
    if "enum" in schema and types <= {"string"}:
        spec = {"type": "enum", "values": [str(v) for v in schema["enum"] if v is not None]}
    elif types == {"string"}:
        spec = {"type": {"date-time": "datetime", "date": "date", "email": "email", "uri": "url", "uuid": "uuid",
                         "time": "time"}.get(str(fmt), "string")}
        if spec["type"] == "string":
            spec["max_length"] = int(schema.get("maxLength", 255)) if schema.get("maxLength", 0) <= 10000 else 10000
            if "maxLength" not in schema:
                spec = {"type": "text"}
    elif types == {"integer"}:
        spec = {"type": "bigint" if fmt == "int64" else "int"}
    elif types == {"number"}:
        spec = {"type": "float"}
    elif types == {"boolean"}:
        spec = {"type": "bool"}
    elif types == {"array"}:
        spec = {"type": "json", "default": []}
    else:
        spec = {"type": "json", "default": {}}
    return spec


class _Drafter:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.entities: dict[str, _Entity] = {}
        self.bindings: dict[str, str | Schema] = {}
        self.comments: dict[str, str] = {}
        self.camel = False
        self.auth_ops: dict[str, str] = {}  # auth operation -> contract path

    def entity_for(self, resource: str) -> _Entity:
        name = _pascal(_singular(resource))
        return self.entities.setdefault(name, _Entity(name))

    def absorb(self, ent: _Entity, schema: Schema | None, *, required: set[str] | None = None) -> None:
        row = _row(schema)
        if row is None:
            return
        need = set(row.get("required") or [])
        for key, sub in (row.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            if re.search(r"[a-z][A-Z]", key):
                self.camel = True
            if _snake(key) in _ISSUED:
                continue  # issued by auth, not stored
            if key.lower() in (f"{ent.name.lower()}id", f"{ent.name.lower()}_id") and _types(sub) & {
                    "integer", "string"}:
                ent.wire["id"] = key  # userId: the primary key under another name
                if sub.get("format") == "uuid":
                    ent.id_type = "uuid"
                continue
            if key in _BUILTIN:
                if _BUILTIN[key] == "id" and "string" in _types(sub) and sub.get("format") == "uuid":
                    ent.id_type = "uuid"
                if _BUILTIN[key] != "id":
                    ent.timestamps = True
                continue
            name = _snake(key)
            if name in ent.fields:
                continue
            spec = _field(sub)
            nullable = "null" in _types(sub)
            if key in need and not nullable:
                spec["required"] = True
                if required is not None and key not in required and "default" not in spec:
                    default = _default(spec)
                    if spec["type"] in ("datetime", "date", "uuid"):  # the service makes it on create
                        spec["generate"] = "uuid" if spec["type"] == "uuid" else "now"
                    elif default is None:  # no neutral value: clients cannot leave it out
                        spec.pop("required")
                    else:
                        spec["default"] = default
            ent.fields[name] = spec
            ent.wire[name] = key

    def auth_behaviour(self, op: ContractOperation) -> str | None:
        """Sign-up, sign-in, the current user, sign-out, refresh, email verification and password reset:
        recognised by their path words and the keys their bodies send."""
        words = set(re.split(r"[^a-z]+", op.path.lower()))
        body = _row(op.request.schema if op.request else None) or {}
        sends_password = any("password" in k.lower() for k in (body.get("properties") or {}))
        raw = (op.request.schema if op.request else None) or {}
        keys = {_snake(k) for k in (*(body.get("properties") or {}), *(raw.get("properties") or {}))}
        if op.method == "POST" and "password" in words and words & {"forgot", "reset", "request", "lost"}:
            if "token" in keys and sends_password:
                return "reset_password"
            if not sends_password:
                return "request_password_reset"
        if op.method == "POST" and words & {"verify", "verification", "confirm"} and "token" in keys:
            return "verify_email"
        if op.method == "POST" and "refresh_token" in keys and not sends_password:
            return "refresh"
        if words & {"login", "signin", "sessions", "session", "token"} and op.method == "POST" and sends_password:
            return "login"
        if words & {"signup", "register", "registration"} and op.method == "POST" and sends_password:
            return "register"
        success = next((b for code, b in op.responses.items() if 200 <= code < 300), None)
        answers = (success.schema if success else None) or {}
        issues_a_token = any(_snake(k) in _ISSUED for k in (answers.get("properties") or {}))
        if op.method == "POST" and sends_password and issues_a_token and "{" not in op.path:
            return "register"  # POST /api/members with a password, answered with a token: a sign-up
        if words & {"logout", "signout"} and op.method == "POST":
            return "logout"
        if words & {"me", "user", "profile", "account"} and not words & {"users", "profiles", "accounts"}:
            return {"GET": "me", "PUT": "update_me", "PATCH": "update_me"}.get(op.method)
        return None

    def draft(self) -> None:
        for op in self.contract.operations:
            auth_op = self.auth_behaviour(op)
            if auth_op is not None:
                self.auth_ops[auth_op] = op.path
                self.bindings[op.key] = f"auth.{auth_op}"
                self.comments[op.key] = f"guess: {op.route} looks like {auth_op.replace('_', ' ')}"
                user = self.entities.setdefault("User", _Entity("User"))
                self.absorb(user, op.request.schema if op.request and auth_op == "register" else None)
                success = next((b for code, b in op.responses.items() if 200 <= code < 300), None)
                self.absorb(user, success.schema if success else None, required=set())
                continue
            resource, item, action = _resource(op.path)
            if resource is None:
                self.custom(op, "no resource in the path")
                continue
            if not item and action is None and not _plural(resource) and op.method == "GET":
                self.custom(op, f"/{resource} is a single resource, not a collection")
                continue
            if action is not None and not item:
                self.custom(op, f"'{action}' is an action on {resource}")
                continue
            ent = self.entity_for(resource)
            parent = _parent_resource(op.path, resource)
            if parent is not None and ent.parent is None:
                target = self.entity_for(parent)
                ent.parent = (_snake(_singular(parent)), target.name)
            for param in op.parameters:
                name = _snake(param.name)
                if param.location == "query" and param.name not in ("limit", "offset", "cursor"):
                    ent.filters.setdefault(param.name, name)
            success = next((b for s, b in op.responses.items() if 200 <= s < 300), None)
            values = _scalar_list(success.schema if success else None)
            if values is not None and op.method == "GET" and not item:
                ent.fields.setdefault("name", {"type": "string", "required": True, "unique": True})
                ent.ops["list"] = not op.needs_token
                self.bindings[op.key] = {"operation": f"{ent.name}.list", "values_of": "name"}
                self.comments[op.key] = f"guess: {op.route} lists the {values} of {ent.name} rows"
                continue
            request = op.request.schema if op.request else None
            req_required = set((_row(request) or {}).get("required") or [])
            self.absorb(ent, success.schema if success else None, required=req_required if request else None)
            self.absorb(ent, request, required=req_required)
            behaviour = self.standard(op, item, action)
            if behaviour is None:
                self.custom(op, "not a recognisable CRUD operation", entity=ent.name)
                continue
            if item:
                params = [p for p in op.parameters if p.location == "path"]
                if params and params[-1].name not in ("id",) and ent.parent is None:
                    lookup = _snake(params[-1].name)
                    ent.lookup = ent.lookup or lookup
                    spec = ent.fields.setdefault(lookup, _field(params[-1].schema) | {"required": True})
                    spec["unique"] = True
                    spec.setdefault("required", True)
            ent.ops[behaviour] = not op.needs_token
            self.bindings[op.key] = f"{ent.name}.{behaviour}"
            if success is not None and success.content_type in ("text/html", "text/plain"):
                suffix = "html" if success.content_type == "text/html" else "txt"
                page = "_list" if behaviour == "list" else ""  # a list's template renders `rows`
                self.bindings[op.key] = {"operation": f"{ent.name}.{behaviour}",
                                         "template": f"{_snake(ent.name)}{page}.{suffix}.j2"}
            self.comments[op.key] = f"guess: {op.route} looks like {behaviour}"

    @staticmethod
    def standard(op: ContractOperation, item: bool, action: str | None) -> str | None:
        if action is not None:
            return None
        table = {("GET", False): "list", ("POST", False): "create", ("GET", True): "get", ("PUT", True): "update",
                 ("PATCH", True): "update", ("DELETE", True): "delete"}
        return table.get((op.method, item))

    def custom(self, op: ContractOperation, why: str, *, entity: str | None = None) -> None:
        spec: Schema = {"operation": "custom", "handler": f"app_rules:{_snake(op.key)}"}
        if entity is not None:
            spec["entity"] = entity
        self.bindings[op.key] = spec
        self.comments[op.key] = f"guess: custom handler ({why})"

    def render(self, contract_path: str, service: str) -> str:
        out: list[str] = [
            f"# Drafted by `backend-agent blueprint from-openapi` from {contract_path}.",
            "# Every `# guess:` is an inference to check; the contract decides the wire format.",
            "service:",
            f"  name: {service}",
            f"  contract: {contract_path}",
        ]
        if self.camel:
            out.append("  naming: camelCase")
        if self.needs_auth() or self.auth_ops:
            flags = ", ".join(f"{name}: {{enabled: {'true' if name in self.auth_ops else 'false'}}}"
                              for name in ("register", "login", "me", "update_me", "refresh", "logout",
                                           "verify_email", "request_password_reset", "reset_password"))
            out += ["# guess: the contract requires tokens; sign-in is by email and password",
                    "auth:", "  user_entity: User", "  identity: [email]", f"  operations: {{{flags}}}"]
            if "refresh" in self.auth_ops:
                out.append("  tokens: {refresh: true}  # guess: the contract exchanges refresh tokens")
            user = self.entities.setdefault("User", _Entity("User"))
            user.fields.setdefault("email", {"type": "email", "required": True})
            user.fields["email"]["unique"] = True
            user.fields["email"].setdefault("required", True)
            user.fields["password"] = {"type": "string", "required": True, "secret": True}
        out.append("entities:")
        for ent in self.entities.values():
            out.append(f"  {ent.name}:")
            if ent.lookup:
                out.append(f"    lookup: {ent.lookup}")
            options = []
            if not ent.timestamps:
                options.append("timestamps: false")
            if ent.id_type == "uuid":
                options.append("id_type: uuid")
            if options:
                out.append("    options: {" + ", ".join(options) + "}")
            renamed = {name: wire for name, wire in ent.wire.items() if name == "id"}
            if renamed:
                out.append("    wire_names: " + _flow(renamed) + "  # guess: the key's name in the contract")
            out.append("    fields:")
            fields = ent.fields or {"name": {"type": "string"}}
            for name, spec in fields.items():
                out.append(f"      {name}: {_flow(spec)}")
            if ent.parent is not None:
                rel, target = ent.parent
                out.append("    relations:")
                out.append(f"      {rel}: {{kind: many_to_one, target: {target}, required: true, on_delete: cascade, "
                           "request: none, response: none}  # guess: nested under its path")
            out.append("    api:")
            if ent.parent is not None:
                out.append(f"      parent: {ent.parent[0]}")
            usable = {p: f for p, f in ent.filters.items() if f in ent.fields}
            if usable:
                out.append("      filters:  # guess: query parameters compare a field")
                for param, fname in usable.items():
                    out.append(f"        - {{param: {param}, field: {fname}}}")
            if not ent.ops:
                out.append("      operations: []")
            else:
                out.append("      operations:")
                for name, public in sorted(ent.ops.items()):
                    out.append(f"        {name}: {{public: {'true' if public else 'false'}}}")
        out.append("bindings:")
        for key, binding in self.bindings.items():
            shown = key if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) else _quote(key)
            out.append(f"  # {self.comments[key]}")
            out.append(f"  {shown}: {binding if isinstance(binding, str) else _flow(binding)}")
        return "\n".join(out) + "\n"

    def needs_auth(self) -> bool:
        return any(op.needs_token for op in self.contract.operations)


def _parent_resource(path: str, resource: str) -> str | None:
    """``/articles/{slug}/comments`` -> ``articles`` (the resource owning the item the path is under)."""
    segments = [s for s in path.strip("/").split("/") if s]
    if resource not in segments:
        return None
    index = segments.index(resource)
    if index >= 2 and segments[index - 1].startswith("{") and not segments[index - 2].startswith("{"):
        return segments[index - 2]
    return None


def _scalar_list(schema: Schema | None) -> str | None:
    """The key of ``{key: [scalars]}`` (e.g. ``{tags: [string]}``), or None."""
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties") or {}
    if len(props) == 1:
        key, sub = next(iter(props.items()))
        item = (sub or {}).get("items") or {}
        if "array" in _types(sub or {}) and _types(item) & {"string", "integer"} and not item.get("properties"):
            return str(key)
    return None


def _default(spec: Schema) -> Any:
    return {"string": "", "text": "", "int": 0, "bigint": 0, "float": 0.0, "bool": False}.get(str(spec["type"]))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(spec: Schema) -> str:
    return yaml.safe_dump(spec, default_flow_style=True, sort_keys=False, width=10**6).strip()


def from_openapi(spec: str | Path, *, output: str | Path | None = None, service: str | None = None,
                 ) -> tuple[str, DraftReport]:
    """Draft a contract-first blueprint for the contract ``spec``; returns the YAML text and a report.

    ``output`` is where the blueprint will be written (its contract path is made relative to it); a starter
    for each text/html or text/plain template the draft names is written to ``templates/`` beside it
    (an existing file is kept)."""
    from backend_agent.blueprint.loader import parse_blueprint
    from backend_agent.errors import BlueprintError

    spec_path = Path(spec).resolve()
    contract = load_contract(spec_path)
    folder = Path(output).resolve().parent if output is not None else Path.cwd()
    try:
        relative = str(Path(_relpath(spec_path, folder)))
    except ValueError:
        relative = str(spec_path)
    name = service or re.sub(r"[^a-z0-9-]+", "-", (contract.title or spec_path.stem).lower()).strip("-") or "service"
    if not re.match(r"^[a-z]", name):
        name = "svc-" + name
    drafter = _Drafter(contract)
    drafter.draft()
    text = drafter.render(relative, name)
    written = _starter_templates(drafter, folder) if output is not None else []
    for _ in range(len(contract.operations) + 1):
        try:
            bp = parse_blueprint(text, source="<draft>").with_base_dir(folder)
            _design(bp)
            break
        except BlueprintError as exc:
            failing = _failing_bindings(exc, drafter)
            if not failing:
                raise
            for key in failing:
                op = contract.operation(key)
                assert op is not None
                bound = drafter.bindings[key]
                head = bound.split(".")[0] if isinstance(bound, str) else None
                entity = head if head in drafter.entities else None
                drafter.custom(op, "a standard binding did not fit: " + _first_reason(exc, key), entity=entity)
            text = drafter.render(relative, name)
    custom = [k for k, v in drafter.bindings.items() if isinstance(v, dict) and v.get("operation") == "custom"]
    return text, DraftReport(len(contract.operations), len(contract.operations) - len(custom), custom, written)


_STARTER_HTML = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ row.values() | first }}</title></head>
<body>
  <dl>
  {%- for key, value in row.items() %}
    <dt>{{ key }}</dt><dd>{{ value }}</dd>
  {%- endfor %}
  </dl>
</body>
</html>
"""
_STARTER_TEXT = "{% for key, value in row.items() %}{{ key }}: {{ value }}\n{% endfor %}"
_STARTER_LIST_HTML = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ rows | length }} rows</title></head>
<body>
  <table>
  {%- for row in rows %}
    <tr>{% for value in row.values() %}<td>{{ value }}</td>{% endfor %}</tr>
  {%- endfor %}
  </table>
</body>
</html>
"""
_STARTER_LIST_TEXT = "{% for row in rows %}{{ row.values() | join('\\t') }}\n{% endfor %}"


def _starter_templates(drafter: _Drafter, folder: Path) -> list[str]:
    """A starter for each template the draft names and ``templates/`` lacks (HTML ones are autoescaped)."""
    written = []
    for binding in drafter.bindings.values():
        name = binding.get("template") if isinstance(binding, dict) else None
        if not name or (folder / "templates" / name).exists():
            continue
        if "_list." in name:
            starter = _STARTER_LIST_HTML if ".html" in name else _STARTER_LIST_TEXT
        else:
            starter = _STARTER_HTML if ".html" in name else _STARTER_TEXT
        (folder / "templates").mkdir(parents=True, exist_ok=True)
        (folder / "templates" / name).write_text(starter, encoding="utf-8")
        written.append(f"templates/{name}")
    return written


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def _design(bp: Any) -> None:
    from backend_agent.design import design

    design(bp)


def _failing_bindings(exc: Any, drafter: _Drafter) -> list[str]:
    keys = []
    for problem in exc.problems:
        path = problem.location.key_path if problem.location else None
        if path and path.startswith("bindings."):
            key = path.split(".")[1]
            if key in drafter.bindings and isinstance(drafter.bindings[key], str) and key not in keys:
                keys.append(key)
    return keys


def _first_reason(exc: Any, key: str) -> str:
    for problem in exc.problems:
        if problem.location and (problem.location.key_path or "").startswith(f"bindings.{key}"):
            return problem.message.replace("\n", " ")[:120]
    return "see blueprint validate"


__all__ = ["DraftReport", "from_openapi"]
