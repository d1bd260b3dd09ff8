"""Entity APIs and actions -> operations with paths, auth rules, envelopes and parameters."""

from __future__ import annotations

import re
from typing import Any

from backend_agent.blueprint import (
    Blueprint,
    Condition,
    CustomAction,
    Entity,
    FeedAction,
    Field,
    QueryAction,
    QueryParam,
    ToggleAction,
    TransitionAction,
    auth_operation,
)
from backend_agent.design._types import canonical_value, json_schema
from backend_agent.design.model import (
    AuthRule,
    ConditionDesign,
    EntityDesign,
    FilterDesign,
    OperationDesign,
    ParameterDesign,
    PathKey,
)
from backend_agent.design.naming import json_key, operation_id, plural, snake, with_article
from backend_agent.design.semantics import caller_design, caller_problem, existing_design

Paths = dict[str, tuple[str | None, str | None, str]]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def compute_paths(bp: Blueprint) -> Paths:
    """(collection path, item path, lookup parameter) per entity, nesting under parents."""
    out: Paths = {}

    def resolve(ename: str, depth: int = 0) -> tuple[str | None, str | None, str]:
        if ename in out:
            return out[ename]
        entity = bp.entities[ename]
        lookup = entity.lookup or "id"
        own = entity.api.path or "/" + _kebab(entity.plural or plural(snake(ename)))
        prefix = bp.service.base_path
        param = entity.api.param or lookup
        if entity.api.parent and depth < 8:
            parent_name = entity.relations[entity.api.parent].target
            _, parent_item, parent_param = resolve(parent_name, depth + 1)
            prefix = parent_item or prefix
            if param == parent_param:
                param = f"{snake(ename)}_{lookup}"
        collection = prefix + own
        out[ename] = (collection, f"{collection}/{{{param}}}", param)
        return out[ename]

    for name in bp.entities:
        resolve(name)
    return out


