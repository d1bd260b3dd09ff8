"""Contract-first designs (``design.json`` ``"mode": "contract"``) prepared for the service generator.

A contract-mode design holds the same entities, tables and operation kinds as a blueprint-mode one;
``wire`` is authoritative for statuses and shapes, and the older keys are filled "as far as they
apply" (``docs/design-json.md``). ``prepare_contract_design`` returns a copy in the form the
generator's context (``context.py``) already serves:

* parent path keys ``maps_to: "article.slug"`` (relation.field) become ``"Article.slug"``;
* request/response envelope keys, list and count keys and bare arrays are read off ``wire``;
* each response row's view is derived from its schema (``x-source`` per property), so exactly the
  contract's keys are written (e.g. no ``id`` in a RealWorld article);
* paging style (cursor/offset) from the contract's list parameters;
* per operation, the status, body schema and content type of every error outcome
  (``_wire_errors``), which the generated ``app/api/wire_errors.py`` answers with;
* request properties selecting the row (``x-target: select:``, RPC style) as ``_body_select``;
  constants (``x-source: const``) as view fields and list-envelope keys (``_list_consts``);
* custom bindings get a typed request class (``_request_class``, see ``typed_handlers.py``).

Operations whose contract needs a construct the generator does not emit yet (e.g. a custom binding
without an entity) are refused
all at once and by name, so nothing is generated that would silently differ from its contract.
The served ``/openapi.json`` is the design's normalized contract as written.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from backend_agent.errors import GenerationError
from backend_agent.generate.context import LIST_KINDS, snake
from backend_agent.generate.text_pages import text_template_of

Json = dict[str, Any]

# Operation kinds whose behaviour the generator emits for contract bindings.
SERVED_KINDS = frozenset({
    "list", "get", "create", "update", "delete", "toggle_add", "toggle_remove", "feed", "transition",
    "register", "login", "me", "update_me", "refresh", "logout", "verify_email", "request_password_reset",
    "reset_password", "custom",
})
# JSON response content types the generated routers write.
SERVED_CONTENT = (None, "application/json")
# text bodies: a Jinja2 template (design.json ``templates``) renders the row; errors are the message
TEXT_CONTENT = ("text/html", "text/plain")
# request bodies: JSON, or HTML form fields read into the same model (app/core/forms.py)
FORM_CONTENT = "application/x-www-form-urlencoded"
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})


def prepare_contract_design(design: Json, blueprint: Path | str, openapi: Json | None = None) -> Json:
    """A copy of ``design`` in the form the generator serves, or a GenerationError naming what is missing."""
    prepared = copy.deepcopy(design)
    problems = [problem for op in prepared["operations"] for problem in _unserved(prepared, op)]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise GenerationError(
            f"{blueprint}: {len(problems)} contract operation(s) need constructs the generator does not emit yet:\n"
            f"{listed}",
            hint="`backend-agent design` still designs this contract; `new` serves contract-first services whose "
                 "operations are standard entity or auth bindings with JSON bodies (e.g. examples/realworld)")
    views = WireViews(prepared)
    for op in prepared["operations"]:
        _parent_keys_as_entity_fields(prepared, op)
        _shape_keys_from_wire(op)
        _body_select(op)
        _typed_handler(op)
        views.apply(op)
        _request_schema_of_contract(op, (openapi or {}).get("components", {}).get("schemas", {}))
    _entity_envelopes_from_wire(prepared)
    _pagination_from_parameters(prepared)
    add_wire_error_tables(prepared)
    if views.problems:
        raise GenerationError(f"{blueprint}: response shapes the generator cannot build yet:\n"
                              + "\n".join(f"  - {p}" for p in views.problems),
                              hint="`backend-agent design` still designs this contract")
    return prepared


def _unserved(design: Json, op: Json) -> list[str]:
    name = f"{op['operation_id']} ({op['method']} {op['path']})"
    out: list[str] = []
    if op["kind"] not in SERVED_KINDS:
        out.append(f"{name}: behaviour {op['kind']!r}"
                   + (f" (handler {op['handler']})" if op.get("handler") else ""))
    if not op.get("entity") or op["entity"] not in design["entities"]:
        some = next(iter(design["entities"]), "Entity")
        out.append(f"{name}: binding without an entity (add entity: {some}, or the entity the handler works on, "
                   f"to {(op.get('binding') or {}).get('origin') or 'its binding'}: its route and service are "
                   "generated with that entity's)")
    wire = op.get("wire") or {}
    for response in wire.get("responses", []):
        content = response.get("content_type")
        json_error = response.get("outcome") != "success" and str(content).endswith("+json")
        if content not in SERVED_CONTENT and not json_error and not _served_text(op, response):
            out.append(f"{name}: {response['status']} answers {content}")
    request = wire.get("request")
    if request and request.get("content_type") not in ("application/json", FORM_CONTENT):
        out.append(f"{name}: request body {request.get('content_type')}")
    elif request and request.get("content_type") == FORM_CONTENT and (nested := _not_form_fields(request.get("schema"))):
        out.append(f"{name}: form body with {nested} (form fields are flat: strings, numbers, booleans and "
                   "repeated keys for arrays of them; send JSON for nested data)")
    if request and op["kind"] != "custom" and _has_target(request.get("schema"), ("param:",)):
        out.append(f"{name}: request passes handler parameters (x-target param:)")
    success = _success_schema(op) or {}
    if success.get("type") == "array" and design["service"].get("pagination") == "cursor" and op.get("paginated"):
        out.append(f"{name}: bare JSON array of cursor pages (the next cursor has nowhere to go)")
    return out


def _not_form_fields(schema: Any) -> str | None:
    """What in a request schema a urlencoded form cannot carry, or None when every property can."""
    if not isinstance(schema, dict) or _types(schema) - {"object"}:
        return "a body that is not an object"
    if schema.get("additionalProperties") not in (None, False):
        return "free-form properties"
    for key, prop in (schema.get("properties") or {}).items():
        kinds = _types(prop) if isinstance(prop, dict) else {"object"}
        if kinds == {"array"} or kinds == {"array", "null"}:
            kinds = _types(prop.get("items") or {})
        if not kinds <= SCALAR_TYPES:
            return f"property {key!r} of type {'/'.join(sorted(kinds)) or 'any'}"
    return None


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows (``type``, or those of its ``anyOf``/``oneOf`` options)."""
    if "type" in schema:
        declared = schema["type"]
        return set(declared) if isinstance(declared, list) else {str(declared)}
    if "enum" in schema or "const" in schema:
        return {"string"}  # values of a closed set, which a form sends as text
    options = [o for key in ("anyOf", "oneOf") for o in schema.get(key, []) if isinstance(o, dict)]
    return {t for option in options for t in _types(option)} if options else set()


