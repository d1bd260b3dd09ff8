"""Wire shapes: a body's JSON Schema annotated with where each value comes from (x-source) or goes (x-target).

One construct describes every shape a generator must serve, whoever wrote the schema (the design
itself, or a contract): a walk of the schema that matches property names against the entity's
fields, relations and computed values by their wire names. See docs/design-json.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend_agent.blueprint.types import did_you_mean
from backend_agent.design.model import EntityDesign, FieldDesign
from backend_agent.design.naming import snake

Schema = dict[str, Any]

_MESSAGE_KEYS = ("message", "detail", "details_message", "error_description", "title", "msg", "error", "reason")
_CODE_KEYS = ("code", "error_code", "type", "status_text")
_CURSOR_KEYS = ("next_cursor", "nextCursor", "cursor", "next")


@dataclass
class WireProblem:
    message: str
    origin: str  # key path in the blueprint (the binding, or the declaration)
    expected: str | None = None
    hint: str | None = None


def json_types(schema: Schema | None) -> set[str] | None:
    """The JSON types a schema allows (None: any). Handles 3.0 ``nullable`` and 3.1 type lists."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return None
    kind = schema.get("type")
    types: set[str] | None
    if isinstance(kind, list):
        types = {str(k) for k in kind}
    elif isinstance(kind, str):
        types = {kind}
    elif "properties" in schema or "additionalProperties" in schema:
        types = {"object"}
    elif "items" in schema:
        types = {"array"}
    else:
        types = None
    for combo in ("anyOf", "oneOf"):
        if combo in schema:
            parts = [json_types(s) for s in schema[combo]]
            if any(p is None for p in parts):
                return None
            types = (types or set()).union(*[p for p in parts if p is not None])
    if schema.get("nullable") is True and types is not None:
        types = types | {"null"}
    if schema.get("const", 0) is None or (isinstance(schema.get("enum"), list) and None in schema["enum"]):
        types = (types or set()) | {"null"}
    return types


def _object_props(schema: Schema) -> dict[str, Schema]:
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            props.update(_object_props(part))
    return props


def _required(schema: Schema) -> set[str]:
    names = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            names |= _required(part)
    return names


def _is_object(schema: Schema) -> bool:
    types = json_types(schema)
    return bool(_object_props(schema)) and (types is None or "object" in types)


def _is_array(schema: Schema) -> bool:
    types = json_types(schema)
    return types is not None and "array" in types


def _constant(node: Schema) -> bool:
    """A property with one possible value (``const``, or a one-value enum): the service writes that value."""
    if "const" in node:
        node["x-source"], node["x-value"] = "const", node["const"]
        return True
    if isinstance(node.get("enum"), list) and len(node["enum"]) == 1:
        node["x-source"], node["x-value"] = "const", node["enum"][0]
        return True
    return False


def fits(ours: Schema, theirs: Schema) -> bool:
    """Whether values of our schema are valid JSON types for the contract's schema."""
    mine = json_types(ours)
    wanted = json_types(theirs)
    if mine is None or wanted is None:
        return True
    mine = mine - {"null"}
    if not mine:
        return True
    if ours.get("format") == "decimal":  # decimals may travel as text or as JSON numbers
        return bool(wanted & {"string", "number"})
    if mine == {"integer"}:
        return bool(wanted & {"integer", "number"})
    return bool(mine & wanted)


def _spelled(schema: Schema) -> str:
    types = json_types(schema)
    return "/".join(sorted(types)) if types else "any"


# (JSON Schema keyword, what it bounds, whether our value refuses something the contract's admits)
_BOUNDS: tuple[tuple[str, str, Callable[[float, float], bool]], ...] = (
    ("maxLength", "maximum length", lambda ours, theirs: ours < theirs),
    ("minLength", "minimum length", lambda ours, theirs: ours > theirs),
    ("maximum", "maximum", lambda ours, theirs: ours < theirs),
    ("minimum", "minimum", lambda ours, theirs: ours > theirs),
    ("maxItems", "maximum count", lambda ours, theirs: ours < theirs),
    ("minItems", "minimum count", lambda ours, theirs: ours > theirs),
)


@dataclass
class Member:
    kind: str  # field, relation, computed
    name: str
    schema: Schema
    nullable: bool = False
    target: str | None = None  # relations
    value_field: str | None = None  # relations shown as scalars in responses: the target field
    request_field: str | None = None  # relations accepted as scalars in requests: the target field
    readable: bool = True
    writable_create: bool = False
    writable_update: bool = False