class _Builder:
    def __init__(self, bp: Blueprint, entities: dict[str, EntityDesign]) -> None:
        self.bp = bp
        self.entities = entities
        self.ops: list[OperationDesign] = []
        self.origins: dict[str, str] = {}
        self.problems: list[tuple[str, str]] = []  # (message, key path of the declaration)
        self.origin = ""  # key path of the operation being added
        auth = bp.auth
        self.admin = auth.admin_role if auth else None
        self.svc = bp.service

    # -- helpers ---------------------------------------------------------------------------------

    def rule(self, *, public: bool, roles: list[str] | None = None, owner_only: bool = False) -> AuthRule:
        if self.bp.auth is None:
            return AuthRule(True, [], False, None)
        return AuthRule(public and not roles and not owner_only, list(roles or []), owner_only, self.admin)

    def path_params(self, ename: str, path: str) -> list[ParameterDesign]:
        params = []
        for segment in path.split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                key = self._path_key(ename, segment[1:-1])
                fd = self.entities[key.entity].field(key.field)
                schema = {k: v for k, v in fd.json_schema.items() if k in ("type", "format", "maxLength", "pattern")}
                params.append(ParameterDesign(key.param, "path", schema, True, f"{key.entity} {key.field}",
                                              maps_to=f"{key.entity}.{key.field}"))
        return params

    def _path_key(self, ename: str, name: str) -> PathKey:
        """The row a path parameter addresses: this entity's path keys, its views, then any entity."""
        ed = self.entities[ename]
        for key in ed.path_keys:
            if key.param == name:
                return key
        for view in ed.views.values():
            if view.lookup == name:
                return PathKey(name, ename, name)
        field = next((f for f in ed.fields if f.name == name), None)
        if field is not None:
            if not field.unique:
                self.problems.append((f"path parameter {{{name}}} of {ename} is not a unique field, so it cannot "
                                      f"identify a row; use {{{ed.lookup_param}}}", self.origin))
            return PathKey(name, ename, name)
        for other in self.entities.values():
            for key in other.path_keys:
                if key.param == name:
                    return key
        self.problems.append((f"path parameter {{{name}}} of {ename} names no lookup key; use {{{ed.lookup_param}}}",
                              self.origin))
        return PathKey(name, ename, "id")

    def has_unique(self, ename: str) -> bool:
        """Whether writing a row of ``ename`` can conflict with another row (a unique value taken)."""
        entity = self.bp.entities[ename]
        return (any(f.unique and not (f.derive and f.derive.unique) for f in entity.fields.values())
                or any(ix.unique for ix in entity.indexes) or bool(entity.unique_together)
                or any(r.kind.value == "one_to_one" for r in entity.relations.values()))

    def spec_of(self, origin: str) -> Any:
        """The blueprint declaration an operation comes from (for its wire-shape settings)."""
        parts = origin.split(".")
        if parts[0] == "auth" and self.bp.auth is not None:
            return auth_operation(self.bp.auth.operations, parts[-1])
        if parts[0] == "entities" and parts[2] == "api":
            return self.bp.entities[parts[1]].api.operations.get(parts[4])  # type: ignore[call-overload]
        if parts[0] == "entities" and parts[2] == "actions":
            return self.bp.entities[parts[1]].actions.get(parts[3])
        return None

    def add(self, op: OperationDesign, origin: str) -> None:
        self.origin = origin
        spec = self.spec_of(origin)
        chosen: dict[str, int] = {str(k): v for k, v in self.bp.service.errors.statuses.items()}
        chosen.update({str(k): v for k, v in (getattr(spec, "statuses", None) or {}).items()})
        if spec is not None:
            if getattr(spec, "status", None):
                op.status_code = spec.status
            if getattr(spec, "operation_id", None):
                toggle = op.kind.startswith("toggle_")
                op.operation_id = spec.operation_id + (op.kind.removeprefix("toggle") if toggle else "")
            if getattr(spec, "tag", None):
                op.tag = spec.tag
            self.request_shape(op, spec)
            self.semantics(op, spec, origin)
        # Public operations of a service with auth still read a token when one is sent (per-viewer values).
        op.auth.optional = op.auth.public and self.bp.auth is not None and not origin.startswith("auth.")
        op.parameters = self.path_params(op.entity, op.path) + op.parameters
        statuses = {422} if op.request_schema or op.parameters else set()
        if not op.auth.public or (self.bp.auth is not None and op.tag != "auth"):
            statuses.add(401)  # public operations of a service with auth still reject a bad optional token
        if op.auth.roles or (op.auth.owner_only and not op.response_list):  # lists narrow to own rows instead
            statuses.add(403)
        if "{" in op.path or op.kind == "custom":  # a handler may find nothing, e.g. by a body value
            statuses.add(404)
        if op.kind == "transition" or (op.kind in ("create", "update", "register", "update_me", "custom")
                                       and self.has_unique(op.entity)):
            statuses.add(409)
        if op.kind in ("login", "refresh"):
            statuses.add(401)  # wrong credentials; a spent, revoked or forged refresh token
            if op.kind == "login" and self.bp.auth is not None and self.bp.auth.require_verified_email:
                statuses.add(403)  # the address is not verified yet
        if op.rate_limit or self.svc.rate_limit:
            statuses.add(429)
        if op.kind == "update":
            statuses.add(412)  # optimistic concurrency: an If-Match naming an older ETag
        if op.caller is not None:
            statuses.add(op.caller.status)
            problem = caller_problem(op, self.entities.get(op.entity), None,
                                     self.bp.auth.user_entity if self.bp.auth is not None else "")
            if problem:
                self.problems.append((problem, f"{origin}.caller.name"))
        owner = self.entities[op.entity].owner
        if op.existing is not None and op.existing.then == "update" and owner and owner not in op.existing.match:
            statuses.add(403)  # the row found belongs to someone else
        op.outcomes = {outcome: chosen.get(outcome, status) for status, outcome in _OUTCOME_OF.items()
                       if status in statuses}
        if op.caller is not None:
            op.caller.status = op.outcomes.get(op.caller.outcome, op.caller.status)
        if op.kind == "login":
            op.outcomes["unauthorized"] = 401  # wrong credentials
        op.error_statuses = sorted(set(op.outcomes.values()))
        self.ops.append(op)
        self.origins[op.operation_id] = origin

    def semantics(self, op: OperationDesign, spec: Any, origin: str) -> None:
        """Find-or-create / upsert of a create, and a caller rule (which needs a signed-in user)."""
        existing = getattr(spec, "existing", None)
        if existing is not None and op.kind == "create":
            op.existing = existing_design(self.bp, self.entities[op.entity], existing)
        rule = getattr(spec, "caller", None)
        if rule is not None and self.bp.auth is not None:
            op.caller = caller_design(self.bp, self.entities, rule)
            op.auth.public = False

    def list_params(self, entity: Entity, ed: EntityDesign, *, paginate: bool) -> list[ParameterDesign]:
        params = []
        pag = self.svc.pagination
        if paginate:
            params.append(ParameterDesign("limit", "query", {"type": "integer", "minimum": 1, "maximum": pag.max_limit,
                                          "default": pag.default_limit}, False, "page size", maps_to="limit"))
            if pag.style == "offset":
                params.append(ParameterDesign("offset", "query", {"type": "integer", "minimum": 0, "default": 0},
                                              False, "rows to skip", maps_to="offset"))
            else:
                params.append(ParameterDesign("cursor", "query", {"type": "string"}, False,
                                              "opaque cursor from the previous page", maps_to="cursor"))
        for flt in entity.api.filters:
            schema: dict[str, Any] = {"type": "string"}
            if flt.field:
                fd = ed.field(flt.field)
                schema = {k: v for k, v in fd.json_schema.items() if k in ("type", "format", "enum")}
            target = flt.field or f"{flt.relation}.{flt.key or 'key'}"
            description = f"filter on {target}"
            if flt.match is not None:  # ?tag=a&tag=b (form style, exploded: OpenAPI's default for query arrays)
                schema = {"type": "array", "items": schema}
                description += f" (repeat it: rows matching {flt.match} of the values)"
            params.append(ParameterDesign(flt.param, "query", schema, False, description,
                                          maps_to=flt.field or f"{flt.relation}.{flt.key or ''}"))
        if entity.api.sort:
            keys = [json_key(s, self.svc.naming) for s in entity.api.sort]
            params.append(ParameterDesign("sort", "query", {"type": "string", "enum": [*keys, *("-" + k for k in keys)]},
                                          False, "sort key; prefix - for descending", maps_to="sort"))
        if entity.api.search:
            params.append(ParameterDesign("q", "query", {"type": "string", "maxLength": 200}, False,
                                          "text search in " + ", ".join(entity.api.search), maps_to="search"))
        return params

    def request_shape(self, op: OperationDesign, spec: Any) -> None:
        """Per-operation writable fields, open request objects and bare lists."""
        fields = getattr(spec, "fields", None)
        open_body = bool(getattr(spec, "open", False))
        if (fields is not None or open_body) and op.request_schema:
            op.writable = list(fields) if fields is not None else None
            op.open_body = open_body
            op.request_schema = f"{op.entity}{''.join(p.capitalize() for p in op.operation_id.split('_'))}Request"
        op.template = getattr(spec, "template", None)  # checked and read in build.py (_templates)
        if getattr(spec, "bare", False) and op.response_list:
            op.bare = True
            op.list_key = None
            op.count_key = None

    def input_params(self, action: CustomAction) -> list[ParameterDesign]:
        return [ParameterDesign(json_key(name, self.svc.naming), "query", _query_schema(fld),
                                fld.required and not fld.has_default, fld.description or f"input {name}",
                                maps_to=f"input.{name}") for name, fld in action.input.items()]

    def filters(self, entity: Entity, ed: EntityDesign) -> list[FilterDesign]:
        out = []
        for flt in entity.api.filters:
            if flt.field:
                strategy = f'WHERE "{ed.field(flt.field).column}" {flt.op} :{flt.param}'
            else:
                rd = ed.relation(flt.relation or "")
                key = flt.key or self.entities[rd.target].lookup
                if rd.join_table:
                    strategy = (f'EXISTS (SELECT 1 FROM "{rd.join_table}" j JOIN "{rd.target_table}" t ON t.id = '
                                f'j."{rd.join_target_column}" WHERE j."{rd.join_self_column}" = {ed.table}.id '
                                f'AND t."{key}" = :{flt.param})')
                elif rd.fk_column:
                    strategy = (f'"{rd.fk_column}" IN (SELECT id FROM "{rd.target_table}" WHERE "{key}" = '
                                f":{flt.param})")
                else:
                    strategy = (f'EXISTS (SELECT 1 FROM "{rd.target_table}" t WHERE t."{rd.remote_fk_column}" = '
                                f'{ed.table}.id AND t."{key}" = :{flt.param})')
            if flt.match is not None:
                strategy = strategy.replace(f"= :{flt.param}", f"IN :{flt.param}")
                if flt.match == "all":
                    strategy += " for every value (HAVING COUNT(DISTINCT key) = the number of values)"
            out.append(FilterDesign(flt.param, flt.op, flt.field, flt.relation, flt.key, strategy, flt.match))
        return out

    def conditions(self, ed: EntityDesign, conds: list[Condition]) -> list[ConditionDesign]:
        def col(name: str) -> str:
            return next((f.column for f in ed.fields if f.name == name), name)

        def value(cond: Condition) -> Any:
            fld = self.bp.entities[ed.name].fields.get(cond.field)
            return canonical_value(fld, cond.value) if fld is not None else cond.value

        return [ConditionDesign(c.field, col(c.field), c.op, value(c),
                                col(c.other_field) if c.other_field else None, c.message, c.param, c.op_param)
                for c in conds]

    def action_params(self, params: dict[str, QueryParam]) -> list[ParameterDesign]:
        """Typed query parameters of a query or custom action (``maps_to: param.<name>``)."""
        return [ParameterDesign(name, "query", param_schema(param), param.required,
                                param.description or (f"one of {', '.join(param.values or [])} in any letter case"
                                                      if param.case_insensitive else f"parameter {name}"),
                                maps_to=f"param.{name}",
                                values=list(param.values) if param.values else None,
                                case_insensitive=param.case_insensitive) for name, param in params.items()]

    def view_envelope(self, ed: EntityDesign, view: str, override: str | None = None) -> str | None:
        return override or ed.views[view].envelope

    # -- standard operations -----------------------------------------------------------------------

    def standard(self, ename: str) -> None:
        entity = self.bp.entities[ename]
        ed = self.entities[ename]
        api = entity.api
        coll, item = ed.collection_path or "", ed.item_path or ""
        reads_public = api.visibility == "public"
        owner_reads = api.visibility == "owner"
        for name, spec in api.operations.items():
            view = spec.view or ed.default_view
            schema = ed.views[view].schema_name
            common: dict[str, Any] = {
                "entity": ename, "tag": ed.tag, "view": view, "rate_limit": spec.rate_limit,
                "operation_id": operation_id(ed.tag, name), "name": name, "kind": name,
            }
            origin = f"entities.{ename}.api.operations.{name}"
            if name in ("list", "get"):
                public = spec.public if spec.public is not None else reads_public
                rule = self.rule(public=public, roles=spec.roles, owner_only=bool(spec.owner_only or owner_reads))
                ttl = spec.cache_ttl if spec.cache_ttl is not None else self.svc.cache_ttl
                if name == "list":
                    paginate = spec.paginate if spec.paginate is not None else True
                    op = OperationDesign(
                        **common, method=spec.method or "GET", path=self._path(spec.path, coll),
                        summary=spec.summary or f"List {ed.plural.replace('_', ' ')}", auth=rule, status_code=200,
                        response_schema=None if spec.values_of else schema, response_list=True,
                        list_key=spec.envelope or ed.envelope_list or "items",
                        count_key=ed.envelope_count if paginate else None, paginated=paginate,
                        values_of=spec.values_of, cache_ttl=ttl,
                        parameters=self.list_params(entity, ed, paginate=paginate), filters=self.filters(entity, ed),
                        sort=list(api.sort), default_sort=api.default_sort, search=list(api.search),
                    )
                    if paginate and op.count_key is None and self.svc.pagination.style == "offset":
                        op.count_key = json_key("total", self.svc.naming)
                else:
                    op = OperationDesign(
                        **common, method=spec.method or "GET", path=self._path(spec.path, item),
                        summary=spec.summary or f"Get one {snake(ename).replace('_', ' ')}", auth=rule,
                        status_code=200, response_schema=schema,
                        response_envelope=self.view_envelope(ed, view, spec.envelope), cache_ttl=ttl,
                    )
            elif name == "create":
                rule = self.rule(public=bool(spec.public), roles=spec.roles, owner_only=False)
                op = OperationDesign(
                    **common, method=spec.method or "POST", path=self._path(spec.path, coll),
                    summary=spec.summary or f"Create {with_article(snake(ename).replace('_', ' '))}", auth=rule, status_code=201,
                    request_schema=ed.create_schema if _accepts_input(ed) else None,
                    request_envelope=spec.envelope or ed.envelope_item,
                    response_schema=schema, response_envelope=self.view_envelope(ed, view, spec.envelope),
                    idempotent=bool(spec.idempotent),
                )
            else:
                owner_only = spec.owner_only if spec.owner_only is not None else ed.owner is not None
                rule = self.rule(public=bool(spec.public), roles=spec.roles, owner_only=owner_only)
                if name == "update":
                    op = OperationDesign(
                        **common, method=spec.method or "PATCH", path=self._path(spec.path, item),
                        summary=spec.summary or f"Update {with_article(snake(ename).replace('_', ' '))}", auth=rule,
                        status_code=200, request_schema=ed.update_schema,
                        request_envelope=spec.envelope or ed.envelope_item, response_schema=schema,
                        response_envelope=self.view_envelope(ed, view, spec.envelope),
                    )
                else:
                    op = OperationDesign(
                        **common, method=spec.method or "DELETE", path=self._path(spec.path, item),
                        summary=spec.summary or f"Delete {with_article(snake(ename).replace('_', ' '))}", auth=rule,
                        status_code=204,
                    )
                    op.view = None
            self.add(op, origin)
        for vname, vd in ed.views.items():
            if vd.path and vname != "default":
                spec_view = entity.views[vname]
                tag = plural(vname)
                self.add(OperationDesign(
                    operation_id=operation_id(tag, "get"), name="view", kind="view", entity=ename, method="GET",
                    path=vd.path, tag=tag, summary=spec_view.summary or f"Get {with_article(vname.replace('_', ' '))}",
                    auth=self.rule(public=spec_view.public), status_code=200, response_schema=vd.schema_name,
                    response_envelope=vd.envelope, view=vname,
                ), f"entities.{ename}.views.{vname}")

    def _path(self, custom: str | None, default: str) -> str:
        return self.svc.base_path + custom if custom else default

    # -- actions -------------------------------------------------------------------------------------

    def actions(self, ename: str) -> None:
        entity = self.bp.entities[ename]
        ed = self.entities[ename]
        for aname, action in entity.actions.items():
            origin = f"entities.{ename}.actions.{aname}"
            view = action.view or ed.default_view
            vd = ed.views[view]
            item = ed.item_path or ""
            coll = ed.collection_path or ""
            default_item_path = f"{item}/{_kebab(aname)}"
            common: dict[str, Any] = {"entity": ename, "tag": ed.tag, "rate_limit": action.rate_limit, "view": view}
            if isinstance(action, ToggleAction):
                path = self._path(action.path, default_item_path)
                rule = self.rule(public=False, roles=action.roles)
                for suffix, method, verb in (("add", action.method or "POST", "Add"),
                                             ("remove", action.remove_method, "Remove")):
                    self.add(OperationDesign(
                        **common, operation_id=operation_id(ed.tag, f"{aname}_{suffix}"), name=f"toggle_{suffix}",
                        kind=f"toggle_{suffix}", method=method, path=path,
                        summary=f"{verb} the current user: " + (action.summary or aname), auth=rule, status_code=200,
                        response_schema=vd.schema_name, response_envelope=vd.envelope, relation=action.relation,
                    ), origin + f".{suffix}")
                continue
            if isinstance(action, FeedAction | QueryAction):
                is_feed = isinstance(action, FeedAction)
                pag = True
                op = OperationDesign(
                    **common, operation_id=operation_id(ed.tag, aname), name=action.kind, kind=action.kind,
                    method=action.method or "GET", path=self._path(action.path, f"{coll}/{_kebab(aname)}"),
                    summary=action.summary or aname.replace("_", " ").capitalize(),
                    auth=self.rule(public=bool(action.public) and not is_feed, roles=action.roles), status_code=200,
                    response_schema=vd.schema_name, response_list=True, list_key=ed.envelope_list or "items",
                    count_key=ed.envelope_count, paginated=pag,
                    parameters=self.list_params(entity, ed, paginate=pag)[: 2 if pag else 0]
                    + (self.action_params(action.params) if isinstance(action, QueryAction) else []),
                    default_sort=entity.api.default_sort,
                )
                if op.count_key is None and self.svc.pagination.style == "offset":
                    op.count_key = json_key("total", self.svc.naming)
                if isinstance(action, FeedAction):
                    op.scope_relation, op.scope_through = action.scope.relation, action.scope.through
                else:
                    op.conditions = self.conditions(ed, action.where)
                self.add(op, origin)
            elif isinstance(action, TransitionAction):
                owner_only = action.owner_only if action.owner_only is not None else ed.owner is not None
                self.add(OperationDesign(
                    **common, operation_id=operation_id(ed.tag, aname), name="transition", kind="transition",
                    method=action.method or "POST", path=self._path(action.path, default_item_path),
                    summary=action.summary or f"Move {action.field} to {action.to}",
                    auth=self.rule(public=bool(action.public), roles=action.roles, owner_only=owner_only),
                    status_code=200, response_schema=vd.schema_name, response_envelope=vd.envelope,
                    transition_field=action.field, transition_from=list(action.from_), transition_to=action.to,
                    conditions=self.conditions(ed, action.guards), handler=action.guard, set_now=action.set_now,
                ), origin)
            elif isinstance(action, CustomAction):
                base = default_item_path if action.target == "item" else f"{coll}/{_kebab(aname)}"
                method = action.method or "POST"
                in_query = method in ("GET", "DELETE")  # these carry no body: the input travels as a query
                self.add(OperationDesign(
                    **common, operation_id=operation_id(ed.tag, aname), name="custom", kind="custom",
                    method=method, path=self._path(action.path, base),
                    summary=action.summary or aname.replace("_", " ").capitalize(),
                    auth=self.rule(public=bool(action.public), roles=action.roles), status_code=action.status or 200,
                    request_schema=custom_input_schema(ename, aname) if action.input and not in_query else None,
                    parameters=(self.input_params(action) if in_query else []) + self.action_params(action.params),
                    response_schema=vd.schema_name, response_envelope=vd.envelope, handler=action.handler,
                    idempotent=bool(action.idempotent),
                ), origin)