def _has_target(schema: Any, prefixes: tuple[str, ...]) -> bool:
    if isinstance(schema, dict):
        target = schema.get("x-target")
        if isinstance(target, str) and target.startswith(prefixes):
            return True
        return any(_has_target(value, prefixes) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_target(item, prefixes) for item in schema)
    return False


def _served_text(op: Json, response: Json) -> bool:
    """A text/html or text/plain body the generator writes: a template rendering one row, or an error message."""
    if response.get("content_type") not in TEXT_CONTENT:
        return False
    source = str((response.get("schema") or {}).get("x-source") or "")
    if response.get("outcome") == "success":
        if op["kind"] == "custom":
            return True  # the handler returns the text (typed_handlers.py)
        return source.startswith("template:") and op["kind"] in ("get", "view", *LIST_KINDS)
    return source in ("error.message", "")


def _typed_handler(op: Json) -> None:
    """A custom handler gets ``<OperationId>Request`` (typed_handlers.py); its body model is the contract's."""
    if op["kind"] != "custom":
        return
    pascal = "".join(part[:1].upper() + part[1:] for part in op["operation_id"].replace("-", "_").split("_"))
    op["_request_class"] = f"{pascal}Request"
    content = _success_response(op).get("content_type")
    op["_text_answer"] = content if content in TEXT_CONTENT else None
    op["summary"] = op.get("summary") or f"{op['operation_id']}, answered by {op['handler']}"
    if (op.get("wire") or {}).get("request"):
        op["request_schema"] = op.get("request_schema") or f"{pascal}Body"


def _body_select(op: Json) -> None:
    """RPC style: request properties annotated ``x-target: select:Entity.field`` pick the row (``_body_select``)."""
    schema = ((op.get("wire") or {}).get("request") or {}).get("schema") or {}
    selects = [(key, prop["x-target"].partition(":")[2].split(".", 1)[1])
               for key, prop in (schema.get("properties") or {}).items()
               if isinstance(prop, dict) and str(prop.get("x-target", "")).startswith("select:")]
    if selects:
        op["_body_select"] = selects