def members(ed: EntityDesign, entities: dict[str, EntityDesign]) -> dict[str, Member]:
    """Everything a row of ``ed`` can show or accept, by wire name (and by plain name)."""
    out: dict[str, Member] = {}

    def add(wire: str, plain: str, member: Member) -> None:
        out.setdefault(wire, member)
        out.setdefault(plain, member)

    for fd in ed.fields:
        add(fd.json_name, fd.name, Member("field", fd.name, fd.json_schema, fd.nullable and not fd.builtin,
                                          readable=not (fd.secret or fd.write_only),
                                          writable_create=fd.in_create, writable_update=fd.in_update))
    for rd in ed.relations:
        shown = rd.response_field if rd.response_as == "values" else "id"
        accepted = rd.request_field if rd.request_as == "values" else "id"
        to_many = rd.kind in ("one_to_many", "many_to_many")
        add(rd.json_name, rd.name, Member("relation", rd.name, {"type": "array"} if to_many else {},
                                          not rd.required and not to_many, target=rd.target, value_field=shown,
                                          request_field=accepted,
                                          writable_create=rd.request_as != "none",
                                          writable_update=rd.request_as != "none"))
        if rd.request_json_name and rd.request_json_name not in out:
            add(rd.request_json_name, rd.name, out[rd.json_name])
    for comp in ed.computed:
        schema = comp.json_schema or ({"type": "integer"} if comp.kind == "count" else {"type": "boolean"})
        nullable_value = "null" in (json_types(schema) or set())
        add(comp.json_name, comp.name, Member("computed", comp.name, schema, nullable_value))
    return out