_OUTCOME_OF = {422: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
               412: "precondition_failed", 429: "rate_limited"}


def _accepts_input(ed: EntityDesign) -> bool:
    """Whether a create of ``ed`` takes any value from the client (else it has no request body)."""
    return (any(f.in_create and not f.builtin for f in ed.fields)
            or any(r.request_as != "none" and r.request_json_name for r in ed.relations))


def _query_schema(field: Field) -> dict[str, Any]:
    return {k: v for k, v in json_schema(field).items() if k != "examples"}


def param_schema(param: QueryParam) -> dict[str, Any]:
    """A query parameter's schema; a case-insensitive enum is a pattern that accepts every letter case."""
    schema = _query_schema(param.as_field())
    if param.case_insensitive and param.values:
        schema.pop("enum", None)
        spelled = "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in value)
                           for value in param.values)
        schema["pattern"] = f"^(?:{spelled})$"
    return schema


def custom_input_schema(ename: str, aname: str) -> str:
    return f"{ename}{''.join(p.capitalize() for p in aname.split('_'))}Input"


def route_order(path: str) -> tuple[tuple[int, str], ...]:
    return tuple((1 if seg.startswith("{") else 0, seg) for seg in path.strip("/").split("/"))


def build_operations(bp: Blueprint, entities: dict[str, EntityDesign],
                     auth_ops: list[tuple[OperationDesign, str]],
                     ) -> tuple[list[OperationDesign], list[tuple[str, str]]]:
    """All operations in route order (static segments before parameters), and any route problems.

    Each problem is (message, key path of the blueprint declaration that causes it)."""
    builder = _Builder(bp, entities)
    for op, origin in auth_ops:
        builder.add(op, origin)
    for ename in bp.entities:
        builder.standard(ename)
        builder.actions(ename)
    clashes: list[tuple[str, str]] = list(dict.fromkeys(builder.problems))
    seen: dict[tuple[str, str], str] = {}
    ids: dict[str, str] = {}
    for op in builder.ops:
        shape = "/".join("{}" if s.startswith("{") else s for s in op.path.split("/"))
        key = (op.method, shape)
        origin = builder.origins[op.operation_id]
        if key in seen:
            clashes.append((f"{op.method} {op.path} is declared twice: by {seen[key]} and by {origin}", origin))
        seen[key] = origin
        if op.operation_id in ids:
            clashes.append((f"operationId {op.operation_id} is produced twice: by {ids[op.operation_id]} and {origin}",
                            origin))
        ids[op.operation_id] = origin
    ordered = sorted(builder.ops, key=lambda op: route_order(op.path))
    return ordered, clashes


def _behaviour(origin: str) -> str:
    """``entities.Article.api.operations.get`` -> ``Article.get``; ``auth.operations.login`` -> ``auth.login``."""
    parts = origin.split(".")
    if parts[0] == "auth":
        return f"auth.{parts[-1]}"
    if parts[2] == "api":
        return f"{parts[1]}.{parts[4]}"
    if parts[2] == "actions":
        return ".".join([parts[1], *parts[3:]])
    return ".".join([parts[1], *parts[2:]])  # views with a path: Entity.views.name


def behaviours(bp: Blueprint, entities: dict[str, EntityDesign],
               auth_ops: list[tuple[OperationDesign, str]]) -> dict[str, OperationDesign]:
    """Every operation the blueprint declares, by behaviour name (``Article.get``, ``Article.favorite.add``,
    ``auth.login``): the templates contract operations are bound to. Their routes are not used."""
    builder = _Builder(bp, entities)
    for op, origin in auth_ops:
        builder.add(op, origin)
    for ename in bp.entities:
        builder.standard(ename)
        builder.actions(ename)
    return {_behaviour(builder.origins[op.operation_id]): op for op in builder.ops}


__all__ = ["behaviours", "build_operations", "compute_paths", "custom_input_schema", "route_order"]