def _success_response(op: Json) -> Json:
    """The operation's success entry of ``wire.responses`` ({} when it has none)."""
    return next((r for r in (op.get("wire") or {}).get("responses", []) if r.get("outcome") == "success"), {})


def _success_schema(op: Json) -> Json | None:
    schema = _success_response(op).get("schema")
    return schema if isinstance(schema, dict) else None


def _keys_by_annotation(schema: Json | None, annotation: str) -> dict[str, str]:
    """The top-level properties of an envelope object and their ``x-source``/``x-target`` values."""
    if not schema or schema.get("type") != "object" or schema.get(annotation):
        return {}
    return {key: prop[annotation] for key, prop in (schema.get("properties") or {}).items()
            if isinstance(prop, dict) and isinstance(prop.get(annotation), str)}


def _shape_keys_from_wire(op: Json) -> None:
    """The envelope keys of the older shape fields, taken from ``wire`` (authoritative in contract mode)."""
    wire = op.get("wire") or {}
    request = wire.get("request") or {}
    targets = _keys_by_annotation(request.get("schema"), "x-target")
    envelope = next((key for key, target in targets.items() if target == "row"), None)
    if envelope is not None:
        op["request_envelope"] = envelope
    elif (request.get("schema") or {}).get("x-target") == "row":
        op["request_envelope"] = None  # the body is the row itself, whatever envelope the blueprint names
    if (_success_schema(op) or {}).get("type") == "array" and op["kind"] in LIST_KINDS:
        op["list_key"] = op["count_key"] = None  # a bare JSON array
        return
    sources = _keys_by_annotation(_success_schema(op), "x-source")
    rows = next((key for key, source in sources.items() if source == "rows"), None)
    if rows is not None:
        op["list_key"] = rows
        consts = [(key, prop.get("x-value")) for key, prop in ((_success_schema(op) or {}).get("properties") or {}).items()
                  if isinstance(prop, dict) and prop.get("x-source") == "const"]
        if consts:
            op["_list_consts"] = consts  # written beside the rows, e.g. {"ok": true, "cards": [...]}
        op["count_key"] = next((key for key, source in sources.items() if source == "total"), None)
    row = next((key for key, source in sources.items() if source == "row"), None)
    if row is not None and op["kind"] not in ("list", "feed"):
        op["response_envelope"] = row
    if op["kind"] in ("register", "login", "me", "update_me", "refresh") and sources \
            and list(sources.values()) != ["row"]:
        # the reply has keys beside the row (e.g. {"token", "account"}), or only a token: the auth routes
        # write them in order
        replies = {"row": "document", "token": "token", "access_token": "token", "refresh_token": "refresh_token",
                   "token_type": "token_type", "const": "message"}
        op["_reply_keys"] = [(key, replies[source]) for key, source in sources.items() if source in replies]
        const = next((p for p in (_success_schema(op) or {}).get("properties", {}).values()
                      if isinstance(p, dict) and p.get("x-source") == "const"), None)
        if const is not None:
            op["message"] = const.get("x-value")



def _pagination_from_parameters(design: Json) -> None:
    """The service's paging style is what the contract's list parameters say (``cursor`` or ``offset``)."""
    roles = {p.get("maps_to") for op in design["operations"] for p in op["parameters"] if p["location"] == "query"}
    if "cursor" in roles and "offset" in roles:
        raise GenerationError("the contract pages some lists by cursor and others by offset",
                              hint="the generator serves one paging style per service")
    for op in design["operations"]:
        for param in op["parameters"]:
            if param.get("maps_to") == "offset" and "default" not in param["json_schema"]:
                # no offset means the first page (the served /openapi.json stays the contract as written)
                param["json_schema"] = {**param["json_schema"], "default": 0}
    if "cursor" in roles:
        design["service"]["pagination"] = "cursor"
    elif "offset" in roles:
        design["service"]["pagination"] = "offset"


def _entity_envelopes_from_wire(design: Json) -> None:
    """``envelope_item``/``envelope_list``/``envelope_count`` of each entity, from its create/get/list responses."""
    for op in design["operations"]:
        entity = design["entities"].get(op.get("entity") or "")
        if entity is None or op["kind"] in ("register", "login", "me", "update_me") or text_template_of(op):
            continue
        if op["kind"] in ("create", "get") and op.get("response_envelope"):
            entity["envelope_item"] = op["response_envelope"]
        if op["kind"] == "list" and op.get("list_key"):
            entity["envelope_list"] = op["list_key"]
            entity["envelope_count"] = op.get("count_key")