@dataclass
class Annotator:
    """Annotates the bodies of one operation; problems go to ``problems``."""

    entities: dict[str, EntityDesign]
    origin: str
    what: str  # e.g. "GetArticle response 200"
    mapping: dict[str, str] = field(default_factory=dict)  # wire name -> member name (the operation's entity)
    list_op: bool = False
    values_of: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # token, refresh_token, message, total, next_cursor
    problems: list[WireProblem] = field(default_factory=list)
    cautions: list[WireProblem] = field(default_factory=list)  # allowed, but worth a reader's attention
    copy_input: bool = True  # False when the caller passes schemas it owns (annotated in place)
    _members: dict[str, dict[str, Member]] = field(default_factory=dict)  # may be shared between annotators

    def known(self, ename: str) -> dict[str, Member]:
        if ename not in self._members:
            self._members[ename] = members(self.entities[ename], self.entities)
        return self._members[ename]

    def _own(self, schema: Schema) -> Schema:
        return clone(schema) if self.copy_input else schema

    def problem(self, message: str, expected: str | None = None, hint: str | None = None) -> None:
        self.problems.append(WireProblem(f"{self.what}: {message}", self.origin, expected, hint))

    def member(self, ename: str, name: str, top: str) -> Member | None:
        known = self.known(ename)
        if ename == top and name in self.mapping:
            mapped = self.mapping[name]
            found = next((m for m in known.values() if m.name == mapped), None)
            if found is None:
                close = did_you_mean(mapped, sorted({m.name for m in known.values()}))
                self.problem(f"fields.{name} names '{mapped}', which is no field, relation or computed value of "
                             f"{ename}", "one of " + ", ".join(sorted({m.name for m in known.values()})),
                             f"did you mean '{close}'?" if close else None)
            return found
        return known.get(name)

    # -- responses -------------------------------------------------------------------------------------

    def response(self, schema: Schema | None, ename: str | None) -> Schema | None:
        if schema is None:
            return None
        out = self._own(schema)
        if ename is None:
            return out
        self._value(out, ename, ename, "", required=True)
        return out

    def _value(self, node: Schema, ename: str, top: str, where: str, *, required: bool) -> bool:
        """Annotate ``node``; False when no source was found (reported when ``required``)."""
        if _is_array(node) and isinstance(node.get("items"), dict) and self.list_op:
            node["x-source"] = "rows"
            return self._row_or_value(node["items"], ename, top, where + "[]")
        if _is_object(node):
            props = _object_props(node)
            # In a list the rows sit in an array; the object around it is an envelope even when one of its
            # keys (e.g. `total`) is also a field name.
            wraps_rows = self.list_op and any(isinstance(s, dict) and _is_array(s) and not
                                              self.member(ename, k, top) for k, s in props.items())
            if not wraps_rows and any(self.member(ename, key, top) is not None for key in props):
                return self._row(node, ename, top, where)
            need = _required(node)
            found_all = True
            for key, sub in props.items():
                if not isinstance(sub, dict):
                    continue
                if self._extra(key, sub):
                    continue
                ok = self._value(sub, ename, top, f"{where}.{key}" if where else key, required=key in need)
                found_all = found_all and (ok or key not in need)
            return found_all
        if required:
            self._no_source(where or "<body>", ename)
        return False

    def _row_or_value(self, node: Schema, ename: str, top: str, where: str) -> bool:
        if _is_object(node):
            return self._row(node, ename, top, where)
        name = self.values_of
        if name is None:
            self.problem(f"{where} is a list of plain values, but no field of {ename} is named to list",
                         "values_of: <field>", f"add values_of: <field of {ename}> to the binding")
            return False
        member = self.member(ename, name, top)
        if member is None:
            self.problem(f"values_of '{name}' is no field of {ename}")
            return False
        self._check_type(member, node, f"{where}", ename)
        node["x-source"] = f"{member.kind}:{member.name}"
        return True

    def _row(self, node: Schema, ename: str, top: str, where: str) -> bool:
        node["x-source"] = "row"
        node["x-entity"] = ename
        need = _required(node)
        complete = True
        for key, sub in _object_props(node).items():
            if not isinstance(sub, dict):
                continue
            path = f"{where}.{key}" if where else key
            member = self.member(ename, key, top)
            if member is None:
                issued = snake(key)  # refreshToken in a camelCase contract
                if issued in ("token", "refresh_token") and issued in self.extras:
                    sub["x-source"] = issued
                    continue
                if _constant(sub):
                    continue
                if key in need:
                    self._no_source(path, ename)
                    complete = False
                continue
            if not member.readable:
                self.problem(f"{path} would show {ename}.{member.name}, which is never returned (secret or "
                             "write-only)", "a readable field", f"remove {key} from the response")
                complete = False
                continue
            self._member_value(sub, member, ename, path, required=key in need)
        return complete

    def _member_value(self, sub: Schema, member: Member, ename: str, path: str, *, required: bool) -> None:
        sub["x-source"] = f"{member.kind}:{member.name}"
        if member.kind != "relation":
            self._check_type(member, sub, path, ename)
            self._check_null(member, sub, path, ename, required=required)
            return
        target = member.target or ""
        if target not in self.entities:
            return
        item = sub.get("items") if _is_array(sub) else sub
        if isinstance(item, dict) and _is_object(item):
            saved, self.list_op = self.list_op, False
            self._row(item, target, target, path + ("[]" if item is not sub else ""))
            self.list_op = saved
        elif isinstance(item, dict):
            sub["x-field"] = member.value_field or "id"
            tmember = self.known(target).get(sub["x-field"])
            if tmember is not None and not fits(tmember.schema, item):
                self.problem(f"{path} is {_spelled(item)} in the contract but {target}.{tmember.name} is "
                             f"{_spelled(tmember.schema)}")
        if member.schema.get("type") == "array" and not _is_array(sub):
            self.problem(f"{path} is one value in the contract but {ename}.{member.name} holds many",
                         "an array", "bind the property to a to-one relation")
        self._check_null(member, sub, path, ename, required=required)

    def _check_type(self, member: Member, theirs: Schema, path: str, ename: str) -> None:
        if not fits(member.schema, theirs):
            self.problem(f"{path} is {_spelled(theirs)} in the contract but {ename}.{member.name} is "
                         f"{_spelled(member.schema)}", f"a {_spelled(theirs)} field",
                         "change the field's type or bind another field with `fields:`")

    def caution(self, message: str, expected: str | None = None, hint: str | None = None) -> None:
        self.cautions.append(WireProblem(f"{self.what}: {message}", self.origin, expected, hint))

    def _check_bounds(self, member: Member, theirs: Schema, path: str, ename: str) -> None:
        """A field bound the contract does not state refuses requests the contract calls valid."""
        if {"pattern", "enum", "const"} & set(theirs):
            return  # the contract constrains the value its own way (a 16-digit pattern states the length)
        for key, word, tighter in _BOUNDS:
            ours = member.schema.get(key)
            if not isinstance(ours, int | float) or isinstance(ours, bool):
                continue
            stated = theirs.get(key)
            if isinstance(stated, int | float) and not isinstance(stated, bool) and not tighter(ours, stated):
                continue
            allows = f"{key} {stated}" if stated is not None else f"no {key}"
            self.caution(f"request property {path} has {allows} in the contract, but {ename}.{member.name} has "
                         f"{key} {ours}: the service would refuse values the contract calls valid",
                         f"the same {word} on both sides",
                         f"add {key}: {ours} to the contract's property, or relax {ename}.{member.name}")

    def _check_null(self, member: Member, theirs: Schema, path: str, ename: str, *, required: bool) -> None:
        types = json_types(theirs)
        if member.nullable and required and types is not None and "null" not in types:
            self.problem(f"{path} may never be null in the contract, but {ename}.{member.name} is optional",
                         "a value in every row", f"make {ename}.{member.name} required (with a default, e.g. "
                         "default: \"\")")

    def _extra(self, key: str, sub: Schema) -> bool:
        """Values beside the rows: token, counts, cursors, messages, constants."""
        types = json_types(sub) or set()
        if _constant(sub):
            return True
        issued = snake(key)  # accessToken in a camelCase contract
        if issued in ("token", "refresh_token", "access_token", "token_type") and issued in self.extras:
            sub["x-source"] = issued
            return True
        if self.list_op and "integer" in types:
            sub["x-source"] = "total"
            return True
        if self.list_op and key in _CURSOR_KEYS:
            sub["x-source"] = "next_cursor"
            return True
        if key == "message" and "message" in self.extras:
            sub["x-source"] = "const"
            sub["x-value"] = self.extras["message"]
            return True
        return False

    def _no_source(self, path: str, ename: str) -> None:
        known = sorted({m.name for m in self.known(ename).values()})
        leaf = path.rsplit(".", 1)[-1].rstrip("[]")
        close = did_you_mean(leaf, known)
        self.problem(f"required property {path} has no source in {ename}",
                     f"a field, relation or computed value of {ename} with that wire name",
                     f"bind it: fields: {{{leaf}: {close}}}" if close else
                     f"add a field to {ename}, or bind it with fields: {{{leaf}: <name>}}")

    # -- requests --------------------------------------------------------------------------------------

    def request(self, schema: Schema | None, ename: str | None, *, create: bool,
                login: tuple[list[str], str] | None = None) -> Schema | None:
        if schema is None:
            return None
        out = self._own(schema)
        if ename is None:
            out["x-target"] = "param"
            return out
        self._request_node(out, ename, "", create=create, login=login)
        return out

    def _request_node(self, node: Schema, ename: str, where: str, *, create: bool,
                      login: tuple[list[str], str] | None) -> bool:
        if not _is_object(node):
            return False
        props = _object_props(node)
        if login is not None:
            identity, password = login
            matched = [k for k in props if self._login_target(ename, k, identity, password)]
        else:
            matched = [k for k in props if self.member(ename, k, ename) is not None]
        if not matched:
            return any(self._request_node(sub, ename, f"{where}.{k}" if where else k, create=create, login=login)
                       for k, sub in props.items() if isinstance(sub, dict))
        node["x-target"] = "row"
        node["x-entity"] = ename
        for key, sub in props.items():
            path = f"{where}.{key}" if where else key
            if not isinstance(sub, dict):
                continue
            if login is not None:
                target = self._login_target(ename, key, *login)
                if target is None:
                    self.problem(f"request property {path} is neither an identity field nor the password")
                else:
                    sub["x-target"] = target
                continue
            member = self.member(ename, key, ename)
            if member is None:
                known = sorted({m.name for m in self.known(ename).values()
                                if m.writable_create or m.writable_update})
                close = did_you_mean(key, known)
                self.problem(f"request property {path} matches no field of {ename}",
                             "one of " + ", ".join(known), f"did you mean '{close}'? bind it with fields: "
                             f"{{{key}: {close}}}" if close else f"add a field to {ename}")
                continue
            writable = member.writable_create if create else member.writable_update
            if not writable:
                self.problem(f"request property {path} sets {ename}.{member.name}, which clients may not write",
                             "a writable field", f"drop read_only from {ename}.{member.name}, or leave it out of "
                             "the contract's request")
                continue
            sub["x-target"] = f"{member.kind}:{member.name}"
            if member.kind == "relation":
                item = sub.get("items") if _is_array(sub) else sub
                if isinstance(item, dict) and not _is_object(item):
                    sub["x-field"] = member.request_field or "id"
                    named = self.known(member.target).get(sub["x-field"]) if member.target else None
                    if named is not None and member.target:  # e.g. a tag name: the tag's own bounds
                        self._check_bounds(named, item, f"{path}[]", member.target)
            else:
                self._check_type(member, sub, path, ename)
                self._check_bounds(member, sub, path, ename)
        return True

    def _login_target(self, ename: str, key: str, identity: list[str], password: str) -> str | None:
        member = self.member(ename, key, ename)
        if member is None:
            return None
        if member.name == password:
            return "password"
        return f"identity:{member.name}" if member.name in identity else None

    def missing_required(self, schema: Schema | None, required: list[FieldDesign], ename: str) -> None:
        """Report required fields a create can never receive (no request property targets them)."""
        targets: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                target = node.get("x-target")
                if isinstance(target, str) and ":" in target:
                    targets.add(target.split(":", 1)[1])
                for value in node.values():
                    walk(value)

        walk(schema)
        for fd in required:
            if fd.name not in targets:
                self.problem(f"{ename}.{fd.name} is required, but the contract's request has no property for it",
                             f"a request property bound to {fd.name}",
                             f"give {ename}.{fd.name} a default, make it optional, or bind the property with "
                             "fields:")

    # -- errors ----------------------------------------------------------------------------------------

    def error(self, schema: Schema | None) -> Schema | None:
        if schema is None:
            return None
        out = self._own(schema)
        if not self._error_node(out, "", required=True):
            pass
        return out

    def _error_node(self, node: Schema, where: str, *, required: bool) -> bool:
        if "x-source" in node or _constant(node):  # the design's own error shape says it already
            return True
        types = json_types(node) or set()
        key = where.rsplit(".", 1)[-1]
        if _is_array(node) and json_types(node.get("items") or {}) == {"string"}:
            node["x-source"] = "error.messages"
            return True
        if _is_object(node):
            need = _required(node)
            ok = True
            for prop, sub in _object_props(node).items():
                if isinstance(sub, dict):
                    path = f"{where}.{prop}" if where else prop
                    ok = self._error_node(sub, path, required=prop in need) and ok
            return ok
        if "object" in types and isinstance(node.get("additionalProperties"), dict):
            node["x-source"] = "error.fields"
            return True
        if "string" in types and (key in _MESSAGE_KEYS or not where):
            node["x-source"] = "error.message"
            return True
        if "string" in types and key in _CODE_KEYS:
            node["x-source"] = "error.code"
            return True
        if "integer" in types and key in ("status", "status_code", "statusCode"):
            node["x-source"] = "error.status"
            return True
        if key in ("details", "errors", "detail"):
            node["x-source"] = "error.details"
            return True
        if required:
            self.problem(f"required error property {where or '<body>'} has no source",
                         "message, code, status, details, or a list of messages",
                         "name it message or code, or make it optional in the contract")
        return not required


