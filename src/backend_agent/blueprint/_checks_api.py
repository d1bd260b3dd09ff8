"""Checks of the auth section, entity APIs and actions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from backend_agent.blueprint._checks_params import check_filter_match, check_params, check_reply
from backend_agent.blueprint._issues import Issue, Path, unknown
from backend_agent.blueprint.api import CustomAction, FeedAction, QueryAction, ToggleAction, TransitionAction
from backend_agent.blueprint.entity import RelationKind
from backend_agent.blueprint.schema import AUTH_OPERATIONS, auth_operation
from backend_agent.blueprint.types import FieldKind, did_you_mean

if TYPE_CHECKING:
    from backend_agent.blueprint._checks import _Checker


def _roles(ck: _Checker, roles: list[str] | None, path: Path) -> Iterator[Issue]:
    if roles is None:
        return
    if ck.bp.auth is None:
        yield Issue(path, "roles need an `auth` section", "auth.roles", "add an auth section")
        return
    known = ck.bp.auth.roles
    for index, role in enumerate(roles):
        if role not in known:
            close = did_you_mean(role, known)
            yield Issue((*path, index), f"unknown role '{role}'", "one of " + ", ".join(known),
                         f"did you mean '{close}'?" if close else "add it to auth.roles")


def check_auth(ck: _Checker) -> Iterator[Issue]:
    auth = ck.bp.auth
    if auth is None:
        return
    if auth.user_entity not in ck.bp.entities:
        yield unknown(("auth", "user_entity"), "entity", auth.user_entity, ck.entity_names())
        return
    user = ck.bp.entities[auth.user_entity]
    for index, name in enumerate(auth.identity):
        fld = ck.field_or_builtin(auth.user_entity, name, ("auth", "identity", index))
        if fld is not None and not fld.unique:
            yield Issue(("auth", "identity", index), f"identity field '{name}' is not unique",
                         "a unique field", f"add unique: true to {auth.user_entity}.{name}")
    pw = user.fields.get(auth.password_field)
    if pw is None:
        yield unknown(("auth", "password_field"), f"field of {auth.user_entity}", auth.password_field,
                       list(user.fields))
    elif not pw.secret:
        yield Issue(("auth", "password_field"), f"password field '{auth.password_field}' is not secret",
                     "secret: true", f"add secret: true to {auth.user_entity}.{auth.password_field}")
    for key in ("default_role", "admin_role"):
        if getattr(auth, key) not in auth.roles:
            yield Issue(("auth", key), f"{key} '{getattr(auth, key)}' is not in roles",
                         "one of " + ", ".join(auth.roles), "add it to auth.roles")
    if auth.password_policy.min_length > auth.password_policy.max_length:
        yield Issue(("auth", "password_policy", "min_length"), "min_length exceeds max_length",
                     "min_length <= max_length", "lower min_length")
    yield from _auth_flows(ck)
    if auth.role_field is not None:
        fld = ck.field_or_builtin(auth.user_entity, auth.role_field, ("auth", "role_field"))
        if fld is not None and (fld.parsed.kind is not FieldKind.ENUM or set(fld.values or []) != set(auth.roles)):
            yield Issue(("auth", "role_field"), f"role field '{auth.role_field}' must be an enum of the roles",
                         "type: enum, values: " + ", ".join(auth.roles), "align the enum values with auth.roles")
    for op_name in AUTH_OPERATIONS:
        op = auth_operation(auth.operations, op_name)
        if op.view is not None and op.view not in user.views:
            yield unknown(("auth", "operations", op_name, "view"), f"view of {auth.user_entity}", op.view,
                           list(user.views))


_ALLOWED_STATUSES: dict[str, tuple[int, ...]] = {
    "invalid": (400, 422), "conflict": (409, 400, 422), "forbidden": (403, 401, 404), "not_found": (404, 400),
    "unauthorized": (401, 403), "rate_limited": (429,),
}
_SHAPE_VALUES = ("$message", "$messages", "$code", "$status", "$details", "$fields")


def _plain(statuses: Mapping[Any, int]) -> dict[str, int]:
    return {str(k): v for k, v in statuses.items()}


def check_statuses(statuses: dict[str, int], path: Path) -> Iterator[Issue]:
    for outcome, status in statuses.items():
        allowed = _ALLOWED_STATUSES[outcome]
        if status not in allowed:
            yield Issue((*path, outcome), f"{outcome} cannot answer {status}",
                        "one of " + ", ".join(map(str, allowed)), f"use {allowed[0]}")


def check_shape(shape: object, path: Path) -> Iterator[Issue]:
    if isinstance(shape, dict):
        for key, value in shape.items():
            yield from check_shape(value, (*path, str(key)))
    elif isinstance(shape, str) and shape.startswith("$") and shape not in _SHAPE_VALUES:
        close = did_you_mean(shape, list(_SHAPE_VALUES))
        yield Issue(path, f"unknown error value '{shape}'", "one of " + ", ".join(_SHAPE_VALUES),
                    f"did you mean '{close}'?" if close else "use one of the $ values, or a literal")
    elif not isinstance(shape, str | int | float | bool) and shape is not None:
        yield Issue(path, "an error shape holds mappings, $ values and literals", "e.g. {message: $message}",
                    "remove the list")


def _writable(ck: _Checker, ename: str, names: list[str] | None, path: Path) -> Iterator[Issue]:
    if names is None:
        return
    entity = ck.bp.entities[ename]
    known = [*entity.fields, *(r for r in ck.rels[ename])]
    for index, name in enumerate(names):
        if name not in known:
            yield unknown((*path, index), f"field or relation of {ename}", name, known)
        elif name in entity.fields and (entity.fields[name].read_only or entity.fields[name].derive):
            yield Issue((*path, index), f"'{name}' is read-only, so no request may set it", "a writable field",
                        f"remove {name} from fields")


def check_wire(ck: _Checker) -> Iterator[Issue]:
    """Exact wire shapes: statuses, error shapes, writable fields, wire names."""
    errors = ck.bp.service.errors
    yield from check_statuses(_plain(errors.statuses), ("service", "errors", "statuses"))
    if errors.shape is not None:
        yield from check_shape(errors.shape, ("service", "errors", "shape"))
    for ename, entity in ck.bp.entities.items():
        names = [*_builtin_names(entity), *entity.fields, *ck.rels[ename], *entity.computed]
        seen: dict[str, str] = {}
        for name, wire in entity.wire_names.items():
            if name not in names:
                yield unknown(("entities", ename, "wire_names", name), f"field of {ename}", name, names)
            if wire in seen:
                yield Issue(("entities", ename, "wire_names", name), f"wire name '{wire}' is also used by "
                            f"{seen[wire]}", "distinct JSON keys", "rename one")
            seen[wire] = name
        for op_name, op in entity.api.operations.items():
            path: Path = ("entities", ename, "api", "operations", op_name)
            yield from check_statuses(_plain(op.statuses), (*path, "statuses"))
            if (op.fields is not None or op.open) and op_name not in ("create", "update"):
                yield Issue((*path, "fields" if op.fields is not None else "open"),
                            f"`fields` and `open` apply to create and update, not {op_name}",
                            "create or update", "remove it")
            yield from _writable(ck, ename, op.fields, (*path, "fields"))
            if op.bare and op_name != "list":
                yield Issue((*path, "bare"), f"`bare` applies to list, not {op_name}", "list", "remove it")
        for aname, action in entity.actions.items():
            yield from check_statuses(_plain(action.statuses), ("entities", ename, "actions", aname, "statuses"))
    auth = ck.bp.auth
    if auth is not None and auth.user_entity in ck.bp.entities:
        for auth_name in AUTH_OPERATIONS:
            auth_op = auth_operation(auth.operations, auth_name)
            where: Path = ("auth", "operations", auth_name)
            yield from check_statuses(_plain(auth_op.statuses), (*where, "statuses"))
            if auth_op.fields is not None and auth_name not in ("register", "update_me"):
                yield Issue((*where, "fields"), f"`fields` applies to register and update_me, not {auth_name}",
                            "register or update_me", "remove it")
            yield from _writable(ck, auth.user_entity, auth_op.fields, (*where, "fields"))
            if auth_op.reply is not None:
                yield from check_reply(auth, auth_name, auth_op, (*where, "reply"))


def _builtin_names(entity: object) -> list[str]:
    options = getattr(entity, "options", None)
    names = ["id"]
    if options is not None and options.timestamps:
        names += ["created_at", "updated_at"]
    return names


def _auth_flows(ck: _Checker) -> Iterator[Issue]:
    """Mail-based flows need an address to mail; verified sign-in needs the verification flow."""
    auth = ck.bp.auth
    assert auth is not None
    user = ck.bp.entities[auth.user_entity]
    mails = [n for n in ([auth.email_field] if auth.email_field else auth.identity)
             if n in user.fields and user.fields[n].parsed.kind is FieldKind.EMAIL]
    ops = auth.operations
    if auth.email_field is not None and not mails:
        yield Issue(("auth", "email_field"), f"'{auth.email_field}' is not an email field of {auth.user_entity}",
                    "an email-typed field", "name the field holding the address")
    for name in ("verify_email", "request_password_reset"):
        if auth_operation(ops, name).enabled and not mails:
            yield Issue(("auth", "operations", name), f"{name} mails the user, but {auth.user_entity} has no "
                        "email identity", "an email field (identity or auth.email_field)",
                        "add email_field: <email field>")
    if ops.reset_password.enabled != ops.request_password_reset.enabled:
        yield Issue(("auth", "operations", "reset_password"), "password reset needs both request_password_reset "
                    "and reset_password", "both enabled or both off", "enable the other one")
    if auth.require_verified_email and not ops.verify_email.enabled:
        yield Issue(("auth", "require_verified_email"), "require_verified_email needs operations.verify_email",
                    "verify_email: {enabled: true}", "enable verify_email")


def check_api(ck: _Checker) -> Iterator[Issue]:
    for ename, entity in ck.bp.entities.items():
        base: Path = ("entities", ename, "api")
        api = entity.api
        if api.parent is not None:
            side = ck.relation(ename, api.parent, (*base, "parent"))
            if side is not None and side.kind is not RelationKind.MANY_TO_ONE:
                yield Issue((*base, "parent"), f"parent '{api.parent}' is {side.kind}", "a many_to_one relation",
                             "nest under the entity this one belongs to")
            if side is not None:
                yield from _nested_visibility(ck, ename, side.target)
        if api.visibility == "owner" and entity.owner is None:
            yield Issue((*base, "visibility"), "visibility: owner needs `owner` on the entity",
                         "owner: <many_to_one to the user entity>", "add owner or use visibility: authenticated")
        yield from ck.conditions(ename, api.visible_if, (*base, "visible_if"))
        for index, flt in enumerate(api.filters):
            path = (*base, "filters", index)
            if (flt.field is None) == (flt.relation is None):
                yield Issue(path, "a filter needs exactly one of `field` or `relation`", "field: x or relation: y",
                             "keep one of them")
            if flt.field is not None:
                fld = ck.field_or_builtin(ename, flt.field, (*path, "field"))
                if fld is not None and fld.encrypted:
                    yield Issue((*path, "field"), f"'{flt.field}' is encrypted: the database cannot compare it",
                                "a field stored in clear", "filter on another field")
            if flt.relation is not None:
                side = ck.relation(ename, flt.relation, (*path, "relation"))
                if side is not None and flt.key is not None:
                    ck.field_or_builtin(side.target, flt.key, (*path, "key"))
            yield from check_filter_match(ck, ename, flt, path)
        for index, name in enumerate(api.sort):
            ck.field_or_builtin(ename, name, (*base, "sort", index))
        if api.default_sort is not None:
            ck.field_or_builtin(ename, api.default_sort.lstrip("-+"), (*base, "default_sort"))
        for index, name in enumerate(api.search):
            fld = ck.field_or_builtin(ename, name, (*base, "search", index))
            if fld is not None and fld.parsed.kind not in (FieldKind.STRING, FieldKind.TEXT, FieldKind.EMAIL):
                yield Issue((*base, "search", index), f"search field '{name}' is not text", "a text field",
                             "remove it from search")
        for op_name, op in api.operations.items():
            path = (*base, "operations", op_name)
            if op.view is not None and op.view not in entity.views:
                yield unknown((*path, "view"), f"view of {ename}", op.view, list(entity.views))
            yield from _roles(ck, op.roles, (*path, "roles"))
            if op.values_of is not None:
                ck.field_or_builtin(ename, op.values_of, (*path, "values_of"))
            if op.owner_only and entity.owner is None:
                yield Issue((*path, "owner_only"), "owner_only needs `owner` on the entity",
                             "owner: <many_to_one to the user entity>", "add owner to the entity")
            if (op.roles or op.public is False or op.owner_only) and ck.bp.auth is None:
                yield Issue(path, "access rules need an `auth` section", "auth.user_entity", "add auth")
        yield from _actions(ck, ename)


def _nested_visibility(ck: _Checker, ename: str, parent_name: str) -> Iterator[Issue]:
    """A nested resource left public under a parent not everyone may read would leak its rows."""
    entity, parent = ck.bp.entities[ename], ck.bp.entities.get(parent_name)
    if parent is None or parent.api.visibility == "public" or "visibility" in entity.api.model_fields_set:
        return
    who = "signed-in users" if parent.api.visibility == "authenticated" else "its owner"
    fix = "owner" if parent.api.visibility == "owner" and entity.owner else "authenticated"
    yield Issue(("entities", ename, "api", "parent"),
                f"{ename} is nested under {parent_name}, which only {who} may read, but {ename} is public by "
                f"default, so anyone could read the {ename} rows of a {parent_name} they cannot see",
                "an explicit api.visibility",
                f"add visibility: {fix} to {ename}.api (or visibility: public to publish them on purpose)")


def _actions(ck: _Checker, ename: str) -> Iterator[Issue]:
    entity = ck.bp.entities[ename]
    writable_states: set[str] = set()  # transition fields already reported as client-writable
    for aname, action in entity.actions.items():
        path: Path = ("entities", ename, "actions", aname)
        if action.view is not None and action.view not in entity.views:
            yield unknown((*path, "view"), f"view of {ename}", action.view, list(entity.views))
        yield from _roles(ck, action.roles, (*path, "roles"))
        needs_user = isinstance(action, ToggleAction | FeedAction)
        if needs_user and ck.user is None:
            if ck.bp.auth is not None:
                continue
            yield Issue(path, f"{action.kind} actions need an `auth` section", "auth.user_entity", "add auth")
            continue
        if isinstance(action, ToggleAction):
            side = ck.relation(ename, action.relation, (*path, "relation"))
            if side is not None and (side.kind is not RelationKind.MANY_TO_MANY or side.target != ck.user):
                yield Issue((*path, "relation"), f"toggle needs a many_to_many relation to {ck.user}, "
                             f"'{action.relation}' is {side.kind} to {side.target}",
                             f"a many_to_many to {ck.user}", "declare one, e.g. favorited_by")
        elif isinstance(action, FeedAction):
            side = ck.relation(ename, action.scope.relation, (*path, "scope", "relation"))
            if side is not None and (side.kind is not RelationKind.MANY_TO_ONE or side.target != ck.user):
                yield Issue((*path, "scope", "relation"), f"scope.relation must be a many_to_one to {ck.user}",
                             f"a many_to_one to {ck.user}", "use e.g. author")
            assert ck.user is not None
            through = ck.relation(ck.user, action.scope.through, (*path, "scope", "through"))
            if through is not None and (not through.to_many or through.target != ck.user):
                yield Issue((*path, "scope", "through"), f"scope.through must be a to-many relation of "
                             f"{ck.user} to {ck.user}", "e.g. following", "use a self many_to_many")
        elif isinstance(action, QueryAction):
            yield from check_params(ck, ename, action.params, (*path, "params"))
            yield from ck.conditions(ename, action.where, (*path, "where"), params=action.params)
        elif isinstance(action, TransitionAction):
            fld = ck.field_or_builtin(ename, action.field, (*path, "field"))
            if fld is not None:
                if fld.parsed.kind is not FieldKind.ENUM:
                    yield Issue((*path, "field"), f"transition field '{action.field}' is not an enum",
                                 "an enum field", "make the field an enum of states")
                else:
                    states = fld.values or []
                    for index, state in enumerate(action.from_):
                        if state not in states:
                            yield _bad_state((*path, "from", index), state, states)
                    if action.to not in states:
                        yield _bad_state((*path, "to"), action.to, states)
                    if not fld.read_only and action.field not in writable_states:
                        writable_states.add(action.field)
                        initial = "" if fld.has_default or not states else f" and default: {states[0]}"
                        yield Issue((*path, "field"), f"'{action.field}' is changed by the transition '{aname}' "
                                     "but clients can also write it, so create/update would skip the transition's "
                                     "from-states and guards", "a read_only state field with a default (the "
                                     "initial state)", f"add read_only: true{initial} to "
                                     f"{ename}.fields.{action.field}")
            yield from ck.conditions(ename, action.guards, (*path, "guards"))
            if action.set_now is not None:
                set_fld = ck.field_or_builtin(ename, action.set_now, (*path, "set_now"))
                if set_fld is not None and set_fld.parsed.kind is not FieldKind.DATETIME:
                    yield Issue((*path, "set_now"), f"'{action.set_now}' is not a datetime", "a datetime field",
                                 "use a datetime field")
            if action.owner_only and entity.owner is None:
                yield Issue((*path, "owner_only"), "owner_only needs `owner` on the entity",
                             "owner: <many_to_one to the user entity>", "add owner to the entity")
        elif isinstance(action, CustomAction):
            for fname, fld in action.input.items():
                ck.field(ename, fld, (*path, "input", fname))
            in_query = (action.method or "POST") in ("GET", "DELETE")  # then `input` travels as query parameters
            taken = {name: f"an input field (a {action.method} sends its input as query parameters)"
                     for name in action.input} if in_query else {}
            yield from check_params(ck, ename, action.params, (*path, "params"), taken)


def _bad_state(path: Path, state: str, states: list[str]) -> Issue:
    close = did_you_mean(state, states)
    return Issue(path, f"unknown state '{state}'", "one of " + ", ".join(states),
                  f"did you mean '{close}'?" if close else "add it to the enum values")


__all__ = ["check_api", "check_auth", "check_wire"]