def _row_schema(op: Json) -> Json | None:
    """The schema node of the row a success response shows (inside its envelope or list), if any."""
    schema = _success_schema(op)
    if schema is None:
        return None
    candidates = [schema, *(schema.get("properties") or {}).values()]
    for node in candidates:
        if not isinstance(node, dict):
            continue
        if node.get("x-source") == "row":
            return node
        if node.get("x-source") == "rows" and isinstance(node.get("items"), dict) \
                and node["items"].get("x-source") == "row":
            items: Json = node["items"]
            return items
    return None


class WireViews:
    """Entity views whose documents are exactly the rows of the contract's response schemas.

    The generator builds each response document from a view in SQL; in contract mode the view is
    read off the response schema (``x-source`` per property), so no key the contract lacks is
    written (e.g. ``id`` of a RealWorld article) and every key it names has its source. A derived
    view equal to a designed one reuses the designed name.
    """

    def __init__(self, design: Json) -> None:
        self.design = design
        self.problems: list[str] = []

    def apply(self, op: Json) -> None:
        row = _row_schema(op)
        if row is None or not op.get("entity"):
            return
        name = self.view_for(op["entity"], row, f"{op['operation_id']}: ", snake(op["operation_id"]))
        if name is not None:
            op["view"] = name
        if op["kind"] in ("register", "login", "me", "update_me"):
            token_keys = [k for k, p in (row.get("properties") or {}).items() if p.get("x-source") == "token"]
            if token_keys == ["token"]:
                op["token"] = "in_object"
            elif token_keys:
                self.problems.append(f"{op['operation_id']}: token under key {token_keys[0]!r}")

    def view_for(self, entity_name: str, row: Json, where: str, hint: str) -> str | None:
        """The name of the view of ``entity_name`` whose document is ``row`` (``hint`` names a new one)."""
        entity = self.design["entities"][entity_name]
        relations = {rel["name"]: rel for rel in entity["relations"]}
        by_json = {rel["json_name"]: rel for rel in entity["relations"]}
        required = set(row.get("required") or [])
        fields: list[Json] = []
        for key, prop in (row.get("properties") or {}).items():
            source = str(prop.get("x-source") or "")
            base = {"json_name": key, "json_schema": _plain(prop), "required": key in required, "relation_as": None}
            kind, _, name = source.partition(":")
            if kind in ("field", "computed"):
                fields.append({**base, "name": name, "source": kind})
                self._number_decimal(entity, name, prop)
            elif source == "token":
                fields.append({**base, "name": "token", "source": "token"})
            elif source == "const":  # a value the contract fixes ("ok": true), written by the document itself
                fields.append({**base, "name": key, "source": "const", "value": prop.get("x-value")})
            elif kind == "relation" and name in relations and prop.get("x-field"):
                rel = relations[name]
                shown = "id" if prop["x-field"] == "id" else "values"
                if shown == "values" and rel.get("response_field") not in (None, prop["x-field"]):
                    self.problems.append(f"{where}{key}: relation {name} shown by {prop['x-field']}")
                    continue
                rel["response_field"] = prop["x-field"]
                fields.append({**base, "name": name, "source": "relation", "relation_as": shown})
            elif source in ("row", "rows") or kind == "relation":
                rel = relations.get(name) or by_json.get(key) or relations.get(key)
                node = prop if source != "rows" and prop.get("type") != "array" else prop.get("items") or {}
                if rel is None or not isinstance(node, dict):
                    self.problems.append(f"{where}{key}: no relation of {entity_name} shows it")
                    continue
                target_view = self.view_for(rel["target"], node, f"{where}{key}.", f"{hint}_{snake(key)}")
                if target_view is None:
                    continue
                if rel.get("response_view") not in (None, target_view) and rel.get("_wire_view"):
                    self.problems.append(f"{where}{key}: {entity_name}.{rel['name']} is shown in two shapes")
                    continue
                rel["response_view"], rel["_wire_view"] = target_view, True
                fields.append({**base, "name": rel["name"], "source": "relation", "relation_as": "view"})
            else:
                self.problems.append(f"{where}{key}: value source {source or '(none)'!r}")
        return self._named(entity, fields, hint)

    @staticmethod
    def _number_decimal(entity: Json, name: str, prop: Json) -> None:
        """A decimal the contract shows as a JSON number (not the string a blueprint writes) is read as a number."""
        declared = prop.get("type")
        types: list[Any] = declared if isinstance(declared, list) else [declared]
        field = next((f for f in entity["fields"] if f["name"] == name), None)
        if field is not None and field["python_type"] == "Decimal" and "number" in types and "string" not in types:
            field["python_type"] = "float"

    @staticmethod
    def _named(entity: Json, fields: list[Json], hint: str) -> str:
        def signature(items: list[Json]) -> list[tuple[Any, ...]]:
            return [(f["name"], f["json_name"], f["source"], f["relation_as"], repr(f.get("value"))) for f in items]

        for name, view in entity["views"].items():
            if signature(view["fields"]) == signature(fields):
                return str(name)
        name = hint if hint not in entity["views"] else f"{hint}_{len(entity['views'])}"
        entity["views"][name] = {"name": name, "schema_name": None, "fields": fields, "envelope": None,
                                 "path": None, "lookup": None}
        return name