def clone(node: Any) -> Any:
    """A copy of JSON-like data (much faster than copy.deepcopy for plain dicts and lists)."""
    if isinstance(node, dict):
        return {key: clone(value) for key, value in node.items()}
    if isinstance(node, list):
        return [clone(value) for value in node]
    return node


def deref(node: Any, components: Schema, stack: tuple[str, ...] = (),
          cache: dict[str, Any] | None = None) -> Any:
    """``node`` with internal ``#/components/...`` references replaced by their targets (recursion kept).

    The result is a fresh copy; with ``cache``, each referenced component is resolved once (the cache
    holds resolved targets, which are cloned on use)."""
    if isinstance(node, list):
        return [deref(item, components, stack, cache) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/"):
        if ref in stack:
            return dict(node)
        if cache is not None and ref in cache and not stack:
            return clone(cache[ref])
        _, _, kind, name = ref.split("/", 3)
        target = components.get(kind, {}).get(name)
        if target is None:
            return dict(node)
        resolved = deref(target, components, (*stack, ref), cache)
        if cache is not None and not stack:
            cache[ref] = clone(resolved)
        return resolved
    return {key: deref(value, components, stack, cache) for key, value in node.items()}


__all__ = ["Annotator", "Member", "WireProblem", "clone", "deref", "fits", "json_types", "members"]
