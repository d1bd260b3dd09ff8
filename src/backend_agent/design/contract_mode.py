"""Contract mode: every operation of an OpenAPI contract bound to a behaviour of the blueprint.

The blueprint's own operations are templates here (what to do: kind, filters, auth rules); the
contract decides everything on the wire: route, parameters, bodies, statuses. Problems are
collected for all operations at once and located at the binding that causes them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from backend_agent.blueprint import Binding, Blueprint, Contract, ContractOperation, ContractParameter
from backend_agent.blueprint.types import did_you_mean
from backend_agent.design.model import (
    AuthRule,
    BindingDesign,
    EntityDesign,
    OperationDesign,
    ParameterDesign,
    WireBody,
    WireDesign,
)
from backend_agent.design.page_templates import check_page_template, page_values
from backend_agent.design.semantics import caller_design, caller_problem, existing_design
from backend_agent.design.wire import Annotator, WireProblem, clone, fits, members

Schema = dict[str, Any]

OUTCOME_STATUSES: dict[str, tuple[int, ...]] = {
    "invalid": (422, 400),
    "unauthorized": (401,),
    "forbidden": (403,),
    "not_found": (404,),
    "conflict": (409, 422, 400),
    "rate_limited": (429,),
}
_FROM_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 412: "precondition_failed",
                422: "invalid", 429: "rate_limited"}
_PAGING = {"limit": "limit", "offset": "offset", "cursor": "cursor", "page_size": "limit", "pageSize": "limit",
           "per_page": "limit", "skip": "offset", "after": "cursor"}
_ITEM_KINDS = ("get", "update", "delete", "toggle_add", "toggle_remove", "transition", "view")
_WRITES = {"create": True, "register": True, "update": False, "update_me": False}


@dataclass
class BindResult:
    operations: list[OperationDesign] = field(default_factory=list)
    problems: list[WireProblem] = field(default_factory=list)
    cautions: list[WireProblem] = field(default_factory=list)  # bound, but the service may differ in an edge
    unbound: list[ContractOperation] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)  # file name -> text of the templates bindings name


def _can_fail(param: ParameterDesign) -> bool:
    """Whether a parameter value can fail validation (a plain optional text never can)."""
    schema = param.json_schema
    loose = schema.get("type") in (None, "string") and not (set(schema) & {
        "enum", "pattern", "minLength", "maxLength", "format", "const"})
    return not loose or (param.required and param.location != "path")


def _snake_of(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _camel_of(name: str) -> str:
    head, *rest = _snake_of(name).split("_")
    return head + "".join(part.capitalize() for part in rest)


def _find_binding(bp: Blueprint, op: ContractOperation) -> tuple[str, Binding] | None:
    for key in (op.key, op.route, op.operation_id or ""):
        if key in bp.bindings:
            return key, bp.bindings[key]
    return None


def _custom_template(binding: Binding, key: str) -> OperationDesign:
    return OperationDesign(
        operation_id=key, name="custom", kind="custom", entity=binding.entity or "", method="POST", path="",
        tag="", summary="", auth=AuthRule(True, [], False, None), status_code=200, handler=binding.handler)


class _Binder:
    def __init__(self, bp: Blueprint, contract: Contract, entities: dict[str, EntityDesign],
                 templates: dict[str, OperationDesign], admin_role: str | None) -> None:
        self.bp = bp
        self.contract = contract
        self.entities = entities
        self.templates = templates
        self.admin_role = admin_role
        self.result = BindResult()

    def problem(self, origin: str, message: str, expected: str | None = None, hint: str | None = None) -> None:
        self.result.problems.append(WireProblem(message, origin, expected, hint))

    def run(self) -> BindResult:
        keys = {op.key for op in self.contract.operations} | {op.route for op in self.contract.operations}
        for key in self.bp.bindings:
            if key not in keys:
                close = did_you_mean(key, sorted(keys))
                self.problem(f"bindings.{key}", f"the contract has no operation '{key}'",
                             "an operationId or 'METHOD /path' of the contract",
                             f"did you mean '{close}'?" if close else "remove the binding")
        for op in self.contract.operations:
            found = _find_binding(self.bp, op)
            if found is None:
                self.result.unbound.append(op)
                continue
            bound = self.bind(op, *found)
            if bound is not None:
                self.result.operations.append(bound)
        return self.result

    # -- one operation -------------------------------------------------------------------------------

    def template(self, origin: str, binding: Binding, key: str) -> OperationDesign | None:
        behaviour = binding.operation
        if behaviour == "custom":
            if binding.handler is None:
                self.problem(f"{origin}.operation", "a custom binding needs a handler", "handler: module:function",
                             "add handler: app_rules:my_function")
                return None
            if binding.entity is not None and binding.entity not in self.entities:
                close = did_you_mean(binding.entity, list(self.entities))
                self.problem(f"{origin}.entity", f"unknown entity '{binding.entity}'",
                             "one of " + ", ".join(self.entities), f"did you mean '{close}'?" if close else None)
                return None
            return _custom_template(binding, key)
        if behaviour in self.templates:
            return copy.deepcopy(self.templates[behaviour])
        head = behaviour.split(".", 1)[0]
        if head != "auth" and head not in self.entities:
            close = did_you_mean(head, list(self.entities))
            self.problem(f"{origin}.operation", f"unknown entity '{head}' in '{behaviour}'",
                         "one of " + ", ".join(self.entities), f"did you mean '{close}'?" if close else None)
            return None
        choices = sorted(name for name in self.templates if name.startswith(head + "."))
        close = did_you_mean(behaviour, choices)
        hint = f"did you mean '{close}'?" if close else (
            "enable it in auth.operations" if head == "auth" else f"declare it in {head}.api.operations or actions")
        self.problem(f"{origin}.operation", f"'{behaviour}' is not an operation of the blueprint",
                     "one of " + ", ".join(choices), hint)
        return None

    def bind(self, cop: ContractOperation, key: str, binding: Binding) -> OperationDesign | None:
        origin = f"bindings.{key}"
        op = self.template(origin, binding, key)
        if op is None:
            return None
        ename = op.entity or None
        if binding.view is not None and ename is not None:
            if binding.view not in self.entities[ename].views:
                close = did_you_mean(binding.view, list(self.entities[ename].views))
                self.problem(f"{origin}.view", f"unknown view '{binding.view}' of {ename}",
                             "one of " + ", ".join(self.entities[ename].views),
                             f"did you mean '{close}'?" if close else None)
            op.view = binding.view
        op.operation_id = cop.operation_id or key
        op.method = cop.method
        op.path = self.contract.base_path + cop.path
        op.tag = cop.tags[0] if cop.tags else op.tag
        op.summary = cop.summary or op.summary
        op.binding = BindingDesign(key=key, behaviour=binding.operation, origin=origin)
        op.parameters = [self.parameter(p, op, binding, origin) for p in cop.parameters]
        paging = {p.maps_to for p in op.parameters}
        if op.paginated and not paging & {"limit", "offset", "cursor"}:
            op.paginated = False  # the contract offers no paging: return every row
        op.auth = self.auth_rule(cop, op, origin)
        statuses = [s for s in cop.responses if 200 <= s < 300]
        if not statuses:
            self.problem(origin, f"contract operation {cop.key} declares no 2xx response",
                         "a success status", "add one to the contract")
            return None
        op.status_code = statuses[0]
        self.semantics(cop, op, binding, origin, statuses)
        op.wire = self.wire(cop, op, binding, origin)  # reads the template's error statuses: what can happen
        op.error_statuses = sorted({r.status for r in op.wire.responses if r.status and r.status >= 400})
        if op.caller is not None:
            answer = op.wire.response(op.caller.outcome)
            op.caller.status = answer.status if answer is not None and answer.status else op.caller.status
        return op

    def semantics(self, cop: ContractOperation, op: OperationDesign, binding: Binding, origin: str,
                  statuses: list[int]) -> None:
        """Find-or-create / upsert and the caller rule of a binding (or of the blueprint operation it names)."""
        from backend_agent.blueprint._checks_semantics import caller_issues, existing_issues

        if binding.existing is not None:
            if op.kind != "create" or not op.entity:
                self.problem(f"{origin}.existing", f"`existing` applies to Entity.create bindings, not "
                             f"{binding.operation}", "operation: <Entity>.create", "remove existing")
            else:
                issues = list(existing_issues(self.bp, op.entity, binding.existing, (*origin.split("."), "existing")))
                for issue in issues:
                    self.problem(_dotted(issue.path), issue.message, issue.expected, issue.hint)
                if not issues:
                    op.existing = existing_design(self.bp, self.entities[op.entity], binding.existing)
        if op.existing is not None:
            # The contract's 201 answers a created row; its other success status an existing one.
            created = 201 if 201 in statuses else statuses[0]
            op.status_code = created
            op.existing.status = next((s for s in statuses if s != created), created)
            owner = self.entities[op.entity].owner
            if op.existing.then == "update" and owner and owner not in op.existing.match:
                op.error_statuses = sorted({*op.error_statuses, 403})
        if binding.caller is not None:
            issues = list(caller_issues(self.bp, binding.caller, None, (*origin.split("."), "caller")))
            for issue in issues:
                self.problem(_dotted(issue.path), issue.message, issue.expected, issue.hint)
            if not issues:
                op.caller = caller_design(self.bp, self.entities, binding.caller)
        if op.caller is not None:
            if op.auth.public:
                self.problem(f"{origin}.caller", f"the caller rule of {cop.key} needs a signed-in user, but the "
                             "contract lets anyone call it", "security on the contract operation",
                             f"add security to {cop.key} in the contract")
            body: set[str] | None = None
            if op.caller.location == "body" and cop.request is not None and isinstance(cop.request.schema, dict):
                body = set(cop.request.schema.get("properties") or {})
            problem = caller_problem(op, self.entities.get(op.entity), body,
                                     self.bp.auth.user_entity if self.bp.auth is not None else "")
            if problem:
                hint = ("name the parameter or property holding the user's id" if "no owner" not in problem else
                        f"give {op.entity} an owner, or add {{param: {op.caller.name}, ...}} to its api.filters")
                self.problem(f"{origin}.caller.name", problem, f"a {op.caller.location} value of {cop.key}", hint)
            if op.caller.status not in op.error_statuses:
                op.error_statuses = sorted({*op.error_statuses, op.caller.status})

    def parameter(self, param: ContractParameter, op: OperationDesign, binding: Binding,
                  origin: str) -> ParameterDesign:
        maps_to: str | None = None
        where = f"{origin}.select.{param.name}" if param.name in binding.select else origin
        if op.kind == "custom" or param.location in ("header", "cookie"):
            maps_to = f"param.{param.name}"
        elif param.location == "path":
            maps_to = self.path_target(param, op, binding, where)
        elif param.name in binding.select:
            maps_to = self.row_field(op.entity, binding.select[param.name], param, where)
        elif param.name in _PAGING and op.response_list:
            maps_to = _PAGING[param.name]
        elif any(f.param == param.name for f in op.filters):
            flt = next(f for f in op.filters if f.param == param.name)
            maps_to = flt.field or f"{flt.relation}.{flt.key or ''}"
        elif param.name in ("sort", "order_by", "orderBy") and op.sort:
            maps_to = "sort"
        elif param.name in ("q", "query", "search") and op.search:
            maps_to = "search"
        elif self._caller_reads(param, op, binding):
            maps_to = "caller"  # only compared with the signed-in user
        elif op.kind == "query" or op.kind == "list":
            self.problem(origin, f"query parameter '{param.name}' of {op.operation_id} has no meaning in "
                         f"{op.entity}.{op.name}", "a filter, paging, sort or search parameter",
                         f"add {{param: {param.name}, field: ...}} to {op.entity}.api.filters, or select: "
                         f"{{{param.name}: <field>}} to the binding")
        else:
            self.problem(origin, f"parameter '{param.name}' of {op.operation_id} is not used by {op.entity}."
                         f"{op.name}", "a parameter that selects the row",
                         f"bind it with select: {{{param.name}: <field>}}")
        location: Literal["path", "query", "header"] = (
            "path" if param.location == "path" else "query" if param.location == "query" else "header")
        return ParameterDesign(param.name, location, param.schema, param.required, param.description,
                               maps_to=maps_to, style=param.style, explode=param.explode)

    @staticmethod
    def _caller_reads(param: ContractParameter, op: OperationDesign, binding: Binding) -> bool:
        if binding.caller is not None:
            return (binding.caller.in_, binding.caller.name) == (param.location, param.name)
        return op.caller is not None and (op.caller.location, op.caller.name) == (param.location, param.name)

    def row_field(self, ename: str, fname: str, param: ContractParameter, origin: str) -> str | None:
        ed = self.entities[ename]
        known = members(ed, self.entities)
        member = next((m for m in known.values() if m.name == fname and m.kind == "field"), None)
        if member is None:
            fields = [f.name for f in ed.fields]
            close = did_you_mean(fname, fields)
            self.problem(origin, f"select names '{fname}', which is no field of {ename}", "one of "
                         + ", ".join(fields), f"did you mean '{close}'?" if close else None)
            return None
        if not fits(member.schema, param.schema):
            self.problem(origin, f"parameter '{param.name}' is {param.schema.get('type', 'any')} in the contract but "
                         f"{ename}.{fname} is {member.schema.get('type')}", "matching types",
                         "change the field's type or select another field")
        return f"{ename}.{fname}"

    def path_target(self, param: ContractParameter, op: OperationDesign, binding: Binding,
                    origin: str) -> str | None:
        """Which row a path parameter selects: a unique field of the entity, or of a to-one parent."""
        ed = self.entities.get(op.entity)
        if ed is None:
            return None
        wanted = binding.select.get(param.name, param.name)
        if "." in wanted:  # relation.field: a row of the parent the path is under
            rel_name, _, target_name = wanted.partition(".")
            rd = next((r for r in ed.relations if r.name == rel_name and r.kind == "many_to_one"), None)
            if rd is None:
                parents = [r.name for r in ed.relations if r.kind == "many_to_one"]
                close = did_you_mean(rel_name, parents)
                self.problem(origin, f"select names '{rel_name}', which is no many_to_one relation of {ed.name}",
                             "one of " + ", ".join(parents), f"did you mean '{close}'?" if close else None)
                return None
            found = self.row_field(rd.target, target_name, param, origin)
            return f"{rd.name}.{target_name}" if found else None
        own = self._unique_field(ed, wanted) or (
            "id" if wanted in (f"{_snake_of(ed.name)}_id", f"{_camel_of(ed.name)}Id") else None)
        collection = op.kind in ("list", "create", "query", "feed") and param.name not in binding.select
        if own is not None and not collection:
            return self.row_field(ed.name, own, param, origin)
        for rd in ed.relations:
            if rd.kind != "many_to_one" or rd.target not in self.entities:
                continue
            if wanted in (f"{rd.name}_id", f"{_camel_of(rd.name)}Id"):  # cartId -> cart.id
                return f"{rd.name}.id"
            target_field = self._unique_field(self.entities[rd.target], wanted)
            if target_field is not None:
                tmember = members(self.entities[rd.target], self.entities)[target_field]
                if not fits(tmember.schema, param.schema):
                    self.problem(origin, f"path parameter '{param.name}' is {param.schema.get('type')} in the "
                                 f"contract but {rd.target}.{target_field} is {tmember.schema.get('type')}")
                return f"{rd.name}.{target_field}"
        if own is not None:
            return self.row_field(ed.name, own, param, origin)
        uniques = [f.name for f in ed.fields if f.unique]
        close = did_you_mean(wanted, uniques)
        self.problem(origin, f"path parameter '{param.name}' of {op.operation_id} selects no row of {ed.name}",
                     f"a unique field of {ed.name} (or of a parent): " + ", ".join(uniques),
                     f"bind it: select: {{{param.name}: {close}}}" if close else
                     f"bind it: select: {{{param.name}: <unique field>}}")
        return None

    @staticmethod
    def _unique_field(ed: EntityDesign, name: str) -> str | None:
        for fd in ed.fields:
            if (name in (fd.name, fd.json_name)) and (fd.unique or fd.name == "id"):
                return fd.name
        return None

    def auth_rule(self, cop: ContractOperation, op: OperationDesign, origin: str) -> AuthRule:
        rule = op.auth
        needs = cop.needs_token
        if needs and self.bp.auth is None:
            self.problem(origin, f"{cop.key} requires a token in the contract but the blueprint has no auth",
                         "an auth section", "add auth: {user_entity: ..., identity: [...]}")
        if not needs and not rule.public and not cop.token_optional:
            what = "a signed-in owner" if rule.owner_only else ("roles " + "/".join(rule.roles) if rule.roles
                                                                 else "a signed-in user")
            self.problem(origin, f"the contract lets anyone call {cop.key}, but {op.entity}.{op.name} needs {what}",
                         "security in the contract, or a public operation",
                         f"add security to {cop.key} in the contract, or public: true to the operation")
        public = not needs
        optional = public and self.bp.auth is not None and op.kind not in ("register", "login", "refresh")
        return AuthRule(public=public, roles=list(rule.roles), owner_only=rule.owner_only,
                        admin_bypass=rule.admin_bypass, optional=optional)

    # -- bodies ----------------------------------------------------------------------------------------

    def wire(self, cop: ContractOperation, op: OperationDesign, binding: Binding, origin: str) -> WireDesign:
        ename = op.entity or None
        if binding.values_of:
            op.values_of = binding.values_of  # the list answers one field's values, not rows
        extras: dict[str, Any] = {}
        if op.tag and op.kind in ("register", "login", "me", "update_me", "refresh"):
            extras["token"] = True
            extras["refresh_token"] = True
            extras["access_token"] = True
            extras["token_type"] = True
        if op.message:
            extras["message"] = op.message
        ann = Annotator(self.entities, origin, f"{cop.key}", mapping=dict(binding.fields),
                        list_op=op.response_list, values_of=binding.values_of or op.values_of, extras=extras)
        request: WireBody | None = None
        if cop.request is not None and cop.request.content_type is not None:
            ann.what = f"{cop.key} request"
            login = None
            if op.kind == "login" and self.bp.auth is not None:
                login = (list(self.bp.auth.identity), self.bp.auth.password_field)
            target = ename if op.kind in (*_WRITES, "login") else None
            params = {p.name for p in cop.parameters}
            by_body = {k: v for k, v in binding.select.items() if k not in params}
            if by_body and ename is not None and op.kind not in (*_WRITES, "custom"):
                schema = self.body_select(cop.request.schema, ename, by_body, origin, cop.key)
            else:
                if op.kind not in (*_WRITES, "login", "custom", "refresh", "verify_email", "request_password_reset",
                                   "reset_password"):
                    self.problem(origin, f"the contract sends a request body to {cop.key}, but {op.entity}."
                                 f"{op.name} reads none", "an operation that takes input, or select: {<body "
                                 "property>: <unique field>} to pick the row by a body value",
                                 "bind a custom handler, select the row by a body value, or remove the body")
                schema = ann.request(cop.request.schema, target, create=_WRITES.get(op.kind, False), login=login)
            if op.kind in ("create", "register") and ename is not None:
                ed = self.entities[ename]
                needed = [fd for fd in ed.fields if fd.in_create and fd.required and not fd.has_default
                          and not fd.builtin and not fd.derive_from]
                if op.kind == "create" and ed.owner:
                    needed = [fd for fd in needed if fd.name != ed.owner]
                ann.missing_required(schema, needed, ename)
            request = WireBody(cop.request.content_type, schema, cop.request.required,
                               description=cop.request.description)
        elif op.kind in ("create", "register", "login") and op.request_schema:
            self.problem(origin, f"{cop.key} has no request body in the contract, but {op.entity}.{op.name} "
                         "needs input", "a requestBody", "add one to the contract, or bind another operation")
        responses: list[WireBody] = []
        for status, body in cop.responses.items():
            if 200 <= status < 300:
                ann.what = f"{cop.key} response {status}"
                schema = body.schema
                if body.content_type == "application/json" or (body.content_type or "").endswith("+json"):
                    schema = ann.response(schema, None if op.kind == "custom" else ename)
                elif body.content_type in ("text/html", "text/plain") and op.kind != "custom":
                    if binding.template is None:
                        self.problem(origin, f"{cop.key} answers {body.content_type}, which needs a template",
                                     "template: <file>.html.j2", f"add template: {op.entity.lower()}.html.j2 "
                                     "(rendered with `row` or `rows`, autoescaped)")
                    else:
                        self.read_template(binding.template, body.content_type, f"{origin}.template",
                                           page_values(self.entities[ename], op.view) if ename else [],
                                           list_page=op.response_list)
                    schema = {**(schema or {"type": "string"}), "x-source": f"template:{binding.template}"}
                found = op.existing is not None and status == op.existing.status != op.status_code
                responses.append(WireBody(body.content_type, schema, status=status,
                                          outcome="existing" if found else "success", description=body.description))
        declared_errors = {s: b for s, b in cop.responses.items() if s >= 400}
        possible = {_FROM_STATUS[s] for s in (self.templates_statuses(op)) if s in _FROM_STATUS}
        if op.kind == "custom":  # a handler may end in any outcome its contract declares a status for
            possible |= {_FROM_STATUS[s] for s in declared_errors if s in _FROM_STATUS}
        if request is not None or any(_can_fail(p) for p in op.parameters):
            possible.add("invalid")
        else:
            possible.discard("invalid")
        if not op.auth.public:
            possible.add("unauthorized")
        elif 401 not in declared_errors and "unauthorized" not in binding.statuses:
            # A bad optional token is then read as no token: the contract has no status for it.
            possible.discard("unauthorized")
        used: set[int] = set()
        for outcome in OUTCOME_STATUSES:
            chosen = binding.statuses.get(outcome)  # type: ignore[call-overload]
            if chosen is None and outcome not in possible:
                continue
            status = self.choose(outcome, chosen, declared_errors)
            used.add(status)
            error_body = declared_errors.get(status)
            ann.what = f"{cop.key} response {status}"
            if error_body is not None:
                schema = ann.error(error_body.schema) if error_body.content_type else None
                responses.append(WireBody(error_body.content_type, schema, status=status, outcome=outcome,
                                          description=error_body.description))
            else:
                responses.append(WireBody("application/json", None, status=status, outcome=outcome, declared=False,
                                          description="not in the contract: the service's own error body"))
        for status, body in declared_errors.items():
            if status not in used:
                responses.append(WireBody(body.content_type, ann.error(body.schema) if body.content_type else None,
                                          status=status, outcome="other", description=body.description))
        self.result.problems.extend(ann.problems)
        self.result.cautions.extend(ann.cautions)
        return WireDesign(request=request, responses=responses)

    def read_template(self, name: str, content_type: str, origin: str, available: list[str], *,
                      list_page: bool) -> None:
        """The template's text for design.json (the generator ships it as app/templates/<name>)."""
        html = content_type == "text/html"
        if html != (".html" in name):
            kind = "an .html" if html else "a .txt"
            self.problem(origin, f"template '{name}' renders {content_type}", f"{kind} template",
                         f"rename it {name.split('.')[0]}{'.html' if html else '.txt'}.j2: HTML templates are "
                         "autoescaped, text ones are not")
            return
        file = self.bp.base_dir / "templates" / name
        if not file.is_file():
            self.problem(origin, f"template file not found: {file}", "a Jinja2 file in templates/ beside the "
                         "blueprint", f"create templates/{name} (it sees `row`, or `rows` for lists)")
            return
        text = file.read_text(encoding="utf-8")
        for problem in check_page_template(text, available, list_page=list_page):
            self.problem(origin, f"templates/{name}:{problem.line}: {problem.message}", problem.expected,
                         problem.hint)
        self.result.templates[name] = text

    def body_select(self, schema: Schema | None, ename: str, by_body: dict[str, str], origin: str,
                    key: str) -> Schema | None:
        """RPC style: the row is selected by body values (``x-target: select:Entity.field``)."""
        out = clone(schema) if schema is not None else None
        props = (out or {}).get("properties") or {}
        for prop, fname in by_body.items():
            where = f"{origin}.select.{prop}"
            if prop not in props:
                close = did_you_mean(prop, list(props))
                self.problem(where, f"select names '{prop}', which is neither a parameter nor a request property "
                             f"of {key}", "one of " + ", ".join(props) if props else "a request property",
                             f"did you mean '{close}'?" if close else None)
                continue
            fake = ContractParameter(prop, "body", True, props[prop])
            found = self.row_field(ename, fname, fake, where)
            if found is not None:
                if self._unique_field(self.entities[ename], fname) is None:
                    self.problem(where, f"{ename}.{fname} is not unique, so it cannot select one row",
                                 "a unique field", f"add unique: true to {ename}.{fname}")
                props[prop]["x-target"] = f"select:{found}"
        for prop, sub in props.items():
            if prop not in by_body and isinstance(sub, dict):
                self.problem(origin, f"request property {prop} of {key} is not used to select the row",
                             "only select properties", f"add it to select, or bind {key} to a custom handler")
        return out

    @staticmethod
    def templates_statuses(op: OperationDesign) -> list[int]:
        return list(op.error_statuses)

    @staticmethod
    def choose(outcome: str, chosen: int | None, declared: dict[int, Any]) -> int:
        """The binding's status for the outcome, else the first conventional one the contract declares."""
        if chosen is not None:
            return chosen
        return next((s for s in OUTCOME_STATUSES[outcome] if s in declared), OUTCOME_STATUSES[outcome][0])


def _dotted(path: tuple[str | int, ...]) -> str:
    """A key path as the locator reads it: ``bindings.x.existing.match[0]``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def bind_contract(bp: Blueprint, contract: Contract, entities: dict[str, EntityDesign],
                  templates: dict[str, OperationDesign]) -> BindResult:
    """Bind every contract operation; unbound ones and every binding problem are returned, not raised."""
    admin = bp.auth.admin_role if bp.auth else None
    return _Binder(bp, contract, entities, templates, admin).run()


__all__ = ["OUTCOME_STATUSES", "BindResult", "bind_contract"]