def _plain(schema: Json) -> Json:
    return {k: v for k, v in schema.items() if not k.startswith("x-")}


def _request_schema_of_contract(op: Json, components: Json) -> None:
    """``request_schema`` named after the contract component of the request's row (auth column plans read it)."""
    request = (op.get("wire") or {}).get("request") or {}
    schema = request.get("schema") or {}
    row = schema if schema.get("x-target") == "row" else next(
        (p for p in (schema.get("properties") or {}).values() if isinstance(p, dict) and p.get("x-target") == "row"),
        None)
    if row is None:
        return
    op["_request_row"] = row  # the auth column plans read the row's properties (wire names)
    keys = set(row.get("properties") or {})
    match = next((name for name, component in components.items()
                  if isinstance(component, dict) and set(component.get("properties") or {}) == keys), None)
    if match is not None:
        op["request_schema"] = match


def add_wire_error_tables(design: Json) -> None:
    """``_wire_error_bodies`` (each error body schema once) and ``_wire_errors``: per operation, outcome ->
    (status, index of the body schema or None, declared, content type), which app/api/wire_errors.py serves."""
    bodies: list[Json] = []
    table: dict[str, dict[str, tuple[int, int | None, bool, str]]] = {}
    for op in design["operations"]:
        for outcome, (status, schema, declared, content) in wire_errors(op).items():
            if schema is not None and schema not in bodies:
                bodies.append(schema)
            index = bodies.index(schema) + 1 if schema is not None else None
            table.setdefault(op["operation_id"], {})[outcome] = (status, index, declared, content)
    design["_wire_error_bodies"], design["_wire_errors"] = bodies, table


CONVENTIONAL_STATUS = {"invalid": 422, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
                       "rate_limited": 429}


def needs_wire_errors(design: Json) -> bool:
    """Blueprint mode: an error shape or a non-conventional outcome status is served per operation, as a
    contract's would be (the service's own error handlers know only the error style)."""
    if design["service"].get("error_shape"):
        return True
    return any(CONVENTIONAL_STATUS.get(outcome, status) != status
               for op in design["operations"] for outcome, status in (op.get("outcomes") or {}).items())


def wire_errors(op: Json) -> dict[str, tuple[int, Json | None, bool, str]]:
    """outcome -> (status, error body schema or None for no body, declared by the contract, content type).

    A status with content but no schema (an outcome the contract does not list) is answered with
    the service's own error body, so it is recorded as not declared.
    """
    out: dict[str, tuple[int, Json | None, bool, str]] = {}
    for response in (op.get("wire") or {}).get("responses", []):
        outcome = response.get("outcome")
        if outcome in (None, "success", "existing", "other") or outcome in out:
            continue
        schema = response.get("schema")
        declared = bool(response.get("declared")) and not (response.get("content_type") and schema is None)
        content = response.get("content_type")
        out[outcome] = (int(response["status"]), schema if content else None, declared, content or "application/json")
    return out


def _parent_keys_as_entity_fields(design: Json, op: Json) -> None:
    """``maps_to: "article.slug"`` (relation.field) becomes ``"Article.slug"`` (the parent entity's field)."""
    entity = design["entities"][op["entity"]]
    relations = {rel["name"]: rel for rel in entity["relations"]}
    for param in op["parameters"]:
        target = param.get("maps_to") or ""
        if param["location"] != "path" or "." not in target:
            continue
        head, field = target.split(".", 1)
        if head in relations:
            param["maps_to"] = f"{relations[head]['target']}.{field}"


__all__ = ["SERVED_KINDS", "prepare_contract_design"]
